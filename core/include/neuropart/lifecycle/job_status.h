// JobStatus: what a job's coordinator reports on GET /status — written by the worker
// (worker/status_server.cc) and read by the operator (the NeuralPartition's status) — defined once:
// the phase and state words, the document's keys and both directions of its JSON.
//
//   {"job": "mnist", "phase": "Training", "step": 12, "totalSteps": 940, "epoch": 0,
//    "loss": 0.51, "accuracy": 0, "samplesPerSecond": 15360.0, "lastCheckpoint": 10,
//    "partitions": [{"partition": 0, "state": "Running"}, ...]}
//
// A loss, accuracy or rate that is not finite is written as null. Plain data and pure functions;
// thread-safe.
#ifndef NEUROPART_LIFECYCLE_JOB_STATUS_H_
#define NEUROPART_LIFECYCLE_JOB_STATUS_H_

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "neuropart/base/json.h"

namespace neuropart {

// The coordinator's session, in order. Failed may follow any of them.
enum class JobPhase { kStarting, kTraining, kEvaluating, kExporting, kServing, kSucceeded, kFailed };
// One partition as the coordinator sees it: Starting until its HELLO arrives.
enum class PartitionPhase { kStarting, kRunning, kServing, kDone, kFailed };

std::string_view JobPhaseName(JobPhase phase);              // "Training"
std::optional<JobPhase> ParseJobPhase(std::string_view name);
std::string_view PartitionPhaseName(PartitionPhase phase);  // "Running"

struct PartitionReport {
  int partition = 0;
  PartitionPhase phase = PartitionPhase::kStarting;
};

struct JobStatus {
  std::string job;
  JobPhase phase = JobPhase::kStarting;
  int64_t step = 0;
  int64_t total_steps = 0;
  int epoch = 0;
  double loss = 0;
  double accuracy = 0;
  double samples_per_second = 0;
  int64_t last_checkpoint = 0;  // step of the last committed checkpoint; 0: none
  std::vector<PartitionReport> partitions;
};

std::string JobStatusToJson(const JobStatus& status);

// What a reader takes from a /status document. Every field is optional: absent, null or of
// another type reads as nullopt (a worker of another version may omit or add fields).
struct JobStatusReading {
  std::optional<JobPhase> phase;
  std::optional<int64_t> step;
  std::optional<int64_t> epoch;
  std::optional<double> loss;
  std::optional<double> accuracy;
  std::optional<int64_t> last_checkpoint;
};

JobStatusReading ReadJobStatus(const Json& document);

}  // namespace neuropart

#endif  // NEUROPART_LIFECYCLE_JOB_STATUS_H_
