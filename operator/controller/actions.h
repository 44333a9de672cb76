// Action: one change the reconcile function asks the executor to make on the API server.
//
// Reconcile returns a list of actions and never talks to the API itself; kube/ applies them in
// order. Objects to create are complete JSON objects (with ownerReferences); patches are JSON
// merge patches (RFC 7386). Plain values; not synchronised.
#ifndef NEUROPART_OPERATOR_CONTROLLER_ACTIONS_H_
#define NEUROPART_OPERATOR_CONTROLLER_ACTIONS_H_

#include <chrono>
#include <optional>
#include <string>
#include <vector>

#include "neuropart/base/json.h"
#include "api/neural_partition.h"

namespace neuropart::op {

struct Action {
  // kEvent: `object` is a core/v1 Event about the NeuralPartition; best effort (a refused
  // Event is logged, never retried).
  enum class Type { kCreate, kDelete, kPatch, kUpdateStatus, kEvent };
  Type type = Type::kCreate;
  std::string kind;  // Pod, ConfigMap, Service, NetworkPolicy, NeuralPartition
  std::string name;
  Json object;                   // kCreate: the object; kPatch: the merge patch
  NeuralPartitionStatus status;  // kUpdateStatus: the whole new status
  std::string reason;            // why, for logs and events
};

struct ReconcileResult {
  std::vector<Action> actions;
  // Reconcile again after this long even if nothing changes (to poll the coordinator).
  std::optional<std::chrono::seconds> requeue_after;
};

std::string_view ActionTypeName(Action::Type type);

}  // namespace neuropart::op

#endif  // NEUROPART_OPERATOR_CONTROLLER_ACTIONS_H_
