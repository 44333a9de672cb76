// The yaml-cpp adapter for plans: the only plan file that may see a yaml-cpp exception.
#include "neuropart/plan/plan_io.h"

#include <yaml-cpp/yaml.h>

#include <sstream>

namespace neuropart {
namespace {

std::string ConnectivityJson(const Connectivity& c) {
  if (c.type == Connectivity::Type::kDense) return "{\"type\": \"dense\"}";
  return "{\"type\": \"sparse\", \"fanIn\": " + std::to_string(c.fan_in) +
         ", \"seed\": " + std::to_string(c.seed) + "}";
}

std::string LayerJson(const LayerSpec& l) {
  return "{\"name\": \"" + l.name + "\", \"neurons\": " + std::to_string(l.neurons) +
         ", \"activation\": \"" + std::string(ActivationName(l.activation)) +
         "\", \"connectivity\": " + ConnectivityJson(l.connectivity) + "}";
}

std::string RangesJson(const std::vector<OwnedRange>& ranges) {
  std::string out = "[";
  for (size_t i = 0; i < ranges.size(); ++i) {
    if (i) out += ", ";
    out += "[" + std::to_string(ranges[i].begin) + ", " + std::to_string(ranges[i].end) + ", " +
           std::to_string(ranges[i].partition) + "]";
  }
  return out + "]";
}

// Both formats share this writer: YAML block style at the top, JSON flow style inside, so the
// YAML stays readable and the JSON is the same text with braces around it.
std::string Render(const Plan& plan, bool json) {
  const Architecture& a = plan.architecture();
  std::ostringstream o;
  const char* sep = json ? ",\n  " : "\n";
  auto key = [&](const char* k) { return json ? "\"" + std::string(k) + "\": " : k + std::string(": "); };
  o << (json ? "{\n  " : "");
  o << key("apiVersion") << "\"neuropart.io/v1alpha1\"" << sep;
  o << key("kind") << "\"Plan\"" << sep;
  o << key("hash") << "\"" << plan.HashHex() << "\"" << sep;
  o << key("partitions") << plan.num_partitions() << sep;
  o << key("strategy") << "\"" << StrategyName(plan.strategy()) << "\"" << sep;
  o << key("inputSize") << a.input_size << sep;
  o << key("layers") << "[";
  for (int l = 0; l < a.num_layers(); ++l) o << (l ? ",\n    " : "\n    ") << LayerJson(a.layers[l]);
  o << "]" << sep;
  o << key("ownership") << "[";
  for (int l = 0; l < a.num_layers(); ++l) {
    o << (l ? ",\n    " : "\n    ") << RangesJson(plan.Ranges(l));
  }
  o << "]" << (json ? "\n}\n" : "\n");
  return o.str();
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

std::string PlanToYaml(const Plan& plan) { return Render(plan, false); }
std::string PlanToJson(const Plan& plan) { return Render(plan, true); }

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
