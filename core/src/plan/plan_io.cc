// The yaml-cpp adapter for plans: the only plan file that may see a yaml-cpp exception. Plans are
// written as neuropart::Json documents.
#include "neuropart/plan/plan_io.h"

#include <yaml-cpp/yaml.h>

#include "neuropart/base/json.h"

namespace neuropart {
namespace {

Json ConnectivityJson(const Connectivity& c) {
  if (c.type == Connectivity::Type::kDense) return Json::object({{"type", "dense"}});
  return Json::object({{"type", "sparse"}, {"fanIn", c.fan_in}, {"seed", c.seed}});
}

Json LayerJson(const LayerSpec& l) {
  return Json::object({{"name", l.name},
                       {"neurons", l.neurons},
                       {"activation", ActivationName(l.activation)},
                       {"connectivity", ConnectivityJson(l.connectivity)}});
}

Json RangesJson(const std::vector<OwnedRange>& ranges) {
  Json out = Json::array();
  for (const OwnedRange& r : ranges) out.push_back(Json::array({r.begin, r.end, r.partition}));
  return out;
}

// Both formats share this document: JSON prints it whole, YAML in block style at the top and
// JSON flow style inside (one layer or one layer's ranges a line), so the YAML stays readable.
Json PlanDocument(const Plan& plan) {
  const Architecture& a = plan.architecture();
  Json layers = Json::array();
  Json ownership = Json::array();
  for (int l = 0; l < a.num_layers(); ++l) {
    layers.push_back(LayerJson(a.layers[l]));
    ownership.push_back(RangesJson(plan.Ranges(l)));
  }
  return Json::object({{"apiVersion", "neuropart.io/v1alpha1"},
                       {"kind", "Plan"},
                       {"hash", plan.HashHex()},
                       {"partitions", plan.num_partitions()},
                       {"strategy", StrategyName(plan.strategy())},
                       {"inputSize", a.input_size},
                       {"layers", std::move(layers)},
                       {"ownership", std::move(ownership)}});
}

StatusOr<Plan> Decode(const YAML::Node& doc) {
  if (doc["kind"].as<std::string>("") != "Plan") {
    return InvalidArgumentError("kind: want \"Plan\"");
  }
  Architecture arch;
  arch.input_size = doc["inputSize"].as<int64_t>();
  for (const YAML::Node& n : doc["layers"]) {
    LayerSpec layer;
    layer.name = n["name"].as<std::string>();
    layer.neurons = n["neurons"].as<int64_t>();
    ASSIGN_OR_RETURN(layer.activation, ParseActivation(n["activation"].as<std::string>()));
    const YAML::Node c = n["connectivity"];
    if (c["type"].as<std::string>() == "sparse") {
      layer.connectivity = {Connectivity::Type::kSparse, c["fanIn"].as<int64_t>(),
                            c["seed"].as<uint64_t>()};
    }
    arch.layers.push_back(layer);
  }
  std::vector<std::vector<OwnedRange>> ranges;
  for (const YAML::Node& layer : doc["ownership"]) {
    ranges.emplace_back();
    for (const YAML::Node& r : layer) {
      ranges.back().push_back({r[0].as<int64_t>(), r[1].as<int64_t>(), r[2].as<int>()});
    }
  }
  ASSIGN_OR_RETURN(Strategy strategy, ParseStrategy(doc["strategy"].as<std::string>()));
  ASSIGN_OR_RETURN(Plan plan,
                   Plan::Create(std::move(arch), doc["partitions"].as<int>(), strategy, ranges));
  const std::string want = doc["hash"].as<std::string>("");
  if (want != plan.HashHex()) {
    return CorruptionError("hash: the document says " + want + " but its content hashes to " +
                           plan.HashHex());
  }
  return plan;
}

}  // namespace

std::string PlanToYaml(const Plan& plan) {
  const Json doc = PlanDocument(plan);
  std::string out;
  for (const auto& [key, value] : Members(doc)) {
    out += key + ":";
    if (!value.is_array()) {
      out += " " + DumpJson(value) + "\n";
      continue;
    }
    const Json::array_t& lines = Elements(value);
    for (size_t i = 0; i < lines.size(); ++i) {
      out += (i ? ",\n    " : " [\n    ") + DumpJson(lines[i]);
    }
    out += lines.empty() ? " []\n" : "]\n";
  }
  return out;
}

std::string PlanToJson(const Plan& plan) { return DumpJson(PlanDocument(plan)) + "\n"; }

std::string PlanReportToJson(const Plan& plan, const std::vector<PartitionStats>& stats,
                             const TrafficOptions& traffic) {
  Json partitions = Json::array();
  for (size_t p = 0; p < stats.size(); ++p) {
    const PartitionStats& s = stats[p];
    partitions.push_back(Json::object({{"partition", p},
                                       {"neuronsPerLayer", s.neurons_per_layer},
                                       {"neurons", s.neurons},
                                       {"parameters", s.parameters},
                                       {"localInputs", s.local_inputs},
                                       {"remoteInputs", s.remote_inputs},
                                       {"bytesSent", s.bytes_sent},
                                       {"bytesReceived", s.bytes_received},
                                       {"messagesSent", s.messages_sent},
                                       {"messagesReceived", s.messages_received}}));
  }
  return DumpJson(Json::object(
             {{"plan", PlanDocument(plan)},
              {"traffic", Json::object({{"batchSize", traffic.batch_size},
                                        {"microBatches", traffic.micro_batches}})},
              {"partitions", std::move(partitions)}})) +
         "\n";
}

StatusOr<Plan> PlanFromText(const std::string& text, const std::string& source) {
  try {
    StatusOr<Plan> plan = Decode(YAML::Load(text));
    if (!plan.ok()) return plan.status().WithContext(source);
    return plan;
  } catch (const YAML::Exception& e) {
    return CorruptionError(source + ":" + std::to_string(e.mark.line + 1) + ": " + e.msg);
  }
}

}  // namespace neuropart
