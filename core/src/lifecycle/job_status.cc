#include "neuropart/lifecycle/job_status.h"

#include <array>
#include <utility>

namespace neuropart {
namespace {

constexpr std::array<std::pair<JobPhase, std::string_view>, 7> kJobPhases = {{
    {JobPhase::kStarting, "Starting"},
    {JobPhase::kTraining, "Training"},
    {JobPhase::kEvaluating, "Evaluating"},
    {JobPhase::kExporting, "Exporting"},
    {JobPhase::kServing, "Serving"},
    {JobPhase::kSucceeded, "Succeeded"},
    {JobPhase::kFailed, "Failed"},
}};

// The document's keys, which the worker writes and the operator reads.
constexpr char kKeyJob[] = "job";
constexpr char kKeyPhase[] = "phase";
constexpr char kKeyStep[] = "step";
constexpr char kKeyTotalSteps[] = "totalSteps";
constexpr char kKeyEpoch[] = "epoch";
constexpr char kKeyLoss[] = "loss";
constexpr char kKeyAccuracy[] = "accuracy";
constexpr char kKeySamplesPerSecond[] = "samplesPerSecond";
constexpr char kKeyLastCheckpoint[] = "lastCheckpoint";
constexpr char kKeyPartitions[] = "partitions";

std::optional<int64_t> Integer(const Json& doc, const char* key) {
  const Json* v = FindMember(doc, key);
  if (v == nullptr || !v->is_number()) return std::nullopt;
  return AsInt(*v);
}

std::optional<double> Number(const Json& doc, const char* key) {
  const Json* v = FindMember(doc, key);
  if (v == nullptr || !v->is_number()) return std::nullopt;
  return AsNumber(*v);
}

}  // namespace

std::string_view JobPhaseName(JobPhase phase) {
  for (const auto& [p, name] : kJobPhases) {
    if (p == phase) return name;
  }
  return "Unknown";
}

std::optional<JobPhase> ParseJobPhase(std::string_view name) {
  for (const auto& [p, n] : kJobPhases) {
    if (n == name) return p;
  }
  return std::nullopt;
}

std::string_view PartitionPhaseName(PartitionPhase phase) {
  switch (phase) {
    case PartitionPhase::kStarting: return "Starting";
    case PartitionPhase::kRunning: return "Running";
    case PartitionPhase::kServing: return "Serving";
    case PartitionPhase::kDone: return "Done";
    case PartitionPhase::kFailed: return "Failed";
  }
  return "Unknown";
}

std::string JobStatusToJson(const JobStatus& s) {
  Json partitions = Json::array();
  for (const PartitionReport& p : s.partitions) {
    partitions.push_back(Json::object(
        {{"partition", p.partition}, {"state", std::string(PartitionPhaseName(p.phase))}}));
  }
  // DumpJson writes NaN and infinite numbers (an unknown loss) as null.
  return DumpJson(Json::object({{kKeyJob, s.job},
                                {kKeyPhase, std::string(JobPhaseName(s.phase))},
                                {kKeyStep, s.step},
                                {kKeyTotalSteps, s.total_steps},
                                {kKeyEpoch, s.epoch},
                                {kKeyLoss, s.loss},
                                {kKeyAccuracy, s.accuracy},
                                {kKeySamplesPerSecond, s.samples_per_second},
                                {kKeyLastCheckpoint, s.last_checkpoint},
                                {kKeyPartitions, std::move(partitions)}}));
}

JobStatusReading ReadJobStatus(const Json& doc) {
  JobStatusReading r;
  r.phase = ParseJobPhase(GetString(doc, kKeyPhase));
  r.step = Integer(doc, kKeyStep);
  r.epoch = Integer(doc, kKeyEpoch);
  r.loss = Number(doc, kKeyLoss);
  r.accuracy = Number(doc, kKeyAccuracy);
  r.last_checkpoint = Integer(doc, kKeyLastCheckpoint);
  return r;
}

}  // namespace neuropart
