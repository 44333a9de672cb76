#include "neuropart/lifecycle/gang_lifecycle.h"

#include <gtest/gtest.h>

#include "neuropart/lifecycle/reasons.h"

namespace neuropart {
namespace {

using std::chrono::seconds;
using Action = GangDecision::Action;
using S = PartitionState;

PartitionObservation Part(int index, S state, std::string message = "",
                          FailureKind failure = FailureKind::kCrashed, std::string reason = "") {
  return {index, state, failure, std::move(reason), std::move(message)};
}

GangObservation Gang(std::vector<PartitionObservation> parts) {
  GangObservation g;
  g.partitions = std::move(parts);
  return g;
}

struct Case {
  const char* name;
  GangObservation gang;
  Action action;
  GangPhase phase;
  std::string reason;
  bool counted = false;
  seconds delay{0};
};

class DecideGangTest : public testing::TestWithParam<Case> {};

TEST_P(DecideGangTest, DecidesActionPhaseReasonAndDelay) {
  const Case& c = GetParam();
  const GangDecision d = DecideGang(c.gang);
  EXPECT_EQ(d.action, c.action);
  EXPECT_EQ(GangPhaseName(d.phase), GangPhaseName(c.phase));
  EXPECT_EQ(d.reason, c.reason);
  EXPECT_EQ(d.counted, c.counted);
  EXPECT_EQ(d.delay, c.delay);
}

GangObservation WithRestarts(GangObservation g, int restarts, int limit) {
  g.restarts = restarts;
  g.backoff_limit = limit;
  return g;
}

GangObservation Pending(GangObservation g, seconds waited, seconds deadline) {
  g.pending_for = waited;
  g.pending_deadline = deadline;
  return g;
}

GangObservation Serving(GangObservation g) {
  g.serve = true;
  return g;
}

GangObservation Suspended(GangObservation g) {
  g.suspended = true;
  return g;
}

const PartitionObservation kCrash = Part(1, S::kFailed, "exit 1");
const PartitionObservation kRefused = Part(1, S::kFailed, "exit 2", FailureKind::kRefusedInput);
const PartitionObservation kEvicted = Part(1, S::kFailed, "evicted", FailureKind::kDisrupted);
const PartitionObservation kBadImage =
    Part(1, S::kPending, "pod np-1: back-off", FailureKind::kCrashed, "ImagePullBackOff");

INSTANTIATE_TEST_SUITE_P(
    Table, DecideGangTest,
    testing::Values(
        Case{"all_pending", Gang({Part(0, S::kPending), Part(1, S::kPending)}), Action::kContinue,
             GangPhase::kPending, kReasonWaitingForWorkers},
        Case{"some_running", Gang({Part(0, S::kRunning), Part(1, S::kPending)}),
             Action::kContinue, GangPhase::kPending, kReasonWaitingForWorkers},
        Case{"all_running_not_ready", Gang({Part(0, S::kRunning), Part(1, S::kReady)}),
             Action::kContinue, GangPhase::kRunning, kReasonWaitingForWorkers},
        Case{"all_ready", Gang({Part(0, S::kReady), Part(1, S::kReady)}), Action::kContinue,
             GangPhase::kRunning, kReasonWorkersReady},
        Case{"one_finished_rest_running", Gang({Part(0, S::kReady), Part(1, S::kSucceeded)}),
             Action::kContinue, GangPhase::kRunning, kReasonWorkersReady},
        Case{"all_finished", Gang({Part(0, S::kSucceeded), Part(1, S::kSucceeded)}),
             Action::kSucceed, GangPhase::kSucceeded, kReasonTrainingComplete},
        Case{"serving_never_succeeds", Serving(Gang({Part(0, S::kSucceeded)})),
             Action::kContinue, GangPhase::kRunning, kReasonWorkersReady},
        Case{"first_crash_restarts_after_base_delay", Gang({Part(0, S::kReady), kCrash}),
             Action::kRestart, GangPhase::kPending, kReasonGangRestart, true, seconds(10)},
        Case{"third_crash_waits_four_times_base",
             WithRestarts(Gang({Part(0, S::kReady), kCrash}), 2, 6), Action::kRestart,
             GangPhase::kPending, kReasonGangRestart, true, seconds(40)},
        Case{"crash_with_backoff_spent_fails",
             WithRestarts(Gang({Part(0, S::kReady), kCrash}), 3, 3), Action::kFail,
             GangPhase::kFailed, kReasonBackoffLimitExceeded},
        Case{"zero_backoff_limit_fails_first_crash",
             WithRestarts(Gang({Part(0, S::kReady), kCrash}), 0, 0), Action::kFail,
             GangPhase::kFailed, kReasonBackoffLimitExceeded},
        Case{"refused_input_fails_without_restart", Gang({Part(0, S::kReady), kRefused}),
             Action::kFail, GangPhase::kFailed, kReasonWorkerConfigError},
        Case{"refused_input_wins_over_crash", Gang({Part(0, S::kFailed, "x"), kRefused}),
             Action::kFail, GangPhase::kFailed, kReasonWorkerConfigError},
        Case{"eviction_restarts_free_and_at_once", Gang({Part(0, S::kReady), kEvicted}),
             Action::kRestart, GangPhase::kPending, kReasonDisrupted, false, seconds(0)},
        Case{"eviction_with_backoff_spent_still_restarts",
             WithRestarts(Gang({Part(0, S::kReady), kEvicted}), 3, 3), Action::kRestart,
             GangPhase::kPending, kReasonDisrupted, false, seconds(0)},
        Case{"crash_beside_eviction_counts", Gang({Part(0, S::kFailed, "x"), kEvicted}),
             Action::kRestart, GangPhase::kPending, kReasonGangRestart, true, seconds(10)},
        Case{"bad_image_shows_its_reason", Gang({Part(0, S::kRunning), kBadImage}),
             Action::kContinue, GangPhase::kPending, "ImagePullBackOff"},
        Case{"bad_image_past_deadline_fails_with_its_reason",
             Pending(Gang({Part(0, S::kRunning), kBadImage}), seconds(600), seconds(600)),
             Action::kFail, GangPhase::kFailed, "ImagePullBackOff"},
        Case{"slow_start_past_deadline_fails",
             Pending(Gang({Part(0, S::kRunning), Part(1, S::kPending)}), seconds(601),
                     seconds(600)),
             Action::kFail, GangPhase::kFailed, kReasonPendingDeadlineExceeded},
        Case{"before_deadline_keeps_waiting",
             Pending(Gang({Part(0, S::kRunning), kBadImage}), seconds(599), seconds(600)),
             Action::kContinue, GangPhase::kPending, "ImagePullBackOff"},
        Case{"no_deadline_waits_forever",
             Pending(Gang({Part(0, S::kPending)}), seconds(100000), seconds(0)),
             Action::kContinue, GangPhase::kPending, kReasonWaitingForWorkers},
        Case{"deadline_ignored_once_all_run",
             Pending(Gang({Part(0, S::kReady), Part(1, S::kReady)}), seconds(700), seconds(600)),
             Action::kContinue, GangPhase::kRunning, kReasonWorkersReady},
        Case{"suspended_wins_over_everything", Suspended(Gang({Part(0, S::kReady), kCrash})),
             Action::kSuspend, GangPhase::kSuspended, kReasonSuspended}),
    [](const testing::TestParamInfo<Case>& info) { return std::string(info.param.name); });

TEST(DecideGangTest, MessagesNameEveryFailedPartition) {
  const GangDecision d = DecideGang(
      Gang({Part(0, S::kFailed, "pod np-0 failed: exit 1"), Part(1, S::kReady),
            Part(2, S::kFailed, "pod np-2 failed: exit 1")}));
  EXPECT_EQ(d.message,
            "partition 0: pod np-0 failed: exit 1; partition 2: pod np-2 failed: exit 1; "
            "restart 1 of 3 from the last checkpoint in 10s");
}

TEST(DecideGangTest, PendingMessageNamesTheStuckPod) {
  const GangDecision d = DecideGang(Gang({Part(0, S::kRunning), kBadImage}));
  EXPECT_EQ(d.message, "partition 1: pod np-1: back-off");
}

TEST(DecideGangTest, CountsPartitions) {
  const GangDecision d =
      DecideGang(Gang({Part(0, S::kReady), Part(1, S::kRunning), Part(2, S::kSucceeded)}));
  EXPECT_EQ(d.running, 2);
  EXPECT_EQ(d.ready, 1);
  EXPECT_EQ(d.succeeded, 1);
  EXPECT_EQ(d.message, "2 of 3 partitions running, 1 ready, 1 finished");
}

TEST(RestartDelayTest, DoublesFromBaseUpToTheCapLikeJob) {
  const BackoffPolicy job{seconds(10), seconds(360)};
  EXPECT_EQ(RestartDelay(1, job), seconds(10));
  EXPECT_EQ(RestartDelay(2, job), seconds(20));
  EXPECT_EQ(RestartDelay(5, job), seconds(160));
  EXPECT_EQ(RestartDelay(6, job), seconds(320));
  EXPECT_EQ(RestartDelay(7, job), seconds(360));
  EXPECT_EQ(RestartDelay(1000, job), seconds(360));
  EXPECT_EQ(RestartDelay(3, BackoffPolicy{seconds(0), seconds(60)}), seconds(0));
}

}  // namespace
}  // namespace neuropart
