#include "controller/drift.h"

namespace neuropart::op {
namespace {

// The merge patch setting the keys of `desired` that `observed` lacks or holds otherwise.
std::optional<Json> MapPatch(const std::map<std::string, std::string>& observed,
                             const Json* desired) {
  if (desired == nullptr) return std::nullopt;
  Json patch = Json::Object();
  bool drifted = false;
  for (const auto& [key, value] : desired->members()) {
    auto it = observed.find(key);
    if (it != observed.end() && it->second == value.string()) continue;
    patch[key] = value;
    drifted = true;
  }
  return drifted ? std::optional<Json>(std::move(patch)) : std::nullopt;
}

}  // namespace

bool Covers(const Json& observed, const Json& desired) {
  if (desired.is_object()) {
    if (!observed.is_object()) return false;
    for (const auto& [key, value] : desired.members()) {
      const Json* got = observed.Find(key);
      if (got == nullptr || !Covers(*got, value)) return false;
    }
    return true;
  }
  if (desired.is_array()) {
    if (!observed.is_array() || observed.elements().size() != desired.elements().size()) {
      return false;
    }
    for (size_t i = 0; i < desired.elements().size(); ++i) {
      if (!Covers(observed.elements()[i], desired.elements()[i])) return false;
    }
    return true;
  }
  return observed == desired;
}

std::optional<Json> DriftPatch(const ObservedObject& observed, const Json& desired) {
  Json patch = Json::Object();
  Json meta = Json::Object();
  if (auto labels = MapPatch(observed.labels, desired.At({"metadata", "labels"}))) {
    meta["labels"] = std::move(*labels);
  }
  if (auto annotations = MapPatch(observed.annotations, desired.At({"metadata", "annotations"}))) {
    meta["annotations"] = std::move(*annotations);
  }
  if (!meta.members().empty()) patch["metadata"] = std::move(meta);
  if (const Json* spec = desired.Find("spec"); spec != nullptr && !Covers(observed.spec, *spec)) {
    patch["spec"] = *spec;  // arrays (ports, ingress rules) are replaced whole by a merge patch
  }
  if (const Json* data = desired.Find("data"); data != nullptr && !(observed.data == *data)) {
    Json d = *data;
    if (observed.data.is_object()) {
      for (const auto& [key, value] : observed.data.members()) {
        if (d.Find(key) == nullptr) d[key] = nullptr;  // a key we do not publish is removed
      }
    }
    patch["data"] = std::move(d);
  }
  if (patch.members().empty()) return std::nullopt;
  return patch;
}

}  // namespace neuropart::op
