#include "neuropart/exec/partition_executor.h"

#include <gtest/gtest.h>

#include <random>

#include "testing/distributed_test_util.h"
#include "neuropart/plan/distributor.h"

namespace neuropart {
namespace {

constexpr double kTolerance = 1e-5;

Architecture Net(bool sparse) {
  Architecture a;
  a.input_size = 12;
  a.layers = {{"h1", 20, Activation::kRelu, {}},
              {"h2", 16, Activation::kTanh, {}},
              {"h3", 10, Activation::kSigmoid, {}},
              {"out", 7, Activation::kSoftmax, {}}};
  if (sparse) {
    a.layers[0].connectivity = {Connectivity::Type::kSparse, 5, 11};
    a.layers[2].connectivity = {Connectivity::Type::kSparse, 4, 12};
  }
  return a;
}

struct Case {
  std::string name;
  DistributionSpec spec;
};

std::vector<Case> Strategies(const Architecture& a, int P, std::mt19937_64& rng) {
  std::vector<Case> cases;
  DistributionSpec d;
  d.partitions = P;
  d.allow_empty = true;
  std::vector<double> shares(P);
  for (double& s : shares) s = 1 + rng() % 5;
  std::vector<double> pct;
  double total = 0;
  for (double s : shares) total += s;
  for (double s : shares) pct.push_back(100 * s / total);
  pct.back() = 100;
  for (int p = 0; p + 1 < P; ++p) pct.back() -= pct[p];

  DistributionSpec count = d;
  count.strategy = Strategy::kCount;
  count.counts = LargestRemainder(a.TotalNeurons(), shares);
  cases.push_back({"count", count});
  DistributionSpec global = d;
  global.strategy = Strategy::kPercentage;
  global.percentages = pct;
  cases.push_back({"percentage-global", global});
  DistributionSpec per_layer = global;
  per_layer.scope = Scope::kPerLayer;
  cases.push_back({"percentage-perLayer", per_layer});
  DistributionSpec ids = d;
  ids.strategy = Strategy::kIdentifiers;
  ids.identifiers.assign(P, {});
  for (const LayerSpec& l : a.layers) {
    for (int64_t n = 0; n < l.neurons; ++n) {
      ids.identifiers[rng() % P].push_back(l.name + ":" + std::to_string(n));
    }
  }
  cases.push_back({"identifiers-random", ids});
  DistributionSpec layers = d;
  layers.strategy = Strategy::kLayers;
  layers.layers.assign(P, {});
  for (int l = 0; l < a.num_layers(); ++l) layers.layers[l % P].push_back(a.layers[l].name);
  cases.push_back({"layers", layers});
  DistributionSpec balanced = d;
  balanced.strategy = Strategy::kBalanced;
  balanced.capacities = shares;
  cases.push_back({"balanced-unequal", balanced});
  return cases;
}

void ExpectMatchesReference(const Architecture& arch, const DistributionSpec& spec,
                            TrainSetup setup, const std::string& name) {
  FillData(arch, &setup);
  StatusOr<Plan> plan = Distribute(arch, spec);
  ASSERT_TRUE(plan.ok()) << name << ": " << plan.status().ToString();
  StatusOr<RunResult> want = RunReference(arch, setup);
  StatusOr<RunResult> got = RunInProcess(*plan, setup);
  ASSERT_TRUE(got.ok()) << name << ": " << got.status().ToString();
  std::string where;
  const double diff = MaxRelativeDifference(got->params, want->params, &where);
  EXPECT_LE(diff, kTolerance) << name << ": worst at " << where;
  ASSERT_EQ(got->losses.size(), want->losses.size());
  for (size_t i = 0; i < got->losses.size(); ++i) {
    EXPECT_NEAR(got->losses[i], want->losses[i], kTolerance * std::max(1.0, want->losses[i]))
        << name << " step " << i;
  }
}

class EquivalenceTest : public ::testing::TestWithParam<std::tuple<int, bool, int>> {};

TEST_P(EquivalenceTest, EveryStrategyMatchesTheReferenceTrainer) {
  const auto [P, sparse, micro] = GetParam();
  std::mt19937_64 rng(1000 + P * 10 + sparse * 2 + micro);
  const Architecture arch = Net(sparse);
  TrainSetup setup;
  setup.micro_batches = micro;
  for (const Case& c : Strategies(arch, P, rng)) {
    ExpectMatchesReference(arch, c.spec, setup,
                           c.name + " P=" + std::to_string(P) + (sparse ? " sparse" : " dense") +
                               " micro=" + std::to_string(micro));
  }
}

INSTANTIATE_TEST_SUITE_P(
    Partitions, EquivalenceTest,
    ::testing::Combine(::testing::Values(1, 2, 3, 4), ::testing::Bool(), ::testing::Values(1, 3)),
    [](const auto& info) {
      return "P" + std::to_string(std::get<0>(info.param)) +
             (std::get<1>(info.param) ? "Sparse" : "Dense") + "Micro" +
             std::to_string(std::get<2>(info.param));
    });

TEST(EquivalenceTest, EightPartitionsSplitEveryLayer) {
  const Architecture arch = Net(false);
  DistributionSpec d;
  d.partitions = 8;
  d.strategy = Strategy::kBalanced;
  TrainSetup setup;
  setup.micro_batches = 2;
  ExpectMatchesReference(arch, d, setup, "balanced P=8");
}

TEST(PartitionExecutorTest, SilentPeerFailsTheStepWithAReason) {
  const Architecture arch = Net(false);
  DistributionSpec d;
  d.partitions = 2;
  d.strategy = Strategy::kBalanced;
  Plan plan = *Distribute(arch, d);
  InProcessNetwork net(2);
  std::vector<LayerParams> params;
  for (int l = 0; l < arch.num_layers(); ++l) {
    for (const IndexRange& r : plan.Owned(0, l)) params.push_back(InitLayerRows(arch, 1, l, r.begin, r.end));
  }
  ExecutorOptions options;
  options.timeout = std::chrono::milliseconds(50);
  PartitionExecutor exec(plan, std::move(params), options, net.Endpoint(0));
  MatrixF x = MatrixF::Zero(4, 12);
  std::vector<int32_t> labels(4, 0);
  StatusOr<StepResult> r = exec.TrainStep(0, x, labels.data(), 1);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), StatusCode::kUnavailable);
  EXPECT_EQ(r.status().message(),
            "partition 0: timed out after 50 ms waiting for ACTIVATIONS from partition 1 (step 0, "
            "micro-batch 0, layer 1, forward)");
}

}  // namespace
}  // namespace neuropart
