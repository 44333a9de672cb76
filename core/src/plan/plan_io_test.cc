#include "neuropart/plan/plan_io.h"

#include <gtest/gtest.h>

#include "neuropart/base/json.h"
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

TEST(PlanIoTest, LayerNamesWithQuotesAndBackslashesRoundTrip) {
  Architecture a = TwoWay().architecture();
  a.layers[0].name = "h\"1\\x";
  DistributionSpec d;
  d.partitions = 2;
  d.strategy = Strategy::kLayers;
  d.layers = {{a.layers[0].name}, {"out"}};
  StatusOr<Plan> plan = Distribute(a, d);
  ASSERT_TRUE(plan.ok()) << plan.status().ToString();
  for (const std::string& text : {PlanToYaml(*plan), PlanToJson(*plan)}) {
    StatusOr<Plan> back = PlanFromText(text, "plan");
    ASSERT_TRUE(back.ok()) << back.status().ToString() << "\n" << text;
    EXPECT_EQ(back->architecture().layers[0].name, "h\"1\\x");
    EXPECT_EQ(back->hash(), plan->hash());
  }
}

TEST(PlanIoTest, ReportJsonHoldsThePlanTrafficAndEachPartition) {
  Architecture a = TwoWay().architecture();
  a.layers[1].name = "o\"u\\t";
  DistributionSpec d;
  d.partitions = 2;
  StatusOr<Plan> plan = Distribute(a, d);
  ASSERT_TRUE(plan.ok()) << plan.status().ToString();
  const TrafficOptions traffic{.batch_size = 8, .micro_batches = 2};
  const std::vector<PartitionStats> stats = ComputePlanStats(*plan, traffic);
  const std::string text = PlanReportToJson(*plan, stats, traffic);
  StatusOr<Json> report = ParseJson(text);
  ASSERT_TRUE(report.ok()) << report.status().ToString() << "\n" << text;
  const Json* layers = AtPath(*report, {"plan", "layers"});
  ASSERT_NE(layers, nullptr) << text;
  ASSERT_EQ(Elements(*layers).size(), 2u);
  EXPECT_EQ(GetString(Elements(*layers)[1], "name"), "o\"u\\t");
  EXPECT_EQ(GetString(*FindMember(*report, "plan"), "hash"), plan->HashHex());
  EXPECT_EQ(GetInt(*FindMember(*report, "traffic"), "batchSize"), 8);
  EXPECT_EQ(GetInt(*FindMember(*report, "traffic"), "microBatches"), 2);
  const Json::array_t& partitions = Elements(*FindMember(*report, "partitions"));
  ASSERT_EQ(partitions.size(), 2u);
  for (size_t p = 0; p < partitions.size(); ++p) {
    EXPECT_EQ(GetInt(partitions[p], "partition", -1), static_cast<int64_t>(p));
    EXPECT_EQ(GetInt(partitions[p], "parameters"), stats[p].parameters);
    EXPECT_EQ(GetInt(partitions[p], "bytesSent"), stats[p].bytes_sent);
    EXPECT_EQ(GetInt(partitions[p], "messagesReceived", -1), stats[p].messages_received);
    EXPECT_EQ(Elements(*FindMember(partitions[p], "neuronsPerLayer")).size(), 2u);
  }
  StatusOr<Plan> back = PlanFromText(DumpJson(*FindMember(*report, "plan")), "report");
  ASSERT_TRUE(back.ok()) << back.status().ToString();
  EXPECT_EQ(back->hash(), plan->hash());
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
  const size_t at = text.find("[2,4,1]");
  ASSERT_NE(at, std::string::npos) << text;
  std::string edited = text;
  edited.replace(at, 7, "[2,4,0]");
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
