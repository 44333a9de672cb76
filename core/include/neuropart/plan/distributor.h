// The Neuron Distributor: (architecture, DistributionSpec) -> Plan.
//
// Strategies (see DESIGN.md): count, percentage (global or per layer), identifiers, layers and
// balanced (per-layer split weighted by worker capacities). Every strategy yields ranges, so
// planning costs O(partitions x layers) except identifiers, which costs O(items log items).
// Errors are InvalidArgument with the field path under spec.distribution. Stateless; thread-safe.
#ifndef NEUROPART_PLAN_DISTRIBUTOR_H_
#define NEUROPART_PLAN_DISTRIBUTOR_H_

#include <string_view>

#include "neuropart/model/architecture.h"
#include "neuropart/plan/distribution_spec.h"
#include "neuropart/plan/plan.h"
#include "neuropart/status.h"

namespace neuropart {

StatusOr<Plan> Distribute(const Architecture& arch, const DistributionSpec& spec);

// Splits `total` into integer parts proportional to `weights` by largest remainder (ties go to
// the lower index), so the parts sum to `total` exactly. REQUIRES: weights non-empty, all > 0
// or all >= 0 with a positive sum.
std::vector<int64_t> LargestRemainder(int64_t total, const std::vector<double>& weights);

// One item of an identifiers list, resolved against the architecture: "h1:17", "h1:0-511"
// (inclusive) or "h1:*".
struct NeuronSelection {
  int layer = 0;
  int64_t begin = 0;
  int64_t end = 0;  // exclusive
};
StatusOr<NeuronSelection> ParseNeuronSelection(const Architecture& arch, std::string_view item);

}  // namespace neuropart

#endif  // NEUROPART_PLAN_DISTRIBUTOR_H_
