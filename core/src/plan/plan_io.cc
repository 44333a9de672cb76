// Plans are written as neuropart::Json documents and read back with YamlReader (a plan.yaml is
// YAML whose values are JSON flow collections; the JSON form is YAML too).
#include "neuropart/plan/plan_io.h"

#include "neuropart/base/json.h"
#include "neuropart/yaml/yaml_reader.h"

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

StatusOr<LayerSpec> DecodeLayer(const YamlReader& n) {
  LayerSpec layer;
  std::string activation, type;
  RETURN_IF_ERROR(n.Required("name", &layer.name));
  RETURN_IF_ERROR(n.Required("neurons", &layer.neurons));
  RETURN_IF_ERROR(n.Required("activation", &activation));
  ASSIGN_OR_RETURN(layer.activation, ParseActivation(activation));
  const YamlReader c = n.Child("connectivity");
  RETURN_IF_ERROR(c.Required("type", &type));
  if (type == "sparse") {
    int64_t fan_in = 0;
    uint64_t seed = 0;
    RETURN_IF_ERROR(c.Required("fanIn", &fan_in));
    if (!c.Has("seed")) return c.Error("seed: is required");
    RETURN_IF_ERROR(c.Optional("seed", &seed));
    layer.connectivity = {Connectivity::Type::kSparse, fan_in, seed};
  }
  return layer;
}

StatusOr<Plan> Decode(const YamlReader& doc) {
  std::string kind, strategy_name, want;
  RETURN_IF_ERROR(doc.Optional("kind", &kind));
  if (kind != "Plan") return InvalidArgumentError("kind: want \"Plan\"");
  Architecture arch;
  RETURN_IF_ERROR(doc.Required("inputSize", &arch.input_size));
  ASSIGN_OR_RETURN(std::vector<YamlReader> layers, doc.Child("layers").Items());
  for (const YamlReader& n : layers) {
    ASSIGN_OR_RETURN(LayerSpec layer, DecodeLayer(n));
    arch.layers.push_back(std::move(layer));
  }
  std::vector<std::vector<OwnedRange>> ranges;
  ASSIGN_OR_RETURN(std::vector<YamlReader> ownership, doc.Child("ownership").Items());
  for (const YamlReader& layer : ownership) {
    ranges.emplace_back();
    ASSIGN_OR_RETURN(std::vector<YamlReader> triples, layer.Items());
    for (const YamlReader& r : triples) {
      ASSIGN_OR_RETURN(std::vector<YamlReader> v, r.Items());
      if (v.size() != 3) return r.Error("must be [begin, end, partition]");
      ASSIGN_OR_RETURN(int64_t begin, v[0].AsInt());
      ASSIGN_OR_RETURN(int64_t end, v[1].AsInt());
      ASSIGN_OR_RETURN(int64_t partition, v[2].AsInt());
      ranges.back().push_back({begin, end, static_cast<int>(partition)});
    }
  }
  int64_t partitions = 0;
  RETURN_IF_ERROR(doc.Required("partitions", &partitions));
  RETURN_IF_ERROR(doc.Required("strategy", &strategy_name));
  ASSIGN_OR_RETURN(Strategy strategy, ParseStrategy(strategy_name));
  ASSIGN_OR_RETURN(Plan plan, Plan::Create(std::move(arch), static_cast<int>(partitions), strategy,
                                           ranges));
  RETURN_IF_ERROR(doc.Optional("hash", &want));
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

Json PlanReport(const Plan& plan, const std::vector<PartitionStats>& stats,
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
  return Json::object({{"plan", PlanDocument(plan)},
                       {"traffic", Json::object({{"batchSize", traffic.batch_size},
                                                 {"microBatches", traffic.micro_batches}})},
                       {"partitions", std::move(partitions)}});
}

std::string PlanReportToJson(const Plan& plan, const std::vector<PartitionStats>& stats,
                             const TrafficOptions& traffic) {
  return DumpJson(PlanReport(plan, stats, traffic)) + "\n";
}

StatusOr<Plan> PlanFromText(const std::string& text, const std::string& source) {
  SourceMap where{source, {}};
  StatusOr<YamlReader> doc = YamlReader::Parse(text, &where);
  // A plan is written by the distributor, never by hand: text that does not read is damage.
  if (!doc.ok()) return CorruptionError(doc.status().message());
  StatusOr<Plan> plan = Decode(*doc);
  if (!plan.ok()) return plan.status().WithContext(source);
  return plan;
}

}  // namespace neuropart
