// RFC 3339 timestamps as the Kubernetes API writes them ("2026-11-22T18:56:55Z", UTC, seconds).
// Pure functions; thread-safe.
#ifndef NEUROPART_OPERATOR_API_TIME_FORMAT_H_
#define NEUROPART_OPERATOR_API_TIME_FORMAT_H_

#include <chrono>
#include <string>

#include "neuropart/status.h"

namespace neuropart::op {

using TimePoint = std::chrono::system_clock::time_point;

std::string FormatTime(TimePoint t);
// MicroTime, as Leases want it: "2026-11-22T18:56:55.123456Z".
std::string FormatMicroTime(TimePoint t);
// Accepts "YYYY-MM-DDTHH:MM:SS" with an optional fraction and "Z" or "+HH:MM"/"-HH:MM".
StatusOr<TimePoint> ParseTime(const std::string& text);

}  // namespace neuropart::op

#endif  // NEUROPART_OPERATOR_API_TIME_FORMAT_H_
