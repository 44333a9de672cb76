// Reconcile on a real cluster's hard cases: disruptions, pods that never start, suspension,
// terminal conditions, events, and pods of a deleted namesake.
#include <gtest/gtest.h>

#include <algorithm>

#include "testing/fixtures.h"
#include "controller/naming.h"
#include "controller/reconcile.h"
#include "controller/reconcile_test_base.h"
#include "neuropart/lifecycle/exit_codes.h"
#include "neuropart/lifecycle/reasons.h"

namespace neuropart::op {
namespace {

using std::chrono::seconds;
using testing::FakeCluster;
using testing::Cond;
using testing::Count;
using testing::MakeNeuralPartition;

bool HasEvent(const FakeCluster& c, const std::string& type_and_reason) {
  const auto& e = c.events();
  return std::find(e.begin(), e.end(), type_and_reason) != e.end();
}

class ReconcileLifecycleTest : public testing::ReconcileTestBase {
 protected:
  // Partition 1 has just been disrupted: the gang restarts at once, spending no backoff.
  // REQUIRES: graceful deletion, so the old gang's pods linger while they terminate.
  void ExpectFreeRestart(FakeCluster& c, const std::string& expect_in_message, int deletes = 2) {
    ReconcileResult r = Step(c);
    const NeuralPartitionStatus& s = c.resource().status;
    EXPECT_EQ(s.restarts, 0);
    EXPECT_EQ(s.disruptions, 1);
    EXPECT_EQ(s.phase, kPhasePending);
    EXPECT_EQ(s.next_attempt_time, "");  // no delay
    EXPECT_EQ(Cond(c, kConditionDegraded).reason, kReasonDisrupted);
    EXPECT_NE(Cond(c, kConditionDegraded).message.find(expect_in_message), std::string::npos)
        << Cond(c, kConditionDegraded).message;
    EXPECT_TRUE(HasEvent(c, "Warning Disrupted"));
    EXPECT_EQ(Count(r, Action::Type::kDelete, "Pod"), deletes);
    r = Step(c);  // the old attempt's pods still terminate: they are not this attempt's failures
    EXPECT_EQ(c.resource().status.phase, kPhasePending);
    EXPECT_EQ(c.resource().status.restarts, 0);
    EXPECT_EQ(c.resource().status.disruptions, 1);
    EXPECT_EQ(Count(r, Action::Type::kCreate, "Pod"), 0);
    c.FinalizeDeletions();
    r = Step(c);  // the old pods are gone: the gang starts again at once
    EXPECT_EQ(Count(r, Action::Type::kCreate, "Pod"), 2);
    EXPECT_EQ(c.PodOf(0)->annotations.at(kAnnotationAttempt), "1");  // a new attempt
    EXPECT_EQ(c.resource().status.restarts, 0);  // with the same backoff budget
  }
};

TEST_F(ReconcileLifecycleTest, EvictedPodRestartsTheGangWithoutSpendingBackoff) {
  FakeCluster c(MakeNeuralPartition("np").Partitions(2).BackoffLimit(0).Obj());
  RunToReady(c);
  c.set_graceful_deletion(true);
  ObservedPod* p = c.PodOf(1);
  p->phase = "Failed";
  p->exit_code = kExitStopped;
  p->disruption_reason = "EvictionByEvictionAPI";
  ExpectFreeRestart(c, "pod np-1 failed (EvictionByEvictionAPI)");
}

TEST_F(ReconcileLifecycleTest, WorkerStoppedBySigtermIsADisruptionNotAFailure) {
  FakeCluster c(MakeNeuralPartition("np").Partitions(2).BackoffLimit(0).Obj());
  RunToReady(c);
  c.set_graceful_deletion(true);
  c.PodOf(1)->phase = "Failed";
  c.PodOf(1)->exit_code = kExitStopped;
  ExpectFreeRestart(c, "pod np-1 failed");
}

TEST_F(ReconcileLifecycleTest, PodDeletedForADisruptionRestartsForFree) {
  FakeCluster c(MakeNeuralPartition("np").Partitions(2).BackoffLimit(0).Obj());
  RunToReady(c);
  c.set_graceful_deletion(true);
  c.PodOf(1)->deleting = true;
  c.PodOf(1)->disruption_reason = "PreemptionByScheduler";
  ExpectFreeRestart(c, "pod np-1 was deleted (PreemptionByScheduler)", /*deletes=*/1);
}

TEST_F(ReconcileLifecycleTest, CountedRestartDelayDoublesLikeJob) {
  FakeCluster c(MakeNeuralPartition("np").Partitions(2).BackoffLimit(5).Obj());
  RunToReady(c);
  for (int n = 1; n <= 3; ++n) {
    c.PodOf(0)->phase = "Failed";
    c.PodOf(0)->exit_code = kExitFailure;
    Step(c);
    const seconds delay = seconds(10 << (n - 1));
    EXPECT_EQ(c.resource().status.restarts, n);
    EXPECT_EQ(c.resource().status.next_attempt_time, FormatTime(clock_.Now() + delay)) << n;
    EXPECT_EQ(Count(Step(c), Action::Type::kCreate, "Pod"), 0) << n;  // still waiting
    clock_.Advance(delay);
    EXPECT_EQ(Count(Step(c), Action::Type::kCreate, "Pod"), 2) << n;
    c.SetAllPods("Running", true);
    Step(c);
  }
}

TEST_F(ReconcileLifecycleTest, ImagePullBackOffShowsInStatusAndFailsPastTheDeadline) {
  FakeCluster c(
      MakeNeuralPartition("np").Partitions(2).SpecField("pendingDeadlineSeconds", 300).Obj());
  Step(c);
  c.PodOf(0)->phase = "Running";
  c.PodOf(0)->ready = true;
  c.PodOf(1)->stuck_reason = "ImagePullBackOff";
  c.PodOf(1)->stuck_message = "Back-off pulling image \"nope:1\"";
  clock_.Advance(seconds(60));
  Step(c);
  const NeuralPartitionStatus& s = c.resource().status;
  EXPECT_EQ(s.phase, kPhasePending);
  EXPECT_EQ(Cond(c, kConditionReady).reason, "ImagePullBackOff");
  EXPECT_EQ(Cond(c, kConditionReady).message,
            "partition 1: pod np-1: Back-off pulling image \"nope:1\"");
  EXPECT_EQ(Cond(c, kConditionDegraded).status, "True");
  ASSERT_EQ(s.partitions.size(), 2u);
  EXPECT_EQ(s.partitions[1].message,
            "ImagePullBackOff: pod np-1: Back-off pulling image \"nope:1\"");

  clock_.Advance(seconds(240));  // 300 s after the pod was created
  ReconcileResult r = Step(c);
  EXPECT_EQ(s.phase, kPhaseFailed);
  EXPECT_EQ(Cond(c, kConditionFailed).status, "True");
  EXPECT_EQ(Cond(c, kConditionFailed).reason, "ImagePullBackOff");
  EXPECT_NE(Cond(c, kConditionFailed).message.find("still Pending after 300s"), std::string::npos)
      << Cond(c, kConditionFailed).message;
  EXPECT_TRUE(HasEvent(c, "Warning ImagePullBackOff"));
  EXPECT_EQ(Count(r, Action::Type::kDelete, "Pod"), 2);
}

TEST_F(ReconcileLifecycleTest, AGangHeldByAQueueIsNotPastItsDeadline) {
  FakeCluster c(
      MakeNeuralPartition("np").Partitions(2).SpecField("pendingDeadlineSeconds", 60).Obj());
  Step(c);
  c.PodOf(0)->gated = true;
  c.PodOf(1)->gated = true;
  clock_.Advance(seconds(3600));
  Step(c);
  EXPECT_EQ(c.resource().status.phase, kPhasePending);
  c.PodOf(0)->gated = false;  // admitted and scheduled now, yet they do not start
  c.PodOf(1)->gated = false;
  c.PodOf(0)->scheduled_at = c.PodOf(1)->scheduled_at = FormatTime(clock_.Now());
  Step(c);
  EXPECT_EQ(c.resource().status.phase, kPhasePending);  // the deadline counts from admission
  clock_.Advance(seconds(60));
  Step(c);
  EXPECT_EQ(c.resource().status.phase, kPhaseFailed);
  EXPECT_EQ(Cond(c, kConditionFailed).reason, kReasonPendingDeadlineExceeded);
}

TEST_F(ReconcileLifecycleTest, UnschedulableGangWaitsWhileNoDeadlineIsSet) {
  FakeCluster c(
      MakeNeuralPartition("np").Partitions(2).SpecField("pendingDeadlineSeconds", 0).Obj());
  Step(c);
  c.PodOf(0)->stuck_reason = "Unschedulable";
  c.PodOf(0)->stuck_message = "0/1 nodes are available: 1 Insufficient cpu.";
  clock_.Advance(seconds(100000));
  Step(c);
  EXPECT_EQ(c.resource().status.phase, kPhasePending);
  EXPECT_EQ(Cond(c, kConditionReady).reason, "Unschedulable");
}

TEST_F(ReconcileLifecycleTest, SuspendStopsTheGangAndResumingStartsItAgain) {
  FakeCluster c(MakeNeuralPartition("np").Partitions(2).Obj());
  RunToReady(c);
  c.resource().spec["suspend"] = true;
  ReconcileResult r = Step(c);
  EXPECT_EQ(Count(r, Action::Type::kDelete, "Pod"), 2);
  EXPECT_EQ(c.resource().status.phase, kPhaseSuspended);
  EXPECT_EQ(Cond(c, kConditionSuspended).status, "True");
  EXPECT_EQ(Cond(c, kConditionReady).reason, kReasonSuspended);
  EXPECT_EQ(c.resource().status.restarts, 0);
  EXPECT_TRUE(HasEvent(c, "Normal Suspended"));
  r = Step(c);  // stays suspended: nothing created
  EXPECT_EQ(Count(r, Action::Type::kCreate, "Pod"), 0);

  c.resource().spec["suspend"] = false;
  r = Step(c);
  EXPECT_EQ(Count(r, Action::Type::kCreate, "Pod"), 2);
  EXPECT_EQ(c.resource().status.phase, kPhasePending);
  EXPECT_EQ(Cond(c, kConditionSuspended).status, "False");
  EXPECT_EQ(Cond(c, kConditionSuspended).reason, kReasonResumed);
  EXPECT_TRUE(HasEvent(c, "Normal Resumed"));
}

TEST_F(ReconcileLifecycleTest, CreatedSuspendedStartsNoPods) {
  FakeCluster c(MakeNeuralPartition("np").Partitions(2).SpecField("suspend", true).Obj());
  ReconcileResult r = Step(c);
  EXPECT_EQ(Count(r, Action::Type::kCreate, "Pod"), 0);
  EXPECT_EQ(Count(r, Action::Type::kCreate, "ConfigMap"), 1);  // the plan is published anyway
  EXPECT_EQ(c.resource().status.phase, kPhaseSuspended);
}

TEST_F(ReconcileLifecycleTest, SucceededJobIsCompleteForKubectlWait) {
  FakeCluster c(MakeNeuralPartition("np").Partitions(2).Obj());
  RunToReady(c);
  c.SetAllPods("Succeeded", false);
  Step(c);
  EXPECT_EQ(c.resource().status.phase, kPhaseSucceeded);
  EXPECT_EQ(Cond(c, kConditionComplete).status, "True");
  EXPECT_EQ(Cond(c, kConditionComplete).reason, kReasonTrainingComplete);
  EXPECT_EQ(Cond(c, kConditionReady).message, "all 2 partitions finished");
  EXPECT_EQ(Cond(c, kConditionFailed).type, "missing");
  EXPECT_EQ(c.events(), (std::vector<std::string>{"Normal CreatingWorkers",
                                                  "Normal WorkersRunning",
                                                  "Normal TrainingComplete"}));
}

TEST_F(ReconcileLifecycleTest, FailedJobHasTheFailedCondition) {
  FakeCluster c(MakeNeuralPartition("np").Partitions(2).BackoffLimit(0).Obj());
  RunToReady(c);
  c.PodOf(0)->phase = "Failed";
  c.PodOf(0)->exit_code = kExitFailure;
  Step(c);
  EXPECT_EQ(Cond(c, kConditionFailed).status, "True");
  EXPECT_EQ(Cond(c, kConditionFailed).reason, kReasonBackoffLimitExceeded);
  EXPECT_EQ(Cond(c, kConditionComplete).type, "missing");
  EXPECT_TRUE(HasEvent(c, "Warning BackoffLimitExceeded"));
}

// A NeuralPartition deleted and created again under the same name: the old gang's pods carry the
// same labels and names but the old object's uid. They are neither adopted nor deleted by this
// object (the garbage collector removes them), and the new gang waits until they are gone.
TEST_F(ReconcileLifecycleTest, PodsOfADeletedNamesakeAreNotAdopted) {
  FakeCluster c(MakeNeuralPartition("np").Partitions(2).Uid("uid-old").Obj());
  RunToReady(c);
  c.resource().metadata.uid = "uid-new";
  c.resource().status = NeuralPartitionStatus{};
  ReconcileResult r = Step(c);
  EXPECT_EQ(Count(r, Action::Type::kCreate, "Pod"), 0);
  EXPECT_EQ(Count(r, Action::Type::kDelete, "Pod"), 0);
  EXPECT_EQ(c.resource().status.phase, kPhasePending);
  EXPECT_EQ(c.resource().status.ready, "0/2");
  c.RemovePod(0);
  c.RemovePod(1);
  r = Step(c);
  EXPECT_EQ(Count(r, Action::Type::kCreate, "Pod"), 2);
  EXPECT_EQ(c.PodOf(0)->owner_uid, "uid-new");
}

TEST_F(ReconcileLifecycleTest, EventsAreRecordedOncePerDecision) {
  FakeCluster c(MakeNeuralPartition("np").Partitions(2).Obj());
  RunToReady(c);
  for (int i = 0; i < 3; ++i) Step(c);  // steady state: no new events
  EXPECT_EQ(c.events(),
            (std::vector<std::string>{"Normal CreatingWorkers", "Normal WorkersRunning"}));
}

}  // namespace
}  // namespace neuropart::op
