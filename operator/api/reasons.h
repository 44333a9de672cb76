// Condition types and reasons of NeuralPartition status, in one place (API conventions: reasons
// are CamelCase words; a client may switch on them, so they are never renamed, only added).
#ifndef NEUROPART_OPERATOR_API_REASONS_H_
#define NEUROPART_OPERATOR_API_REASONS_H_

namespace neuropart::op {

// Condition types.
inline constexpr char kConditionReady[] = "Ready";
inline constexpr char kConditionProgressing[] = "Progressing";
inline constexpr char kConditionDegraded[] = "Degraded";

// Phases (status.phase).
inline constexpr char kPhasePending[] = "Pending";
inline constexpr char kPhaseRunning[] = "Running";
inline constexpr char kPhaseSucceeded[] = "Succeeded";
inline constexpr char kPhaseFailed[] = "Failed";

// Reasons.
inline constexpr char kReasonInvalidSpec[] = "InvalidSpec";  // the spec does not parse or validate
inline constexpr char kReasonPlanFailed[] = "PlanFailed";    // the Neuron Distributor refused it
inline constexpr char kReasonCreatingWorkers[] = "CreatingWorkers";      // pods being created
inline constexpr char kReasonWaitingForWorkers[] = "WaitingForWorkers";  // pods not all running yet
inline constexpr char kReasonWorkersRunning[] = "WorkersRunning";  // every partition's pod runs
inline constexpr char kReasonWorkersReady[] = "WorkersReady";      // every partition's pod is ready
inline constexpr char kReasonTraining[] = "Training";              // steps are being reported
inline constexpr char kReasonTrainingComplete[] = "TrainingComplete";  // all workers exited 0
inline constexpr char kReasonGangRestart[] = "GangRestart";  // a worker failed; all restart
inline constexpr char kReasonBackoffLimitExceeded[] = "BackoffLimitExceeded";
// A worker exited with code 2: it refused its job, plan or store (say, one its uid cannot
// write). Every attempt would fail the same way, so the job fails without restarts.
inline constexpr char kReasonWorkerConfigError[] = "WorkerConfigError";
inline constexpr char kReasonReplanned[] = "Replanned";      // partitions/strategy/model changed
inline constexpr char kReasonSpecChanged[] = "SpecChanged";  // other job fields changed
inline constexpr char kReasonAsExpected[] = "AsExpected";    // Degraded=False

}  // namespace neuropart::op

#endif  // NEUROPART_OPERATOR_API_REASONS_H_
