// The gang lifecycle: what a job does next, given how each of its partitions stands.
//
// One pure function serves both supervisors. The local launcher (processes and exit codes) and
// the operator (pods, their phases and conditions) translate what they observe into
// PartitionObservations, call DecideGang, and carry out the decision: keep going, restart every
// partition (after a delay that doubles per counted restart up to a cap, as Job's backoff does),
// fail, succeed or stay suspended. Rules, in order:
//   - suspended: the gang is stopped and waits (Kueue admission);
//   - a partition refused its input: fail at once (WorkerConfigError), restarts cannot help;
//   - a partition crashed: restart, spending one unit of backoffLimit, or fail when spent;
//   - a partition was disrupted (evicted, preempted, stopped by SIGTERM): restart for free;
//   - a partition pending past the deadline: fail with its own reason (ImagePullBackOff, ...);
//   - otherwise the phase follows the partitions: all succeeded (training) -> Succeeded, all
//     running or finished -> Running, else Pending.
// Value types and pure functions; thread-safe.
#ifndef NEUROPART_LIFECYCLE_GANG_LIFECYCLE_H_
#define NEUROPART_LIFECYCLE_GANG_LIFECYCLE_H_

#include <chrono>
#include <string>
#include <string_view>
#include <vector>

namespace neuropart {

enum class GangPhase { kPending, kRunning, kSucceeded, kFailed, kSuspended };
enum class PartitionState { kPending, kRunning, kReady, kSucceeded, kFailed };

// Why a failed partition stopped (meaningful when its state is kFailed).
enum class FailureKind {
  kCrashed,        // any runtime failure: restart, counted against backoffLimit
  kRefusedInput,   // the worker refused its job, plan or store (exit 2): never retried
  kDisrupted,      // evicted, preempted, drained or SIGTERMed: restart, not counted
};

struct PartitionObservation {
  int index = 0;
  PartitionState state = PartitionState::kPending;
  FailureKind failure = FailureKind::kCrashed;
  // Pending: a reason that will not heal by waiting alone (ImagePullBackOff, Unschedulable, ...);
  // empty while the partition merely starts. Failed: an optional reason (OOMKilled).
  std::string reason;
  std::string message;  // who and what, for status and logs ("pod np-1: back-off pulling ...")
};

struct BackoffPolicy {
  std::chrono::seconds base{10};  // the delay before the first counted restart
  std::chrono::seconds cap{360};
};

struct GangObservation {
  std::vector<PartitionObservation> partitions;
  bool serve = false;      // serving never succeeds by itself
  bool suspended = false;  // spec.suspend
  int restarts = 0;        // restarts already spent against backoff_limit
  int backoff_limit = 3;
  // How long the oldest pending partition of this attempt has waited, and the limit (0: none).
  std::chrono::seconds pending_for{0};
  std::chrono::seconds pending_deadline{0};
  BackoffPolicy backoff;
};

struct GangDecision {
  enum class Action { kContinue, kSuspend, kRestart, kFail, kSucceed };
  Action action = Action::kContinue;
  GangPhase phase = GangPhase::kPending;
  std::string reason;   // a constant of neuropart/lifecycle/reasons.h, or a pod's own reason
  std::string message;  // what happened, naming the partitions
  bool counted = false;             // kRestart: spends one unit of backoffLimit
  std::chrono::seconds delay{0};    // kRestart: wait this long before starting again
  int running = 0, ready = 0, succeeded = 0;  // partition counts, for status
};

GangDecision DecideGang(const GangObservation& gang);

// The wait before the n-th counted restart (n >= 1): base * 2^(n-1), at most cap.
std::chrono::seconds RestartDelay(int n, const BackoffPolicy& policy);

std::string_view GangPhaseName(GangPhase phase);
std::string_view PartitionStateName(PartitionState state);

}  // namespace neuropart

#endif  // NEUROPART_LIFECYCLE_GANG_LIFECYCLE_H_
