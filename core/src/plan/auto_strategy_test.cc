#include "neuropart/plan/auto_strategy.h"

#include <gtest/gtest.h>

#include "neuropart/plan/distributor.h"
#include "plan_test_util.h"

namespace neuropart {
namespace {

using testing::Mlp;

DistributionSpec Auto(int partitions, double message_seconds) {
  DistributionSpec d;
  d.strategy = Strategy::kAuto;
  d.partitions = partitions;
  d.costs.batch_size = 64;
  d.costs.machine.gemm_flops_per_second = 1e9;
  d.costs.machine.elementwise_per_second = 1e12;
  d.costs.machine.message_seconds = message_seconds;
  d.costs.machine.message_cpu_seconds = 0;
  d.costs.machine.link_bytes_per_second = 1e12;
  return d;
}

std::vector<std::string> Names(const std::vector<AutoCandidate>& ranked) {
  std::vector<std::string> names;
  for (const AutoCandidate& c : ranked) names.push_back(c.split);
  std::sort(names.begin(), names.end());
  return names;
}

TEST(AutoStrategy, ConsidersNeuronSplitsAndEveryCutIntoStages) {
  StatusOr<std::vector<AutoCandidate>> ranked = RankAutoCandidates(Mlp(8, {8, 8, 4}), Auto(2, 0));
  ASSERT_TRUE(ranked.ok()) << ranked.status().ToString();
  EXPECT_EQ(Names(*ranked),
            (std::vector<std::string>{"neuron", "neuron, output on partition 0",
                                      "stages l0 l1 | l2 (1 partition each)",
                                      "stages l0 | l1 l2 (1 partition each)"}));
  for (size_t i = 1; i < ranked->size(); ++i) {
    EXPECT_LE((*ranked)[i - 1].prediction.step_seconds, (*ranked)[i].prediction.step_seconds);
  }
  for (const AutoCandidate& c : *ranked) EXPECT_EQ(c.plan.strategy(), Strategy::kAuto);
}

TEST(AutoStrategy, MixedStagesSplitEachStageOverItsPartitions) {
  StatusOr<std::vector<AutoCandidate>> ranked = RankAutoCandidates(Mlp(8, {8, 8}), Auto(4, 0));
  ASSERT_TRUE(ranked.ok()) << ranked.status().ToString();
  const auto mixed = std::find_if(ranked->begin(), ranked->end(), [](const AutoCandidate& c) {
    return c.split == "stages l0 | l1 (2 partitions each)";
  });
  ASSERT_NE(mixed, ranked->end());
  EXPECT_EQ(mixed->plan.Ranges(0), (std::vector<OwnedRange>{{0, 4, 0}, {4, 8, 1}}));
  EXPECT_EQ(mixed->plan.Ranges(1), (std::vector<OwnedRange>{{0, 4, 2}, {4, 8, 3}}));
}

TEST(AutoStrategy, FreeLinksChooseTheNeuronSplit) {
  // Every partition computes at once; a one-micro-batch pipeline leaves one idle at a time.
  const Architecture arch = Mlp(256, {256, 256, 256});
  StatusOr<Plan> plan = Distribute(arch, Auto(2, 0));
  ASSERT_TRUE(plan.ok()) << plan.status().ToString();
  EXPECT_EQ(plan->strategy(), Strategy::kAuto);
  EXPECT_EQ(plan->Ranges(0), (std::vector<OwnedRange>{{0, 128, 0}, {128, 256, 1}}));
  EXPECT_EQ(plan->Ranges(2), (std::vector<OwnedRange>{{0, 128, 0}, {128, 256, 1}}));
}

TEST(AutoStrategy, SlowMessagesChooseTheStagesThatSendFewest) {
  const Architecture arch = Mlp(256, {256, 256, 256});
  StatusOr<std::vector<AutoCandidate>> ranked = RankAutoCandidates(arch, Auto(2, 1.0));
  ASSERT_TRUE(ranked.ok()) << ranked.status().ToString();
  // A two-stage pipeline waits for three messages (forward, backward, the loss); a neuron split
  // for at least one per layer boundary each way.
  EXPECT_EQ(ranked->front().split.rfind("stages", 0), 0u) << ranked->front().split;
  StatusOr<Plan> plan = Distribute(arch, Auto(2, 1.0));
  ASSERT_TRUE(plan.ok());
  EXPECT_EQ(plan->hash(), ranked->front().plan.hash());
}

TEST(AutoStrategy, CapacitiesWeightTheNeuronSplit) {
  DistributionSpec spec = Auto(2, 0);
  spec.capacities = {1, 3};
  StatusOr<std::vector<AutoCandidate>> ranked = RankAutoCandidates(Mlp(8, {8, 4}), spec);
  ASSERT_TRUE(ranked.ok());
  const auto neuron = std::find_if(ranked->begin(), ranked->end(),
                                   [](const AutoCandidate& c) { return c.split == "neuron"; });
  ASSERT_NE(neuron, ranked->end());
  EXPECT_EQ(neuron->plan.Ranges(0), (std::vector<OwnedRange>{{0, 2, 0}, {2, 8, 1}}));
}

TEST(AutoStrategy, BadCapacitiesAreRefusedAsForBalanced) {
  DistributionSpec spec = Auto(2, 0);
  spec.capacities = {1, 0};
  EXPECT_EQ(Distribute(Mlp(8, {8, 4}), spec).status().message(),
            "spec.distribution.capacities[1]: must be > 0");
}

TEST(AutoStrategy, TooManyPartitionsForTheNeuronsIsAnError) {
  EXPECT_EQ(Distribute(Mlp(8, {2, 1}), Auto(4, 0)).status().message(),
            "spec.distribution.partitions: every split auto considers leaves a partition without "
            "neurons (set spec.distribution.allowEmpty: true to allow idle partitions)");
}

}  // namespace
}  // namespace neuropart
