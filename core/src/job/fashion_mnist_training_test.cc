// The reference trainer learns the real Fashion-MNIST: a 784-128-10 MLP trained with SGD with
// momentum, reaches at least 85% test accuracy (three epochs; two give 81%). Uses Debian's dataset-fashion-mnist (installed by
// scripts/install-deps.sh); skipped with a message where it is absent. Takes a few seconds.
#include <gtest/gtest.h>
#include <unistd.h>

#include "neuropart/engine/math_threads.h"
#include "neuropart/engine/reference_trainer.h"
#include "neuropart/job/batch_schedule.h"
#include "neuropart/job/job_data.h"
#include "neuropart/job/job_file.h"

namespace neuropart {
namespace {

constexpr char kJob[] = R"(apiVersion: neuropart.io/v1alpha1
kind: NeuralPartition
metadata: {name: fashion}
spec:
  model:
    inputSize: 784
    init: {seed: 1}
    layers:
      - {name: h1, neurons: 128, activation: relu}
      - {name: out, neurons: 10, activation: softmax}
  distribution: {partitions: 1, strategy: balanced}
  training:
    dataset:
      format: idx
      images: /usr/share/datasets/fashion-mnist/train-images-idx3-ubyte.gz
      labels: /usr/share/datasets/fashion-mnist/train-labels-idx1-ubyte.gz
      testImages: /usr/share/datasets/fashion-mnist/t10k-images-idx3-ubyte.gz
      testLabels: /usr/share/datasets/fashion-mnist/t10k-labels-idx1-ubyte.gz
    epochs: 3
    batchSize: 64
    optimizer: {learningRate: 0.05, momentum: 0.9}
    seed: 7
)";

TEST(FashionMnistTrainingTest, ReferenceTrainerReaches85PercentTestAccuracy) {
  if (::access("/usr/share/datasets/fashion-mnist/train-images-idx3-ubyte.gz", R_OK) != 0) {
    GTEST_SKIP() << "Fashion-MNIST not found (install the Debian package dataset-fashion-mnist)";
  }
  // One math thread: small GEMMs gain nothing from a second one, and waking it costs (cli/main.cc).
  SetMathThreads(1);
  StatusOr<ParsedJob> job = ParseJob(kJob, "fashion.yaml");
  ASSERT_TRUE(job.ok()) << job.status().ToString();
  StatusOr<JobData> data = LoadJobData(job->spec);
  ASSERT_TRUE(data.ok()) << data.status().ToString();
  const JobSpec& spec = job->spec;
  const OptimizerSpec& o = spec.training.optimizer;
  ReferenceTrainer trainer(spec.model, InitModel(spec.model, spec.init_seed),
                           {static_cast<float>(o.learning_rate), static_cast<float>(o.momentum),
                            static_cast<float>(o.weight_decay)});
  const TrainingSpec& t = spec.training;
  BatchSchedule schedule(data->train.size(), t.batch_size, t.epochs, t.max_steps, t.shuffle,
                         t.seed);
  MatrixF x;
  std::vector<int32_t> labels;
  for (int64_t step = 0; step < schedule.TotalSteps(); ++step) {
    GatherBatch(data->train, schedule.Batch(step), &x, &labels);
    trainer.TrainStep(x, labels.data(), 1);
  }
  const EvalResult test = trainer.Evaluate(data->test.x, data->test.labels, 1000);
  EXPECT_EQ(test.samples, 10000);
  EXPECT_GE(test.accuracy, 0.85) << "test loss " << test.loss;
}

}  // namespace
}  // namespace neuropart
