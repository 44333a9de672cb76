// Plan: the Neuron Distributor's output — who owns every neuron, and what follows from it.
//
// Ownership is stored as sorted, disjoint ranges per layer that cover the layer exactly, so the
// plan is O(partitions x layers) for every range-based strategy and Owner() is a binary search.
// From ownership the plan derives, for each layer boundary, the exchange lists: which values of
// layer l-1 partition p sends to partition q because q's neurons in layer l read them (forward),
// and, mirrored, which partial input-gradients q sends back to p (backward). Dense layers read
// every input; sparse layers read their index lists (model/init.h), so exchange is exact.
// The input layer is replicated on every partition and never exchanged.
// Immutable after construction; safe to share between threads.
#ifndef NEUROPART_PLAN_PLAN_H_
#define NEUROPART_PLAN_PLAN_H_

#include <cstdint>
#include <string>
#include <vector>

#include "neuropart/model/architecture.h"
#include "neuropart/plan/distribution_spec.h"
#include "neuropart/status.h"

namespace neuropart {

// Neurons [begin, end) of one layer.
struct IndexRange {
  int64_t begin = 0;
  int64_t end = 0;
  int64_t size() const { return end - begin; }
  bool operator==(const IndexRange&) const = default;
};

struct OwnedRange {
  int64_t begin = 0;
  int64_t end = 0;
  int partition = 0;
  bool operator==(const OwnedRange&) const = default;
};

class Plan {
 public:
  // Checks that `ranges[l]` covers layer l exactly, in order, with partitions in [0, P).
  static StatusOr<Plan> Create(Architecture arch, int partitions, Strategy strategy,
                               std::vector<std::vector<OwnedRange>> ranges);

  const Architecture& architecture() const { return arch_; }
  int num_partitions() const { return partitions_; }
  int num_layers() const { return arch_.num_layers(); }
  Strategy strategy() const { return strategy_; }
  // Content hash over architecture, partition count and ownership (not the strategy's name).
  uint64_t hash() const { return hash_; }
  std::string HashHex() const;

  const std::vector<OwnedRange>& Ranges(int layer) const { return ranges_[layer]; }
  // REQUIRES: 0 <= neuron < layer size.
  int Owner(int layer, int64_t neuron) const;
  std::vector<IndexRange> Owned(int partition, int layer) const;
  int64_t OwnedCount(int partition, int layer) const;
  bool OwnsAny(int partition, int layer) const { return OwnedCount(partition, layer) > 0; }

  // Inputs (indices into layer-1's neurons) that `partition`'s neurons of `layer` read, as sorted
  // disjoint ranges. REQUIRES: layer >= 1.
  std::vector<IndexRange> NeededInputs(int partition, int layer) const;
  // For receiver q at boundary (layer-1 -> layer): per source partition p, the ranges of layer-1
  // neurons that p sends q. Entry q itself lists q's local inputs. REQUIRES: layer >= 1.
  std::vector<std::vector<IndexRange>> Inbound(int q, int layer) const;
  // Values p sends q forward at (layer-1 -> layer); the same list, reversed, is what q sends p
  // backward as gradient contributions. Empty when p == q.
  std::vector<IndexRange> Exchange(int p, int q, int layer) const;

 private:
  Plan() = default;
  uint64_t ComputeHash() const;

  Architecture arch_;
  int partitions_ = 0;
  Strategy strategy_ = Strategy::kBalanced;
  std::vector<std::vector<OwnedRange>> ranges_;
  uint64_t hash_ = 0;
};

// Sorted disjoint ranges of a sorted list of indices (runs of consecutive values merged).
std::vector<IndexRange> RangesOfSorted(const std::vector<int64_t>& sorted);
// The parts of `a` that also lie in `b`; both sorted and disjoint.
std::vector<IndexRange> Intersect(const std::vector<IndexRange>& a,
                                  const std::vector<IndexRange>& b);
int64_t TotalSize(const std::vector<IndexRange>& ranges);

}  // namespace neuropart

#endif  // NEUROPART_PLAN_PLAN_H_
