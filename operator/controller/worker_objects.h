// The objects the operator creates for a NeuralPartition, as JSON ready to POST:
//   ConfigMap "<job>-job"         job.yaml, plan.hash and plan.yaml — or, for a plan too large for
//                                 a ConfigMap, plan.path: each pod's init container then runs the
//                                 Neuron Distributor (`neuropart plan`, deterministic) into an
//                                 emptyDir, and the plan hash in the pod labels and the workers'
//                                 HELLO keeps every partition on the same plan;
//   Service "<job>-workers"       headless, publishes not-ready addresses: worker DNS names;
//   Service "<job>"               serve mode: in front of the coordinator;
//   NetworkPolicy "<job>-workers" only the job's own pods reach the worker port;
//   NetworkPolicy "<job>-serve"   serve mode: pods labelled neuropart.io/client=<job> reach the
//                                 coordinator's worker port too (policies add up);
//   Secret "<job>-keys"           the job's CURVE keys and /status token (worker/job_keys.h); pod
//                                 q mounts only public.keys, its own partition-<q>.secret and,
//                                 the coordinator, status.token;
//   Pod "<job>-<q>"               one per partition (Pod Security "restricted", no API token).
// Every object carries the app.kubernetes.io labels and a controller ownerReference, so deleting
// the NeuralPartition deletes them. Pure functions; thread-safe.
#ifndef NEUROPART_OPERATOR_CONTROLLER_WORKER_OBJECTS_H_
#define NEUROPART_OPERATOR_CONTROLLER_WORKER_OBJECTS_H_

#include <cstdint>
#include <map>
#include <string>
#include <string_view>

#include "neuropart/base/json.h"
#include "api/neural_partition.h"
#include "neuropart/job/job_file.h"
#include "neuropart/plan/plan.h"

namespace neuropart::op {

struct WorkerOptions {
  std::string worker_image = "neuropart-worker:latest";  // when spec.worker.image is empty
  std::string planner_command = "neuropart";             // in the worker image
  int worker_port = 7000;
  int status_port = 8080;   // the coordinator's GET /status
  int metrics_port = 9090;  // every worker's Prometheus endpoint
  int64_t run_as_user = 65532;
  // A ConfigMap holds at most 1 MiB; keep room for metadata.
  size_t max_config_map_bytes = 900 * 1024;
};

inline constexpr char kConfigMountPath[] = "/etc/neuropart";
inline constexpr char kGeneratedPlanDir[] = "/var/run/neuropart/plan";
inline constexpr char kStoreMountPath[] = "/var/lib/neuropart/store";
// Not under kConfigMountPath: a volume cannot be mounted inside a ConfigMap's read-only one.
inline constexpr char kKeysMountPath[] = "/var/run/secrets/neuropart";
inline constexpr char kStatusTokenFile[] = "status.token";

// FNV-1a 64 of `text`, 16 hex digits.
std::string ContentHash(std::string_view text);

// The published plan: where the worker finds it and the ConfigMap that carries it.
struct PublishedPlan {
  std::string plan_hash;
  std::string job_hash;  // of job.yaml: any spec change changes it
  int partitions = 0;
  bool in_config_map = true;
  std::string worker_plan_path;  // NEUROPART_PLAN
  Json config_map;
  // Each partition's share of the model's parameters (sums to 1): how spec.worker.totalRequests
  // is split.
  std::vector<double> work_shares;
};

PublishedPlan PublishPlan(const NeuralPartition& np, const Plan& plan,
                          const WorkerOptions& options);

// The keys Secret for `partitions` partitions, holding `files` (file name -> content) as
// stringData. Never logged, never in status.
Json KeysSecret(const NeuralPartition& np, int partitions,
                const std::map<std::string, std::string>& files);

Json WorkersService(const NeuralPartition& np, const WorkerOptions& options);
Json ServeService(const NeuralPartition& np, const WorkerOptions& options);
Json WorkersNetworkPolicy(const NeuralPartition& np, const WorkerOptions& options);
Json ServeNetworkPolicy(const NeuralPartition& np, const WorkerOptions& options);

// Partition `partition`'s pod for gang attempt `attempt` (status.restarts when it was created).
Json WorkerPod(const NeuralPartition& np, const ParsedJob& job, const PublishedPlan& published,
               int partition, int attempt, const WorkerOptions& options);

}  // namespace neuropart::op

#endif  // NEUROPART_OPERATOR_CONTROLLER_WORKER_OBJECTS_H_
