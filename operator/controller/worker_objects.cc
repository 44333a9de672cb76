#include "controller/worker_objects.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <optional>

#include "controller/naming.h"
#include "controller/quantity.h"
#include "neuropart/plan/plan_io.h"
#include "neuropart/plan/plan_stats.h"

namespace neuropart::op {
namespace {

Json LabelsJson(const std::map<std::string, std::string>& labels) {
  Json j = Json::object();
  for (const auto& [k, v] : labels) j[k] = v;
  return j;
}

Json OwnerReferences(const NeuralPartition& np) {
  return Json::array({Json::object({{"apiVersion", kApiVersion},
                                    {"kind", kKind},
                                    {"name", np.metadata.name},
                                    {"uid", np.metadata.uid},
                                    {"controller", true},
                                    {"blockOwnerDeletion", true}})});
}

Json Metadata(const NeuralPartition& np, const std::string& name, const std::string& component) {
  return Json::object({{"name", name},
                       {"namespace", np.metadata.namespace_name},
                       {"labels", LabelsJson(JobLabels(np.metadata.name, component))},
                       {"ownerReferences", OwnerReferences(np)}});
}

Json Port(const char* name, int port) {
  return Json::object({{"name", name}, {"port", port}, {"targetPort", port}, {"protocol", "TCP"}});
}

Json EnvVar(const char* name, std::string value) {
  return Json::object({{"name", name}, {"value", std::move(value)}});
}

Json RestrictedContainerSecurity() {
  return Json::object({{"allowPrivilegeEscalation", false},
                       {"readOnlyRootFilesystem", true},
                       {"runAsNonRoot", true},
                       {"capabilities", Json::object({{"drop", Json::array({"ALL"})}})},
                       {"seccompProfile", Json::object({{"type", "RuntimeDefault"}})}});
}

// "partition-<q>.secret" (worker/job_keys.h's name for partition q's key pair).
std::string PartitionSecretFile(int partition) {
  return "partition-" + std::to_string(partition) + ".secret";
}

Json WorkerSelector(const std::string& job) {
  return Json::object({{kLabelJob, job}, {kLabelComponent, "worker"}});
}

}  // namespace

std::string ContentHash(std::string_view text) {
  uint64_t h = 14695981039346656037ull;
  for (unsigned char c : text) {
    h ^= c;
    h *= 1099511628211ull;
  }
  char buf[17];
  std::snprintf(buf, sizeof(buf), "%016llx", static_cast<unsigned long long>(h));
  return buf;
}

PublishedPlan PublishPlan(const NeuralPartition& np, const Plan& plan,
                          const WorkerOptions& options) {
  PublishedPlan out;
  const std::string job_text = DumpJson(JobDocument(np));
  const std::string plan_text = PlanToYaml(plan);
  out.plan_hash = plan.HashHex();
  out.job_hash = ContentHash(job_text);
  out.partitions = plan.num_partitions();
  const std::vector<PartitionStats> stats = ComputePlanStats(plan, TrafficOptions{});
  int64_t total = 0;
  for (const PartitionStats& s : stats) total += s.parameters;
  for (const PartitionStats& s : stats) {
    out.work_shares.push_back(total > 0 ? static_cast<double>(s.parameters) / total
                                        : 1.0 / plan.num_partitions());
  }
  out.in_config_map = job_text.size() + plan_text.size() <= options.max_config_map_bytes;
  Json data = Json::object({{"job.yaml", job_text}, {"plan.hash", out.plan_hash}});
  if (out.in_config_map) {
    data["plan.yaml"] = plan_text;
    out.worker_plan_path = std::string(kConfigMountPath) + "/plan.yaml";
  } else {
    out.worker_plan_path = std::string(kGeneratedPlanDir) + "/plan.yaml";
    data["plan.path"] = out.worker_plan_path;
  }
  Json meta = Metadata(np, ConfigMapName(np.metadata.name), "plan");
  meta["annotations"] =
      Json::object({{kLabelPlanHash, out.plan_hash}, {kAnnotationJobHash, out.job_hash}});
  out.config_map = Json::object({{"apiVersion", "v1"},
                                 {"kind", "ConfigMap"},
                                 {"metadata", std::move(meta)},
                                 {"data", std::move(data)}});
  return out;
}

Json KeysSecret(const NeuralPartition& np, int partitions,
                const std::map<std::string, std::string>& files) {
  Json meta = Metadata(np, KeysSecretName(np.metadata.name), "keys");
  meta["annotations"] = Json::object({{kAnnotationPartitions, std::to_string(partitions)}});
  Json data = Json::object();
  for (const auto& [name, content] : files) data[name] = content;
  return Json::object({{"apiVersion", "v1"},
                       {"kind", "Secret"},
                       {"metadata", std::move(meta)},
                       {"type", "Opaque"},
                       {"stringData", std::move(data)}});
}

Json WorkersService(const NeuralPartition& np, const WorkerOptions& options) {
  const std::string& job = np.metadata.name;
  return Json::object(
      {{"apiVersion", "v1"},
       {"kind", "Service"},
       {"metadata", Metadata(np, WorkersServiceName(job), "worker")},
       {"spec", Json::object({{"clusterIP", "None"},
                              {"publishNotReadyAddresses", true},
                              {"selector", WorkerSelector(job)},
                              {"ports", Json::array({Port("worker", options.worker_port)})}})}});
}

Json ServeService(const NeuralPartition& np, const WorkerOptions& options) {
  const std::string& job = np.metadata.name;
  Json selector = WorkerSelector(job);
  selector[kLabelPartition] = "0";
  return Json::object(
      {{"apiVersion", "v1"},
       {"kind", "Service"},
       {"metadata", Metadata(np, ServeServiceName(job), "serve")},
       {"spec", Json::object({{"type", "ClusterIP"},
                              {"selector", std::move(selector)},
                              {"ports", Json::array({Port("worker", options.worker_port),
                                                     Port("status", options.status_port)})}})}});
}

Json WorkersNetworkPolicy(const NeuralPartition& np, const WorkerOptions& options) {
  const std::string& job = np.metadata.name;
  auto tcp = [](int port) { return Json::object({{"protocol", "TCP"}, {"port", port}}); };
  // The worker port only from the job's own pods; status and metrics from anywhere (the operator
  // and Prometheus run in other namespaces).
  Json peers = Json::object(
      {{"from", Json::array({Json::object(
                    {{"podSelector", Json::object({{"matchLabels", WorkerSelector(job)}})}})})},
       {"ports", Json::array({tcp(options.worker_port)})}});
  Json observer_ports = Json::array({tcp(options.status_port)});
  if (options.metrics_port != 0) observer_ports.push_back(tcp(options.metrics_port));
  Json observers = Json::object({{"ports", std::move(observer_ports)}});
  return Json::object(
      {{"apiVersion", "networking.k8s.io/v1"},
       {"kind", "NetworkPolicy"},
       {"metadata", Metadata(np, NetworkPolicyName(job), "worker")},
       {"spec",
        Json::object({{"podSelector", Json::object({{"matchLabels", WorkerSelector(job)}})},
                      {"policyTypes", Json::array({"Ingress"})},
                      {"ingress", Json::array({std::move(peers), std::move(observers)})}})}});
}

Json ServeNetworkPolicy(const NeuralPartition& np, const WorkerOptions& options) {
  const std::string& job = np.metadata.name;
  Json coordinator = WorkerSelector(job);
  coordinator[kLabelPartition] = "0";
  Json client_selector = Json::object(
      {{"matchLabels", Json::object({{kLabelServeClient, job}})}});
  Json port = Json::object({{"protocol", "TCP"}, {"port", options.worker_port}});
  Json clients = Json::object(
      {{"from", Json::array({Json::object({{"podSelector", std::move(client_selector)}})})},
       {"ports", Json::array({std::move(port)})}});
  Json selector = Json::object({{"matchLabels", std::move(coordinator)}});
  Json spec = Json::object({{"podSelector", std::move(selector)},
                            {"policyTypes", Json::array({"Ingress"})},
                            {"ingress", Json::array({std::move(clients)})}});
  return Json::object({{"apiVersion", "networking.k8s.io/v1"},
                       {"kind", "NetworkPolicy"},
                       {"metadata", Metadata(np, ServeNetworkPolicyName(job), "serve")},
                       {"spec", std::move(spec)}});
}

namespace {

// The worker container's resources: spec.worker.resources as given, and for each resource of
// spec.worker.totalRequests that it does not request itself, `share` of the total.
Json WorkerResources(const Json* worker, double share) {
  Json resources = Json::object();
  if (worker == nullptr) return resources;
  if (const Json* given = FindMember(*worker, "resources")) resources = *given;
  const Json* total = FindMember(*worker, "totalRequests");
  if (total == nullptr || !total->is_object()) return resources;
  for (const auto& [name, quantity] : Members(*total)) {
    if (AtPath(resources, {"requests", name.c_str()}) != nullptr) continue;
    StatusOr<double> value = ParseQuantity(quantity);
    if (!value.ok()) continue;  // the CRD's pattern refuses it first
    resources["requests"][name] = FormatQuantity(*value * share, /*whole=*/name != "cpu");
  }
  return resources;
}

// Math threads for a CPU request: its whole cores, at least 1 (a fraction would be throttled).
std::optional<int> ThreadsFor(const Json& resources) {
  const Json* cpu = AtPath(resources, {"requests", "cpu"});
  if (cpu == nullptr) return std::nullopt;
  StatusOr<double> cores = ParseQuantity(*cpu);
  if (!cores.ok()) return std::nullopt;
  return std::max(1, static_cast<int>(std::floor(*cores + 1e-9)));
}

}  // namespace

Json WorkerPod(const NeuralPartition& np, const ParsedJob& job, const PublishedPlan& published,
               int partition, int attempt, const WorkerOptions& options) {
  const std::string& name = np.metadata.name;
  const std::string& ns = np.metadata.namespace_name;
  Json meta = Metadata(np, PodName(name, partition), "worker");
  meta["labels"][kLabelPartition] = std::to_string(partition);
  meta["labels"][kLabelPlanHash] = published.plan_hash;
  meta["annotations"] = Json::object(
      {{kAnnotationJobHash, published.job_hash}, {kAnnotationAttempt, std::to_string(attempt)}});
  // Kueue admits plain pods as one group, whole or not at all: a NeuralPartition labelled with a
  // queue makes each gang attempt such a group.
  if (auto queue = np.metadata.labels.find(kLabelKueueQueue); queue != np.metadata.labels.end()) {
    meta["labels"][kLabelKueueQueue] = queue->second;
    meta["labels"][kLabelKueuePodGroup] = name + "-" + std::to_string(attempt);
    meta["annotations"][kAnnotationKueueGroupCount] = std::to_string(published.partitions);
  }

  std::string peers;
  for (int q = 0; q < published.partitions; ++q) {
    if (q > 0) peers += ",";
    peers += WorkerEndpoint(name, ns, q, options.worker_port);
  }
  Json env = Json::array(
      {EnvVar("NEUROPART_JOB", std::string(kConfigMountPath) + "/job.yaml"),
       EnvVar("NEUROPART_PLAN", published.worker_plan_path),
       EnvVar("NEUROPART_PARTITION", std::to_string(partition)),
       EnvVar("NEUROPART_STORE", kStoreMountPath),
       EnvVar("NEUROPART_LISTEN", "tcp://0.0.0.0:" + std::to_string(options.worker_port)),
       EnvVar("NEUROPART_PEERS", peers),
       EnvVar("NEUROPART_STATUS_PORT", std::to_string(partition == 0 ? options.status_port : 0)),
       EnvVar("NEUROPART_METRICS_PORT", std::to_string(options.metrics_port)),
       EnvVar("NEUROPART_KEYS", kKeysMountPath)});
  if (partition == 0) {
    env.push_back(EnvVar("NEUROPART_STATUS_TOKEN_FILE",
                         std::string(kKeysMountPath) + "/" + kStatusTokenFile));
  }
  Json ports =
      Json::array({Json::object({{"name", "worker"}, {"containerPort", options.worker_port}})});
  if (options.metrics_port != 0) {
    ports.push_back(Json::object({{"name", "metrics"}, {"containerPort", options.metrics_port}}));
  }
  if (partition == 0) {
    ports.push_back(Json::object({{"name", "status"}, {"containerPort", options.status_port}}));
  }
  const StorageSpec& storage = job.spec.storage;
  Json store_mount = Json::object({{"name", "store"}, {"mountPath", kStoreMountPath}});
  if (!storage.claim_name.empty() && !storage.sub_path.empty()) {
    store_mount["subPath"] = storage.sub_path;
  }
  Json mounts = Json::array(
      {Json::object({{"name", "job"}, {"mountPath", kConfigMountPath}, {"readOnly", true}}),
       std::move(store_mount), Json::object({{"name", "tmp"}, {"mountPath", "/tmp"}}),
       Json::object({{"name", "keys"}, {"mountPath", kKeysMountPath}, {"readOnly", true}})});
  // Only what this partition needs: the public list, its own key pair, the coordinator's token.
  Json key_items = Json::array(
      {Json::object({{"key", "public.keys"}, {"path", "public.keys"}}),
       Json::object({{"key", PartitionSecretFile(partition)},
                     {"path", PartitionSecretFile(partition)}})});
  if (partition == 0) {
    key_items.push_back(Json::object({{"key", kStatusTokenFile}, {"path", kStatusTokenFile}}));
  }
  Json volumes =
      Json::array({Json::object({{"name", "job"},
                                 {"configMap", Json::object({{"name", ConfigMapName(name)}})}}),
                   Json::object({{"name", "tmp"}, {"emptyDir", Json::object()}}),
                   Json::object({{"name", "keys"},
                                 {"secret", Json::object({{"secretName", KeysSecretName(name)},
                                                          {"items", std::move(key_items)},
                                                          {"defaultMode", 0440}})}})});
  if (!storage.claim_name.empty()) {
    volumes.push_back(Json::object(
        {{"name", "store"},
         {"persistentVolumeClaim", Json::object({{"claimName", storage.claim_name}})}}));
  } else {
    // No claim: each worker gets a private store (no resume across pods, no shared export).
    volumes.push_back(Json::object({{"name", "store"}, {"emptyDir", Json::object()}}));
  }
  const std::string image =
      job.spec.worker_image.empty() ? options.worker_image : job.spec.worker_image;
  Json init_containers;
  if (!published.in_config_map) {
    volumes.push_back(Json::object({{"name", "plan"}, {"emptyDir", Json::object()}}));
    mounts.push_back(
        Json::object({{"name", "plan"}, {"mountPath", kGeneratedPlanDir}, {"readOnly", true}}));
    Json plan_mounts = Json::array(
        {Json::object({{"name", "job"}, {"mountPath", kConfigMountPath}, {"readOnly", true}}),
         Json::object({{"name", "plan"}, {"mountPath", kGeneratedPlanDir}})});
    init_containers = Json::array({Json::object(
        {{"name", "plan"},
         {"image", image},
         {"command",
          Json::array({options.planner_command, "plan", std::string(kConfigMountPath) + "/job.yaml",
                       "--format=yaml", "--costs=defaults", "--output=" + published.worker_plan_path})},
         {"volumeMounts", std::move(plan_mounts)},
         {"securityContext", RestrictedContainerSecurity()}})});
  }
  Json container = Json::object({{"name", "worker"},
                                 {"image", image},
                                 {"command", Json::array({"neuropart-worker"})},
                                 {"env", std::move(env)},
                                 {"ports", std::move(ports)},
                                 {"volumeMounts", std::move(mounts)},
                                 {"securityContext", RestrictedContainerSecurity()},
                                 {"terminationMessagePolicy", "FallbackToLogsOnError"}});
  if (partition == 0 && job.spec.mode == JobMode::kServe) {
    // The serve Service routes to the coordinator only once its weights are loaded.
    container["readinessProbe"] = Json::object(
        {{"httpGet", Json::object({{"path", "/readyz"}, {"port", "status"}})},
         {"periodSeconds", 2},
         {"failureThreshold", 1}});
  }
  const Json* worker = FindMember(np.spec, "worker");
  Json resources = WorkerResources(worker, published.work_shares[partition]);
  if (std::optional<int> threads = ThreadsFor(resources)) {
    container["env"].push_back(EnvVar("NEUROPART_THREADS", std::to_string(*threads)));
  }
  if (!Members(resources).empty()) container["resources"] = std::move(resources);

  Json spec = Json::object(
      {{"restartPolicy", "Never"},
       {"hostname", PodName(name, partition)},
       {"subdomain", WorkersServiceName(name)},
       {"automountServiceAccountToken", false},
       {"enableServiceLinks", false},
       {"securityContext",
        Json::object({{"runAsNonRoot", true},
                      {"runAsUser", options.run_as_user},
                      {"runAsGroup", options.run_as_user},
                      {"fsGroup", options.run_as_user},
                      {"seccompProfile", Json::object({{"type", "RuntimeDefault"}})}})},
       {"containers", Json::array({std::move(container)})}});
  if (!init_containers.is_null()) spec["initContainers"] = std::move(init_containers);
  spec["volumes"] = std::move(volumes);
  if (worker != nullptr) {
    // Passed through as given (the CRD schema checks their shape).
    for (const char* field : {"nodeSelector", "tolerations", "affinity", "priorityClassName",
                              "schedulerName", "serviceAccountName", "imagePullSecrets"}) {
      if (const Json* value = FindMember(*worker, field)) spec[field] = *value;
    }
    Json& security = spec["securityContext"];
    if (const Json* uid = FindMember(*worker, "runAsUser")) {
      security["runAsUser"] = *uid;
      security["runAsGroup"] = *uid;
    }
    if (const Json* group = FindMember(*worker, "fsGroup")) security["fsGroup"] = *group;
  }
  return Json::object({{"apiVersion", "v1"},
                       {"kind", "Pod"},
                       {"metadata", std::move(meta)},
                       {"spec", std::move(spec)}});
}

}  // namespace neuropart::op
