#include "api/conditions.h"

namespace neuropart::op {

const Condition* FindCondition(const std::vector<Condition>& conditions, const std::string& type) {
  for (const Condition& c : conditions) {
    if (c.type == type) return &c;
  }
  return nullptr;
}

std::string TruncateMessage(std::string message) {
  if (message.size() > kMaxConditionMessage) {
    size_t keep = kMaxConditionMessage - 3;
    while (keep > 0 && (static_cast<unsigned char>(message[keep]) & 0xC0) == 0x80) --keep;
    message.resize(keep);  // never inside a UTF-8 sequence
    message += "...";
  }
  return message;
}

bool SetCondition(std::vector<Condition>* conditions, Condition c, const std::string& now) {
  c.message = TruncateMessage(std::move(c.message));
  for (Condition& old : *conditions) {
    if (old.type != c.type) continue;
    c.last_transition_time = old.status == c.status ? old.last_transition_time : now;
    if (old == c) return false;
    old = std::move(c);
    return true;
  }
  c.last_transition_time = now;
  conditions->push_back(std::move(c));
  return true;
}

}  // namespace neuropart::op
