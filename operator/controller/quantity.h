// Kubernetes resource quantities ("500m", "2", "1.5Gi", "1e3"): just enough to split a gang's
// total requests across its partitions. Pure functions; thread-safe.
#ifndef NEUROPART_OPERATOR_CONTROLLER_QUANTITY_H_
#define NEUROPART_OPERATOR_CONTROLLER_QUANTITY_H_

#include <string>

#include "neuropart/base/json.h"
#include "neuropart/status.h"

namespace neuropart::op {

// The quantity in base units (cores, bytes): a JSON integer or number, or a string with an
// optional decimal suffix (m, k, M, G, T, P, E), binary suffix (Ki ... Ei) or exponent.
// InvalidArgument naming the text otherwise, or when negative.
StatusOr<double> ParseQuantity(const Json& quantity);

// `value` base units as a quantity string, never below it: "3" for 3, "1250m" for 1.25; with
// `whole` (bytes, devices) rounded up to an integer instead of written in millis.
std::string FormatQuantity(double value, bool whole = false);

}  // namespace neuropart::op

#endif  // NEUROPART_OPERATOR_CONTROLLER_QUANTITY_H_
