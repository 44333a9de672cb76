#include "neuropart/job/job_file.h"

#include <gtest/gtest.h>

#include <fstream>

#include "neuropart/base/limits.h"
#include "neuropart/plan/auto_strategy.h"

namespace neuropart {
namespace {

// A valid job; each error case edits one line of it.
const char* kJob = R"(apiVersion: neuropart.io/v1alpha1
kind: NeuralPartition
metadata:
  name: mlp
spec:
  model:
    inputSize: 4
    init: {seed: 7}
    layers:
      - {name: h1, neurons: 8, activation: relu}
      - {name: h2, neurons: 6, activation: tanh, connectivity: {type: sparse, fanIn: 3, seed: 1}}
      - {name: out, neurons: 3, activation: softmax}
  distribution:
    partitions: 2
    strategy: percentage
    percentages: [50, 50]
    scope: perLayer
  training:
    dataset: {format: synthetic, samples: 64, seed: 3}
    epochs: 2
    batchSize: 16
    microBatches: 2
    optimizer: {learningRate: 0.1, momentum: 0.9, weightDecay: 0.0001}
    shuffle: false
  storage:
    directory: /tmp/store
)";

std::string Replace(std::string text, const std::string& from, const std::string& to) {
  const size_t at = text.find(from);
  EXPECT_NE(at, std::string::npos) << from;
  if (at != std::string::npos) text.replace(at, from.size(), to);
  return text;
}

TEST(JobFileTest, ParsesEveryField) {
  StatusOr<ParsedJob> job = ParseJob(kJob, "job.yaml");
  ASSERT_TRUE(job.ok()) << job.status().ToString();
  const JobSpec& s = job->spec;
  EXPECT_EQ(s.name, "mlp");
  EXPECT_EQ(s.model.input_size, 4);
  ASSERT_EQ(s.model.num_layers(), 3);
  EXPECT_EQ(s.model.layers[1].activation, Activation::kTanh);
  EXPECT_TRUE(s.model.IsSparse(1));
  EXPECT_EQ(s.model.layers[1].connectivity.fan_in, 3);
  EXPECT_EQ(s.init_seed, 7u);
  EXPECT_EQ(s.distribution.strategy, Strategy::kPercentage);
  EXPECT_EQ(s.distribution.scope, Scope::kPerLayer);
  EXPECT_EQ(s.distribution.percentages, (std::vector<double>{50, 50}));
  EXPECT_EQ(s.training.batch_size, 16);
  EXPECT_EQ(s.training.micro_batches, 2);
  EXPECT_DOUBLE_EQ(s.training.optimizer.momentum, 0.9);
  EXPECT_FALSE(s.training.shuffle);
  EXPECT_EQ(s.training.dataset.samples, 64);
  EXPECT_EQ(s.storage.directory, "/tmp/store");
  EXPECT_EQ(job->source.lines.at("spec.training.batchSize"), 21);
  EXPECT_EQ(s.transport.rendezvous_timeout_seconds, 600);  // defaults
  EXPECT_EQ(s.transport.encryption, "curve");
  EXPECT_TRUE(s.transport.encrypted());
  EXPECT_FALSE(s.suspend);
  EXPECT_EQ(s.pending_deadline_seconds, 600);
  StatusOr<Plan> plan = PlanJob(*job);
  ASSERT_TRUE(plan.ok()) << plan.status().ToString();
  EXPECT_EQ(plan->num_partitions(), 2);
}

struct ErrorCase {
  std::string from, to, message;
};

TEST(JobFileTest, ParsesTheClusterLifecycleFields) {
  StatusOr<ParsedJob> job = ParseJob(
      Replace(kJob, "  storage:",
              "  suspend: true\n  pendingDeadlineSeconds: 0\n"
              "  transport: {timeoutSeconds: 30, rendezvousTimeoutSeconds: 900}\n  storage:"),
      "job.yaml");
  ASSERT_TRUE(job.ok()) << job.status().ToString();
  EXPECT_TRUE(job->spec.suspend);
  EXPECT_EQ(job->spec.pending_deadline_seconds, 0);
  EXPECT_EQ(job->spec.transport.timeout_seconds, 30);
  EXPECT_EQ(job->spec.transport.rendezvous_timeout_seconds, 900);
}

TEST(JobFileTest, ErrorsNameTheFieldAndTheLine) {
  const std::vector<ErrorCase> cases = {
      {"kind: NeuralPartition", "kind: Pod", "kind: must be NeuralPartition, got \"Pod\" (job.yaml:2)"},
      {"  name: mlp", "  name: My_Job",
       "metadata.name: must be a DNS-1035 label of at most 40 characters (lowercase letters, "
       "digits and '-', starting with a letter; it names pods and Services), got \"My_Job\" "
       "(job.yaml:4)"},
      {"  name: mlp", "  name: 3layers",
       "metadata.name: must be a DNS-1035 label of at most 40 characters (lowercase letters, "
       "digits and '-', starting with a letter; it names pods and Services), got \"3layers\" "
       "(job.yaml:4)"},
      {"    epochs: 2", "    epochs: 2\n    epoch: 3",
       "spec.training.epoch: unknown field (known: dataset, epochs, maxSteps, batchSize, "
       "microBatches, optimizer, shuffle, seed, checkpointEvery) (job.yaml:21)"},
      {"    batchSize: 16", "    batchSize: lots",
       "spec.training.batchSize: must be an integer, got \"lots\" (job.yaml:21)"},
      {"    batchSize: 16", "    batchSize: 0", "spec.training.batchSize: must be >= 1, got 0 (job.yaml:21)"},
      {"    microBatches: 2", "    microBatches: 32",
       "spec.training.microBatches: must be <= batchSize (16), got 32 (job.yaml:22)"},
      {"[50, 50]", "[50, 45]", "spec.distribution.percentages: must sum to 100, got 95 (job.yaml:16)"},
      {"    partitions: 2", "    partitions: 0",
       "spec.distribution.partitions: must be >= 1, got 0 (job.yaml:14)"},
      {"strategy: percentage", "strategy: random",
       "spec.distribution.strategy: unknown strategy \"random\" (want count, percentage, "
       "identifiers, layers, balanced or auto) (job.yaml:15)"},
      {"activation: tanh,", "activation: gelu,",
       "spec.model.layers[1].activation: unknown activation \"gelu\" (want relu, tanh, sigmoid, "
       "identity or softmax) (job.yaml:11)"},
      {"activation: relu}", "activation: softmax}",
       "spec.model.layers[0] (h1).activation: softmax is allowed only on the last layer (job.yaml:10)"},
      {"fanIn: 3,", "fanIn: 30,",
       "spec.model.layers[1] (h2).connectivity.fanIn: must be in [1, 8], got 30 (job.yaml:11)"},
      {"{format: synthetic, samples: 64, seed: 3}", "{format: parquet}",
       "spec.training.dataset.format: must be idx, csv or synthetic, got \"parquet\" (job.yaml:19)"},
      {"{format: synthetic, samples: 64, seed: 3}", "{format: idx, images: a.gz}",
       "spec.training.dataset.labels: is required (job.yaml:19)"},
      {"    shuffle: false", "    shuffle: maybe",
       "spec.training.shuffle: must be true or false, got \"maybe\" (job.yaml:24)"},
      {"momentum: 0.9", "momentum: 1.5", "spec.training.optimizer.momentum: must be in [0, 1) (job.yaml:23)"},
      {"  storage:", "  transport: {dtype: fp8}\n  storage:",
       "spec.transport.dtype: must be fp32, fp16 or bf16, got \"fp8\" (job.yaml:25)"},
      {"  storage:", "  transport: {encryption: tls}\n  storage:",
       "spec.transport.encryption: must be curve or none, got \"tls\" (job.yaml:25)"},
      {"  storage:", "  transport: {rendezvousTimeoutSeconds: 0}\n  storage:",
       "spec.transport.rendezvousTimeoutSeconds: must be >= 1 (job.yaml:25)"},
      {"  storage:", "  pendingDeadlineSeconds: -5\n  storage:",
       "spec.pendingDeadlineSeconds: must be >= 0 (0: no deadline) (job.yaml:25)"},
      {"    layers:\n", "    layer:\n",
       "spec.model.layer: unknown field (known: inputSize, layers, init, weights) (job.yaml:9)"},
      // Sizes are bounded before anything of their size is allocated (neuropart/base/limits.h).
      {"    partitions: 2", "    partitions: 1000000000",
       "spec.distribution.partitions: must be <= 256, got 1000000000 (job.yaml:14)"},
      {"{name: h1, neurons: 8,", "{name: h1, neurons: 2000000000,",
       "spec.model.layers[0] (h1).neurons: must be <= 1073741824, got 2000000000 (job.yaml:10)"},
      {"    inputSize: 4", "    inputSize: 1000000000000",
       "spec.model.inputSize: must be <= 1073741824, got 1000000000000 (job.yaml:7)"},
      {"samples: 64,", "samples: 1000000000000,",
       "spec.training.dataset.samples: must be <= 16777216, got 1000000000000 (job.yaml:19)"},
      {"samples: 64,", "samples: 64, testSamples: 20000000,",
       "spec.training.dataset.testSamples: must be <= 16777216, got 20000000 (job.yaml:19)"},
      // Partition 0 owns 46 parameters (184 bytes each of weights, gradients, momentum) and 9
      // sparse index entries (36 bytes); a 16-row training step of 70 values a row (4480 bytes)
      // and its 1792 bytes of messages; 76 synthetic rows of 4 floats.
      {"  storage:", "  worker: {resources: {limits: {memory: 1Ki}}}\n  storage:",
       "spec.worker.resources.limits.memory: partition 0 needs 25173900 bytes (220 weights, 184 "
       "gradients, 184 optimizer state, 6272 exchange buffers, 1216 dataset, 25165824 for the "
       "process), more than the limit of 1024 (job.yaml:25)"},
      {"  storage:", "  worker: {resources: {limits: {memory: lots}}}\n  storage:",
       "spec.worker.resources.limits.memory: \"lots\" is not a resource quantity (job.yaml:25)"},
      {"  storage:", "  worker: {resources: {limits: {memory: 64Mi, cpu: 2}}}\n  storage:", ""},
      {"    scope: perLayer", "    scope: perLayer\n    counts: [1, 2]\n",
       ""},  // counts are ignored by percentage: no error (strategy decides which list applies)
  };
  for (const ErrorCase& c : cases) {
    StatusOr<ParsedJob> job = ParseJob(Replace(kJob, c.from, c.to), "job.yaml");
    if (c.message.empty()) {
      EXPECT_TRUE(job.ok()) << c.to;
      continue;
    }
    if (job.ok()) {
      StatusOr<Plan> plan = PlanJob(*job);
      ASSERT_FALSE(plan.ok()) << c.to;
      EXPECT_EQ(plan.status().message(), c.message);
      continue;
    }
    EXPECT_EQ(job.status().code(), StatusCode::kInvalidArgument) << c.to;
    EXPECT_EQ(job.status().message(), c.message);
  }
}

TEST(JobFileTest, AModelOverTheParameterLimitIsRefusedAtTheLayerThatCrossesIt) {
  std::string text = Replace(kJob, "    inputSize: 4", "    inputSize: 1024");
  text = Replace(text, "{name: h1, neurons: 8,", "{name: h1, neurons: 1073741824,");
  EXPECT_EQ(ParseJob(text, "job.yaml").status().message(),
            "spec.model.layers[0].neurons: the model has more than 1099511627776 parameters up "
            "to this layer (the limit) (job.yaml:10)");
}

TEST(JobFileTest, AModelOverTheLayerLimitIsRefused) {
  std::string layers;
  for (int l = 0; l < 257; ++l) {
    layers += "      - {name: l" + std::to_string(l) + ", neurons: 3}\n";
  }
  const std::string text =
      Replace(kJob, "      - {name: h1, neurons: 8, activation: relu}\n", layers);
  EXPECT_EQ(ParseJob(text, "job.yaml").status().message(),
            "spec.model.layers: must have at most 256 layers, got 259 (job.yaml:10)");
}

TEST(JobFileTest, StrategyAutoIsChosenForTheJobsStep) {
  std::string text = Replace(kJob, "strategy: percentage", "strategy: auto");
  text = Replace(text, "    percentages: [50, 50]\n    scope: perLayer\n", "    capacities: [1, 3]\n");
  text = Replace(text, "  storage:", "  transport: {dtype: bf16}\n  storage:");
  StatusOr<ParsedJob> job = ParseJob(text, "job.yaml");
  ASSERT_TRUE(job.ok()) << job.status().ToString();
  const StepCostOptions costs = StepCostsOf(job->spec);
  EXPECT_EQ(costs.batch_size, 16);
  EXPECT_EQ(costs.micro_batches, 2);
  EXPECT_EQ(costs.bytes_per_value, 2);
  EXPECT_EQ(costs.capacities, (std::vector<double>{1, 3}));
  StatusOr<Plan> plan = PlanJob(*job);
  ASSERT_TRUE(plan.ok()) << plan.status().ToString();
  EXPECT_EQ(plan->strategy(), Strategy::kAuto);
  DistributionSpec d = job->spec.distribution;
  d.costs = costs;
  StatusOr<std::vector<AutoCandidate>> ranked = RankAutoCandidates(job->spec.model, d);
  ASSERT_TRUE(ranked.ok());
  EXPECT_EQ(plan->hash(), ranked->front().plan.hash());
}

TEST(JobFileTest, PlanErrorsPointAtTheirLine) {
  std::string text = Replace(kJob, "strategy: percentage", "strategy: identifiers");
  text = Replace(text, "    percentages: [50, 50]",
                 "    identifiers:\n      - [\"h1:*\", \"h2:*\"]\n      - [\"out:*\", \"h9:1\"]");
  StatusOr<ParsedJob> job = ParseJob(text, "job.yaml");
  ASSERT_TRUE(job.ok()) << job.status().ToString();
  StatusOr<Plan> plan = PlanJob(*job);
  ASSERT_FALSE(plan.ok());
  EXPECT_EQ(plan.status().message(),
            "spec.distribution.identifiers[1][1]: \"h9:1\": unknown layer \"h9\" (job.yaml:18)");
}

TEST(JobFileTest, SyntaxErrorsGiveLineAndColumn) {
  StatusOr<ParsedJob> job = ParseJob("apiVersion: [\nkind: x\n", "bad.yaml");
  ASSERT_FALSE(job.ok());
  EXPECT_EQ(job.status().message().rfind("bad.yaml:", 0), 0u) << job.status().message();
}

TEST(JobFileTest, MissingFileIsNotFound) {
  EXPECT_EQ(LoadJobFile("/nonexistent/job.yaml").status().code(), StatusCode::kNotFound);
}

TEST(JobFileTest, ADirectoryIsNotAJobFile) {
  const std::string dir = ::testing::TempDir();
  EXPECT_EQ(LoadJobFile(dir).status().message(), dir + ": is a directory, not a job file");
  EXPECT_EQ(LoadJobFile(dir).status().code(), StatusCode::kInvalidArgument);
}

// A job file that never ends is refused after the limit, before it is all in memory.
TEST(JobFileTest, AJobFileIsReadUpToItsLimit) {
  EXPECT_EQ(LoadJobFile("/dev/zero").status().message(),
            "/dev/zero: is larger than 1048576 bytes, the limit for a job file");
  const std::string path = ::testing::TempDir() + "/big-job.yaml";
  std::ofstream(path) << kJob << "# " << std::string(kMaxJobFileBytes, 'x') << "\n";
  EXPECT_EQ(LoadJobFile(path).status().message(),
            path + ": is larger than 1048576 bytes, the limit for a job file");
  std::ofstream(path, std::ios::trunc) << kJob;
  EXPECT_TRUE(LoadJobFile(path).ok());
}

TEST(JobFileTest, ADuplicateKeyIsRefusedWithItsPosition) {
  EXPECT_EQ(ParseJob(Replace(kJob, "    shuffle: false", "    shuffle: false\n    epochs: 9"),
                     "job.yaml")
                .status()
                .message(),
            "job.yaml:25:5: duplicate key \"epochs\" (first at line 20)");
}

// Layer names go into plans, JSON, metrics labels and tensor names: bytes that are not printable
// ASCII are refused, and not echoed back.
TEST(JobFileTest, ALayerNameMustBePrintableAscii) {
  for (const char* name : {"h\xff", "h\xc3\xa9", "h\x01x"}) {
    StatusOr<ParsedJob> job =
        ParseJob(Replace(kJob, "{name: h2,", std::string("{name: \"") + name + "\","), "job.yaml");
    EXPECT_EQ(job.status().message(),
              "spec.model.layers[1].name: must be printable ASCII (letters, digits, punctuation) "
              "(job.yaml:11)")
        << name;
  }
}

TEST(JobFileTest, EveryExampleIsValid) {
  const char* src = std::getenv("NEUROPART_SOURCE_DIR");
  ASSERT_NE(src, nullptr);
  int checked = 0;
  for (const char* name : {"mnist-count.yaml", "mnist-percentage.yaml", "mnist-identifiers.yaml",
                           "mnist-layers.yaml", "mnist-balanced.yaml", "sparse-synthetic.yaml"}) {
    StatusOr<ParsedJob> job = LoadJobFile(std::string(src) + "/examples/" + name);
    ASSERT_TRUE(job.ok()) << name << ": " << job.status().ToString();
    StatusOr<Plan> plan = PlanJob(*job);
    EXPECT_TRUE(plan.ok()) << name << ": " << plan.status().ToString();
    ++checked;
  }
  EXPECT_EQ(checked, 6);
}

}  // namespace
}  // namespace neuropart
