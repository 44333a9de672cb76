// Strategy auto: the split whose predicted step time (cost_model.h) is the shortest.
//
// The candidates, for P partitions and L layers:
//   - the neuron split: every layer split across all partitions by capacity (as balanced);
//   - the same with the output layer whole on partition 0, which then alone gathers the last
//     hidden layer and needs no softmax statistics exchange;
//   - for every S dividing P with 1 < S <= L: S pipeline stages of consecutive layers, each stage
//     neuron-split over P/S partitions (S = P: a pure layer pipeline). Every way of cutting the
//     layers into S stages is tried while there are at most 256, else the one cut that balances
//     the stages' multiply-adds.
// Candidates that leave a partition without neurons are dropped unless allowEmpty.
#ifndef NEUROPART_PLAN_AUTO_STRATEGY_H_
#define NEUROPART_PLAN_AUTO_STRATEGY_H_

#include <string>
#include <vector>

#include "neuropart/model/architecture.h"
#include "neuropart/plan/cost_model.h"
#include "neuropart/plan/distribution_spec.h"
#include "neuropart/plan/plan.h"
#include "neuropart/status.h"

namespace neuropart {

struct AutoCandidate {
  std::string split;  // e.g. "neuron", "stages h1 | h2 out (1 partition each)"
  Plan plan;          // strategy auto
  StepPrediction prediction;
};

// All candidates for spec (strategy is ignored; partitions, capacities, allowEmpty and costs are
// used), fastest first; among equal predictions the earlier in the list above.
StatusOr<std::vector<AutoCandidate>> RankAutoCandidates(const Architecture& arch,
                                                        const DistributionSpec& spec);

}  // namespace neuropart

#endif  // NEUROPART_PLAN_AUTO_STRATEGY_H_
