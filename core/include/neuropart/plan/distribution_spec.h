// DistributionSpec: what the user asked the Neuron Distributor for (spec.distribution).
// Plain value type, filled by the job-file parser or the operator's CR decoder.
#ifndef NEUROPART_PLAN_DISTRIBUTION_SPEC_H_
#define NEUROPART_PLAN_DISTRIBUTION_SPEC_H_

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "neuropart/plan/step_costs.h"
#include "neuropart/status.h"

namespace neuropart {

enum class Strategy { kCount, kPercentage, kIdentifiers, kLayers, kBalanced, kAuto };
enum class Scope { kGlobal, kPerLayer };

StatusOr<Strategy> ParseStrategy(std::string_view name);
std::string_view StrategyName(Strategy s);
StatusOr<Scope> ParseScope(std::string_view name);
std::string_view ScopeName(Scope s);

struct DistributionSpec {
  int partitions = 1;
  Strategy strategy = Strategy::kBalanced;
  Scope scope = Scope::kGlobal;
  // count: `partitions` entries (global), or layers x partitions entries, layer-major (perLayer).
  std::vector<int64_t> counts;
  // percentage: `partitions` shares summing to 100.
  std::vector<double> percentages;
  // identifiers: per partition, items like "h1:17", "h1:0-511" (inclusive) or "out:*".
  std::vector<std::vector<std::string>> identifiers;
  // layers: per partition, the names of the whole layers it owns.
  std::vector<std::vector<std::string>> layers;
  // balanced and auto: relative worker speeds, `partitions` entries > 0 (empty = all equal).
  std::vector<double> capacities;
  // auto: the step and machine the split is chosen for (the batch, micro-batches and wire width
  // come from spec.training; the machine from a calibration or the defaults). `capacities` above
  // is used, not costs.capacities.
  StepCostOptions costs;
  // Allow a partition that owns no neuron at all.
  bool allow_empty = false;
};

}  // namespace neuropart

#endif  // NEUROPART_PLAN_DISTRIBUTION_SPEC_H_
