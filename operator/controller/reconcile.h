// Reconcile: the operator's whole decision logic, as one pure function
//   (observed state of one NeuralPartition, clock) -> actions + status.
//
// Level-triggered and idempotent: the same observation yields the same actions, and applying them
// converges. No "on create / on delete" branches. Gang semantics: every partition's pod belongs
// to a gang attempt (annotation neuropart.io/attempt = status.restarts when it was created); a
// pod of the current attempt that fails, or that disappears after it ran, restarts the whole gang
// (all pods deleted, restarts++, pods re-created once the old ones are gone; workers resume from
// the store's LATEST checkpoint by themselves). When restarts reached spec.backoffLimit the job
// is Failed with reason BackoffLimitExceeded. A spec change that changes the plan (partitions,
// strategy, model) or the job document re-publishes the plan and restarts the gang without
// counting a restart. Status is returned as an action only when it differs from the observed one.
// The keys Secret (worker_objects.h) is made once per partition count, from make_keys, and
// replaced when the partition count changes; no pod is created until it is there.
// Stateless; thread-safe.
#ifndef NEUROPART_OPERATOR_CONTROLLER_RECONCILE_H_
#define NEUROPART_OPERATOR_CONTROLLER_RECONCILE_H_

#include <chrono>
#include <functional>
#include <map>
#include <string>

#include "controller/actions.h"
#include "controller/clock.h"
#include "controller/observed.h"
#include "controller/worker_objects.h"
#include "neuropart/lifecycle/gang_lifecycle.h"

namespace neuropart::op {

// Fresh keys for a job of `partitions` partitions: file name -> content (worker/job_keys.h's
// MakeJobKeyFiles in the operator; a fake in tests).
using KeyMaker =
    std::function<StatusOr<std::map<std::string, std::string>>(int partitions)>;

struct ReconcileOptions {
  WorkerOptions worker;
  // Makes the keys Secret. Without it no keys Secret is made, so no worker pod is created.
  KeyMaker make_keys;
  // While workers run, reconcile again this often to poll the coordinator's status.
  std::chrono::seconds poll_interval{5};
  // The delay before a gang restart that spends backoffLimit: Job's 10 s doubling to 6 min.
  BackoffPolicy backoff;
};

ReconcileResult Reconcile(const ObservedState& observed, const ReconcileOptions& options,
                          const Clock& clock);

}  // namespace neuropart::op

#endif  // NEUROPART_OPERATOR_CONTROLLER_RECONCILE_H_
