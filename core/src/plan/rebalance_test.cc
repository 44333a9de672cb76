#include "neuropart/plan/rebalance.h"

#include <gtest/gtest.h>

#include "neuropart/plan/distributor.h"
#include "plan_test_util.h"

namespace neuropart {
namespace {

using testing::Mlp;

Plan Balanced(std::vector<double> capacities) {
  DistributionSpec d;
  d.strategy = Strategy::kBalanced;
  d.partitions = static_cast<int>(capacities.size());
  d.capacities = std::move(capacities);
  StatusOr<Plan> plan = Distribute(Mlp(256, {512, 512, 8}), d);
  EXPECT_TRUE(plan.ok()) << plan.status().ToString();
  return std::move(plan).value();
}

StepCostOptions Batch(int64_t rows) {
  StepCostOptions o;
  o.batch_size = rows;
  return o;
}

TEST(PartitionWork, FollowsTheNeuronsEachPartitionOwns) {
  const std::vector<double> even = PartitionWork(Balanced({1, 1}), Batch(64));
  const std::vector<double> skewed = PartitionWork(Balanced({1, 3}), Batch(64));
  ASSERT_EQ(even.size(), 2u);
  EXPECT_NEAR(even[0] / even[1], 1.0, 0.05);
  // Near 1 : 3, not exactly: packing the exchanged blocks and the loss do not divide by capacity.
  EXPECT_NEAR(skewed[1] / skewed[0], 3.0, 0.35);
  // The same work, only divided differently.
  EXPECT_NEAR(skewed[0] + skewed[1], even[0] + even[1], 0.05 * (even[0] + even[1]));
}

TEST(PartitionWork, IgnoresTheMachineAndTheCapacities) {
  StepCostOptions fast = Batch(64);
  fast.machine.gemm_flops_per_second = 1e12;
  fast.capacities = {1, 0.1};
  EXPECT_EQ(PartitionWork(Balanced({1, 1}), fast), PartitionWork(Balanced({1, 1}), Batch(64)));
}

TEST(CapacityMeter, WaitsForWarmupAndAFullWindow) {
  CapacityMeter meter({1, 1}, {}, /*warmup_steps=*/2, /*window=*/3);
  for (int step = 0; step < 5; ++step) {
    EXPECT_FALSE(meter.Capacities()) << "after " << step << " steps";
    meter.Observe(0, 0.01, 0);
    meter.Observe(1, 0.02, 0);
  }
  ASSERT_TRUE(meter.Capacities());
  EXPECT_EQ(*meter.Capacities(), (std::vector<double>{1.0, 0.5}));
}

TEST(CapacityMeter, OnePartitionShortOfItsWindowKeepsItUndecided) {
  CapacityMeter meter({1, 1}, {}, 0, 2);
  meter.Observe(0, 0.01, 0);
  meter.Observe(0, 0.01, 0);
  meter.Observe(0, 0.01, 0);
  meter.Observe(1, 0.01, 0);
  EXPECT_FALSE(meter.Capacities());
  meter.Observe(1, 0.01, 0);
  EXPECT_EQ(*meter.Capacities(), (std::vector<double>{1.0, 1.0}));
}

TEST(CapacityMeter, SpeedIsWorkOverTime) {
  // Partition 1 has a third of partition 0's work and takes as long: it is a third as fast.
  CapacityMeter meter({3, 1}, {}, 0, 1);
  meter.Observe(0, 0.03, 0);
  meter.Observe(1, 0.03, 0);
  EXPECT_EQ(*meter.Capacities(), (std::vector<double>{1.0, 0.33}));
}

TEST(CapacityMeter, AQuotaBoundsWhatAWorkerDoesPerStep) {
  // Both compute their equal shares in 10 ms of wall time, but partition 1 spent 10 ms of CPU
  // on a quota of half a CPU: it can do that once per 20 ms.
  CapacityMeter meter({1, 1}, {0, 0.5}, 0, 1);
  meter.Observe(0, 0.01, 0.01);
  meter.Observe(1, 0.01, 0.01);
  EXPECT_EQ(*meter.Capacities(), (std::vector<double>{1.0, 0.5}));
}

TEST(CapacityMeter, AQuotaItStaysWithinChangesNothing) {
  CapacityMeter meter({1, 1}, {1, 0.5}, 0, 1);
  meter.Observe(0, 0.02, 0.02);
  meter.Observe(1, 0.04, 0.01);  // slow for another reason than its quota
  EXPECT_EQ(*meter.Capacities(), (std::vector<double>{1.0, 0.5}));
}

TEST(CapacityMeter, TheMedianStepDecidesNotAnOutlier) {
  CapacityMeter meter({1, 1}, {}, 0, 5);
  for (double t : {0.01, 0.01, 0.5, 0.01, 0.01}) meter.Observe(0, t, 0);
  for (double t : {0.02, 0.02, 0.02, 0.001, 0.02}) meter.Observe(1, t, 0);
  EXPECT_EQ(*meter.Capacities(), (std::vector<double>{1.0, 0.5}));
}

TEST(CapacityMeter, OnlyTheLastWindowCounts) {
  CapacityMeter meter({1, 1}, {}, 0, 2);
  for (int i = 0; i < 4; ++i) meter.Observe(0, 0.01, 0);
  for (double t : {0.04, 0.04, 0.02, 0.02}) meter.Observe(1, t, 0);
  EXPECT_EQ(*meter.Capacities(), (std::vector<double>{1.0, 0.5}));
}

TEST(CapacityMeter, APartitionWithoutWorkCountsAsFastest) {
  CapacityMeter meter({1, 0}, {}, 0, 1);
  meter.Observe(0, 0.01, 0);
  meter.Observe(1, 0.0, 0);
  EXPECT_EQ(*meter.Capacities(), (std::vector<double>{1.0, 1.0}));
}

TEST(CapacityMeter, IgnoresPartitionsOutsideThePlan) {
  CapacityMeter meter({1}, {}, 0, 1);
  meter.Observe(-1, 1, 0);
  meter.Observe(1, 1, 0);
  EXPECT_FALSE(meter.Capacities());
  meter.Observe(0, 1, 0);
  EXPECT_EQ(*meter.Capacities(), (std::vector<double>{1.0}));
}

TEST(CapacityMeter, NeverRoundsAWorkerToZero) {
  CapacityMeter meter({1, 1}, {}, 0, 1);
  meter.Observe(0, 0.001, 0);
  meter.Observe(1, 10, 0);
  EXPECT_EQ(*meter.Capacities(), (std::vector<double>{1.0, 0.01}));
}

TEST(CapacityMeter, SavesWhatABalancedSplitWouldShortenTheSlowestBy) {
  // Equal work; partition 1 takes 30 ms to partition 0's 10. Split by speed (3 : 1), each of the
  // 2 units of work takes 2 / (1/10 + 1/30) = 15 ms: 15 ms saved.
  CapacityMeter meter({1, 1}, {}, 0, 1);
  EXPECT_FALSE(meter.SecondsSavedPerStep());
  meter.Observe(0, 0.010, 0);
  meter.Observe(1, 0.030, 0);
  ASSERT_TRUE(meter.SecondsSavedPerStep());
  EXPECT_NEAR(*meter.SecondsSavedPerStep(), 0.015, 1e-12);
}

TEST(CapacityMeter, ABalancedSplitSavesNothing) {
  // Three times the work in the same time: already split by speed.
  CapacityMeter meter({3, 1}, {}, 0, 1);
  meter.Observe(0, 0.03, 0);
  meter.Observe(1, 0.03, 0);
  EXPECT_NEAR(*meter.SecondsSavedPerStep(), 0, 1e-12);
}

TEST(RebalanceWanted, ComparesCapacitiesRelativeToTheFastest) {
  EXPECT_FALSE(RebalanceWanted({2, 1}, {1.0, 0.5}, 0.05));
  EXPECT_FALSE(RebalanceWanted({1, 0.5}, {1.0, 0.54}, 0.05));
  EXPECT_TRUE(RebalanceWanted({1, 0.5}, {1.0, 0.56}, 0.05));
  EXPECT_TRUE(RebalanceWanted({1, 0.5}, {0.5, 1.0}, 0.05));
}

TEST(RebalanceWanted, NoCapacitiesMeansAllEqual) {
  EXPECT_FALSE(RebalanceWanted({}, {1.0, 0.97}, 0.05));
  EXPECT_TRUE(RebalanceWanted({}, {1.0, 0.6}, 0.05));
}

TEST(JudgeRebalance, PaysWhenTheTimeSavedOutweighsTheRestart) {
  CapacityMeter meter({1, 1}, {}, 0, 1);
  EXPECT_FALSE(JudgeRebalance(meter, {}, 0.1, 100, 1.0));
  meter.Observe(0, 0.010, 0);
  meter.Observe(1, 0.030, 0);  // 15 ms a step to save
  std::optional<RebalanceVerdict> many = JudgeRebalance(meter, {}, 0.1, 100, 1.0);
  ASSERT_TRUE(many);
  EXPECT_EQ(many->measured, (std::vector<double>{1.0, 0.33}));
  EXPECT_TRUE(many->differ);
  EXPECT_NEAR(many->seconds_saved, 1.5, 1e-9);
  EXPECT_TRUE(many->pays);
  std::optional<RebalanceVerdict> few = JudgeRebalance(meter, {}, 0.1, 50, 1.0);
  EXPECT_NEAR(few->seconds_saved, 0.75, 1e-9);
  EXPECT_TRUE(few->differ);
  EXPECT_FALSE(few->pays) << "0.75 s saved for a 1 s restart";
}

TEST(JudgeRebalance, CapacitiesWithinTheToleranceNeverPay) {
  CapacityMeter meter({1, 1}, {}, 0, 1);
  meter.Observe(0, 0.010, 0);
  meter.Observe(1, 0.030, 0);
  std::optional<RebalanceVerdict> v = JudgeRebalance(meter, {1, 0.3}, 0.1, 1e6, 0);
  EXPECT_FALSE(v->differ);
  EXPECT_FALSE(v->pays);
}

TEST(MoveCapacities, MovesTheGivenFractionOfTheWay) {
  EXPECT_EQ(MoveCapacities({1, 0.5}, {1, 0.7}, 0.5), (std::vector<double>{1.0, 0.6}));
  EXPECT_EQ(MoveCapacities({1, 0.5}, {1, 0.7}, 1), (std::vector<double>{1.0, 0.7}));
  EXPECT_EQ(MoveCapacities({}, {1, 0.5}, 0.5), (std::vector<double>{1.0, 0.75}));
}

TEST(MoveCapacities, ComparesRelativeToTheFastestAndStaysSo) {
  // {2, 1} is {1, 0.5}; halfway to {0.5, 1} is {0.75, 0.75}, which is all equal.
  EXPECT_EQ(MoveCapacities({2, 1}, {0.5, 1}, 0.5), (std::vector<double>{1.0, 1.0}));
}

}  // namespace
}  // namespace neuropart
