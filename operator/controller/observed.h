// ObservedState: everything reconcile looks at for one NeuralPartition — the resource, the
// objects it owns (as the informer caches hold them), and what the coordinator reported.
//
// The From*Json functions extract the few fields reconcile needs from API objects; they never
// fail (a missing field reads as empty), because a half-filled status from the API server is a
// state to reconcile, not an error. Plain values; not synchronised.
#ifndef NEUROPART_OPERATOR_CONTROLLER_OBSERVED_H_
#define NEUROPART_OPERATOR_CONTROLLER_OBSERVED_H_

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "neuropart/base/json.h"
#include "neuropart/lifecycle/job_status.h"
#include "api/neural_partition.h"

namespace neuropart::op {

// Kubernetes' pod phases (a pod's status.phase), as the API server writes them.
inline constexpr char kPodPending[] = "Pending";
inline constexpr char kPodRunning[] = "Running";
inline constexpr char kPodSucceeded[] = "Succeeded";
inline constexpr char kPodFailed[] = "Failed";

struct ObservedPod {
  std::string name;
  std::map<std::string, std::string> labels;
  std::map<std::string, std::string> annotations;
  std::string owner_uid;  // its controller's uid: a pod of an earlier object of the same name differs
  std::string created;    // metadata.creationTimestamp
  std::string phase;      // Pending, Running, Succeeded, Failed, Unknown
  bool ready = false;
  bool deleting = false;
  std::string pod_ip;
  std::string message;              // why it failed: status.message or the container's reason
  std::string termination_message;  // the worker container's terminated.message
  std::string terminated_reason;    // the worker container's terminated.reason (OOMKilled, Error)
  int exit_code = 0;                // the worker container's, once it terminated
  // Pending: why it does not start (Unschedulable, ImagePullBackOff, ErrImagePull,
  // CreateContainerConfigError, ...) and the kubelet's or scheduler's words; empty while it
  // simply starts (ContainerCreating).
  std::string stuck_reason;
  std::string stuck_message;
  // The DisruptionTarget condition is True: evicted, preempted or its node drained.
  std::string disruption_reason;
  // PodScheduled is False with reason SchedulingGated: a queue (Kueue) holds it until admission.
  bool gated = false;
  std::string scheduled_at;  // PodScheduled turned True then (lastTransitionTime)
};

struct ObservedObject {  // a ConfigMap, Service, NetworkPolicy or Secret
  std::string name;
  std::map<std::string, std::string> labels;
  std::map<std::string, std::string> annotations;
  Json data;  // ConfigMap and Secret .data (a Secret's base64); null for other kinds
  Json spec;  // Service and NetworkPolicy .spec; null for a ConfigMap
  bool deleting = false;
};

// What GET /status of the coordinator answered (worker/status_server.h).
// The coordinator's GET /status, as core's job status contract reads it.
using CoordinatorReport = JobStatusReading;

struct ObservedState {
  NeuralPartition resource;
  std::vector<ObservedPod> pods;
  std::vector<ObservedObject> config_maps;
  std::vector<ObservedObject> services;
  std::vector<ObservedObject> network_policies;
  std::vector<ObservedObject> secrets;  // the job's keys Secret (its data is never logged)
  std::optional<CoordinatorReport> coordinator;
};

ObservedPod PodFromJson(const Json& pod);
ObservedObject ObjectFromJson(const Json& object);

}  // namespace neuropart::op

#endif  // NEUROPART_OPERATOR_CONTROLLER_OBSERVED_H_
