#include "neuropart/exec/training_session.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <thread>

#include "testing/distributed_test_util.h"
#include "neuropart/engine/reference_trainer.h"
#include "neuropart/job/batch_schedule.h"
#include "neuropart/plan/distributor.h"
#include "neuropart/store/model_io.h"

namespace neuropart {
namespace {

namespace fs = std::filesystem;

JobSpec Job(const std::string& name) {
  JobSpec spec;
  spec.name = name;
  spec.model.input_size = 10;
  spec.model.layers = {{"h1", 16, Activation::kRelu, {}},
                       {"h2", 12, Activation::kTanh, {Connectivity::Type::kSparse, 6, 4}},
                       {"out", 5, Activation::kSoftmax, {}}};
  spec.init_seed = 11;
  spec.training.dataset.samples = 96;
  spec.training.dataset.test_samples = 40;
  spec.training.dataset.seed = 5;
  spec.training.epochs = 2;
  spec.training.batch_size = 16;
  spec.training.micro_batches = 2;
  spec.training.optimizer = {0.1, 0.9, 1e-4};
  spec.training.shuffle = true;
  spec.training.seed = 3;
  spec.training.checkpoint_every = 4;
  return spec;
}

DistributionSpec Balanced(int P) {
  DistributionSpec d;
  d.partitions = P;
  d.strategy = Strategy::kBalanced;
  return d;
}

class SessionTest : public ::testing::Test {
 protected:
  void SetUp() override {
    store_ = fs::temp_directory_path() /
             ("np-session-" + std::to_string(::getpid()) + "-" +
              ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(store_);
    fs::create_directories(store_);
  }
  void TearDown() override { fs::remove_all(store_); }

  // Runs every partition of `plan` in its own thread; returns the coordinator's outcome or the
  // first partition's error. `crash_at` makes `crash_partition` fail right after that step.
  StatusOr<TrainingOutcome> RunAll(const JobSpec& spec, const Plan& plan, int64_t max_steps = -1,
                                   int64_t crash_at = -1, int crash_partition = 0) {
    StatusOr<JobData> data = LoadJobData(spec);
    if (!data.ok()) return data.status();
    const int P = plan.num_partitions();
    InProcessNetwork net(P);
    std::vector<StatusOr<TrainingOutcome>> results(P, InternalError("not run"));
    std::vector<std::thread> threads;
    for (int p = 0; p < P; ++p) {
      threads.emplace_back([&, p] {
        SessionConfig c;
        c.spec = &spec;
        c.plan = &plan;
        c.data = &*data;
        c.store = store_.string();
        c.exec.partition = p;
        c.exec.sgd = {0.1f, 0.9f, 1e-4f};
        c.exec.timeout = std::chrono::milliseconds(crash_at >= 0 ? 1000 : 20000);
        c.max_steps = max_steps;
        if (p == crash_partition && crash_at >= 0) {
          c.after_step = [crash_at](int64_t step) {
            return step == crash_at ? InternalError("simulated crash") : Status::Ok();
          };
        }
        results[p] = RunTrainingSession(c, net.Endpoint(p));
      });
    }
    for (std::thread& t : threads) t.join();
    for (const auto& r : results) {
      if (!r.ok()) return r.status();
    }
    return results[0];
  }

  ModelParams Exported(const JobSpec& spec) {
    StatusOr<ModelParams> p = ReadModelWeights(
        (store_ / "jobs" / spec.name / "export" / "model.safetensors").string(), spec.model);
    EXPECT_TRUE(p.ok()) << p.status().ToString();
    return p.ok() ? *p : ModelParams{};
  }

  // The reference trainer over the same schedule.
  ModelParams Reference(const JobSpec& spec) {
    JobData data = *LoadJobData(spec);
    ReferenceTrainer trainer(spec.model, InitModel(spec.model, spec.init_seed),
                             {0.1f, 0.9f, 1e-4f});
    const TrainingSpec& t = spec.training;
    BatchSchedule schedule(data.train.size(), t.batch_size, t.epochs, t.max_steps, t.shuffle, t.seed);
    MatrixF x;
    std::vector<int32_t> labels;
    for (int64_t s = 0; s < schedule.TotalSteps(); ++s) {
      GatherBatch(data.train, schedule.Batch(s), &x, &labels);
      trainer.TrainStep(x, labels.data(), t.micro_batches);
    }
    return trainer.params();
  }

  fs::path store_;
};

TEST_F(SessionTest, DistributedRunExportsTheReferenceModel) {
  JobSpec spec = Job("match");
  Plan plan = *Distribute(spec.model, Balanced(3));
  StatusOr<TrainingOutcome> out = RunAll(spec, plan);
  ASSERT_TRUE(out.ok()) << out.status().ToString();
  EXPECT_EQ(out->steps, 12);
  EXPECT_EQ(out->test.samples, 40);
  std::string where;
  EXPECT_LE(MaxRelativeDifference(Exported(spec), Reference(spec), &where), 1e-5) << where;
}

TEST_F(SessionTest, ResumeAfterACrashIsBitIdentical) {
  JobSpec spec = Job("resume");
  Plan plan = *Distribute(spec.model, Balanced(3));
  ASSERT_TRUE(RunAll(spec, plan).ok());
  const ModelParams uninterrupted = Exported(spec);
  fs::remove_all(store_ / "jobs");

  StatusOr<TrainingOutcome> crashed = RunAll(spec, plan, -1, /*crash_at=*/7, /*partition=*/2);
  ASSERT_FALSE(crashed.ok());
  StatusOr<TrainingOutcome> resumed = RunAll(spec, plan);
  ASSERT_TRUE(resumed.ok()) << resumed.status().ToString();
  EXPECT_EQ(resumed->start_step, 4);  // the last committed checkpoint before step 7
  const ModelParams after = Exported(spec);
  for (size_t l = 0; l < after.size(); ++l) {
    EXPECT_TRUE(after[l].weight == uninterrupted[l].weight) << "layer " << l;
    EXPECT_TRUE(after[l].bias == uninterrupted[l].bias) << "layer " << l;
  }
}

TEST_F(SessionTest, ACheckpointResumesUnderAnotherPlan) {
  JobSpec spec = Job("replan");
  Plan three = *Distribute(spec.model, Balanced(3));
  ASSERT_TRUE(RunAll(spec, three, /*max_steps=*/4).ok());
  DistributionSpec layers;
  layers.partitions = 2;
  layers.strategy = Strategy::kLayers;
  layers.layers = {{"h1", "out"}, {"h2"}};
  Plan two = *Distribute(spec.model, layers);
  StatusOr<TrainingOutcome> out = RunAll(spec, two);
  ASSERT_TRUE(out.ok()) << out.status().ToString();
  EXPECT_EQ(out->start_step, 4);
  std::string where;
  EXPECT_LE(MaxRelativeDifference(Exported(spec), Reference(spec), &where), 1e-5) << where;
}

}  // namespace
}  // namespace neuropart
