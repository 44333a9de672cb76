// The memory a job's partitions need, against what a worker may use.
//
// An estimate of the largest allocations only: a partition's parameters (the weights, and in
// training their gradients and momentum) and the synthetic dataset every partition generates
// whole. Activations and messages scale with the batch and are left out, so a job refused here
// would certainly not fit, while one accepted may still not. Pure functions; thread-safe.
#ifndef NEUROPART_JOB_JOB_MEMORY_H_
#define NEUROPART_JOB_JOB_MEMORY_H_

#include <cstdint>
#include <string>

#include "neuropart/job/job_spec.h"
#include "neuropart/plan/plan.h"
#include "neuropart/status.h"

namespace neuropart {

struct PartitionMemory {
  int64_t parameters = 0;
  int64_t bytes_per_parameter = 0;
  int64_t dataset_bytes = 0;

  int64_t total() const { return parameters * bytes_per_parameter + dataset_bytes; }
};

// REQUIRES: plan was made from spec.model, 0 <= partition < plan.num_partitions().
PartitionMemory EstimatePartitionMemory(const JobSpec& spec, const Plan& plan, int partition);

// InvalidArgument naming `field` for the first partition that needs more than `limit_bytes`:
// "<field>: partition 0 needs at least N bytes (P parameters at B bytes each and D bytes of
// dataset), more than the limit of L".
Status CheckPartitionMemory(const JobSpec& spec, const Plan& plan, double limit_bytes,
                            const std::string& field);

}  // namespace neuropart

#endif  // NEUROPART_JOB_JOB_MEMORY_H_
