#include "neuropart/plan/distributor.h"

#include <gtest/gtest.h>

#include <numeric>
#include <random>

#include "neuropart/model/init.h"
#include "plan_test_util.h"

namespace neuropart {
namespace {

using testing::Mlp;

DistributionSpec Spec(Strategy s, int partitions) {
  DistributionSpec d;
  d.strategy = s;
  d.partitions = partitions;
  return d;
}

// Every invariant a plan must keep, whatever the strategy.
void ExpectWellFormed(const Plan& plan) {
  const Architecture& a = plan.architecture();
  for (int l = 0; l < a.num_layers(); ++l) {
    int64_t owned = 0;
    for (int p = 0; p < plan.num_partitions(); ++p) owned += plan.OwnedCount(p, l);
    EXPECT_EQ(owned, a.layers[l].neurons) << "layer " << l;
    for (int64_t n = 0; n < a.layers[l].neurons; ++n) {
      int owner = plan.Owner(l, n);
      bool found = false;
      for (const IndexRange& r : plan.Owned(owner, l)) found |= r.begin <= n && n < r.end;
      ASSERT_TRUE(found) << "neuron " << l << ":" << n;
    }
  }
  for (int l = 1; l < a.num_layers(); ++l) {
    for (int q = 0; q < plan.num_partitions(); ++q) {
      // local ∪ received = needed, with no input arriving twice.
      std::vector<std::vector<IndexRange>> inbound = plan.Inbound(q, l);
      std::vector<int64_t> got;
      for (int p = 0; p < plan.num_partitions(); ++p) {
        for (const IndexRange& r : inbound[p]) {
          for (int64_t i = r.begin; i < r.end; ++i) {
            EXPECT_EQ(plan.Owner(l - 1, i), p);
            got.push_back(i);
          }
        }
        if (p != q) EXPECT_EQ(inbound[p], plan.Exchange(p, q, l));
      }
      std::sort(got.begin(), got.end());
      EXPECT_EQ(std::adjacent_find(got.begin(), got.end()), got.end());
      EXPECT_EQ(RangesOfSorted(got), plan.NeededInputs(q, l));
    }
  }
}

TEST(DistributorTest, CountFillsGlobalOrder) {
  DistributionSpec d = Spec(Strategy::kCount, 3);
  d.counts = {5, 6, 4};  // layers of 4, 8, 3 neurons
  StatusOr<Plan> plan = Distribute(Mlp(2, {4, 8, 3}), d);
  ASSERT_TRUE(plan.ok()) << plan.status().ToString();
  EXPECT_EQ(plan->Ranges(0), (std::vector<OwnedRange>{{0, 4, 0}}));
  EXPECT_EQ(plan->Ranges(1), (std::vector<OwnedRange>{{0, 1, 0}, {1, 7, 1}, {7, 8, 2}}));
  EXPECT_EQ(plan->Ranges(2), (std::vector<OwnedRange>{{0, 3, 2}}));
  ExpectWellFormed(*plan);
}

TEST(DistributorTest, CountPerLayerIsLayerMajor) {
  DistributionSpec d = Spec(Strategy::kCount, 2);
  d.scope = Scope::kPerLayer;
  d.counts = {1, 3, 5, 3, 2, 1};
  StatusOr<Plan> plan = Distribute(Mlp(2, {4, 8, 3}), d);
  ASSERT_TRUE(plan.ok()) << plan.status().ToString();
  EXPECT_EQ(plan->Ranges(1), (std::vector<OwnedRange>{{0, 5, 0}, {5, 8, 1}}));
  d.counts = {1, 3, 5, 2, 2, 1};
  EXPECT_EQ(Distribute(Mlp(2, {4, 8, 3}), d).status().message(),
            "spec.distribution.counts[2..3]: layer l1 has 8 neurons, the counts sum to 7");
}

TEST(DistributorTest, PercentageUsesLargestRemainder) {
  EXPECT_EQ(LargestRemainder(10, {33.3, 33.3, 33.4}), (std::vector<int64_t>{3, 3, 4}));
  EXPECT_EQ(LargestRemainder(7, {50, 50}), (std::vector<int64_t>{4, 3}));
  EXPECT_EQ(LargestRemainder(5, {0, 100}), (std::vector<int64_t>{0, 5}));
  DistributionSpec d = Spec(Strategy::kPercentage, 2);
  d.percentages = {25, 75};
  d.scope = Scope::kPerLayer;
  StatusOr<Plan> plan = Distribute(Mlp(2, {4, 8, 3}), d);
  ASSERT_TRUE(plan.ok());
  EXPECT_EQ(plan->OwnedCount(0, 0), 1);
  EXPECT_EQ(plan->OwnedCount(0, 1), 2);
  EXPECT_EQ(plan->OwnedCount(1, 2), 2);  // 0.75 + 2.25: 2.25 floors, 0.75 wins the remainder
  EXPECT_EQ(plan->OwnedCount(0, 2), 1);
}

TEST(DistributorTest, LayersGivesWholeLayers) {
  DistributionSpec d = Spec(Strategy::kLayers, 2);
  d.layers = {{"l0", "l1"}, {"l2"}};
  StatusOr<Plan> plan = Distribute(Mlp(2, {4, 8, 3}), d);
  ASSERT_TRUE(plan.ok());
  EXPECT_EQ(plan->Owner(1, 7), 0);
  EXPECT_EQ(plan->Owner(2, 0), 1);
  // p0 sends all of l1 to p1, and nothing comes back forward.
  EXPECT_EQ(plan->Exchange(0, 1, 2), (std::vector<IndexRange>{{0, 8}}));
  EXPECT_TRUE(plan->Exchange(1, 0, 2).empty());
  ExpectWellFormed(*plan);
}

TEST(DistributorTest, BalancedWeighsCapacities) {
  DistributionSpec d = Spec(Strategy::kBalanced, 2);
  d.capacities = {1, 3};
  StatusOr<Plan> plan = Distribute(Mlp(2, {8, 8, 4}), d);
  ASSERT_TRUE(plan.ok());
  EXPECT_EQ(plan->OwnedCount(0, 0), 2);
  EXPECT_EQ(plan->OwnedCount(1, 0), 6);
  EXPECT_EQ(plan->OwnedCount(1, 2), 3);
}

TEST(DistributorTest, IdentifiersAcceptIdsRangesAndWholeLayers) {
  DistributionSpec d = Spec(Strategy::kIdentifiers, 2);
  d.identifiers = {{"l0:*", "l1:0-2", "l1:7", "l2:1"}, {"l1:3-6", "l2:0", "l2:2"}};
  StatusOr<Plan> plan = Distribute(Mlp(2, {4, 8, 3}), d);
  ASSERT_TRUE(plan.ok()) << plan.status().ToString();
  EXPECT_EQ(plan->Ranges(1), (std::vector<OwnedRange>{{0, 3, 0}, {3, 7, 1}, {7, 8, 0}}));
  EXPECT_EQ(plan->Ranges(2), (std::vector<OwnedRange>{{0, 1, 1}, {1, 2, 0}, {2, 3, 1}}));
  ExpectWellFormed(*plan);
}

struct BadCase {
  const char* name;
  DistributionSpec spec;
  const char* message;
};

TEST(DistributorTest, BadRequestsAreClearErrors) {
  auto with = [](Strategy s, int p, auto fill) {
    DistributionSpec d = Spec(s, p);
    fill(d);
    return d;
  };
  std::vector<BadCase> cases = {
      {"no partitions", Spec(Strategy::kBalanced, 0),
       "spec.distribution.partitions: must be >= 1, got 0"},
      {"counts short", with(Strategy::kCount, 2, [](auto& d) { d.counts = {15}; }),
       "spec.distribution.counts: must have 2 entries (one per partition), got 1"},
      {"counts sum", with(Strategy::kCount, 2, [](auto& d) { d.counts = {5, 5}; }),
       "spec.distribution.counts: must sum to the model's 15 neurons, got 10"},
      {"percent sum", with(Strategy::kPercentage, 2, [](auto& d) { d.percentages = {50, 45}; }),
       "spec.distribution.percentages: must sum to 100, got 95"},
      {"unknown layer", with(Strategy::kLayers, 2, [](auto& d) { d.layers = {{"l0", "l1"}, {"x"}}; }),
       "spec.distribution.layers[1][0]: unknown layer \"x\""},
      {"layer twice",
       with(Strategy::kLayers, 2, [](auto& d) { d.layers = {{"l0", "l1"}, {"l1", "l2"}}; }),
       "spec.distribution.layers[1][0]: layer l1 is already given to partition 0"},
      {"layer missing", with(Strategy::kLayers, 2, [](auto& d) { d.layers = {{"l0"}, {"l2"}}; }),
       "spec.distribution.layers: layer l1 is given to no partition"},
      {"id outside",
       with(Strategy::kIdentifiers, 1, [](auto& d) { d.identifiers = {{"l0:*", "l1:4-8"}}; }),
       "spec.distribution.identifiers[0][1]: \"l1:4-8\": outside layer l1 "
       "(neurons 0-7)"},
      {"id twice",
       with(Strategy::kIdentifiers, 2,
            [](auto& d) { d.identifiers = {{"l0:*", "l1:*", "l2:*"}, {"l1:5"}}; }),
       "spec.distribution.identifiers: neuron l1:5 is assigned twice (partitions 0 and 1)"},
      {"id never",
       with(Strategy::kIdentifiers, 2,
            [](auto& d) { d.identifiers = {{"l0:*", "l1:0-4", "l2:*"}, {"l1:6-7"}}; }),
       "spec.distribution.identifiers: neuron l1:5 is assigned to no partition"},
      {"empty partition", with(Strategy::kLayers, 4, [](auto& d) {
         d.layers = {{"l0"}, {"l1"}, {"l2"}, {}};
       }),
       "spec.distribution.partitions: partition 3 owns no neuron (set "
       "spec.distribution.allowEmpty: true to allow idle partitions)"},
      {"capacities length", with(Strategy::kBalanced, 3, [](auto& d) { d.capacities = {1, 2}; }),
       "spec.distribution.capacities: must have 3 entries (one per partition), got 2"},
      {"capacity zero", with(Strategy::kBalanced, 2, [](auto& d) { d.capacities = {1, 0}; }),
       "spec.distribution.capacities[1]: must be > 0"},
  };
  for (const BadCase& c : cases) {
    StatusOr<Plan> plan = Distribute(Mlp(2, {4, 8, 3}), c.spec);
    ASSERT_FALSE(plan.ok()) << c.name;
    EXPECT_EQ(plan.status().code(), StatusCode::kInvalidArgument) << c.name;
    EXPECT_EQ(plan.status().message(), c.message) << c.name;
  }
}

TEST(DistributorTest, EmptyPartitionAllowedWhenAsked) {
  DistributionSpec d = Spec(Strategy::kLayers, 4);
  d.layers = {{"l0"}, {"l1"}, {"l2"}, {}};
  d.allow_empty = true;
  EXPECT_TRUE(Distribute(Mlp(2, {4, 8, 3}), d).ok());
}

// Property test: random models (dense and sparse) under every strategy keep every invariant.
TEST(DistributorPropertyTest, RandomModelsAndPlansAreWellFormed) {
  std::mt19937_64 rng(20261122);
  for (int trial = 0; trial < 60; ++trial) {
    Architecture a;
    a.input_size = 1 + rng() % 12;
    const int layers = 1 + rng() % 4;
    for (int l = 0; l < layers; ++l) {
      LayerSpec s{"l" + std::to_string(l), static_cast<int64_t>(1 + rng() % 20),
                  l + 1 == layers ? Activation::kSoftmax : Activation::kTanh, {}};
      const int64_t prev = l == 0 ? a.input_size : a.layers.back().neurons;
      if (rng() % 2) s.connectivity = {Connectivity::Type::kSparse, 1 + int64_t(rng() % prev), rng()};
      a.layers.push_back(s);
    }
    const int P = 1 + rng() % 5;
    const int64_t total = a.TotalNeurons();
    DistributionSpec d = Spec(static_cast<Strategy>(trial % 5), P);
    d.allow_empty = true;
    d.scope = rng() % 2 ? Scope::kGlobal : Scope::kPerLayer;
    std::vector<double> w(P);
    for (double& x : w) x = 1 + rng() % 9;
    const double sum = std::accumulate(w.begin(), w.end(), 0.0);
    for (double x : w) d.percentages.push_back(100.0 * x / sum);
    d.percentages.back() = 100.0 - std::accumulate(d.percentages.begin(), d.percentages.end() - 1, 0.0);
    d.capacities = w;
    if (d.scope == Scope::kGlobal) {
      d.counts = LargestRemainder(total, w);
    } else {
      for (const LayerSpec& s : a.layers) {
        for (int64_t c : LargestRemainder(s.neurons, w)) d.counts.push_back(c);
      }
    }
    d.identifiers.assign(P, {});
    d.layers.assign(P, {});
    for (const LayerSpec& s : a.layers) {
      d.layers[rng() % P].push_back(s.name);
      for (int64_t n = 0; n < s.neurons; ++n) {
        d.identifiers[rng() % P].push_back(s.name + ":" + std::to_string(n));
      }
    }
    StatusOr<Plan> plan = Distribute(a, d);
    ASSERT_TRUE(plan.ok()) << plan.status().ToString();
    ExpectWellFormed(*plan);
    if (d.strategy == Strategy::kCount || d.strategy == Strategy::kPercentage) {
      for (int p = 0; p < P; ++p) {
        int64_t owned = 0;
        for (int l = 0; l < a.num_layers(); ++l) owned += plan->OwnedCount(p, l);
        const std::vector<int64_t> want = d.strategy == Strategy::kCount
                                              ? d.counts
                                              : LargestRemainder(total, d.percentages);
        if (d.scope == Scope::kGlobal) EXPECT_EQ(owned, want[p]);
      }
    }
  }
}

TEST(DistributorTest, SparseExchangeIsExact) {
  Architecture a = Mlp(4, {6, 5, 2});
  a.layers[1].connectivity = {Connectivity::Type::kSparse, 2, 11};
  DistributionSpec d = Spec(Strategy::kBalanced, 2);
  StatusOr<Plan> plan = Distribute(a, d);
  ASSERT_TRUE(plan.ok());
  // Recompute what partition 1's neurons of layer 1 read, straight from the index lists.
  std::vector<int64_t> reads;
  std::vector<int32_t> idx(2);
  for (const IndexRange& r : plan->Owned(1, 1)) {
    for (int64_t n = r.begin; n < r.end; ++n) {
      SparseInputs(a, 1, n, idx.data());
      for (int32_t i : idx) {
        if (plan->Owner(0, i) == 0) reads.push_back(i);
      }
    }
  }
  std::sort(reads.begin(), reads.end());
  reads.erase(std::unique(reads.begin(), reads.end()), reads.end());
  EXPECT_EQ(plan->Exchange(0, 1, 1), RangesOfSorted(reads));
}

}  // namespace
}  // namespace neuropart
