#include "controller/reconcile.h"

#include <gtest/gtest.h>

#include "testing/fixtures.h"
#include "controller/naming.h"
#include "controller/reconcile_test_base.h"
#include "neuropart/lifecycle/reasons.h"

namespace neuropart::op {
namespace {

using testing::Cond;
using testing::Count;
using testing::FakeCluster;
using testing::kT0;
using testing::MakeNeuralPartition;

const Action* StatusUpdate(const ReconcileResult& r) {
  for (const Action& a : r.actions) {
    if (a.type == Action::Type::kUpdateStatus) return &a;
  }
  return nullptr;
}

class ReconcileTest : public testing::ReconcileTestBase {
 protected:
  // Runs `c` to Ready, then fails partition 1's pod with this exit code, kubelet reason and
  // termination message (the log's tail).
  void FailPartitionOne(FakeCluster& c, int exit_code, std::string termination_message,
                        std::string reason = "") {
    RunToReady(c);
    c.SetPod(1, "Failed", false);
    ObservedPod* pod = c.Pod("np-1");
    pod->exit_code = exit_code;
    pod->terminated_reason = std::move(reason);
    pod->termination_message = std::move(termination_message);
  }
};

TEST_F(ReconcileTest, NewResourcePublishesPlanAndCreatesOnePodPerPartition) {
  FakeCluster c(MakeNeuralPartition("np").Partitions(4).Strategy("count").Obj());
  ReconcileResult r = Step(c);
  EXPECT_EQ(Count(r, Action::Type::kCreate, "ConfigMap"), 1);
  EXPECT_EQ(Count(r, Action::Type::kCreate, "Service"), 1);  // headless only (train mode)
  EXPECT_EQ(Count(r, Action::Type::kCreate, "NetworkPolicy"), 1);
  EXPECT_EQ(Count(r, Action::Type::kCreate, "Pod"), 4);
  for (int q = 0; q < 4; ++q) EXPECT_NE(c.Pod("np-" + std::to_string(q)), nullptr) << q;
  const NeuralPartitionStatus& s = c.resource().status;
  EXPECT_EQ(s.phase, kPhasePending);
  EXPECT_EQ(s.ready, "0/4");
  EXPECT_EQ(s.start_time, "2026-11-18T11:06:40Z");
  EXPECT_EQ(s.observed_generation, 1);
  EXPECT_EQ(s.plan_hash.size(), 16u);
  ASSERT_EQ(s.partitions.size(), 4u);
  EXPECT_EQ(s.partitions[3].pod, "np-3");
  EXPECT_EQ(s.partitions[0].neurons + s.partitions[1].neurons + s.partitions[2].neurons +
                s.partitions[3].neurons,
            28);
  EXPECT_EQ(Cond(c, kConditionReady).reason, kReasonCreatingWorkers);
  EXPECT_EQ(Cond(c, kConditionProgressing).status, "True");
  EXPECT_EQ(Cond(c, kConditionDegraded).status, "False");
  EXPECT_EQ(r.requeue_after, options_.poll_interval);
}

// Every phase transition of a healthy training job, one reconcile per row.
TEST_F(ReconcileTest, PhaseTransitionsOfATrainingJob) {
  struct Row {
    const char* name;
    std::function<void(FakeCluster&)> kubelet;
    const char* phase;
    const char* ready_status;
    const char* ready_reason;
    const char* progressing_reason;
  };
  const std::vector<Row> rows = {
      {"created", [](FakeCluster&) {}, kPhasePending, "False", kReasonCreatingWorkers,
       kReasonCreatingWorkers},
      {"scheduled", [](FakeCluster&) {}, kPhasePending, "False", kReasonWaitingForWorkers,
       kReasonWaitingForWorkers},
      {"one running", [](FakeCluster& c) { c.SetPod(0, "Running", false); }, kPhasePending, "False",
       kReasonWaitingForWorkers, kReasonWaitingForWorkers},
      {"all running", [](FakeCluster& c) { c.SetAllPods("Running", false); }, kPhaseRunning,
       "False", kReasonWaitingForWorkers, kReasonWorkersRunning},
      {"all ready", [](FakeCluster& c) { c.SetAllPods("Running", true); }, kPhaseRunning, "True",
       kReasonWorkersReady, kReasonWorkersRunning},
      {"training",
       [](FakeCluster& c) {
         c.state().coordinator = CoordinatorReport{JobPhase::kTraining, 5, 0, 1.25, {}};
       },
       kPhaseRunning, "True", kReasonWorkersReady, kReasonTraining},
      {"one finished", [](FakeCluster& c) { c.SetPod(1, "Succeeded", false); }, kPhaseRunning,
       "True", kReasonWorkersReady, kReasonTraining},
      {"all finished", [](FakeCluster& c) { c.SetAllPods("Succeeded", false); }, kPhaseSucceeded,
       "False", kReasonTrainingComplete, kReasonTrainingComplete},
  };
  FakeCluster c(MakeNeuralPartition("np").Partitions(2).Strategy("layers").Obj());
  for (const Row& row : rows) {
    SCOPED_TRACE(row.name);
    row.kubelet(c);
    Step(c);
    clock_.Advance(std::chrono::seconds(10));
    EXPECT_EQ(c.resource().status.phase, row.phase);
    EXPECT_EQ(Cond(c, kConditionReady).status, row.ready_status);
    EXPECT_EQ(Cond(c, kConditionReady).reason, row.ready_reason);
    EXPECT_EQ(Cond(c, kConditionProgressing).reason, row.progressing_reason);
    EXPECT_EQ(Cond(c, kConditionDegraded).status, "False");
  }
  EXPECT_EQ(c.resource().status.step, 5);
  EXPECT_EQ(c.resource().status.loss, 1.25);
  EXPECT_EQ(c.resource().status.completion_time, FormatTime(kT0 + std::chrono::seconds(70)));
  EXPECT_EQ(c.resource().status.restarts, 0);
  // Succeeded is terminal: nothing more to do, and no write.
  ReconcileResult r = Step(c);
  EXPECT_TRUE(r.actions.empty());
  EXPECT_FALSE(r.requeue_after.has_value());
}

TEST_F(ReconcileTest, FinalLossAndAccuracyComeFromTheCoordinatorsTerminationMessage) {
  FakeCluster c(MakeNeuralPartition("np").Partitions(2).Obj());
  RunToReady(c);
  c.SetAllPods("Succeeded", false);
  c.Pod("np-0")->termination_message =
      "some log\n@np result start_step=4 steps=8 final_loss=0.250000 test_accuracy=0.8750\n";
  Step(c);
  const NeuralPartitionStatus& s = c.resource().status;
  EXPECT_EQ(s.phase, kPhaseSucceeded);
  EXPECT_EQ(s.loss, 0.25);
  EXPECT_EQ(s.accuracy, 0.875);
  EXPECT_EQ(s.step, 8);  // the job's total, also after a resume from step 4
  ASSERT_TRUE(s.last_checkpoint.has_value());
  EXPECT_EQ(s.last_checkpoint->step, 8);
}

TEST_F(ReconcileTest, CoordinatorZerosBeforeTheFirstStepAreIgnored) {
  FakeCluster c(MakeNeuralPartition("np").Partitions(2).Obj());
  RunToReady(c);
  c.state().coordinator = CoordinatorReport{JobPhase::kStarting, 0, 0, 0.0, 0.0};
  Step(c);
  EXPECT_FALSE(c.resource().status.step.has_value());
  EXPECT_FALSE(c.resource().status.loss.has_value());
  EXPECT_FALSE(c.resource().status.accuracy.has_value());
  c.state().coordinator = CoordinatorReport{JobPhase::kTraining, 3, 0, 0.5, 0.0, 2};
  Step(c);
  EXPECT_EQ(c.resource().status.step, 3);
  ASSERT_TRUE(c.resource().status.last_checkpoint.has_value());
  EXPECT_EQ(c.resource().status.last_checkpoint->step, 2);
  EXPECT_EQ(c.resource().status.loss, 0.5);
  EXPECT_FALSE(c.resource().status.accuracy.has_value());  // not final yet
  c.state().coordinator = CoordinatorReport{JobPhase::kSucceeded, 8, 0, 0.25, 0.75};
  Step(c);
  EXPECT_EQ(c.resource().status.accuracy, 0.75);
}

TEST_F(ReconcileTest, UnchangedStatusIsNotWritten) {
  FakeCluster c(MakeNeuralPartition("np").Partitions(2).Obj());
  RunToReady(c);
  const int writes = c.status_writes();
  clock_.Advance(std::chrono::seconds(60));
  ReconcileResult r = Step(c);
  EXPECT_TRUE(r.actions.empty()) << ActionTypeName(r.actions[0].type) << " " << r.actions[0].kind;
  EXPECT_EQ(c.status_writes(), writes);
  EXPECT_EQ(r.requeue_after, options_.poll_interval);  // still polls the coordinator
}

TEST_F(ReconcileTest, TransitionTimeMovesOnlyWhenStatusFlips) {
  FakeCluster c(MakeNeuralPartition("np").Partitions(2).Obj());
  Step(c);
  const std::string created = Cond(c, kConditionReady).last_transition_time;
  EXPECT_EQ(created, FormatTime(kT0));
  clock_.Advance(std::chrono::seconds(30));
  c.SetAllPods("Running", false);
  Step(c);  // Ready stays False, reason changes
  EXPECT_EQ(Cond(c, kConditionReady).last_transition_time, created);
  clock_.Advance(std::chrono::seconds(30));
  c.SetAllPods("Running", true);
  Step(c);  // Ready flips to True
  EXPECT_EQ(Cond(c, kConditionReady).last_transition_time,
            FormatTime(kT0 + std::chrono::seconds(60)));
  EXPECT_EQ(Cond(c, kConditionProgressing).last_transition_time, created);  // True all along
}

TEST_F(ReconcileTest, FailedPodRestartsTheWholeGang) {
  FakeCluster c(MakeNeuralPartition("np").Partitions(3).Strategy("layers").Obj());
  RunToReady(c);
  c.set_graceful_deletion(true);
  c.SetPod(1, "Failed", false, "OOMKilled");
  ReconcileResult r = Step(c);
  EXPECT_EQ(Count(r, Action::Type::kDelete, "Pod"), 3);
  EXPECT_EQ(Count(r, Action::Type::kCreate, "Pod"), 0);
  const NeuralPartitionStatus& s = c.resource().status;
  EXPECT_EQ(s.restarts, 1);
  EXPECT_EQ(s.phase, kPhasePending);
  EXPECT_EQ(Cond(c, kConditionDegraded).status, "True");
  EXPECT_EQ(Cond(c, kConditionDegraded).reason, kReasonGangRestart);
  EXPECT_NE(Cond(c, kConditionDegraded).message.find("partition 1: pod np-1 failed: OOMKilled"),
            std::string::npos)
      << Cond(c, kConditionDegraded).message;

  // While the old pods terminate, nothing is created and the restart is not counted again.
  r = Step(c);
  EXPECT_EQ(Count(r, Action::Type::kCreate, "Pod"), 0);
  EXPECT_EQ(c.resource().status.restarts, 1);

  // The old pods are gone, but the first counted restart waits Job's 10 s.
  c.FinalizeDeletions();
  r = Step(c);
  EXPECT_EQ(Count(r, Action::Type::kCreate, "Pod"), 0);
  EXPECT_EQ(c.resource().status.next_attempt_time, FormatTime(kT0 + std::chrono::seconds(10)));
  ASSERT_TRUE(r.requeue_after.has_value());
  EXPECT_EQ(*r.requeue_after, std::chrono::seconds(10));
  clock_.Advance(std::chrono::seconds(10));
  r = Step(c);
  ASSERT_EQ(Count(r, Action::Type::kCreate, "Pod"), 3);
  EXPECT_EQ(c.resource().status.next_attempt_time, "");
  EXPECT_EQ(c.Pod("np-2")->annotations.at(kAnnotationAttempt), "1");
  c.SetAllPods("Running", true);
  Step(c);
  EXPECT_EQ(c.resource().status.phase, kPhaseRunning);
  EXPECT_EQ(Cond(c, kConditionDegraded).status, "False");
  EXPECT_EQ(c.resource().status.restarts, 1);
}

TEST_F(ReconcileTest, PodDisappearingWhileRunningRestartsTheGang) {
  FakeCluster c(MakeNeuralPartition("np").Partitions(2).Obj());
  RunToReady(c);
  c.RemovePod(0);
  ReconcileResult r = Step(c);
  EXPECT_EQ(c.resource().status.restarts, 1);
  EXPECT_EQ(Count(r, Action::Type::kDelete, "Pod"), 1);  // the survivor
  EXPECT_NE(Cond(c, kConditionDegraded).message.find("np-0 disappeared"), std::string::npos);
}

// `kubectl delete pod` of a running worker: the pod lingers with a deletionTimestamp while it
// terminates; the gang restarts at once instead of re-creating just that pod later.
TEST_F(ReconcileTest, PodDeletedBySomeoneElseRestartsTheGang) {
  FakeCluster c(MakeNeuralPartition("np").Partitions(2).Obj());
  RunToReady(c);
  c.set_graceful_deletion(true);
  c.Pod("np-1")->deleting = true;
  ReconcileResult r = Step(c);
  EXPECT_EQ(c.resource().status.restarts, 1);
  EXPECT_EQ(Count(r, Action::Type::kDelete, "Pod"), 1);  // np-0; np-1 is already going
  EXPECT_NE(Cond(c, kConditionDegraded).message.find("pod np-1 was deleted"), std::string::npos)
      << Cond(c, kConditionDegraded).message;
  // np-1 is gone but np-0 still terminates: the new gang waits for it.
  c.RemovePod(1);
  r = Step(c);
  EXPECT_EQ(Count(r, Action::Type::kCreate, "Pod"), 0);
  c.FinalizeDeletions();
  clock_.Advance(std::chrono::seconds(10));
  r = Step(c);
  EXPECT_EQ(Count(r, Action::Type::kCreate, "Pod"), 2);
  EXPECT_EQ(c.resource().status.restarts, 1);
}

TEST_F(ReconcileTest, PendingPodThatDisappearsIsRecreatedWithoutARestart) {
  FakeCluster c(MakeNeuralPartition("np").Partitions(2).Obj());
  Step(c);
  c.RemovePod(1);
  ReconcileResult r = Step(c);
  EXPECT_EQ(Count(r, Action::Type::kCreate, "Pod"), 1);
  EXPECT_EQ(c.resource().status.restarts, 0);
}

TEST_F(ReconcileTest, BackoffLimitExhaustedFailsTheJob) {
  FakeCluster c(MakeNeuralPartition("np").Partitions(2).BackoffLimit(1).Obj());
  RunToReady(c);
  c.SetPod(0, "Failed", false, "exit 1");
  Step(c);
  ASSERT_EQ(c.resource().status.restarts, 1);
  clock_.Advance(std::chrono::seconds(10));  // the restart's delay
  Step(c);                                    // recreate
  ASSERT_NE(c.PodOf(1), nullptr);
  c.SetAllPods("Running", true);
  Step(c);
  c.SetPod(1, "Failed", false, "exit 1");
  ReconcileResult r = Step(c);
  const NeuralPartitionStatus& s = c.resource().status;
  EXPECT_EQ(s.phase, kPhaseFailed);
  EXPECT_EQ(s.restarts, 1);
  EXPECT_FALSE(s.completion_time.empty());
  EXPECT_EQ(Cond(c, kConditionReady).reason, kReasonBackoffLimitExceeded);
  EXPECT_EQ(Cond(c, kConditionDegraded).reason, kReasonBackoffLimitExceeded);
  EXPECT_NE(Cond(c, kConditionDegraded).message.find("backoffLimit 1"), std::string::npos);
  EXPECT_EQ(Count(r, Action::Type::kDelete, "Pod"), 1);  // the running one; the failed pod stays
  // Failed is terminal: no pods come back.
  r = Step(c);
  EXPECT_EQ(Count(r, Action::Type::kCreate, "Pod"), 0);
  EXPECT_EQ(StatusUpdate(r), nullptr);
}

TEST_F(ReconcileTest, BackoffLimitZeroFailsOnTheFirstFailure) {
  FakeCluster c(MakeNeuralPartition("np").Partitions(2).BackoffLimit(0).Obj());
  RunToReady(c);
  c.SetPod(0, "Failed", false);
  Step(c);
  EXPECT_EQ(c.resource().status.phase, kPhaseFailed);
  EXPECT_EQ(c.resource().status.restarts, 0);
}

// Exit code 2 means the worker refused its input (job, plan, or a store it cannot write): every
// attempt would fail the same way, so the job fails at once with the worker's own words.
TEST_F(ReconcileTest, WorkerRefusingItsInputFailsTheJobWithoutRestarts) {
  FakeCluster c(MakeNeuralPartition("np").Partitions(2).BackoffLimit(4).Obj());
  FailPartitionOne(
      c, 2,
      "Started\nneuropart-worker: partition 1: InvalidArgument: store: /store/jobs/np is not "
      "writable by uid 65532 gid 65532 (/store is owned by uid 0 gid 0, mode 0755)\n");
  ReconcileResult r = Step(c);
  const NeuralPartitionStatus& s = c.resource().status;
  EXPECT_EQ(s.phase, kPhaseFailed);
  EXPECT_EQ(s.restarts, 0);
  EXPECT_EQ(Cond(c, kConditionReady).reason, kReasonWorkerConfigError);
  const std::string& message = Cond(c, kConditionDegraded).message;
  EXPECT_EQ(Cond(c, kConditionDegraded).reason, kReasonWorkerConfigError);
  EXPECT_NE(message.find("partition 1: pod np-1 failed"), std::string::npos) << message;
  EXPECT_NE(message.find("/store/jobs/np is not writable by uid 65532"), std::string::npos)
      << message;
  EXPECT_EQ(message.find("Started"), std::string::npos) << "only the last line: " << message;
  EXPECT_EQ(Count(r, Action::Type::kDelete, "Pod"), 1);  // the running one
  r = Step(c);
  EXPECT_EQ(Count(r, Action::Type::kCreate, "Pod"), 0);
}

TEST_F(ReconcileTest, WorkerFailingWithAnotherCodeStillRestartsTheGang) {
  FakeCluster c(MakeNeuralPartition("np").Partitions(2).BackoffLimit(4).Obj());
  FailPartitionOne(c, 1, "");
  Step(c);
  EXPECT_EQ(c.resource().status.restarts, 1);
  EXPECT_EQ(c.resource().status.phase, kPhasePending);
}

// Exit code 1 is a runtime failure: the worker's last line of stderr (the kubelet keeps the log's
// tail as the termination message) says why, so the status does too. A kill's or an OOM's log
// tail is not its reason, and stays out.
TEST_F(ReconcileTest, WorkerFailingAtRuntimeHasItsErrorInTheStatus) {
  FakeCluster c(MakeNeuralPartition("np").Partitions(2).BackoffLimit(0).Obj());
  FailPartitionOne(
      c, 1,
      "Started\nneuropart-worker: partition 1: NotFound: unlink /store/jobs/np/x: No such file\n");
  Step(c);
  const std::string& message = Cond(c, kConditionDegraded).message;
  EXPECT_NE(message.find("pod np-1 failed: neuropart-worker: partition 1: NotFound: unlink"),
            std::string::npos)
      << message;
  EXPECT_EQ(message.find("Started"), std::string::npos) << message;
}

TEST_F(ReconcileTest, KilledWorkerKeepsItsLogTailOutOfTheStatus) {
  FakeCluster c(MakeNeuralPartition("np").Partitions(2).BackoffLimit(0).Obj());
  FailPartitionOne(c, 137, "step 400 loss 0.31\n", "OOMKilled");
  Step(c);
  const std::string& message = Cond(c, kConditionDegraded).message;
  EXPECT_NE(message.find("pod np-1 failed"), std::string::npos) << message;
  EXPECT_EQ(message.find("step 400"), std::string::npos) << message;
}

// A change of partitions or strategy re-plans and restarts every partition, without a restart.
TEST_F(ReconcileTest, SpecChangeReplansAndRestarts) {
  struct Row {
    const char* name;
    int partitions;
    const char* strategy;
  };
  for (const Row& row :
       {Row{"more partitions", 3, "balanced"}, Row{"other strategy", 2, "layers"}}) {
    SCOPED_TRACE(row.name);
    FakeCluster c(MakeNeuralPartition("np").Partitions(2).Strategy("balanced").Obj());
    RunToReady(c);
    const std::string old_hash = c.resource().status.plan_hash;
    c.resource() = [&] {
      NeuralPartition np = MakeNeuralPartition("np")
                               .Partitions(row.partitions)
                               .Strategy(row.strategy)
                               .Generation(2)
                               .Obj();
      np.status = c.resource().status;
      return np;
    }();
    ReconcileResult r = Step(c);
    EXPECT_EQ(Count(r, Action::Type::kPatch, "ConfigMap"), 1);
    EXPECT_EQ(Count(r, Action::Type::kDelete, "Pod"), 2);
    const NeuralPartitionStatus& s = c.resource().status;
    EXPECT_NE(s.plan_hash, old_hash);
    EXPECT_EQ(s.restarts, 0);
    EXPECT_EQ(s.observed_generation, 2);
    EXPECT_EQ(s.phase, kPhasePending);
    EXPECT_EQ(Cond(c, kConditionProgressing).reason, kReasonReplanned);
    EXPECT_EQ(c.ConfigMap()->annotations.at(kLabelPlanHash), s.plan_hash);
    EXPECT_EQ(GetString(c.ConfigMap()->data, "plan.hash"), s.plan_hash);
    r = Step(c);
    EXPECT_EQ(Count(r, Action::Type::kCreate, "Pod"), row.partitions);
    for (const ObservedPod& pod : c.state().pods)
      EXPECT_EQ(pod.labels.at(kLabelPlanHash), s.plan_hash);
    const Json* pod0 = c.Created("Pod", "np-0");
    ASSERT_NE(pod0, nullptr);
    EXPECT_NE(DumpJson(*pod0).find("np-" + std::to_string(row.partitions - 1) + ".np-workers"),
              std::string::npos);
  }
}

TEST_F(ReconcileTest, FewerPartitionsDeletesTheExtraPods) {
  FakeCluster c(MakeNeuralPartition("np").Partitions(3).Obj());
  RunToReady(c);
  NeuralPartition np = MakeNeuralPartition("np").Partitions(2).Generation(2).Obj();
  np.status = c.resource().status;
  c.resource() = np;
  Step(c);
  Step(c);
  ASSERT_EQ(c.state().pods.size(), 2u);
  EXPECT_EQ(c.Pod("np-2"), nullptr);
}

TEST_F(ReconcileTest, OtherSpecChangeRestartsWithoutReplanning) {
  FakeCluster c(MakeNeuralPartition("np").Partitions(2).Obj());
  RunToReady(c);
  const std::string hash = c.resource().status.plan_hash;
  NeuralPartition np = MakeNeuralPartition("np").Partitions(2).Epochs(5).Generation(2).Obj();
  np.status = c.resource().status;
  c.resource() = np;
  ReconcileResult r = Step(c);
  EXPECT_EQ(c.resource().status.plan_hash, hash);
  EXPECT_EQ(Cond(c, kConditionProgressing).reason, kReasonSpecChanged);
  EXPECT_EQ(Count(r, Action::Type::kDelete, "Pod"), 2);
  EXPECT_NE(GetString(c.ConfigMap()->data, "job.yaml").find("\"epochs\":5"), std::string::npos);
}

TEST_F(ReconcileTest, SpecChangeAfterSuccessStartsANewRun) {
  FakeCluster c(MakeNeuralPartition("np").Partitions(2).Obj());
  RunToReady(c);
  c.SetAllPods("Succeeded", false);
  Step(c);
  ASSERT_EQ(c.resource().status.phase, kPhaseSucceeded);
  NeuralPartition np = MakeNeuralPartition("np").Partitions(2).Epochs(3).Generation(2).Obj();
  np.status = c.resource().status;
  c.resource() = np;
  Step(c);
  EXPECT_EQ(c.resource().status.phase, kPhasePending);
  EXPECT_TRUE(c.resource().status.completion_time.empty());
  ReconcileResult r = Step(c);
  EXPECT_EQ(Count(r, Action::Type::kCreate, "Pod"), 2);
}

TEST_F(ReconcileTest, PlanTooLargeForAConfigMapIsGeneratedInEachPod) {
  options_.worker.max_config_map_bytes = 512;
  FakeCluster c(MakeNeuralPartition("np").Partitions(2).Obj());
  Step(c);
  const ObservedObject* cm = c.ConfigMap();
  ASSERT_NE(cm, nullptr);
  EXPECT_EQ(FindMember(cm->data, "plan.yaml"), nullptr);
  EXPECT_EQ(GetString(cm->data, "plan.path"), "/var/run/neuropart/plan/plan.yaml");
  EXPECT_EQ(GetString(cm->data, "plan.hash"), c.resource().status.plan_hash);
  const Json* pod = c.Created("Pod", "np-1");
  ASSERT_NE(pod, nullptr);
  const Json* init = AtPath(*pod, {"spec", "initContainers"});
  ASSERT_NE(init, nullptr);
  ASSERT_EQ(Elements(*init).size(), 1u);
  EXPECT_EQ(
      DumpJson(*FindMember(Elements(*init)[0], "command")),
      R"(["neuropart","plan","/etc/neuropart/job.yaml","--format=yaml","--costs=defaults","--output=/var/run/neuropart/plan/plan.yaml"])");
  EXPECT_NE(DumpJson(*pod).find(
                R"({"name":"NEUROPART_PLAN","value":"/var/run/neuropart/plan/plan.yaml"})"),
            std::string::npos);

  // The plan fits again (e.g. the limit is raised): plan.path is removed, plan.yaml is back.
  options_.worker.max_config_map_bytes = 900 * 1024;
  ReconcileResult r = Step(c);
  EXPECT_EQ(Count(r, Action::Type::kPatch, "ConfigMap"), 1);
  EXPECT_NE(FindMember(c.ConfigMap()->data, "plan.yaml"), nullptr);
  EXPECT_EQ(FindMember(c.ConfigMap()->data, "plan.path"), nullptr);
}

TEST_F(ReconcileTest, InvalidSpecFailsWithTheFieldNamedAndRecoversWhenFixed) {
  FakeCluster c(MakeNeuralPartition("np").Partitions(2).Obj());
  c.resource().spec["training"]["batchSize"] = 0;
  ReconcileResult r = Step(c);
  EXPECT_EQ(Count(r, Action::Type::kCreate, "Pod"), 0);
  EXPECT_EQ(c.resource().status.phase, kPhaseFailed);
  EXPECT_EQ(Cond(c, kConditionReady).reason, kReasonInvalidSpec);
  EXPECT_NE(Cond(c, kConditionDegraded).message.find("spec.training.batchSize"), std::string::npos)
      << Cond(c, kConditionDegraded).message;
  EXPECT_TRUE(Step(c).actions.empty());  // unchanged: no write

  c.resource().spec["training"]["batchSize"] = 16;
  c.resource().metadata.generation = 2;
  Step(c);
  EXPECT_EQ(c.resource().status.phase, kPhasePending);
  r = Step(c);
  EXPECT_EQ(Count(r, Action::Type::kCreate, "Pod"), 2);
}

TEST_F(ReconcileTest, PlanErrorsAreReportedAsPlanFailed) {
  // layers strategy naming a layer twice: the distributor refuses it.
  NeuralPartition np = MakeNeuralPartition("np").Partitions(2).Strategy("layers").Obj();
  np.spec["distribution"]["layers"] =
      Json::array({Json::array({"h1", "h2"}), Json::array({"h2", "out"})});
  FakeCluster c(np);
  Step(c);
  EXPECT_EQ(c.resource().status.phase, kPhaseFailed);
  EXPECT_EQ(Cond(c, kConditionReady).reason, kReasonPlanFailed);
}

TEST_F(ReconcileTest, APlanOverTheWorkersMemoryLimitFailsNamingThePartitionAndNoPodStarts) {
  NeuralPartition np = MakeNeuralPartition("np").Partitions(2).Obj();
  np.spec["worker"]["resources"]["limits"]["memory"] = "1Mi";
  FakeCluster c(np);
  ReconcileResult r = Step(c);
  EXPECT_EQ(c.resource().status.phase, kPhaseFailed);
  EXPECT_EQ(Cond(c, kConditionReady).reason, kReasonPlanFailed);
  EXPECT_NE(Cond(c, kConditionReady).message.find(
                "spec.worker.resources.limits.memory: partition 0 needs "),
            std::string::npos)
      << Cond(c, kConditionReady).message;
  EXPECT_EQ(Count(r, Action::Type::kCreate, "Pod"), 0);
}

TEST_F(ReconcileTest, DeletingResourceDoesNothing) {
  FakeCluster c(MakeNeuralPartition("np").Partitions(2).Deleting().Obj());
  ReconcileResult r = Step(c);
  EXPECT_TRUE(r.actions.empty());
}

TEST_F(ReconcileTest, ServeModeAddsAServiceAndStaysRunning) {
  NeuralPartition np = MakeNeuralPartition("np").Partitions(2).Mode("serve").Obj();
  FakeCluster c(np);
  ReconcileResult r = Step(c);
  EXPECT_EQ(Count(r, Action::Type::kCreate, "Service"), 2);
  ASSERT_NE(c.Created("Service", "np"), nullptr);
  EXPECT_EQ(Count(r, Action::Type::kCreate, "NetworkPolicy"), 2);
  ASSERT_NE(c.Created("NetworkPolicy", "np-serve"), nullptr);
  c.SetAllPods("Running", true);
  Step(c);
  EXPECT_EQ(c.resource().status.phase, kPhaseRunning);
  EXPECT_EQ(Cond(c, kConditionReady).status, "True");
  EXPECT_EQ(Cond(c, kConditionProgressing).status, "False");
}

TEST_F(ReconcileTest, LeavingServeModeDeletesTheServeServiceAndPolicy) {
  FakeCluster c(MakeNeuralPartition("np").Partitions(2).Mode("serve").Obj());
  Step(c);
  NeuralPartition np = MakeNeuralPartition("np").Partitions(2).Generation(2).Obj();
  np.status = c.resource().status;
  c.resource() = np;
  ReconcileResult r = Step(c);
  int deleted_serve_objects = 0;
  for (const Action& a : r.actions) {
    deleted_serve_objects += a.type == Action::Type::kDelete &&
                             ((a.kind == "Service" && a.name == "np") ||
                              (a.kind == "NetworkPolicy" && a.name == "np-serve"));
  }
  EXPECT_EQ(deleted_serve_objects, 2);
}

TEST_F(ReconcileTest, MissingOwnedObjectsAreRecreated) {
  FakeCluster c(MakeNeuralPartition("np").Partitions(2).Obj());
  RunToReady(c);
  c.state().services.clear();
  c.state().network_policies.clear();
  ReconcileResult r = Step(c);
  EXPECT_EQ(Count(r, Action::Type::kCreate, "Service"), 1);
  EXPECT_EQ(Count(r, Action::Type::kCreate, "NetworkPolicy"), 1);
  EXPECT_EQ(c.resource().status.restarts, 0);
}

}  // namespace
}  // namespace neuropart::op
