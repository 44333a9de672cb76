#include "controller/drift.h"

namespace neuropart::op {
namespace {

// The merge patch setting the keys of `desired` that `observed` lacks or holds otherwise.
std::optional<Json> MapPatch(const std::map<std::string, std::string>& observed,
                             const Json* desired) {
  if (desired == nullptr) return std::nullopt;
  Json patch = Json::object();
  bool drifted = false;
  for (const auto& [key, value] : Members(*desired)) {
    auto it = observed.find(key);
    if (it != observed.end() && it->second == AsString(value)) continue;
    patch[key] = value;
    drifted = true;
  }
  return drifted ? std::optional<Json>(std::move(patch)) : std::nullopt;
}

}  // namespace

bool Covers(const Json& observed, const Json& desired) {
  if (desired.is_object()) {
    if (!observed.is_object()) return false;
    for (const auto& [key, value] : Members(desired)) {
      const Json* got = FindMember(observed, key);
      if (got == nullptr || !Covers(*got, value)) return false;
    }
    return true;
  }
  if (desired.is_array()) {
    if (!observed.is_array() || Elements(observed).size() != Elements(desired).size()) {
      return false;
    }
    for (size_t i = 0; i < Elements(desired).size(); ++i) {
      if (!Covers(Elements(observed)[i], Elements(desired)[i])) return false;
    }
    return true;
  }
  return JsonEquals(observed, desired);
}

std::optional<Json> DriftPatch(const ObservedObject& observed, const Json& desired) {
  Json patch = Json::object();
  Json meta = Json::object();
  if (auto labels = MapPatch(observed.labels, AtPath(desired, {"metadata", "labels"}))) {
    meta["labels"] = std::move(*labels);
  }
  const Json* annotations_json = AtPath(desired, {"metadata", "annotations"});
  if (auto annotations = MapPatch(observed.annotations, annotations_json)) {
    meta["annotations"] = std::move(*annotations);
  }
  if (!Members(meta).empty()) patch["metadata"] = std::move(meta);
  const Json* spec = FindMember(desired, "spec");
  if (spec != nullptr && !Covers(observed.spec, *spec)) {
    patch["spec"] = *spec;  // arrays (ports, ingress rules) are replaced whole by a merge patch
  }
  const Json* data = FindMember(desired, "data");
  if (data != nullptr && !JsonEquals(observed.data, *data)) {
    Json d = *data;
    if (observed.data.is_object()) {
      for (const auto& [key, value] : Members(observed.data)) {
        if (FindMember(d, key) == nullptr) d[key] = nullptr;  // a key we do not publish is removed
      }
    }
    patch["data"] = std::move(d);
  }
  if (Members(patch).empty()) return std::nullopt;
  return patch;
}

}  // namespace neuropart::op
