#include "neuropart/plan/plan.h"

#include <algorithm>
#include <cstdio>

#include "neuropart/base/limits.h"
#include "neuropart/model/init.h"

namespace neuropart {
namespace {

// FNV-1a, 64 bit: a stable content fingerprint (not a security measure).
class Fnv64 {
 public:
  void Add(uint64_t v) {
    for (int i = 0; i < 8; ++i) Byte(static_cast<uint8_t>(v >> (8 * i)));
  }
  void Add(const std::string& s) {
    Add(s.size());
    for (char c : s) Byte(static_cast<uint8_t>(c));
  }
  uint64_t value() const { return h_; }

 private:
  void Byte(uint8_t b) {
    h_ ^= b;
    h_ *= 0x100000001b3ULL;
  }
  uint64_t h_ = 0xcbf29ce484222325ULL;
};

}  // namespace

StatusOr<Plan> Plan::Create(Architecture arch, int partitions, Strategy strategy,
                            std::vector<std::vector<OwnedRange>> ranges) {
  RETURN_IF_ERROR(arch.Validate().WithContext("plan.model"));
  if (partitions < 1 || partitions > kMaxPartitions) {
    return InvalidArgumentError("plan.partitions: must be in [1, " +
                                std::to_string(kMaxPartitions) + "]");
  }
  if (static_cast<int>(ranges.size()) != arch.num_layers()) {
    return InvalidArgumentError("plan.ownership: has " + std::to_string(ranges.size()) +
                                " layers, the model has " + std::to_string(arch.num_layers()));
  }
  for (int l = 0; l < arch.num_layers(); ++l) {
    int64_t next = 0;
    for (const OwnedRange& r : ranges[l]) {
      if (r.begin != next || r.end <= r.begin || r.partition < 0 || r.partition >= partitions) {
        return InvalidArgumentError("plan.ownership." + arch.layers[l].name + ": range [" +
                                    std::to_string(r.begin) + ", " + std::to_string(r.end) +
                                    ") of partition " + std::to_string(r.partition) +
                                    " does not continue a gap-free cover at neuron " +
                                    std::to_string(next));
      }
      next = r.end;
    }
    if (next != arch.layers[l].neurons) {
      return InvalidArgumentError("plan.ownership." + arch.layers[l].name + ": covers " +
                                  std::to_string(next) + " of " +
                                  std::to_string(arch.layers[l].neurons) + " neurons");
    }
  }
  Plan plan;
  plan.arch_ = std::move(arch);
  plan.partitions_ = partitions;
  plan.strategy_ = strategy;
  plan.ranges_ = std::move(ranges);
  plan.hash_ = plan.ComputeHash();
  return plan;
}

uint64_t Plan::ComputeHash() const {
  Fnv64 h;
  h.Add(static_cast<uint64_t>(arch_.input_size));
  for (const LayerSpec& layer : arch_.layers) {
    h.Add(layer.name);
    h.Add(static_cast<uint64_t>(layer.neurons));
    h.Add(static_cast<uint64_t>(layer.activation));
    h.Add(static_cast<uint64_t>(layer.connectivity.type));
    h.Add(static_cast<uint64_t>(layer.connectivity.fan_in));
    h.Add(layer.connectivity.seed);
  }
  h.Add(static_cast<uint64_t>(partitions_));
  for (const auto& layer_ranges : ranges_) {
    h.Add(layer_ranges.size());
    for (const OwnedRange& r : layer_ranges) {
      h.Add(static_cast<uint64_t>(r.begin));
      h.Add(static_cast<uint64_t>(r.end));
      h.Add(static_cast<uint64_t>(r.partition));
    }
  }
  return h.value();
}

std::string Plan::HashHex() const {
  char buf[17];
  std::snprintf(buf, sizeof(buf), "%016llx", static_cast<unsigned long long>(hash_));
  return buf;
}

int Plan::Owner(int layer, int64_t neuron) const {
  const auto& rs = ranges_[layer];
  auto it = std::upper_bound(rs.begin(), rs.end(), neuron,
                             [](int64_t n, const OwnedRange& r) { return n < r.end; });
  return it->partition;
}

std::vector<IndexRange> Plan::Owned(int partition, int layer) const {
  std::vector<IndexRange> out;
  for (const OwnedRange& r : ranges_[layer]) {
    if (r.partition == partition) out.push_back({r.begin, r.end});
  }
  return out;
}

int64_t Plan::OwnedCount(int partition, int layer) const {
  int64_t n = 0;
  for (const OwnedRange& r : ranges_[layer]) {
    if (r.partition == partition) n += r.end - r.begin;
  }
  return n;
}

std::vector<IndexRange> Plan::NeededInputs(int partition, int layer) const {
  const std::vector<IndexRange> owned = Owned(partition, layer);
  if (owned.empty()) return {};
  const int64_t width = arch_.InputsOf(layer);
  if (!arch_.IsSparse(layer)) return {{0, width}};
  std::vector<char> needed(width, 0);
  std::vector<int32_t> inputs(arch_.FanIn(layer));
  for (const IndexRange& r : owned) {
    for (int64_t n = r.begin; n < r.end; ++n) {
      SparseInputs(arch_, layer, n, inputs.data());
      for (int32_t i : inputs) needed[i] = 1;
    }
  }
  std::vector<IndexRange> out;
  for (int64_t i = 0; i < width; ++i) {
    if (!needed[i]) continue;
    if (!out.empty() && out.back().end == i) {
      out.back().end = i + 1;
    } else {
      out.push_back({i, i + 1});
    }
  }
  return out;
}

std::vector<std::vector<IndexRange>> Plan::Inbound(int q, int layer) const {
  const std::vector<IndexRange> needed = NeededInputs(q, layer);
  std::vector<std::vector<IndexRange>> out(partitions_);
  for (int p = 0; p < partitions_; ++p) out[p] = Intersect(needed, Owned(p, layer - 1));
  return out;
}

std::vector<IndexRange> Plan::Exchange(int p, int q, int layer) const {
  if (p == q) return {};
  return Intersect(NeededInputs(q, layer), Owned(p, layer - 1));
}

std::vector<IndexRange> RangesOfSorted(const std::vector<int64_t>& sorted) {
  std::vector<IndexRange> out;
  for (int64_t i : sorted) {
    if (!out.empty() && out.back().end == i) {
      out.back().end = i + 1;
    } else if (out.empty() || out.back().end < i) {
      out.push_back({i, i + 1});
    }
  }
  return out;
}

std::vector<IndexRange> Intersect(const std::vector<IndexRange>& a,
                                  const std::vector<IndexRange>& b) {
  std::vector<IndexRange> out;
  size_t i = 0, j = 0;
  while (i < a.size() && j < b.size()) {
    int64_t lo = std::max(a[i].begin, b[j].begin);
    int64_t hi = std::min(a[i].end, b[j].end);
    if (lo < hi) out.push_back({lo, hi});
    if (a[i].end < b[j].end) {
      ++i;
    } else {
      ++j;
    }
  }
  return out;
}

int64_t TotalSize(const std::vector<IndexRange>& ranges) {
  int64_t n = 0;
  for (const IndexRange& r : ranges) n += r.size();
  return n;
}

}  // namespace neuropart
