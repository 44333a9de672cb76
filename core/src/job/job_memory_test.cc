#include "neuropart/job/job_memory.h"

#include <gtest/gtest.h>

#include "neuropart/job/job_file.h"

namespace neuropart {
namespace {

// The issue's model: 784-4096-4096-4096-10, 36.8 M parameters, split evenly per layer.
std::string Job(int partitions, const std::string& extra_spec = "", double momentum = 0.9) {
  std::string percentages;
  for (int p = 0; p < partitions; ++p) {
    percentages += (p ? ", " : "") + std::to_string(100.0 / partitions);
  }
  return R"(apiVersion: neuropart.io/v1alpha1
kind: NeuralPartition
metadata: {name: wide}
spec:
  model:
    inputSize: 784
    layers:
      - {name: h1, neurons: 4096, activation: relu}
      - {name: h2, neurons: 4096, activation: relu}
      - {name: h3, neurons: 4096, activation: relu}
      - {name: out, neurons: 10, activation: softmax}
  distribution: {partitions: )" +
         std::to_string(partitions) + ", strategy: percentage, scope: perLayer, percentages: [" +
         percentages + R"(]}
  training:
    dataset: {format: synthetic, samples: 256, testSamples: 64, seed: 1}
    batchSize: 64
    optimizer: {learningRate: 0.01, momentum: )" +
         std::to_string(momentum) + "}\n" + extra_spec + "  storage: {directory: /tmp/s}\n";
}

PartitionMemory Estimate(const std::string& text, int partition) {
  StatusOr<ParsedJob> job = ParseJob(text, "job.yaml");
  EXPECT_TRUE(job.ok()) << job.status().ToString();
  StatusOr<Plan> plan = PlanJob(*job);
  EXPECT_TRUE(plan.ok()) << plan.status().ToString();
  return EstimatePartitionMemory(job->spec, *plan, partition);
}

TEST(JobMemoryTest, TrainingHoldsWeightsGradientsAndMomentumOfTheOwnedRowsOnly) {
  const PartitionMemory whole = Estimate(Job(1), 0);
  EXPECT_EQ(whole.parameters, 36'818'954);
  EXPECT_EQ(whole.weight_bytes, 4 * whole.parameters);
  EXPECT_EQ(whole.gradient_bytes, 4 * whole.parameters);
  EXPECT_EQ(whole.optimizer_bytes, 4 * whole.parameters);
  for (int partitions : {2, 4, 8}) {
    const PartitionMemory m = Estimate(Job(partitions), 1);
    // An even split of 4096 neurons per layer; the 10 outputs split by largest remainder.
    EXPECT_NEAR(static_cast<double>(m.parameters), whole.parameters / double(partitions),
                0.001 * whole.parameters)
        << partitions;
    EXPECT_EQ(m.weight_bytes + m.gradient_bytes + m.optimizer_bytes, 12 * m.parameters);
  }
}

TEST(JobMemoryTest, TheStepsBuffersScaleWithTheBatch) {
  std::string doubled = Job(4);
  doubled.replace(doubled.find("batchSize: 64"), 13, "batchSize: 128");
  const int64_t at64 = Estimate(Job(4), 1).exchange_bytes;
  EXPECT_EQ(Estimate(doubled, 1).exchange_bytes, 2 * at64);
  EXPECT_LT(at64, 64 * 4 * 3 * (784 + 3 * 4096 + 10) * 2);  // a few full-width rows per sample
}

TEST(JobMemoryTest, WithoutMomentumThereIsNoOptimizerState) {
  EXPECT_EQ(Estimate(Job(2, "", 0.0), 0).optimizer_bytes, 0);
}

TEST(JobMemoryTest, ServingHoldsTheWeightsOnly) {
  const PartitionMemory m = Estimate(Job(4, "  mode: serve\n"), 0);
  EXPECT_GT(m.weight_bytes, 0);
  EXPECT_EQ(m.gradient_bytes, 0);
  EXPECT_EQ(m.optimizer_bytes, 0);
  EXPECT_EQ(m.dataset_bytes, 0);
}

TEST(JobMemoryTest, TheProcessNeedsItsStateDatasetAndAllowance) {
  const PartitionMemory m = Estimate(Job(4), 0);
  EXPECT_EQ(m.dataset_bytes, (256 + 64) * 784 * 4);
  EXPECT_EQ(m.total(), m.state() + m.dataset_bytes + kWorkerProcessBytes);
}

TEST(JobMemoryTest, APlanOverTheWorkersLimitIsRefusedNamingPartitionAndNumbers) {
  StatusOr<ParsedJob> job = ParseJob(Job(4, "  worker: {resources: {limits: {memory: 100Mi}}}\n"),
                                     "job.yaml");
  ASSERT_TRUE(job.ok()) << job.status().ToString();
  StatusOr<Plan> plan = PlanJob(*job);
  ASSERT_EQ(plan.status().code(), StatusCode::kInvalidArgument);
  EXPECT_NE(plan.status().message().find(
                "spec.worker.resources.limits.memory: partition 0 needs "),
            std::string::npos)
      << plan.status().message();
  EXPECT_NE(plan.status().message().find("more than the limit of 104857600"), std::string::npos);
  // 4 x the state of a quarter fits in 200 MiB.
  job->spec.worker_memory_limit = 200 << 20;
  EXPECT_TRUE(PlanJob(*job).ok());
}

}  // namespace
}  // namespace neuropart
