// Names and labels of everything the operator creates for a NeuralPartition. Deterministic, so
// that reconcile finds its objects again and a worker's peers are known before any pod exists.
// Pure functions; thread-safe.
#ifndef NEUROPART_OPERATOR_CONTROLLER_NAMING_H_
#define NEUROPART_OPERATOR_CONTROLLER_NAMING_H_

#include <map>
#include <string>

namespace neuropart::op {

// Label and annotation keys.
inline constexpr char kLabelName[] = "app.kubernetes.io/name";
inline constexpr char kLabelInstance[] = "app.kubernetes.io/instance";
inline constexpr char kLabelComponent[] = "app.kubernetes.io/component";
inline constexpr char kLabelPartOf[] = "app.kubernetes.io/part-of";
inline constexpr char kLabelManagedBy[] = "app.kubernetes.io/managed-by";
inline constexpr char kLabelJob[] = "neuropart.io/job";
inline constexpr char kLabelPartition[] = "neuropart.io/partition";
inline constexpr char kLabelPlanHash[] = "neuropart.io/plan-hash";
// On a client pod, "<job>": admitted to that serving job's coordinator (NetworkPolicy <job>-serve).
inline constexpr char kLabelServeClient[] = "neuropart.io/client";
inline constexpr char kAnnotationJobHash[] = "neuropart.io/job-hash";
// Kueue's plain-pod group integration (copied from the NeuralPartition's queue label).
inline constexpr char kLabelKueueQueue[] = "kueue.x-k8s.io/queue-name";
inline constexpr char kLabelKueuePodGroup[] = "kueue.x-k8s.io/pod-group-name";
inline constexpr char kAnnotationKueueGroupCount[] = "kueue.x-k8s.io/pod-group-total-count";
inline constexpr char kAnnotationAttempt[] = "neuropart.io/attempt";
// On the keys Secret: the partition count its keys are for.
inline constexpr char kAnnotationPartitions[] = "neuropart.io/partitions";
inline constexpr char kManagedBy[] = "neuropart-operator";

// The label selector of every object the operator owns ("app.kubernetes.io/managed-by=...").
std::string OwnedSelector();

std::string PodName(const std::string& job, int partition);  // "<job>-<q>"
std::string ConfigMapName(const std::string& job);           // "<job>-job"
std::string WorkersServiceName(const std::string& job);      // "<job>-workers" (headless)
std::string ServeServiceName(const std::string& job);        // "<job>" (serve mode)
std::string NetworkPolicyName(const std::string& job);       // "<job>-workers"
std::string ServeNetworkPolicyName(const std::string& job);  // "<job>-serve" (serve mode)
std::string KeysSecretName(const std::string& job);          // "<job>-keys"
// "tcp://<job>-<q>.<job>-workers.<namespace>.svc:<port>"
std::string WorkerEndpoint(const std::string& job, const std::string& ns, int partition, int port);

// app.kubernetes.io labels plus neuropart.io/job; `component` is "worker", "plan", ...
std::map<std::string, std::string> JobLabels(const std::string& job, const std::string& component);

}  // namespace neuropart::op

#endif  // NEUROPART_OPERATOR_CONTROLLER_NAMING_H_
