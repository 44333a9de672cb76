#include "neuropart/plan/plan_io.h"

#include <gtest/gtest.h>

#include "neuropart/plan/distributor.h"
#include "neuropart/plan/plan_stats.h"

namespace neuropart {
namespace {

Plan TwoWay() {
  Architecture a;
  a.input_size = 3;
  a.layers = {{"h", 4, Activation::kRelu, {Connectivity::Type::kSparse, 2, 5}},
              {"out", 2, Activation::kSoftmax, {}}};
  DistributionSpec d;
  d.partitions = 2;
  d.strategy = Strategy::kPercentage;
  d.scope = Scope::kPerLayer;
  d.percentages = {50, 50};
  return *Distribute(a, d);
}

TEST(PlanIoTest, YamlAndJsonRoundTripWithTheSameHash) {
  Plan plan = TwoWay();
  for (const std::string& text : {PlanToYaml(plan), PlanToJson(plan)}) {
    StatusOr<Plan> back = PlanFromText(text, "plan");
    ASSERT_TRUE(back.ok()) << back.status().ToString() << "\n" << text;
    EXPECT_EQ(back->hash(), plan.hash());
    EXPECT_EQ(PlanToYaml(*back), PlanToYaml(plan));
  }
}

TEST(PlanIoTest, HashChangesWithOwnership) {
  Plan a = TwoWay();
  DistributionSpec d;
  d.partitions = 2;
  d.strategy = Strategy::kLayers;
  d.layers = {{"h"}, {"out"}};
  Plan b = *Distribute(a.architecture(), d);
  EXPECT_NE(a.hash(), b.hash());
}

TEST(PlanIoTest, EditedPlanIsRefused) {
  std::string text = PlanToYaml(TwoWay());
  const size_t at = text.find("[2, 4, 1]");
  ASSERT_NE(at, std::string::npos) << text;
  std::string edited = text;
  edited.replace(at, 9, "[2, 4, 0]");
  StatusOr<Plan> back = PlanFromText(edited, "plan.yaml");
  ASSERT_FALSE(back.ok());
  EXPECT_EQ(back.status().code(), StatusCode::kCorruption);
  EXPECT_NE(back.status().message().find("hashes to"), std::string::npos);
}

TEST(PlanIoTest, MalformedTextIsAnErrorWithALine) {
  StatusOr<Plan> back = PlanFromText("kind: Plan\nlayers: [\n", "p.yaml");
  ASSERT_FALSE(back.ok());
  EXPECT_EQ(back.status().message().rfind("p.yaml:", 0), 0u) << back.status().message();
}

TEST(PlanStatsTest, LayerSplitSendsTheWholeLayerEachWay) {
  Architecture a;
  a.input_size = 3;
  a.layers = {{"h", 4, Activation::kRelu, {}}, {"out", 2, Activation::kSoftmax, {}}};
  DistributionSpec d;
  d.partitions = 2;
  d.strategy = Strategy::kLayers;
  d.layers = {{"h"}, {"out"}};
  std::vector<PartitionStats> s = ComputePlanStats(*Distribute(a, d), {.batch_size = 8});
  EXPECT_EQ(s[0].neurons, 4);
  EXPECT_EQ(s[0].parameters, 16);
  EXPECT_EQ(s[1].parameters, 10);
  EXPECT_EQ(s[1].remote_inputs, 4);
  EXPECT_EQ(s[1].local_inputs, 0);
  // 4 activations x 8 samples x 4 bytes forward, the same as gradients backward.
  EXPECT_EQ(s[0].bytes_sent, 128);
  EXPECT_EQ(s[0].bytes_received, 128);
  EXPECT_EQ(s[0].messages_sent, 1);
}

TEST(PlanStatsTest, SplitSoftmaxAddsStatsExchange) {
  Architecture a;
  a.input_size = 3;
  a.layers = {{"out", 4, Activation::kSoftmax, {}}};
  DistributionSpec d;
  d.partitions = 2;
  std::vector<PartitionStats> s = ComputePlanStats(*Distribute(a, d), {.batch_size = 8});
  EXPECT_EQ(s[0].bytes_sent, 2 * 8 * 4);
  EXPECT_EQ(s[1].messages_received, 1);
}

}  // namespace
}  // namespace neuropart
