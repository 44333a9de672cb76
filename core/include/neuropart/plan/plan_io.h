// Plan serialisation: YAML (for people and ConfigMaps) and JSON (for tools), same content.
//
// The document carries the model architecture, the partition count, the strategy's name, the
// ownership ranges per layer and the content hash; loading recomputes the hash and refuses a
// document whose hash does not match (edited or truncated plans never reach a worker).
// Stateless functions; thread-safe.
#ifndef NEUROPART_PLAN_PLAN_IO_H_
#define NEUROPART_PLAN_PLAN_IO_H_

#include <string>
#include <vector>

#include "neuropart/base/json.h"
#include "neuropart/plan/plan.h"
#include "neuropart/plan/plan_stats.h"
#include "neuropart/status.h"

namespace neuropart {

std::string PlanToYaml(const Plan& plan);
std::string PlanToJson(const Plan& plan);
// `neuropart plan --format json`: {"plan": <PlanToJson>, "traffic": {...}, "partitions": [...]}
// with one entry of `stats` per partition. PlanReport is the same document, for callers that add
// to a partition's entry (the CLI adds its memory).
Json PlanReport(const Plan& plan, const std::vector<PartitionStats>& stats,
                const TrafficOptions& traffic);
std::string PlanReportToJson(const Plan& plan, const std::vector<PartitionStats>& stats,
                             const TrafficOptions& traffic);
// Accepts either format (JSON is read as YAML flow style). `source` names the input in errors.
StatusOr<Plan> PlanFromText(const std::string& text, const std::string& source);

}  // namespace neuropart

#endif  // NEUROPART_PLAN_PLAN_IO_H_
