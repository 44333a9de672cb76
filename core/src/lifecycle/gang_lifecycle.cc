#include "neuropart/lifecycle/gang_lifecycle.h"

#include <algorithm>

#include "neuropart/lifecycle/reasons.h"

namespace neuropart {
namespace {

// "partition 1: <message>; partition 3: <message>" over the partitions `pick` selects.
template <typename Pick>
std::string Describe(const std::vector<PartitionObservation>& partitions, Pick pick) {
  std::string out;
  for (const PartitionObservation& p : partitions) {
    if (!pick(p)) continue;
    if (!out.empty()) out += "; ";
    out += "partition " + std::to_string(p.index) + ": " + p.message;
  }
  return out;
}

bool FailedWith(const PartitionObservation& p, FailureKind kind) {
  return p.state == PartitionState::kFailed && p.failure == kind;
}

GangDecision Restart(const GangObservation& gang, bool counted, std::string why) {
  GangDecision d;
  d.action = GangDecision::Action::kRestart;
  d.phase = GangPhase::kPending;
  d.counted = counted;
  if (counted) {
    d.reason = kReasonGangRestart;
    d.delay = RestartDelay(gang.restarts + 1, gang.backoff);
    d.message = why + "; restart " + std::to_string(gang.restarts + 1) + " of " +
                std::to_string(gang.backoff_limit) + " from the last checkpoint in " +
                std::to_string(d.delay.count()) + "s";
  } else {
    d.reason = kReasonDisrupted;
    d.message = why + "; restarting from the last checkpoint (not counted against backoffLimit)";
  }
  return d;
}

GangDecision Fail(std::string reason, std::string message) {
  GangDecision d;
  d.action = GangDecision::Action::kFail;
  d.phase = GangPhase::kFailed;
  d.reason = std::move(reason);
  d.message = std::move(message);
  return d;
}

}  // namespace

std::chrono::seconds RestartDelay(int n, const BackoffPolicy& policy) {
  std::chrono::seconds delay = policy.base;
  for (int i = 1; i < n && delay < policy.cap; ++i) delay *= 2;
  return std::min(delay, policy.cap);
}

GangDecision DecideGang(const GangObservation& gang) {
  using Kind = FailureKind;
  const auto& parts = gang.partitions;
  if (gang.suspended) {
    GangDecision d;
    d.action = GangDecision::Action::kSuspend;
    d.phase = GangPhase::kSuspended;
    d.reason = kReasonSuspended;
    d.message = "spec.suspend is true; every partition is stopped until it turns false";
    return d;
  }
  const auto refused = [](const PartitionObservation& p) {
    return FailedWith(p, Kind::kRefusedInput);
  };
  const auto crashed = [](const PartitionObservation& p) { return FailedWith(p, Kind::kCrashed); };
  const auto disrupted = [](const PartitionObservation& p) {
    return FailedWith(p, Kind::kDisrupted);
  };
  if (std::string why = Describe(parts, refused); !why.empty()) {
    return Fail(kReasonWorkerConfigError, why);
  }
  if (std::string why = Describe(parts, crashed); !why.empty()) {
    if (gang.restarts >= gang.backoff_limit) {
      return Fail(kReasonBackoffLimitExceeded,
                  why + "; backoffLimit " + std::to_string(gang.backoff_limit) + " reached after " +
                      std::to_string(gang.restarts) + " restarts");
    }
    return Restart(gang, /*counted=*/true, why);
  }
  if (std::string why = Describe(parts, disrupted); !why.empty()) {
    return Restart(gang, /*counted=*/false, why);
  }

  GangDecision d;
  const int total = static_cast<int>(parts.size());
  std::string stuck_reason;
  for (const PartitionObservation& p : parts) {
    d.running += p.state == PartitionState::kRunning || p.state == PartitionState::kReady;
    d.ready += p.state == PartitionState::kReady;
    d.succeeded += p.state == PartitionState::kSucceeded;
    if (p.state == PartitionState::kPending && !p.reason.empty() && stuck_reason.empty()) {
      stuck_reason = p.reason;
    }
  }
  const bool pending = d.running + d.succeeded < total;
  if (pending && gang.pending_deadline.count() > 0 && gang.pending_for >= gang.pending_deadline) {
    const auto waiting = [](const PartitionObservation& p) {
      return p.state == PartitionState::kPending;
    };
    return Fail(stuck_reason.empty() ? kReasonPendingDeadlineExceeded : stuck_reason,
                Describe(parts, waiting) + "; still Pending after " +
                    std::to_string(gang.pending_for.count()) + "s (pendingDeadlineSeconds " +
                    std::to_string(gang.pending_deadline.count()) + ")");
  }
  const std::string counts = std::to_string(d.running) + " of " + std::to_string(total) +
                             " partitions running, " + std::to_string(d.ready) + " ready, " +
                             std::to_string(d.succeeded) + " finished";
  if (!gang.serve && total > 0 && d.succeeded == total) {
    d.action = GangDecision::Action::kSucceed;
    d.phase = GangPhase::kSucceeded;
    d.reason = kReasonTrainingComplete;
    d.message = "all " + std::to_string(total) + " partitions finished";
  } else if (!pending) {
    d.phase = GangPhase::kRunning;
    d.reason = d.ready == d.running ? kReasonWorkersReady : kReasonWaitingForWorkers;
    d.message = counts;
  } else if (!stuck_reason.empty()) {
    d.phase = GangPhase::kPending;
    d.reason = stuck_reason;
    const auto stuck = [](const PartitionObservation& p) {
      return p.state == PartitionState::kPending && !p.reason.empty();
    };
    d.message = Describe(parts, stuck);
  } else {
    d.phase = GangPhase::kPending;
    d.reason = kReasonWaitingForWorkers;
    d.message = counts;
  }
  return d;
}

std::string_view GangPhaseName(GangPhase phase) {
  switch (phase) {
    case GangPhase::kPending:
      return kPhasePending;
    case GangPhase::kRunning:
      return kPhaseRunning;
    case GangPhase::kSucceeded:
      return kPhaseSucceeded;
    case GangPhase::kFailed:
      return kPhaseFailed;
    case GangPhase::kSuspended:
      return kPhaseSuspended;
  }
  return "Unknown";
}

std::string_view PartitionStateName(PartitionState state) {
  switch (state) {
    case PartitionState::kPending:
      return "Pending";
    case PartitionState::kRunning:
      return "Running";
    case PartitionState::kReady:
      return "Ready";
    case PartitionState::kSucceeded:
      return "Succeeded";
    case PartitionState::kFailed:
      return "Failed";
  }
  return "Unknown";
}

}  // namespace neuropart
