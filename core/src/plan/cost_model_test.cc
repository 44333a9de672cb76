#include "neuropart/plan/cost_model.h"

#include <gtest/gtest.h>

#include "neuropart/plan/distributor.h"
#include "plan_test_util.h"

namespace neuropart {
namespace {

using testing::Mlp;

Plan Make(const Architecture& arch, Strategy strategy, int partitions,
          std::vector<std::vector<std::string>> layers = {}) {
  DistributionSpec d;
  d.strategy = strategy;
  d.partitions = partitions;
  d.scope = Scope::kPerLayer;
  d.layers = std::move(layers);
  if (strategy == Strategy::kPercentage) d.percentages.assign(partitions, 100.0 / partitions);
  StatusOr<Plan> plan = Distribute(arch, d);
  EXPECT_TRUE(plan.ok()) << plan.status().ToString();
  return std::move(plan).value();
}

// GEMMs at 1 GFLOP/s and nothing else costs anything.
StepCostOptions GemmOnly(int64_t batch, int micro_batches) {
  StepCostOptions o;
  o.batch_size = batch;
  o.micro_batches = micro_batches;
  o.machine.gemm_flops_per_second = 1e9;
  o.machine.elementwise_per_second = 1e30;
  o.machine.message_seconds = 0;
  o.machine.message_cpu_seconds = 0;
  o.machine.link_bytes_per_second = 1e30;
  return o;
}

TEST(CostModel, OnePartitionTakesItsComputeAndNeverWaits) {
  const Plan plan = Make(Mlp(4, {3, 2}), Strategy::kBalanced, 1);
  StepCostOptions o = GemmOnly(10, 1);
  o.machine.elementwise_per_second = 1e8;
  const StepPrediction s = PredictStep(plan, o);
  // GEMM flops: forward 2*10*(4*3 + 3*2), dA of the output layer 2*10*3*2, dW 2*10*(4*3 + 3*2).
  // Elementwise values: forward 3*10*(3+2); output loss and dz 4*10*2; bias gradients 10*(2+3);
  // hidden gradient zeroed and summed 2*10*3, relu backward 2*10*3; SGD 3*(2*4 + 3*5).
  const double gemm = 840e-9, elementwise = (150 + 80 + 50 + 60 + 60 + 69) / 1e8;
  EXPECT_NEAR(s.step_seconds, gemm + elementwise, 1e-15);
  EXPECT_NEAR(s.compute_seconds[0], gemm + elementwise, 1e-15);
  EXPECT_EQ(s.wait_seconds[0], 0);
}

TEST(CostModel, MessagesLengthenTheStepOnlyThroughTheirCount) {
  const Plan plan = Make(Mlp(8, {8, 8, 4}), Strategy::kBalanced, 2);
  const double free = PredictStep(plan, GemmOnly(16, 1)).step_seconds;
  StepCostOptions slow = GemmOnly(16, 1);
  slow.machine.message_seconds = 1.0;  // dwarfs the compute
  const double with_latency = PredictStep(plan, slow).step_seconds;
  // Critical path: all-gathers into l1 and l2, softmax statistics, gradients back into l1 and
  // l0, and the loss to the coordinator: six messages one after the other. Some compute that
  // was on the path without latency now overlaps a wait, hence not exactly 6 more.
  EXPECT_LE(with_latency - free, 6.0 + 1e-9);
  EXPECT_GT(with_latency - free, 6.0 - free);
}

TEST(CostModel, MicroBatchesOverlapAPipelinesStages) {
  const Architecture arch = Mlp(64, {64, 64});
  const Plan plan = Make(arch, Strategy::kLayers, 2, {{"l0"}, {"l1"}});
  const double one = PredictStep(plan, GemmOnly(64, 1)).step_seconds;
  const double four = PredictStep(plan, GemmOnly(64, 4)).step_seconds;
  // With one micro-batch each stage waits for the other's whole forward and backward; with four
  // they overlap, and the total work is the same.
  EXPECT_LT(four, 0.9 * one);
  const StepPrediction p = PredictStep(plan, GemmOnly(64, 4));
  EXPECT_NEAR(p.compute_seconds[0] + p.compute_seconds[1],
              PredictStep(plan, GemmOnly(64, 1)).compute_seconds[0] +
                  PredictStep(plan, GemmOnly(64, 1)).compute_seconds[1],
              1e-12);
}

TEST(CostModel, PartitionsSharingTooFewCoresSlowEachOtherDown) {
  const Plan plan = Make(Mlp(16, {16, 16, 4}), Strategy::kBalanced, 4);
  StepCostOptions own = GemmOnly(32, 1);
  StepCostOptions shared = own;
  shared.machine.host_parallelism = 2;  // four partitions on a host as fast as two
  EXPECT_NEAR(PredictStep(plan, shared).step_seconds, 2 * PredictStep(plan, own).step_seconds,
              1e-12);
  shared.machine.host_parallelism = 4;
  EXPECT_NEAR(PredictStep(plan, shared).step_seconds, PredictStep(plan, own).step_seconds, 1e-12);
}

TEST(CostModel, AHalfSpeedWorkerTakesTwiceAsLongForTheSameWork) {
  const Plan plan = Make(Mlp(16, {16, 4}), Strategy::kBalanced, 2);
  StepCostOptions o = GemmOnly(32, 1);
  const StepPrediction even = PredictStep(plan, o);
  o.capacities = {2, 1};
  const StepPrediction slow = PredictStep(plan, o);
  EXPECT_NEAR(slow.compute_seconds[0], even.compute_seconds[0], 1e-15);
  EXPECT_NEAR(slow.compute_seconds[1], 2 * even.compute_seconds[1], 1e-15);
  EXPECT_GT(slow.wait_seconds[0], even.wait_seconds[0]);
}

TEST(CostModel, BytesCostTheirBandwidth) {
  const Plan plan = Make(Mlp(8, {8, 8, 4}), Strategy::kLayers, 3, {{"l0"}, {"l1"}, {"l2"}});
  StepCostOptions o = GemmOnly(100, 1);
  const double free = PredictStep(plan, o).step_seconds;
  o.machine.link_bytes_per_second = 1e3;
  o.bytes_per_value = 2;
  // Forward: 100x8 values into l1 and into l2; backward: the same back, one after the other.
  // Each carries a header. The loss reaches the coordinator before its own backward ends.
  const double bytes = 4 * (100 * 8 * 2 + 64);
  EXPECT_NEAR(PredictStep(plan, o).step_seconds - free, bytes / 1e3, 1e-6);
}

}  // namespace
}  // namespace neuropart
