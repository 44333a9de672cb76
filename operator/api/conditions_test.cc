#include "api/conditions.h"

#include <gtest/gtest.h>

#include "neuropart/lifecycle/reasons.h"

namespace neuropart::op {
namespace {

Condition Ready(const char* status, const char* reason, const char* message = "m") {
  return Condition{kConditionReady, status, reason, message, 1, ""};
}

TEST(ConditionsTest, NewConditionGetsNow) {
  std::vector<Condition> c;
  EXPECT_TRUE(SetCondition(&c, Ready("False", kReasonCreatingWorkers), "t1"));
  ASSERT_EQ(c.size(), 1u);
  EXPECT_EQ(c[0].last_transition_time, "t1");
}

TEST(ConditionsTest, SameConditionIsNoChange) {
  std::vector<Condition> c;
  ASSERT_TRUE(SetCondition(&c, Ready("False", kReasonCreatingWorkers), "t1"));
  EXPECT_FALSE(SetCondition(&c, Ready("False", kReasonCreatingWorkers), "t2"));
  EXPECT_EQ(c[0].last_transition_time, "t1");
}

TEST(ConditionsTest, ReasonChangeKeepsTransitionTime) {
  std::vector<Condition> c;
  ASSERT_TRUE(SetCondition(&c, Ready("False", kReasonCreatingWorkers), "t1"));
  EXPECT_TRUE(SetCondition(&c, Ready("False", kReasonWaitingForWorkers, "other"), "t2"));
  EXPECT_EQ(c[0].reason, kReasonWaitingForWorkers);
  EXPECT_EQ(c[0].message, "other");
  EXPECT_EQ(c[0].last_transition_time, "t1");
}

TEST(ConditionsTest, StatusFlipMovesTransitionTime) {
  std::vector<Condition> c;
  ASSERT_TRUE(SetCondition(&c, Ready("False", kReasonCreatingWorkers), "t1"));
  EXPECT_TRUE(SetCondition(&c, Ready("True", kReasonWorkersReady), "t2"));
  EXPECT_EQ(c[0].last_transition_time, "t2");
  EXPECT_EQ(c.size(), 1u);
}

TEST(ConditionsTest, LongMessagesAreTruncated) {
  std::vector<Condition> c;
  Condition long_one = Ready("False", kReasonInvalidSpec);
  long_one.message = std::string(5000, 'x');
  SetCondition(&c, long_one, "t1");
  EXPECT_EQ(c[0].message.size(), kMaxConditionMessage);
  EXPECT_EQ(c[0].message.substr(kMaxConditionMessage - 3), "...");
  // Setting the same long message again is no change.
  EXPECT_FALSE(SetCondition(&c, long_one, "t2"));
}

TEST(ConditionsTest, FindsByType) {
  std::vector<Condition> c;
  SetCondition(&c, Ready("True", kReasonWorkersReady), "t");
  SetCondition(&c, Condition{kConditionDegraded, "False", kReasonAsExpected, "", 1, ""}, "t");
  ASSERT_NE(FindCondition(c, kConditionDegraded), nullptr);
  EXPECT_EQ(FindCondition(c, kConditionDegraded)->status, "False");
  EXPECT_EQ(FindCondition(c, kConditionProgressing), nullptr);
}

}  // namespace
}  // namespace neuropart::op
