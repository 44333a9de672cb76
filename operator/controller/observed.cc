#include "controller/observed.h"

namespace neuropart::op {
namespace {

// Waiting reasons that do not clear by waiting alone (a kubelet's ContainerCreating does).
bool IsStuckReason(const std::string& reason) {
  return reason == "ImagePullBackOff" || reason == "ErrImagePull" ||
         reason == "InvalidImageName" || reason == "CreateContainerConfigError" ||
         reason == "CreateContainerError" || reason == "ErrImageNeverPull";
}

// The worker container's state: why it waits, its failure reason and termination message.
void ReadContainerStatus(const Json& status, ObservedPod* pod) {
  const Json* containers = FindMember(status, "containerStatuses");
  if (containers == nullptr || !containers->is_array()) return;
  for (const Json& c : Elements(*containers)) {
    if (GetString(c, "name") != "worker") continue;
    if (const Json* waiting = AtPath(c, {"state", "waiting"}); waiting != nullptr) {
      const std::string reason = GetString(*waiting, "reason");
      if (IsStuckReason(reason)) {
        pod->stuck_reason = reason;
        pod->stuck_message = GetString(*waiting, "message");
      }
    }
    const Json* terminated = AtPath(c, {"state", "terminated"});
    if (terminated == nullptr) terminated = AtPath(c, {"lastState", "terminated"});
    if (terminated == nullptr) continue;
    pod->termination_message = GetString(*terminated, "message");
    pod->terminated_reason = GetString(*terminated, "reason");
    pod->exit_code = static_cast<int>(GetInt(*terminated, "exitCode", 0));
    if (pod->message.empty() && GetInt(*terminated, "exitCode", 0) != 0) {
      pod->message = "worker exited with code " + std::to_string(GetInt(*terminated, "exitCode")) +
                     " (" + GetString(*terminated, "reason", "Error") + ")";
    }
  }
}

}  // namespace

ObservedPod PodFromJson(const Json& json) {
  ObservedPod pod;
  const ObjectMeta meta = MetaFromJson(json);
  pod.name = meta.name;
  pod.labels = meta.labels;
  pod.annotations = meta.annotations;
  pod.deleting = meta.deleting;
  pod.owner_uid = meta.controller_uid;
  pod.created = meta.creation_timestamp;
  const Json* status = FindMember(json, "status");
  if (status == nullptr) {
    pod.phase = "Pending";
    return pod;
  }
  pod.phase = GetString(*status, "phase", "Pending");
  pod.pod_ip = GetString(*status, "podIP");
  pod.message = GetString(*status, "message");
  if (const Json* conds = FindMember(*status, "conditions")) {
    for (const Json& c : Elements(*conds)) {
      const std::string type = GetString(c, "type");
      const bool is_true = GetString(c, "status") == "True";
      if (type == "Ready") pod.ready = is_true;
      if (type == "DisruptionTarget" && is_true) {
        pod.disruption_reason = GetString(c, "reason", "DisruptionTarget");
      }
      if (type == "PodScheduled" && is_true) pod.scheduled_at = GetString(c, "lastTransitionTime");
      if (type == "PodScheduled" && !is_true && GetString(c, "reason") == "SchedulingGated") {
        pod.gated = true;
      }
      if (type == "PodScheduled" && !is_true && GetString(c, "reason") == "Unschedulable") {
        pod.stuck_reason = "Unschedulable";
        pod.stuck_message = GetString(c, "message");
      }
    }
  }
  ReadContainerStatus(*status, &pod);
  return pod;
}

ObservedObject ObjectFromJson(const Json& json) {
  ObservedObject o;
  const ObjectMeta meta = MetaFromJson(json);
  o.name = meta.name;
  o.labels = meta.labels;
  o.annotations = meta.annotations;
  o.deleting = meta.deleting;
  if (const Json* data = FindMember(json, "data")) o.data = *data;
  if (const Json* spec = FindMember(json, "spec")) o.spec = *spec;
  return o;
}

}  // namespace neuropart::op
