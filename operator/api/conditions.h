// Conditions in the Kubernetes API conventions, and the pure helpers that set them.
//
// SetCondition returns whether anything changed (Kueue's style), so that the caller writes status
// only when it did. lastTransitionTime moves only when the condition's status flips; a new reason,
// message or observedGeneration under the same status keeps the old time. Pure; thread-safe.
#ifndef NEUROPART_OPERATOR_API_CONDITIONS_H_
#define NEUROPART_OPERATOR_API_CONDITIONS_H_

#include <cstdint>
#include <string>
#include <vector>

namespace neuropart::op {

struct Condition {
  std::string type;
  std::string status;  // "True", "False" or "Unknown"
  std::string reason;
  std::string message;
  int64_t observed_generation = 0;
  std::string last_transition_time;  // RFC 3339

  bool operator==(const Condition&) const = default;
};

inline constexpr size_t kMaxConditionMessage = 1024;

// `message` cut to kMaxConditionMessage bytes (ending in "...", never inside a UTF-8 sequence).
std::string TruncateMessage(std::string message);

// The condition of `type`, or nullptr.
const Condition* FindCondition(const std::vector<Condition>& conditions, const std::string& type);

// Sets (or adds) `c` in `conditions`; `now` becomes its lastTransitionTime if it is new or its
// status flipped. Messages longer than kMaxConditionMessage are truncated. Returns true when the
// list changed.
bool SetCondition(std::vector<Condition>* conditions, Condition c, const std::string& now);

}  // namespace neuropart::op

#endif  // NEUROPART_OPERATOR_API_CONDITIONS_H_
