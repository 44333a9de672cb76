#include "neuropart/plan/distribution_spec.h"

namespace neuropart {

StatusOr<Strategy> ParseStrategy(std::string_view name) {
  if (name == "count") return Strategy::kCount;
  if (name == "percentage") return Strategy::kPercentage;
  if (name == "identifiers") return Strategy::kIdentifiers;
  if (name == "layers") return Strategy::kLayers;
  if (name == "balanced") return Strategy::kBalanced;
  if (name == "auto") return Strategy::kAuto;
  return InvalidArgumentError("unknown strategy \"" + std::string(name) +
                              "\" (want count, percentage, identifiers, layers, balanced or auto)");
}

std::string_view StrategyName(Strategy s) {
  switch (s) {
    case Strategy::kCount:
      return "count";
    case Strategy::kPercentage:
      return "percentage";
    case Strategy::kIdentifiers:
      return "identifiers";
    case Strategy::kLayers:
      return "layers";
    case Strategy::kBalanced:
      return "balanced";
    case Strategy::kAuto:
      return "auto";
  }
  return "?";
}

StatusOr<Scope> ParseScope(std::string_view name) {
  if (name == "global") return Scope::kGlobal;
  if (name == "perLayer") return Scope::kPerLayer;
  return InvalidArgumentError("unknown scope \"" + std::string(name) +
                              "\" (want global or perLayer)");
}

std::string_view ScopeName(Scope s) { return s == Scope::kGlobal ? "global" : "perLayer"; }

}  // namespace neuropart
