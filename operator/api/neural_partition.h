// NeuralPartition (neuropart.io/v1alpha1): the custom resource as the operator sees it, and its
// conversion from and to the API server's JSON.
//
// The spec stays the API server's JSON (it is the job file's spec, validated by core's job parser
// through JobOf); metadata and status are typed. StatusToJson writes exactly the fields of the
// CRD's status schema, so a round trip through the API server is lossless and a status that did
// not change compares equal. Plain values; not synchronised.
#ifndef NEUROPART_OPERATOR_API_NEURAL_PARTITION_H_
#define NEUROPART_OPERATOR_API_NEURAL_PARTITION_H_

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "api/conditions.h"
#include "neuropart/base/json.h"
#include "neuropart/job/job_file.h"
#include "neuropart/status.h"

namespace neuropart::op {

inline constexpr char kApiGroup[] = "neuropart.io";
inline constexpr char kApiVersion[] = "neuropart.io/v1alpha1";
inline constexpr char kKind[] = "NeuralPartition";
inline constexpr char kPlural[] = "neuralpartitions";

struct ObjectMeta {
  std::string name;
  std::string namespace_name;
  std::string uid;
  std::string resource_version;
  int64_t generation = 0;
  std::string creation_timestamp;
  bool deleting = false;  // metadata.deletionTimestamp is set
  std::string controller_uid;  // the uid of the ownerReference with controller: true
  std::map<std::string, std::string> labels;
  std::map<std::string, std::string> annotations;
};

// The metadata fields above, from any object's JSON (missing fields stay empty).
ObjectMeta MetaFromJson(const Json& object);

struct PartitionStatus {
  int index = 0;
  std::string pod;
  std::string state;  // PartitionStateName: Pending, Running, Ready, Succeeded, Failed
  int64_t neurons = 0;
  std::string message;
  bool operator==(const PartitionStatus&) const = default;
};

struct CheckpointStatus {
  int64_t step = 0;
  std::string path;
  std::string time;
  bool operator==(const CheckpointStatus&) const = default;
};

struct NeuralPartitionStatus {
  std::string phase;
  std::vector<Condition> conditions;
  int64_t observed_generation = 0;
  std::string plan_hash;
  std::string ready;  // "<ready>/<partitions>"
  int ready_partitions = 0;
  std::vector<PartitionStatus> partitions;
  std::optional<int64_t> step;
  std::optional<int64_t> epoch;
  std::optional<double> loss;
  std::optional<double> accuracy;
  std::optional<CheckpointStatus> last_checkpoint;
  int restarts = 0;     // counted against backoffLimit
  int disruptions = 0;  // restarts after evictions and preemptions, not counted
  std::string next_attempt_time;  // a restart's delay ends then; empty: no delay pending
  std::string start_time;
  std::string completion_time;
  bool operator==(const NeuralPartitionStatus&) const = default;
};

struct NeuralPartition {
  ObjectMeta metadata;
  Json spec;
  NeuralPartitionStatus status;
};

// InvalidArgument when `object` is not a NeuralPartition or a status field has the wrong type.
StatusOr<NeuralPartition> NeuralPartitionFromJson(const Json& object);
StatusOr<NeuralPartitionStatus> StatusFromJson(const Json& status);
Json StatusToJson(const NeuralPartitionStatus& status);
// The whole object (apiVersion, kind, metadata name/namespace/uid/resourceVersion/generation,
// spec, status): what tests and the fake API use.
Json NeuralPartitionToJson(const NeuralPartition& np);

// The job document of `np`: apiVersion, kind, metadata {name, namespace} and spec — the file a
// worker reads, and what `neuropart run` would accept. Without the fields only the operator acts
// on (suspend, pendingDeadlineSeconds): changing them does not restart the workers.
Json JobDocument(const NeuralPartition& np);
// Parses and validates the job with core's job parser. Errors name the field path.
StatusOr<ParsedJob> JobOf(const NeuralPartition& np);

}  // namespace neuropart::op

#endif  // NEUROPART_OPERATOR_API_NEURAL_PARTITION_H_
