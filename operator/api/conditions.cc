#include "api/conditions.h"

namespace neuropart::op {

const Condition* FindCondition(const std::vector<Condition>& conditions, const std::string& type) {
  for (const Condition& c : conditions) {
    if (c.type == type) return &c;
  }
  return nullptr;
}

bool SetCondition(std::vector<Condition>* conditions, Condition c, const std::string& now) {
  if (c.message.size() > kMaxConditionMessage) {
    c.message.resize(kMaxConditionMessage - 3);
    c.message += "...";
  }
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
