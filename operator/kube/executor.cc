#include "kube/executor.h"

namespace neuropart::op {
namespace {

constexpr char kConflictPrefix[] = "conflict: ";

struct Outcome {
  Status status;
  const char* name;
};

Outcome Apply(KubeClient* client, const NeuralPartition& np, const Action& a) {
  const std::string& ns = np.metadata.namespace_name;
  StatusOr<ApiResult> r = InternalError("unreachable");
  switch (a.type) {
    case Action::Type::kCreate:
      r = client->Create(a.kind, ns, a.object);
      if (r.ok() && r->status == 409) return {Status::Ok(), "exists"};
      break;
    case Action::Type::kDelete:
      r = client->Delete(a.kind, ns, a.name);
      if (r.ok() && r->status == 404) return {Status::Ok(), "gone"};
      break;
    case Action::Type::kPatch:
      r = client->MergePatch(a.kind, ns, a.name, a.object);
      break;
    case Action::Type::kEvent:
      r = client->Create(a.kind, ns, a.object);
      break;
    case Action::Type::kUpdateStatus: {
      Json object = NeuralPartitionToJson(np);
      object["status"] = StatusToJson(a.status);
      r = client->ReplaceStatus(kKind, ns, a.name, object);
      if (r.ok() && r->status == 409) {
        return {UnavailableError(std::string(kConflictPrefix) + "status of " + ns + "/" + a.name +
                                 ": " + r->Describe()),
                "conflict"};
      }
      break;
    }
  }
  if (!r.ok()) return {r.status(), "error"};
  if (!r->ok()) {
    return {UnavailableError(std::string(ActionTypeName(a.type)) + " " + a.kind + " " + ns + "/" +
                             a.name + ": " + r->Describe()),
            "error"};
  }
  return {Status::Ok(), "ok"};
}

const char* PastTense(Action::Type t) {
  switch (t) {
    case Action::Type::kCreate:
      return "Created object";
    case Action::Type::kDelete:
      return "Deleted object";
    case Action::Type::kPatch:
      return "Patched object";
    case Action::Type::kUpdateStatus:
      return "Updated status";
    case Action::Type::kEvent:
      return "Recorded event";
  }
  return "Changed object";
}

}  // namespace

bool IsConflict(const Status& status) {
  return status.code() == StatusCode::kUnavailable &&
         status.message().rfind(kConflictPrefix, 0) == 0;
}

Status ApplyActions(KubeClient* client, const NeuralPartition& np,
                    const std::vector<Action>& actions, const Logger* log,
                    const ActionObserver& observer) {
  Status first;
  for (const Action& a : actions) {
    Outcome o = Apply(client, np, a);
    const std::string object =
        np.metadata.namespace_name + "/" + (a.type == Action::Type::kEvent ? np.metadata.name : a.name);
    if (o.status.ok()) {
      if (a.type == Action::Type::kUpdateStatus) {
        log->Info(PastTense(a.type), {{"neuralpartition", object},
                                      {"phase", a.status.phase},
                                      {"restarts", std::to_string(a.status.restarts)}});
      } else {
        log->Info(
            PastTense(a.type),
            {{"kind", a.kind}, {"object", object}, {"reason", a.reason}, {"outcome", o.name}});
      }
    } else if (a.type == Action::Type::kEvent) {
      // Events are best effort: a refused one must not fail or repeat the reconcile.
      log->V(1, "Failed to record an event", {{"neuralpartition", object},
                                              {"reason", a.reason},
                                              {"error", o.status.message()}});
    } else if (IsConflict(o.status)) {
      log->V(1, "Found a newer version; retrying on fresh state", {{"neuralpartition", object}});
      if (first.ok()) first = o.status;
    } else {
      log->Error("Failed to apply an action", {{"kind", a.kind},
                                               {"object", object},
                                               {"action", std::string(ActionTypeName(a.type))},
                                               {"error", o.status.message()}});
      if (first.ok()) first = o.status;
    }
    if (observer) observer(a, o.name);
  }
  return first;
}

}  // namespace neuropart::op
