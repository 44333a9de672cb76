// Phases and reasons of a job's life, in one place for the local launcher, the operator's status
// and its Events (API conventions: reasons are CamelCase words; a client may switch on them, so
// they are never renamed, only added).
#ifndef NEUROPART_LIFECYCLE_REASONS_H_
#define NEUROPART_LIFECYCLE_REASONS_H_

namespace neuropart {

// Condition types of NeuralPartition status. Ready/Progressing/Degraded describe the gang;
// Complete/Failed/Suspended are the terminal and admission conditions that `kubectl wait` and
// Kueue read on a Job.
inline constexpr char kConditionReady[] = "Ready";
inline constexpr char kConditionProgressing[] = "Progressing";
inline constexpr char kConditionDegraded[] = "Degraded";
inline constexpr char kConditionComplete[] = "Complete";
inline constexpr char kConditionFailed[] = "Failed";
inline constexpr char kConditionSuspended[] = "Suspended";

// Phases (status.phase).
inline constexpr char kPhasePending[] = "Pending";
inline constexpr char kPhaseRunning[] = "Running";
inline constexpr char kPhaseSucceeded[] = "Succeeded";
inline constexpr char kPhaseFailed[] = "Failed";
inline constexpr char kPhaseSuspended[] = "Suspended";

// Reasons.
inline constexpr char kReasonInvalidSpec[] = "InvalidSpec";  // the spec does not parse or validate
inline constexpr char kReasonPlanFailed[] = "PlanFailed";    // the Neuron Distributor refused it
inline constexpr char kReasonPlanPublished[] = "PlanPublished";          // the plan's ConfigMap
inline constexpr char kReasonCreatingWorkers[] = "CreatingWorkers";      // pods being created
inline constexpr char kReasonKeysFailed[] = "KeysFailed";  // the job's keys could not be made
inline constexpr char kReasonWaitingForWorkers[] = "WaitingForWorkers";  // pods not all running yet
inline constexpr char kReasonWorkersRunning[] = "WorkersRunning";  // every partition's pod runs
inline constexpr char kReasonWorkersReady[] = "WorkersReady";      // every partition's pod is ready
inline constexpr char kReasonTraining[] = "Training";              // steps are being reported
inline constexpr char kReasonTrainingComplete[] = "TrainingComplete";  // all workers exited 0
inline constexpr char kReasonGangRestart[] = "GangRestart";  // a worker failed; all restart
// A worker was evicted, preempted or stopped by SIGTERM: the gang restarts without spending
// backoffLimit (Job's podFailurePolicy "Ignore" for DisruptionTarget).
inline constexpr char kReasonDisrupted[] = "Disrupted";
inline constexpr char kReasonBackoffLimitExceeded[] = "BackoffLimitExceeded";
// A worker exited with code 2: it refused its job, plan or store (say, one its uid cannot
// write). Every attempt would fail the same way, so the job fails without restarts.
inline constexpr char kReasonWorkerConfigError[] = "WorkerConfigError";
// A partition stayed Pending past spec.pendingDeadlineSeconds with no reason of its own.
inline constexpr char kReasonPendingDeadlineExceeded[] = "PendingDeadlineExceeded";
inline constexpr char kReasonReplanned[] = "Replanned";      // partitions/strategy/model changed
inline constexpr char kReasonSpecChanged[] = "SpecChanged";  // other job fields changed
inline constexpr char kReasonSuspended[] = "Suspended";      // spec.suspend is true
inline constexpr char kReasonResumed[] = "Resumed";          // spec.suspend turned false
inline constexpr char kReasonAsExpected[] = "AsExpected";    // Degraded=False
// A Pending pod's own reasons (ImagePullBackOff, ErrImagePull, Unschedulable,
// CreateContainerConfigError, ...) and OOMKilled are passed through as they are.

}  // namespace neuropart

#endif  // NEUROPART_LIFECYCLE_REASONS_H_
