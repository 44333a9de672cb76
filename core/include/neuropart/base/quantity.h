// Kubernetes resource quantities as text ("500m", "2", "1.5Gi", "1e3"), for the job file's
// spec.worker.resources and the operator's split of a gang's requests. Pure; thread-safe.
#ifndef NEUROPART_BASE_QUANTITY_H_
#define NEUROPART_BASE_QUANTITY_H_

#include <string_view>

#include "neuropart/status.h"

namespace neuropart {

// The quantity in base units (cores, bytes): a number with an optional decimal suffix (m, k, M,
// G, T, P, E), binary suffix (Ki ... Ei) or exponent. InvalidArgument "\"<text>\" is not a
// resource quantity" otherwise, or when negative.
StatusOr<double> ParseQuantityText(std::string_view text);

}  // namespace neuropart

#endif  // NEUROPART_BASE_QUANTITY_H_
