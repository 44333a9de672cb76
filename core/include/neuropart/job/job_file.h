// Reading and validating job files (NeuralPartition resources in YAML).
//
// Every error names the field path and, for files, the line:
//   spec.distribution.percentages: must sum to 100, got 95 (job.yaml:14)
// Unknown fields are errors. Stateless functions; thread-safe.
#ifndef NEUROPART_JOB_JOB_FILE_H_
#define NEUROPART_JOB_JOB_FILE_H_

#include <string>

#include "neuropart/job/job_spec.h"
#include "neuropart/plan/plan.h"
#include "neuropart/plan/step_costs.h"
#include "neuropart/status.h"
#include "neuropart/yaml/source_map.h"

namespace neuropart {

struct ParsedJob {
  JobSpec spec;
  SourceMap source;
};

// Parses and validates `text`; `file` names it in messages.
StatusOr<ParsedJob> ParseJob(const std::string& text, const std::string& file);
StatusOr<ParsedJob> LoadJobFile(const std::string& path);

// Semantic checks that span fields (softmax + training, dataset fields per format, sizes).
Status ValidateJob(const JobSpec& spec);

// What the job's training step costs, for strategy auto and the predicted step time: batch size,
// micro-batches and wire width from spec.training and spec.transport, capacities from
// spec.distribution, and spec.distribution.costs.machine (the defaults unless the caller measured
// this machine into it).
StepCostOptions StepCostsOf(const JobSpec& spec);

// Runs the Neuron Distributor for the job (with StepCostsOf for strategy auto) and checks each partition's memory against
// spec.worker.resources.limits.memory when given (job_memory.h); errors carry the file position
// of their field.
StatusOr<Plan> PlanJob(const ParsedJob& job);

// Appends the source position of the field path that `status`'s message starts with.
Status Locate(const Status& status, const SourceMap& source);

}  // namespace neuropart

#endif  // NEUROPART_JOB_JOB_FILE_H_
