// Executes reconcile's actions against the API server.
//
// Level-based, so every action is allowed to find its work already done: a create that answers
// 409 AlreadyExists and a delete that answers 404 succeed. A status update is a PUT of the
// status subresource with the observed resourceVersion; 409 Conflict returns Unavailable, and the
// caller retries on fresh state from the informers. Every action is tried; the first error is
// returned. Thread-safe if the client is.
#ifndef NEUROPART_OPERATOR_KUBE_EXECUTOR_H_
#define NEUROPART_OPERATOR_KUBE_EXECUTOR_H_

#include <functional>
#include <vector>

#include "api/neural_partition.h"
#include "controller/actions.h"
#include "kube/kube_client.h"
#include "kube/log.h"

namespace neuropart::op {

// Called after each action with its outcome ("ok", "exists", "gone", "conflict", "error").
using ActionObserver = std::function<void(const Action&, const char* outcome)>;

// True for the Unavailable status ApplyActions returns on a 409 Conflict of a status update.
bool IsConflict(const Status& status);

Status ApplyActions(KubeClient* client, const NeuralPartition& np,
                    const std::vector<Action>& actions, const Logger* log,
                    const ActionObserver& observer = nullptr);

}  // namespace neuropart::op

#endif  // NEUROPART_OPERATOR_KUBE_EXECUTOR_H_
