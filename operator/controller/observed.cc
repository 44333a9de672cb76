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
  const Json* containers = status.Find("containerStatuses");
  if (containers == nullptr || !containers->is_array()) return;
  for (const Json& c : containers->elements()) {
    if (c.GetString("name") != "worker") continue;
    if (const Json* waiting = c.At({"state", "waiting"}); waiting != nullptr) {
      const std::string reason = waiting->GetString("reason");
      if (IsStuckReason(reason)) {
        pod->stuck_reason = reason;
        pod->stuck_message = waiting->GetString("message");
      }
    }
    const Json* terminated = c.At({"state", "terminated"});
    if (terminated == nullptr) terminated = c.At({"lastState", "terminated"});
    if (terminated == nullptr) continue;
    pod->termination_message = terminated->GetString("message");
    pod->terminated_reason = terminated->GetString("reason");
    pod->exit_code = static_cast<int>(terminated->GetInt("exitCode", 0));
    if (pod->message.empty() && terminated->GetInt("exitCode", 0) != 0) {
      pod->message = "worker exited with code " + std::to_string(terminated->GetInt("exitCode")) +
                     " (" + terminated->GetString("reason", "Error") + ")";
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
  const Json* status = json.Find("status");
  if (status == nullptr) {
    pod.phase = "Pending";
    return pod;
  }
  pod.phase = status->GetString("phase", "Pending");
  pod.pod_ip = status->GetString("podIP");
  pod.message = status->GetString("message");
  if (const Json* conds = status->Find("conditions"); conds != nullptr && conds->is_array()) {
    for (const Json& c : conds->elements()) {
      const std::string type = c.GetString("type");
      const bool is_true = c.GetString("status") == "True";
      if (type == "Ready") pod.ready = is_true;
      if (type == "DisruptionTarget" && is_true) {
        pod.disruption_reason = c.GetString("reason", "DisruptionTarget");
      }
      if (type == "PodScheduled" && is_true) pod.scheduled_at = c.GetString("lastTransitionTime");
      if (type == "PodScheduled" && !is_true && c.GetString("reason") == "SchedulingGated") {
        pod.gated = true;
      }
      if (type == "PodScheduled" && !is_true && c.GetString("reason") == "Unschedulable") {
        pod.stuck_reason = "Unschedulable";
        pod.stuck_message = c.GetString("message");
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
  if (const Json* data = json.Find("data")) o.data = *data;
  if (const Json* spec = json.Find("spec")) o.spec = *spec;
  return o;
}

CoordinatorReport CoordinatorReportFromJson(const Json& j) {
  CoordinatorReport r;
  r.phase = j.GetString("phase");
  auto integer = [&](const char* key) -> std::optional<int64_t> {
    const Json* v = j.Find(key);
    if (v == nullptr || !v->is_number()) return std::nullopt;
    return v->integer();
  };
  auto number = [&](const char* key) -> std::optional<double> {
    const Json* v = j.Find(key);
    if (v == nullptr || !v->is_number()) return std::nullopt;
    return v->number();
  };
  r.step = integer("step");
  r.epoch = integer("epoch");
  r.loss = number("loss");
  r.accuracy = number("accuracy");
  r.last_checkpoint = integer("lastCheckpoint");
  return r;
}

}  // namespace neuropart::op
