// Exit codes: what every neuropart program's exit status means, and what a launcher (the local
// one, or the operator reading a pod's container state) does about a worker that exits with it.
// Constants only; the gang lifecycle (gang_lifecycle.h) turns them into decisions.
#ifndef NEUROPART_LIFECYCLE_EXIT_CODES_H_
#define NEUROPART_LIFECYCLE_EXIT_CODES_H_

namespace neuropart {

inline constexpr int kExitOk = 0;
inline constexpr int kExitFailure = 1;   // a runtime failure: a worker's gang restarts
inline constexpr int kExitBadInput = 2;  // refused its flags, job, plan or store: do not retry
// Stopped on request after a completed step (the store keeps the last checkpoint): by SIGINT, or
// by SIGTERM (eviction, preemption, drain, `kubectl delete pod`) or a peer that was. Neither is
// a failure: the gang restarts without spending backoffLimit. The shell's 128 + signal.
inline constexpr int kExitInterrupted = 130;
inline constexpr int kExitStopped = 143;

}  // namespace neuropart

#endif  // NEUROPART_LIFECYCLE_EXIT_CODES_H_
