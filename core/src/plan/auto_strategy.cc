#include "neuropart/plan/auto_strategy.h"

#include <algorithm>
#include <numeric>

#include "neuropart/plan/distributor.h"

namespace neuropart {
namespace {

constexpr int kMaxCutsTried = 256;

// Layer l of `counts` (layer-major, P per layer) split over partitions [first, first + size).
void SplitOver(int64_t neurons, int first, int size, const std::vector<double>& capacities,
               std::vector<int64_t>* layer_counts) {
  const std::vector<double> weights(capacities.begin() + first, capacities.begin() + first + size);
  const std::vector<int64_t> parts = LargestRemainder(neurons, weights);
  for (int i = 0; i < size; ++i) (*layer_counts)[first + i] = parts[i];
}

double Binomial(int n, int k) {
  double c = 1;
  for (int i = 1; i <= k; ++i) c = c * (n - k + i) / i;
  return c;
}

// Every way to cut layers 0..L-1 into S non-empty runs, as the first layer of stages 1..S-1.
void AllCuts(int L, int S, std::vector<int>* cut, std::vector<std::vector<int>>* out) {
  if (static_cast<int>(cut->size()) == S - 1) {
    out->push_back(*cut);
    return;
  }
  const int from = cut->empty() ? 1 : cut->back() + 1;
  const int stages_left = S - 1 - static_cast<int>(cut->size());
  for (int c = from; c <= L - stages_left; ++c) {
    cut->push_back(c);
    AllCuts(L, S, cut, out);
    cut->pop_back();
  }
}

// The cut whose stages' multiply-adds are closest to equal, greedily along the prefix sums.
std::vector<int> BalancedCut(const Architecture& arch, int S) {
  std::vector<double> prefix(arch.num_layers() + 1, 0);
  for (int l = 0; l < arch.num_layers(); ++l) {
    prefix[l + 1] = prefix[l] + static_cast<double>(arch.layers[l].neurons) * arch.FanIn(l);
  }
  std::vector<int> cut;
  for (int s = 1; s < S; ++s) {
    const double target = prefix.back() * s / S;
    int c = static_cast<int>(std::lower_bound(prefix.begin(), prefix.end(), target) - prefix.begin());
    const int lo = cut.empty() ? 1 : cut.back() + 1;
    const int hi = arch.num_layers() - (S - s);
    cut.push_back(std::clamp(c, lo, hi));
  }
  return cut;
}

std::string Describe(const Architecture& arch, const std::vector<int>& cut, int per_stage) {
  std::string s = "stages";
  for (int l = 0, stage = 0; l < arch.num_layers(); ++l) {
    if (stage < static_cast<int>(cut.size()) && cut[stage] == l) {
      s += " |";
      ++stage;
    }
    s += " " + arch.layers[l].name;
  }
  return s + " (" + std::to_string(per_stage) + (per_stage == 1 ? " partition" : " partitions") +
         " each)";
}

struct Split {
  std::string name;
  std::vector<int64_t> counts;  // layer-major, P per layer
};

std::vector<Split> Splits(const Architecture& arch, int P, const std::vector<double>& capacities) {
  const int L = arch.num_layers();
  std::vector<Split> splits;
  auto stages = [&](const std::string& name, const std::vector<int>& cut, int per_stage) {
    Split s{name, std::vector<int64_t>(static_cast<size_t>(L) * P, 0)};
    for (int l = 0, stage = 0; l < L; ++l) {
      while (stage < static_cast<int>(cut.size()) && cut[stage] <= l) ++stage;
      std::vector<int64_t> layer(P, 0);
      SplitOver(arch.layers[l].neurons, stage * per_stage, per_stage, capacities, &layer);
      std::copy(layer.begin(), layer.end(), s.counts.begin() + static_cast<size_t>(l) * P);
    }
    splits.push_back(std::move(s));
  };
  stages("neuron", {}, P);
  if (P > 1 && L > 1) {
    Split s = splits.back();
    s.name = "neuron, output on partition 0";
    std::fill(s.counts.end() - P, s.counts.end(), 0);
    s.counts[static_cast<size_t>(L - 1) * P] = arch.layers.back().neurons;
    splits.push_back(std::move(s));
  }
  for (int S = 2; S <= std::min(P, L); ++S) {
    if (P % S != 0) continue;
    std::vector<std::vector<int>> cuts;
    if (Binomial(L - 1, S - 1) <= kMaxCutsTried) {
      std::vector<int> cut;
      AllCuts(L, S, &cut, &cuts);
    } else {
      cuts.push_back(BalancedCut(arch, S));
    }
    for (const std::vector<int>& cut : cuts) stages(Describe(arch, cut, P / S), cut, P / S);
  }
  return splits;
}

}  // namespace

StatusOr<std::vector<AutoCandidate>> RankAutoCandidates(const Architecture& arch,
                                                        const DistributionSpec& spec) {
  // Validates partitions and capacities the way balanced does.
  DistributionSpec balanced = spec;
  balanced.strategy = Strategy::kBalanced;
  balanced.allow_empty = true;
  RETURN_IF_ERROR(Distribute(arch, balanced).status());
  std::vector<double> capacities = spec.capacities;
  if (capacities.empty()) capacities.assign(spec.partitions, 1.0);

  StepCostOptions costs = spec.costs;
  costs.capacities = capacities;
  std::vector<AutoCandidate> out;
  for (Split& split : Splits(arch, spec.partitions, capacities)) {
    DistributionSpec counted = spec;
    counted.strategy = Strategy::kCount;
    counted.scope = Scope::kPerLayer;
    counted.counts = std::move(split.counts);
    StatusOr<Plan> plan = Distribute(arch, counted);
    if (!plan.ok()) continue;  // a partition left empty
    std::vector<std::vector<OwnedRange>> ranges;
    for (int l = 0; l < arch.num_layers(); ++l) ranges.push_back(plan->Ranges(l));
    ASSIGN_OR_RETURN(Plan chosen, Plan::Create(arch, spec.partitions, Strategy::kAuto, ranges));
    StepPrediction prediction = PredictStep(chosen, costs);
    out.push_back({std::move(split.name), std::move(chosen), std::move(prediction)});
  }
  if (out.empty()) {
    return InvalidArgumentError(
        "spec.distribution.partitions: every split auto considers leaves a partition without "
        "neurons (set spec.distribution.allowEmpty: true to allow idle partitions)");
  }
  std::stable_sort(out.begin(), out.end(), [](const AutoCandidate& a, const AutoCandidate& b) {
    return a.prediction.step_seconds < b.prediction.step_seconds;
  });
  return out;
}

}  // namespace neuropart
