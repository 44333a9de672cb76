#include "neuropart/plan/distributor.h"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <numeric>
#include <string>

#include "neuropart/base/limits.h"
#include "neuropart/plan/auto_strategy.h"

namespace neuropart {
namespace {

using Ranges = std::vector<std::vector<OwnedRange>>;

const std::string kField = "spec.distribution.";

std::string Str(int64_t v) { return std::to_string(v); }

// Appends [begin, end) of `partition` to `out`, merging with the previous range when it continues.
void Append(std::vector<OwnedRange>& out, int64_t begin, int64_t end, int partition) {
  if (begin == end) return;
  if (!out.empty() && out.back().partition == partition && out.back().end == begin) {
    out.back().end = end;
  } else {
    out.push_back({begin, end, partition});
  }
}

// Gives partition p the next counts[p] neurons in global order (layer by layer).
Ranges FillGlobalOrder(const Architecture& arch, const std::vector<int64_t>& counts) {
  Ranges ranges(arch.num_layers());
  int l = 0;
  int64_t pos = 0;
  for (int p = 0; p < static_cast<int>(counts.size()); ++p) {
    int64_t left = counts[p];
    while (left > 0) {
      int64_t take = std::min(left, arch.layers[l].neurons - pos);
      Append(ranges[l], pos, pos + take, p);
      pos += take;
      left -= take;
      if (pos == arch.layers[l].neurons) {
        ++l;
        pos = 0;
      }
    }
  }
  return ranges;
}

// Splits one layer into contiguous parts of the given sizes, partition p taking sizes[p].
std::vector<OwnedRange> SplitLayer(const std::vector<int64_t>& sizes) {
  std::vector<OwnedRange> out;
  int64_t pos = 0;
  for (int p = 0; p < static_cast<int>(sizes.size()); ++p) {
    Append(out, pos, pos + sizes[p], p);
    pos += sizes[p];
  }
  return out;
}

Status CheckLength(const char* field, size_t got, size_t want, const std::string& what) {
  if (got == want) return Status::Ok();
  return InvalidArgumentError(kField + field + ": must have " + Str(want) + " entries (" + what +
                              "), got " + Str(got));
}

StatusOr<Ranges> ByCount(const Architecture& arch, const DistributionSpec& spec) {
  const size_t P = spec.partitions;
  for (size_t i = 0; i < spec.counts.size(); ++i) {
    if (spec.counts[i] < 0) {
      return InvalidArgumentError(kField + "counts[" + Str(i) + "]: must be >= 0, got " +
                                  Str(spec.counts[i]));
    }
  }
  if (spec.scope == Scope::kGlobal) {
    RETURN_IF_ERROR(CheckLength("counts", spec.counts.size(), P, "one per partition"));
    int64_t sum = std::accumulate(spec.counts.begin(), spec.counts.end(), int64_t{0});
    if (sum != arch.TotalNeurons()) {
      return InvalidArgumentError(kField + "counts: must sum to the model's " +
                                  Str(arch.TotalNeurons()) + " neurons, got " + Str(sum));
    }
    return FillGlobalOrder(arch, spec.counts);
  }
  RETURN_IF_ERROR(CheckLength("counts", spec.counts.size(), P * arch.num_layers(),
                              "partitions x layers, layer-major, for scope perLayer"));
  Ranges ranges;
  for (int l = 0; l < arch.num_layers(); ++l) {
    std::vector<int64_t> sizes(spec.counts.begin() + l * P, spec.counts.begin() + (l + 1) * P);
    int64_t sum = std::accumulate(sizes.begin(), sizes.end(), int64_t{0});
    if (sum != arch.layers[l].neurons) {
      return InvalidArgumentError(kField + "counts[" + Str(l * P) + ".." + Str((l + 1) * P - 1) +
                                  "]: layer " + arch.layers[l].name + " has " +
                                  Str(arch.layers[l].neurons) + " neurons, the counts sum to " +
                                  Str(sum));
    }
    ranges.push_back(SplitLayer(sizes));
  }
  return ranges;
}

StatusOr<Ranges> ByPercentage(const Architecture& arch, const DistributionSpec& spec) {
  RETURN_IF_ERROR(
      CheckLength("percentages", spec.percentages.size(), spec.partitions, "one per partition"));
  double sum = 0;
  for (size_t i = 0; i < spec.percentages.size(); ++i) {
    if (!(spec.percentages[i] >= 0)) {
      return InvalidArgumentError(kField + "percentages[" + Str(i) + "]: must be >= 0");
    }
    sum += spec.percentages[i];
  }
  if (std::fabs(sum - 100.0) > 1e-6) {
    char got[32];
    std::snprintf(got, sizeof(got), "%g", sum);
    return InvalidArgumentError(kField + "percentages: must sum to 100, got " + got);
  }
  if (spec.scope == Scope::kGlobal) {
    return FillGlobalOrder(arch, LargestRemainder(arch.TotalNeurons(), spec.percentages));
  }
  Ranges ranges;
  for (const LayerSpec& layer : arch.layers) {
    ranges.push_back(SplitLayer(LargestRemainder(layer.neurons, spec.percentages)));
  }
  return ranges;
}

StatusOr<Ranges> ByBalance(const Architecture& arch, const DistributionSpec& spec) {
  std::vector<double> weights = spec.capacities;
  if (weights.empty()) weights.assign(spec.partitions, 1.0);
  RETURN_IF_ERROR(CheckLength("capacities", weights.size(), spec.partitions, "one per partition"));
  for (size_t i = 0; i < weights.size(); ++i) {
    if (!(weights[i] > 0) || !std::isfinite(weights[i])) {
      return InvalidArgumentError(kField + "capacities[" + Str(i) + "]: must be > 0");
    }
  }
  Ranges ranges;
  for (const LayerSpec& layer : arch.layers) {
    ranges.push_back(SplitLayer(LargestRemainder(layer.neurons, weights)));
  }
  return ranges;
}

StatusOr<Ranges> ByLayers(const Architecture& arch, const DistributionSpec& spec) {
  RETURN_IF_ERROR(CheckLength("layers", spec.layers.size(), spec.partitions, "one per partition"));
  std::vector<int> owner(arch.num_layers(), -1);
  for (int p = 0; p < spec.partitions; ++p) {
    for (size_t i = 0; i < spec.layers[p].size(); ++i) {
      const std::string& name = spec.layers[p][i];
      const std::string where = kField + "layers[" + Str(p) + "][" + Str(i) + "]";
      std::optional<int> l = arch.FindLayer(name);
      if (!l) return InvalidArgumentError(where + ": unknown layer \"" + name + "\"");
      if (owner[*l] >= 0) {
        return InvalidArgumentError(where + ": layer " + name + " is already given to partition " +
                                    Str(owner[*l]));
      }
      owner[*l] = p;
    }
  }
  Ranges ranges(arch.num_layers());
  for (int l = 0; l < arch.num_layers(); ++l) {
    if (owner[l] < 0) {
      return InvalidArgumentError(kField + "layers: layer " + arch.layers[l].name +
                                  " is given to no partition");
    }
    ranges[l].push_back({0, arch.layers[l].neurons, owner[l]});
  }
  return ranges;
}

StatusOr<Ranges> ByIdentifiers(const Architecture& arch, const DistributionSpec& spec) {
  RETURN_IF_ERROR(
      CheckLength("identifiers", spec.identifiers.size(), spec.partitions, "one per partition"));
  std::vector<std::vector<OwnedRange>> picked(arch.num_layers());
  for (int p = 0; p < spec.partitions; ++p) {
    for (size_t i = 0; i < spec.identifiers[p].size(); ++i) {
      StatusOr<NeuronSelection> s = ParseNeuronSelection(arch, spec.identifiers[p][i]);
      if (!s.ok()) {
        return s.status().WithContext(kField + "identifiers[" + Str(p) + "][" + Str(i) + "]");
      }
      picked[s->layer].push_back({s->begin, s->end, p});
    }
  }
  Ranges ranges(arch.num_layers());
  for (int l = 0; l < arch.num_layers(); ++l) {
    auto& items = picked[l];
    std::sort(items.begin(), items.end(),
              [](const OwnedRange& a, const OwnedRange& b) { return a.begin < b.begin; });
    int64_t next = 0;
    int last_partition = -1;
    const std::string& name = arch.layers[l].name;
    for (const OwnedRange& r : items) {
      if (r.begin < next) {
        return InvalidArgumentError(kField + "identifiers: neuron " + name + ":" + Str(r.begin) +
                                    " is assigned twice (partitions " + Str(last_partition) +
                                    " and " + Str(r.partition) + ")");
      }
      if (r.begin > next) break;
      Append(ranges[l], r.begin, r.end, r.partition);
      next = r.end;
      last_partition = r.partition;
    }
    if (next != arch.layers[l].neurons) {
      return InvalidArgumentError(kField + "identifiers: neuron " + name + ":" + Str(next) +
                                  " is assigned to no partition");
    }
  }
  return ranges;
}

Status CheckNoEmptyPartition(const Plan& plan, const DistributionSpec& spec) {
  if (spec.allow_empty) return Status::Ok();
  std::vector<int64_t> owned(plan.num_partitions(), 0);
  for (int l = 0; l < plan.num_layers(); ++l) {
    for (const OwnedRange& r : plan.Ranges(l)) owned[r.partition] += r.end - r.begin;
  }
  for (int p = 0; p < plan.num_partitions(); ++p) {
    if (owned[p] == 0) {
      return InvalidArgumentError(kField + "partitions: partition " + Str(p) +
                                  " owns no neuron (set spec.distribution.allowEmpty: true to "
                                  "allow idle partitions)");
    }
  }
  return Status::Ok();
}

StatusOr<int64_t> ParseIndex(std::string_view text, std::string_view item) {
  int64_t v = 0;
  auto [ptr, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
  if (ec != std::errc() || ptr != text.data() + text.size() || text.empty()) {
    return InvalidArgumentError("\"" + std::string(item) + "\": \"" + std::string(text) +
                                "\" is not a neuron index");
  }
  return v;
}

}  // namespace

std::vector<int64_t> LargestRemainder(int64_t total, const std::vector<double>& weights) {
  const double sum = std::accumulate(weights.begin(), weights.end(), 0.0);
  std::vector<int64_t> parts(weights.size());
  std::vector<std::pair<double, size_t>> remainders;
  int64_t given = 0;
  for (size_t i = 0; i < weights.size(); ++i) {
    const double exact = static_cast<double>(total) * weights[i] / sum;
    parts[i] = static_cast<int64_t>(std::floor(exact));
    given += parts[i];
    remainders.push_back({exact - parts[i], i});
  }
  std::stable_sort(remainders.begin(), remainders.end(),
                   [](const auto& a, const auto& b) { return a.first > b.first; });
  for (size_t k = 0; given < total; ++k, ++given) ++parts[remainders[k % parts.size()].second];
  return parts;
}

StatusOr<NeuronSelection> ParseNeuronSelection(const Architecture& arch, std::string_view item) {
  const size_t colon = item.rfind(':');
  if (colon == std::string_view::npos) {
    return InvalidArgumentError("\"" + std::string(item) +
                                "\": want <layer>:<index>, <layer>:<first>-<last> or <layer>:*");
  }
  const std::string layer_name(item.substr(0, colon));
  std::optional<int> layer = arch.FindLayer(layer_name);
  if (!layer) {
    return InvalidArgumentError("\"" + std::string(item) + "\": unknown layer \"" + layer_name +
                                "\"");
  }
  const int64_t size = arch.layers[*layer].neurons;
  std::string_view rest = item.substr(colon + 1);
  NeuronSelection s{*layer, 0, size};
  if (rest == "*") return s;
  const size_t dash = rest.find('-');
  ASSIGN_OR_RETURN(s.begin, ParseIndex(rest.substr(0, dash), item));
  if (dash == std::string_view::npos) {
    s.end = s.begin + 1;
  } else {
    ASSIGN_OR_RETURN(int64_t last, ParseIndex(rest.substr(dash + 1), item));
    s.end = last + 1;
  }
  if (s.begin < 0 || s.end > size || s.begin >= s.end) {
    return InvalidArgumentError("\"" + std::string(item) + "\": outside layer " + layer_name +
                                " (neurons 0-" + Str(size - 1) + ")");
  }
  return s;
}

StatusOr<Plan> Distribute(const Architecture& arch, const DistributionSpec& spec) {
  if (spec.partitions < 1) {
    return InvalidArgumentError(kField + "partitions: must be >= 1, got " + Str(spec.partitions));
  }
  if (spec.partitions > kMaxPartitions) {
    return InvalidArgumentError(kField + "partitions: must be <= " + Str(kMaxPartitions) +
                                ", got " + Str(spec.partitions));
  }
  StatusOr<Ranges> ranges = InvalidArgumentError("unreachable");
  switch (spec.strategy) {
    case Strategy::kCount:
      ranges = ByCount(arch, spec);
      break;
    case Strategy::kPercentage:
      ranges = ByPercentage(arch, spec);
      break;
    case Strategy::kIdentifiers:
      ranges = ByIdentifiers(arch, spec);
      break;
    case Strategy::kLayers:
      ranges = ByLayers(arch, spec);
      break;
    case Strategy::kBalanced:
      ranges = ByBalance(arch, spec);
      break;
    case Strategy::kAuto: {
      ASSIGN_OR_RETURN(std::vector<AutoCandidate> ranked, RankAutoCandidates(arch, spec));
      return std::move(ranked.front().plan);
    }
  }
  if (!ranges.ok()) return ranges.status();
  ASSIGN_OR_RETURN(Plan plan,
                   Plan::Create(arch, spec.partitions, spec.strategy, std::move(ranges).value()));
  RETURN_IF_ERROR(CheckNoEmptyPartition(plan, spec));
  return plan;
}

}  // namespace neuropart
