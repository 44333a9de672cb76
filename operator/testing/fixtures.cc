#include "testing/fixtures.h"

#include <algorithm>
#include <cassert>

#include "controller/naming.h"

namespace neuropart::op::testing {
namespace {

Json Layer(const char* name, int neurons, const char* activation) {
  return Json::object({{"name", name}, {"neurons", neurons}, {"activation", activation}});
}

Json StringLists(const std::vector<std::vector<std::string>>& lists) {
  Json out = Json::array();
  for (const auto& list : lists) {
    Json l = Json::array();
    for (const std::string& s : list) l.push_back(s);
    out.push_back(std::move(l));
  }
  return out;
}

// Applies a JSON merge patch's members to a string map (null removes).
void MergeStrings(std::map<std::string, std::string>* m, const Json* patch) {
  if (patch == nullptr) return;
  for (const auto& [k, v] : Members(*patch)) {
    if (v.is_null()) {
      m->erase(k);
    } else {
      (*m)[k] = AsString(v);
    }
  }
}

}  // namespace

NeuralPartitionBuilder::NeuralPartitionBuilder(std::string name) {
  np_.metadata.name = std::move(name);
  np_.metadata.namespace_name = "ml";
  np_.metadata.uid = "uid-" + np_.metadata.name;
  np_.metadata.generation = 1;
  np_.spec = Json::object(
      {{"mode", "train"},
       {"model",
        Json::object({{"inputSize", 8},
                      {"init", Json::object({{"seed", 7}})},
                      {"layers", Json::array({Layer("h1", 16, "relu"), Layer("h2", 8, "relu"),
                                              Layer("out", 4, "softmax")})}})},
       {"training",
        Json::object(
            {{"dataset", Json::object({{"format", "synthetic"}, {"samples", 64}, {"seed", 1}})},
             {"epochs", 1},
             {"batchSize", 16},
             {"optimizer", Json::object({{"type", "sgd"}, {"learningRate", 0.1}})}})},
       {"storage", Json::object({{"persistentVolumeClaim", Json::object({{"claimName", "store"}})},
                                 {"subPath", "jobs"}})},
       {"backoffLimit", 3}});
}

NeuralPartitionBuilder& NeuralPartitionBuilder::Namespace(std::string ns) {
  np_.metadata.namespace_name = std::move(ns);
  return *this;
}
NeuralPartitionBuilder& NeuralPartitionBuilder::Partitions(int p) {
  partitions_ = p;
  return *this;
}
NeuralPartitionBuilder& NeuralPartitionBuilder::Strategy(std::string strategy) {
  strategy_ = std::move(strategy);
  return *this;
}
NeuralPartitionBuilder& NeuralPartitionBuilder::Mode(std::string mode) {
  np_.spec["mode"] = std::move(mode);
  if (GetString(np_.spec, "mode") == "serve") EraseMember(&np_.spec, "training");
  return *this;
}
NeuralPartitionBuilder& NeuralPartitionBuilder::BackoffLimit(int limit) {
  np_.spec["backoffLimit"] = limit;
  return *this;
}
NeuralPartitionBuilder& NeuralPartitionBuilder::Generation(int64_t generation) {
  np_.metadata.generation = generation;
  return *this;
}
NeuralPartitionBuilder& NeuralPartitionBuilder::Epochs(int epochs) {
  np_.spec["training"]["epochs"] = epochs;
  return *this;
}
NeuralPartitionBuilder& NeuralPartitionBuilder::Claim(std::string claim, std::string sub_path) {
  np_.spec["storage"] =
      Json::object({{"persistentVolumeClaim", Json::object({{"claimName", std::move(claim)}})},
                    {"subPath", std::move(sub_path)}});
  return *this;
}
NeuralPartitionBuilder& NeuralPartitionBuilder::WorkerImage(std::string image) {
  np_.spec["worker"]["image"] = std::move(image);
  return *this;
}
NeuralPartitionBuilder& NeuralPartitionBuilder::Uid(std::string uid) {
  np_.metadata.uid = std::move(uid);
  return *this;
}
NeuralPartitionBuilder& NeuralPartitionBuilder::Deleting() {
  np_.metadata.deleting = true;
  return *this;
}
NeuralPartitionBuilder& NeuralPartitionBuilder::SpecField(const std::string& key, Json value) {
  np_.spec[key] = std::move(value);
  return *this;
}

NeuralPartition NeuralPartitionBuilder::Obj() const {
  NeuralPartition np = np_;
  Json d = Json::object({{"partitions", partitions_}, {"strategy", strategy_}});
  const int p = partitions_;
  if (strategy_ == "layers") {
    assert(p >= 1 && p <= 3);
    const std::vector<std::vector<std::vector<std::string>>> by_p = {
        {{"h1", "h2", "out"}}, {{"h1"}, {"h2", "out"}}, {{"h1"}, {"h2"}, {"out"}}};
    d["layers"] = StringLists(by_p[p - 1]);
  } else if (strategy_ == "count") {
    const int total = 16 + 8 + 4;
    Json counts = Json::array();
    for (int q = 0; q < p; ++q) counts.push_back(total / p + (q < total % p ? 1 : 0));
    d["counts"] = std::move(counts);
  } else if (strategy_ == "percentage") {
    Json shares = Json::array();
    for (int q = 0; q < p; ++q) shares.push_back(100.0 / p);
    d["percentages"] = std::move(shares);
  }
  np.spec["distribution"] = std::move(d);
  return np;
}

NeuralPartitionBuilder MakeNeuralPartition(std::string name) {
  return NeuralPartitionBuilder(std::move(name));
}

std::string FakeCluster::KindOf(const std::vector<ObservedObject>& objects) const {
  if (&objects == &state_.config_maps) return "ConfigMap";
  if (&objects == &state_.services) return "Service";
  if (&objects == &state_.secrets) return "Secret";
  return "NetworkPolicy";
}

// RFC 7386 on the fields ObservedObject keeps: maps merge key by key, spec members and arrays
// are replaced.
void FakeCluster::MergePatch(ObservedObject* o, const Json& patch) {
  MergeStrings(&o->labels, AtPath(patch, {"metadata", "labels"}));
  MergeStrings(&o->annotations, AtPath(patch, {"metadata", "annotations"}));
  if (const Json* data = FindMember(patch, "data")) {
    for (const auto& [k, v] : Members(*data)) {
      if (v.is_null()) {
        EraseMember(&o->data, k);
      } else {
        o->data[k] = v;
      }
    }
  }
  if (const Json* spec = FindMember(patch, "spec")) {
    for (const auto& [k, v] : Members(*spec)) o->spec[k] = v;
  }
}

StatusOr<std::map<std::string, std::string>> FakeKeys(int partitions) {
  std::map<std::string, std::string> files{{"public.keys", ""}, {"status.token", "token\n"}};
  for (int q = 0; q < partitions; ++q) {
    files["public.keys"] += "partition-" + std::to_string(q) + " key" + std::to_string(q) + "\n";
    files["partition-" + std::to_string(q) + ".secret"] = "secret" + std::to_string(q) + "\n";
  }
  return files;
}

ReconcileResult FakeCluster::Reconcile(const ReconcileOptions& options, const Clock& clock) {
  ReconcileResult r = op::Reconcile(state_, options, clock);
  now_ = FormatTime(clock.Now());
  Apply(r);
  return r;
}

void FakeCluster::Apply(const ReconcileResult& result) {
  for (const Action& a : result.actions) {
    switch (a.type) {
      case Action::Type::kCreate:
        created_.emplace_back(a.kind + "/" + a.name, a.object);
        if (a.kind == "Pod") {
          if (Pod(a.name) == nullptr) {
            state_.pods.push_back(PodFromJson(a.object));
            state_.pods.back().created = now_;  // the API server sets creationTimestamp
          }
        } else if (a.kind == "ConfigMap") {
          state_.config_maps.push_back(ObjectFromJson(a.object));
        } else if (a.kind == "Service") {
          state_.services.push_back(ObjectFromJson(a.object));
        } else if (a.kind == "NetworkPolicy") {
          state_.network_policies.push_back(ObjectFromJson(a.object));
        } else if (a.kind == "Secret") {
          state_.secrets.push_back(ObjectFromJson(a.object));
        }
        break;
      case Action::Type::kDelete: {
        auto& pods = state_.pods;
        if (a.kind == "Pod" && graceful_) {
          if (ObservedPod* p = Pod(a.name)) p->deleting = true;
          break;
        }
        auto by_name = [&](const auto& o) { return o.name == a.name; };
        if (a.kind == "Pod")
          pods.erase(std::remove_if(pods.begin(), pods.end(), by_name), pods.end());
        auto& services = state_.services;
        if (a.kind == "Service") {
          services.erase(std::remove_if(services.begin(), services.end(), by_name), services.end());
        }
        auto& secrets = state_.secrets;
        if (a.kind == "Secret") {
          secrets.erase(std::remove_if(secrets.begin(), secrets.end(), by_name), secrets.end());
        }
        break;
      }
      case Action::Type::kPatch:
        ++patches_;
        for (auto* objects : {&state_.config_maps, &state_.services, &state_.network_policies}) {
          for (ObservedObject& o : *objects) {
            if (o.name == a.name && KindOf(*objects) == a.kind) MergePatch(&o, a.object);
          }
        }
        break;
      case Action::Type::kUpdateStatus:
        state_.resource.status = a.status;
        ++status_writes_;
        break;
      case Action::Type::kEvent:
        events_.push_back(GetString(a.object, "type") + " " + GetString(a.object, "reason"));
        break;
    }
  }
}

ObservedPod* FakeCluster::Pod(const std::string& name) {
  for (ObservedPod& p : state_.pods) {
    if (p.name == name) return &p;
  }
  return nullptr;
}

const ObservedObject* FakeCluster::ConfigMap() const {
  for (const ObservedObject& cm : state_.config_maps) {
    if (cm.name == ConfigMapName(state_.resource.metadata.name)) return &cm;
  }
  return nullptr;
}

const Json* FakeCluster::Created(const std::string& kind, const std::string& name) const {
  for (auto it = created_.rbegin(); it != created_.rend(); ++it) {
    if (it->first == kind + "/" + name) return &it->second;
  }
  return nullptr;
}

void FakeCluster::SetAllPods(const std::string& phase, bool ready) {
  for (ObservedPod& p : state_.pods) {
    p.phase = phase;
    p.ready = ready;
  }
}

void FakeCluster::SetPod(int partition, const std::string& phase, bool ready,
                         const std::string& message) {
  ObservedPod* p = Pod(PodName(state_.resource.metadata.name, partition));
  assert(p != nullptr);
  p->phase = phase;
  p->ready = ready;
  p->message = message;
}

ObservedPod* FakeCluster::PodOf(int partition) {
  return Pod(PodName(state_.resource.metadata.name, partition));
}

void FakeCluster::RemovePod(int partition) {
  const std::string name = PodName(state_.resource.metadata.name, partition);
  auto& pods = state_.pods;
  pods.erase(std::remove_if(pods.begin(), pods.end(),
                            [&](const ObservedPod& p) { return p.name == name; }),
             pods.end());
}

void FakeCluster::FinalizeDeletions() {
  auto& pods = state_.pods;
  pods.erase(
      std::remove_if(pods.begin(), pods.end(), [](const ObservedPod& p) { return p.deleting; }),
      pods.end());
}

}  // namespace neuropart::op::testing
