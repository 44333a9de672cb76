// What the reconcile tests share: a FakeCluster walked one reconcile at a time on a fake clock,
// and lookups of actions and conditions. Test-only.
#ifndef NEUROPART_OPERATOR_CONTROLLER_RECONCILE_TEST_BASE_H_
#define NEUROPART_OPERATOR_CONTROLLER_RECONCILE_TEST_BASE_H_

#include <gtest/gtest.h>

#include <string>

#include "testing/fixtures.h"
#include "controller/reconcile.h"
#include "neuropart/lifecycle/reasons.h"

namespace neuropart::op::testing {

// 2026-11-18T11:06:40Z
inline const TimePoint kT0 = std::chrono::system_clock::from_time_t(1795000000);

inline int Count(const ReconcileResult& r, Action::Type type, const std::string& kind) {
  int n = 0;
  for (const Action& a : r.actions) n += a.type == type && a.kind == kind;
  return n;
}

// The condition of `type`, or one of type "missing".
inline const Condition& Cond(FakeCluster& c, const char* type) {
  const Condition* found = FindCondition(c.resource().status.conditions, type);
  static const Condition kMissing{"missing", "", "", "", 0, ""};
  return found != nullptr ? *found : kMissing;
}

class ReconcileTestBase : public ::testing::Test {
 protected:
  ReconcileResult Step(FakeCluster& c) { return c.Reconcile(options_, clock_); }
  // Creates the job's objects and brings every pod to Running/ready.
  void RunToReady(FakeCluster& c) {
    Step(c);
    c.SetAllPods("Running", true);
    Step(c);
    ASSERT_EQ(c.resource().status.phase, kPhaseRunning);
  }

  ReconcileOptions options_{.make_keys = FakeKeys};
  FakeClock clock_{kT0};
};

}  // namespace neuropart::op::testing

#endif  // NEUROPART_OPERATOR_CONTROLLER_RECONCILE_TEST_BASE_H_
