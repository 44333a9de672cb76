#include "api/neural_partition.h"

namespace neuropart::op {
namespace {

std::map<std::string, std::string> StringMap(const Json* j) {
  std::map<std::string, std::string> out;
  if (j == nullptr) return out;
  for (const auto& [k, v] : Members(*j)) {
    if (v.is_string()) out[k] = AsString(v);
  }
  return out;
}

// An integer that fits in int64 (a larger one was a floating-point number to the old parser).
bool IsInt64(const Json& j) {
  return j.is_number_integer() &&
         !(j.is_number_unsigned() && j.get<uint64_t>() > uint64_t{INT64_MAX});
}

Status TypeError(const std::string& field, const char* want) {
  return InvalidArgumentError("status." + field + ": want " + want);
}

// Reads optional member `key` of `obj` into `out` when it is present and not null.
Status ReadString(const Json& obj, const char* key, std::string* out, const std::string& path) {
  const Json* j = FindMember(obj, key);
  if (j == nullptr || j->is_null()) return Status::Ok();
  if (!j->is_string()) return TypeError(path + key, "a string");
  *out = AsString(*j);
  return Status::Ok();
}

template <typename T>
Status ReadInt(const Json& obj, const char* key, T* out, const std::string& path) {
  const Json* j = FindMember(obj, key);
  if (j == nullptr || j->is_null()) return Status::Ok();
  if (!IsInt64(*j)) return TypeError(path + key, "an integer");
  *out = static_cast<T>(AsInt(*j));
  return Status::Ok();
}

Status ReadOptionalInt(const Json& obj, const char* key, std::optional<int64_t>* out) {
  const Json* j = FindMember(obj, key);
  if (j == nullptr || j->is_null()) return Status::Ok();
  if (!IsInt64(*j)) return TypeError(key, "an integer");
  *out = AsInt(*j);
  return Status::Ok();
}

Status ReadOptionalNumber(const Json& obj, const char* key, std::optional<double>* out) {
  const Json* j = FindMember(obj, key);
  if (j == nullptr || j->is_null()) return Status::Ok();
  if (!j->is_number()) return TypeError(key, "a number");
  *out = AsNumber(*j);
  return Status::Ok();
}

StatusOr<Condition> ConditionFromJson(const Json& j, const std::string& path) {
  if (!j.is_object()) return TypeError(path, "an object");
  Condition c;
  const std::string p = path + ".";
  RETURN_IF_ERROR(ReadString(j, "type", &c.type, p));
  RETURN_IF_ERROR(ReadString(j, "status", &c.status, p));
  RETURN_IF_ERROR(ReadString(j, "reason", &c.reason, p));
  RETURN_IF_ERROR(ReadString(j, "message", &c.message, p));
  RETURN_IF_ERROR(ReadInt(j, "observedGeneration", &c.observed_generation, p));
  RETURN_IF_ERROR(ReadString(j, "lastTransitionTime", &c.last_transition_time, p));
  return c;
}

StatusOr<PartitionStatus> PartitionFromJson(const Json& j, const std::string& path) {
  if (!j.is_object()) return TypeError(path, "an object");
  PartitionStatus s;
  const std::string p = path + ".";
  RETURN_IF_ERROR(ReadInt(j, "index", &s.index, p));
  RETURN_IF_ERROR(ReadString(j, "pod", &s.pod, p));
  RETURN_IF_ERROR(ReadString(j, "state", &s.state, p));
  RETURN_IF_ERROR(ReadInt(j, "neurons", &s.neurons, p));
  RETURN_IF_ERROR(ReadString(j, "message", &s.message, p));
  return s;
}

void PutIfSet(Json* obj, const char* key, const std::string& v) {
  if (!v.empty()) (*obj)[key] = v;
}

}  // namespace

ObjectMeta MetaFromJson(const Json& object) {
  ObjectMeta m;
  const Json* meta = FindMember(object, "metadata");
  if (meta == nullptr) return m;
  m.name = GetString(*meta, "name");
  m.namespace_name = GetString(*meta, "namespace");
  m.uid = GetString(*meta, "uid");
  m.resource_version = GetString(*meta, "resourceVersion");
  m.generation = GetInt(*meta, "generation");
  m.creation_timestamp = GetString(*meta, "creationTimestamp");
  const Json* deletion = FindMember(*meta, "deletionTimestamp");
  m.deleting = deletion != nullptr && !deletion->is_null();
  m.labels = StringMap(FindMember(*meta, "labels"));
  m.annotations = StringMap(FindMember(*meta, "annotations"));
  if (const Json* owners = FindMember(*meta, "ownerReferences")) {
    for (const Json& o : Elements(*owners)) {
      const Json* controller = FindMember(o, "controller");
      if (controller != nullptr && AsBool(*controller)) {
        m.controller_uid = GetString(o, "uid");
      }
    }
  }
  return m;
}

StatusOr<NeuralPartitionStatus> StatusFromJson(const Json& j) {
  NeuralPartitionStatus s;
  if (j.is_null()) return s;
  if (!j.is_object()) return InvalidArgumentError("status: want an object");
  RETURN_IF_ERROR(ReadString(j, "phase", &s.phase, ""));
  if (const Json* conds = FindMember(j, "conditions"); conds != nullptr && !conds->is_null()) {
    if (!conds->is_array()) return TypeError("conditions", "a list");
    for (size_t i = 0; i < Elements(*conds).size(); ++i) {
      ASSIGN_OR_RETURN(Condition c, ConditionFromJson(Elements(*conds)[i],
                                                      "conditions[" + std::to_string(i) + "]"));
      s.conditions.push_back(std::move(c));
    }
  }
  RETURN_IF_ERROR(ReadInt(j, "observedGeneration", &s.observed_generation, ""));
  RETURN_IF_ERROR(ReadString(j, "planHash", &s.plan_hash, ""));
  RETURN_IF_ERROR(ReadString(j, "ready", &s.ready, ""));
  RETURN_IF_ERROR(ReadInt(j, "readyPartitions", &s.ready_partitions, ""));
  if (const Json* parts = FindMember(j, "partitions"); parts != nullptr && !parts->is_null()) {
    if (!parts->is_array()) return TypeError("partitions", "a list");
    for (size_t i = 0; i < Elements(*parts).size(); ++i) {
      ASSIGN_OR_RETURN(
          PartitionStatus p,
          PartitionFromJson(Elements(*parts)[i], "partitions[" + std::to_string(i) + "]"));
      s.partitions.push_back(std::move(p));
    }
  }
  RETURN_IF_ERROR(ReadOptionalInt(j, "step", &s.step));
  RETURN_IF_ERROR(ReadOptionalInt(j, "epoch", &s.epoch));
  RETURN_IF_ERROR(ReadOptionalNumber(j, "loss", &s.loss));
  RETURN_IF_ERROR(ReadOptionalNumber(j, "accuracy", &s.accuracy));
  if (const Json* cp = FindMember(j, "lastCheckpoint"); cp != nullptr && !cp->is_null()) {
    if (!cp->is_object()) return TypeError("lastCheckpoint", "an object");
    CheckpointStatus c;
    RETURN_IF_ERROR(ReadInt(*cp, "step", &c.step, "lastCheckpoint."));
    RETURN_IF_ERROR(ReadString(*cp, "path", &c.path, "lastCheckpoint."));
    RETURN_IF_ERROR(ReadString(*cp, "time", &c.time, "lastCheckpoint."));
    s.last_checkpoint = c;
  }
  RETURN_IF_ERROR(ReadInt(j, "restarts", &s.restarts, ""));
  RETURN_IF_ERROR(ReadInt(j, "disruptions", &s.disruptions, ""));
  RETURN_IF_ERROR(ReadString(j, "nextAttemptTime", &s.next_attempt_time, ""));
  RETURN_IF_ERROR(ReadString(j, "startTime", &s.start_time, ""));
  RETURN_IF_ERROR(ReadString(j, "completionTime", &s.completion_time, ""));
  return s;
}

Json StatusToJson(const NeuralPartitionStatus& s) {
  Json j = Json::object();
  PutIfSet(&j, "phase", s.phase);
  if (!s.conditions.empty()) {
    Json conds = Json::array();
    for (const Condition& c : s.conditions) {
      conds.push_back(Json::object({{"type", c.type},
                               {"status", c.status},
                               {"observedGeneration", c.observed_generation},
                               {"lastTransitionTime", c.last_transition_time},
                               {"reason", c.reason},
                               {"message", c.message}}));
    }
    j["conditions"] = std::move(conds);
  }
  j["observedGeneration"] = s.observed_generation;
  PutIfSet(&j, "planHash", s.plan_hash);
  PutIfSet(&j, "ready", s.ready);
  j["readyPartitions"] = s.ready_partitions;
  if (!s.partitions.empty()) {
    Json parts = Json::array();
    for (const PartitionStatus& p : s.partitions) {
      Json e = Json::object({{"index", p.index}});
      PutIfSet(&e, "pod", p.pod);
      PutIfSet(&e, "state", p.state);
      e["neurons"] = p.neurons;
      PutIfSet(&e, "message", p.message);
      parts.push_back(std::move(e));
    }
    j["partitions"] = std::move(parts);
  }
  if (s.step) j["step"] = *s.step;
  if (s.epoch) j["epoch"] = *s.epoch;
  if (s.loss) j["loss"] = *s.loss;
  if (s.accuracy) j["accuracy"] = *s.accuracy;
  if (s.last_checkpoint) {
    Json cp = Json::object({{"step", s.last_checkpoint->step}});
    PutIfSet(&cp, "path", s.last_checkpoint->path);
    PutIfSet(&cp, "time", s.last_checkpoint->time);
    j["lastCheckpoint"] = std::move(cp);
  }
  j["restarts"] = s.restarts;
  if (s.disruptions > 0) j["disruptions"] = s.disruptions;
  PutIfSet(&j, "nextAttemptTime", s.next_attempt_time);
  PutIfSet(&j, "startTime", s.start_time);
  PutIfSet(&j, "completionTime", s.completion_time);
  return j;
}

StatusOr<NeuralPartition> NeuralPartitionFromJson(const Json& object) {
  if (!object.is_object()) return InvalidArgumentError("NeuralPartition: want an object");
  if (GetString(object, "apiVersion") != kApiVersion || GetString(object, "kind") != kKind) {
    return InvalidArgumentError("want apiVersion " + std::string(kApiVersion) + " kind " + kKind +
                                ", got " + GetString(object, "apiVersion") + " " +
                                GetString(object, "kind"));
  }
  NeuralPartition np;
  np.metadata = MetaFromJson(object);
  if (np.metadata.name.empty()) return InvalidArgumentError("metadata.name: is required");
  if (const Json* spec = FindMember(object, "spec")) np.spec = *spec;
  if (const Json* status = FindMember(object, "status")) {
    StatusOr<NeuralPartitionStatus> s = StatusFromJson(*status);
    if (!s.ok()) {
      return s.status().WithContext(np.metadata.namespace_name + "/" + np.metadata.name);
    }
    np.status = std::move(s).value();
  }
  return np;
}

Json NeuralPartitionToJson(const NeuralPartition& np) {
  Json meta = Json::object({{"name", np.metadata.name}});
  PutIfSet(&meta, "namespace", np.metadata.namespace_name);
  PutIfSet(&meta, "uid", np.metadata.uid);
  PutIfSet(&meta, "resourceVersion", np.metadata.resource_version);
  if (np.metadata.generation != 0) meta["generation"] = np.metadata.generation;
  return Json::object({{"apiVersion", kApiVersion},
                       {"kind", kKind},
                       {"metadata", std::move(meta)},
                       {"spec", np.spec},
                       {"status", StatusToJson(np.status)}});
}

namespace {

Json Document(const NeuralPartition& np, Json spec) {
  Json meta = Json::object({{"name", np.metadata.name}});
  PutIfSet(&meta, "namespace", np.metadata.namespace_name);
  return Json::object(
      {{"apiVersion", kApiVersion}, {"kind", kKind}, {"metadata", meta}, {"spec", std::move(spec)}});
}

}  // namespace

Json JobDocument(const NeuralPartition& np) {
  Json spec = np.spec;
  for (const char* operator_only : {"suspend", "pendingDeadlineSeconds"}) {
    EraseMember(&spec, operator_only);
  }
  return Document(np, std::move(spec));
}

StatusOr<ParsedJob> JobOf(const NeuralPartition& np) {
  const std::string source = "neuralpartition";
  StatusOr<ParsedJob> job = ParseJob(DumpJson(Document(np, np.spec)), source);
  if (job.ok()) return job;
  // The document is one line of JSON: a "(neuralpartition:1)" position tells nobody anything.
  std::string message = job.status().message();
  const std::string noise = " (" + source + ":1)";
  for (size_t at; (at = message.find(noise)) != std::string::npos;) message.erase(at, noise.size());
  return Status(job.status().code(), message);
}

}  // namespace neuropart::op
