#include "neuropart/lifecycle/job_status.h"

#include <gtest/gtest.h>

#include <cmath>
#include <limits>

namespace neuropart {
namespace {

TEST(JobStatusTest, WhatTheWorkerWritesTheOperatorReads) {
  JobStatus s;
  s.job = "mnist";
  s.phase = JobPhase::kTraining;
  s.step = 12;
  s.total_steps = 940;
  s.epoch = 1;
  s.loss = 0.5;
  s.accuracy = 0.25;
  s.last_checkpoint = 10;
  s.partitions = {{0, PartitionPhase::kRunning}, {1, PartitionPhase::kStarting}};
  StatusOr<Json> doc = ParseJson(JobStatusToJson(s));
  ASSERT_TRUE(doc.ok()) << doc.status().ToString();
  const JobStatusReading r = ReadJobStatus(*doc);
  EXPECT_EQ(r.phase, JobPhase::kTraining);
  EXPECT_EQ(r.step, 12);
  EXPECT_EQ(r.epoch, 1);
  EXPECT_EQ(r.loss, 0.5);
  EXPECT_EQ(r.accuracy, 0.25);
  EXPECT_EQ(r.last_checkpoint, 10);
  EXPECT_EQ(GetString(*doc, "job"), "mnist");
  EXPECT_EQ(GetInt(*doc, "totalSteps"), 940);
  ASSERT_EQ(Elements(*FindMember(*doc, "partitions")).size(), 2u);
  EXPECT_EQ(GetString(Elements(*FindMember(*doc, "partitions"))[1], "state"), "Starting");
}

TEST(JobStatusTest, AnUnknownLossIsNullAndReadsAsAbsent) {
  JobStatus s;
  s.loss = std::numeric_limits<double>::quiet_NaN();
  const std::string text = JobStatusToJson(s);
  EXPECT_NE(text.find(R"("loss":null)"), std::string::npos) << text;
  StatusOr<Json> doc = ParseJson(text);
  ASSERT_TRUE(doc.ok());
  EXPECT_EQ(ReadJobStatus(*doc).loss, std::nullopt);
  EXPECT_EQ(ReadJobStatus(*doc).phase, JobPhase::kStarting);
}

TEST(JobStatusTest, MissingOrForeignFieldsReadAsAbsent) {
  StatusOr<Json> doc = ParseJson(R"({"phase": "Dancing", "step": "12", "epoch": 3})");
  ASSERT_TRUE(doc.ok());
  const JobStatusReading r = ReadJobStatus(*doc);
  EXPECT_EQ(r.phase, std::nullopt);
  EXPECT_EQ(r.step, std::nullopt);
  EXPECT_EQ(r.epoch, 3);
  EXPECT_EQ(r.last_checkpoint, std::nullopt);
}

TEST(JobStatusTest, EveryPhaseNameParsesBack) {
  for (JobPhase p : {JobPhase::kStarting, JobPhase::kTraining, JobPhase::kEvaluating,
                     JobPhase::kExporting, JobPhase::kServing, JobPhase::kSucceeded,
                     JobPhase::kFailed}) {
    EXPECT_EQ(ParseJobPhase(JobPhaseName(p)), p) << JobPhaseName(p);
  }
}

}  // namespace
}  // namespace neuropart
