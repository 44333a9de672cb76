#include "neuropart/job/job_paths.h"

#include <gtest/gtest.h>
#include <stdlib.h>

#include <filesystem>
#include <fstream>

namespace neuropart {
namespace {

const char* kJob = R"(apiVersion: neuropart.io/v1alpha1
kind: NeuralPartition
metadata:
  name: mlp
spec:
  model:
    inputSize: 4
    layers:
      - {name: out, neurons: 3, activation: softmax}
  training:
    dataset:
      format: csv
      path: DIR/train.csv
      testPath: DIR/test.csv
)";

class JobPathsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    // A fresh private directory per test: mkdtemp(3) replaces the trailing six X characters.
    std::string unique_dir = ::testing::TempDir() + "/neuropart_paths_XXXXXX";
    ASSERT_NE(::mkdtemp(unique_dir.data()), nullptr);
    dir_ = unique_dir;
    std::string text = kJob;
    for (size_t at; (at = text.find("DIR")) != std::string::npos;) text.replace(at, 3, dir_);
    StatusOr<ParsedJob> job = ParseJob(text, "job.yaml");
    ASSERT_TRUE(job.ok()) << job.status().ToString();
    job_ = *job;
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }
  void Touch(const std::string& name) { std::ofstream(dir_ + "/" + name) << "1,2,3,4,0\n"; }

  std::string dir_;
  ParsedJob job_;
};

TEST_F(JobPathsTest, AMissingDatasetFileNamesTheFieldAndLine) {
  EXPECT_EQ(CheckDatasetFiles(job_).message(), "spec.training.dataset.path: " + dir_ +
                                                   "/train.csv: No such file or directory "
                                                   "(job.yaml:13)");
  Touch("train.csv");
  EXPECT_EQ(CheckDatasetFiles(job_).message(), "spec.training.dataset.testPath: " + dir_ +
                                                   "/test.csv: No such file or directory "
                                                   "(job.yaml:14)");
  std::filesystem::create_directory(dir_ + "/test.csv");
  EXPECT_EQ(CheckDatasetFiles(job_).message(), "spec.training.dataset.testPath: " + dir_ +
                                                   "/test.csv: is a directory, not a file "
                                                   "(job.yaml:14)");
  std::filesystem::remove(dir_ + "/test.csv");
  Touch("test.csv");
  EXPECT_TRUE(CheckDatasetFiles(job_).ok());
}

TEST_F(JobPathsTest, AStoreThatIsAFileIsRefusedNamingWhereItCameFrom) {
  Touch("store");
  const Status s = CheckJobStore(job_, dir_ + "/store", "--store");
  EXPECT_EQ(s.code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(s.message(), "--store: mkdir " + dir_ + "/store/jobs: Not a directory");
}

TEST_F(JobPathsTest, AnExportPathInTheWayIsRefusedBeforeTraining) {
  const std::string export_dir = dir_ + "/jobs/mlp/export";
  std::filesystem::create_directories(dir_ + "/jobs/mlp");
  Touch("jobs/mlp/export");
  EXPECT_EQ(CheckJobStore(job_, dir_, "--store").message(),
            "--store: " + export_dir + " is not a directory; the job exports its model to " +
                export_dir + "/model.safetensors");
  std::filesystem::remove(export_dir);
  std::filesystem::create_directories(export_dir + "/model.safetensors");
  EXPECT_EQ(CheckJobStore(job_, dir_, "--store").message(),
            "--store: " + export_dir + "/model.safetensors is a directory; the job exports its "
            "model there");
  std::filesystem::remove(export_dir + "/model.safetensors");
  EXPECT_TRUE(CheckJobStore(job_, dir_, "--store").ok());
}

}  // namespace
}  // namespace neuropart
