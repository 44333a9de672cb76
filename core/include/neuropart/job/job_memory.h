// The memory a job's partitions need, against what a worker may use.
//
// A partition's state is what it holds for its own share of the model: the weights (and sparse
// indices) of the neurons it owns, in training their gradients and momentum, and the buffers of
// one step (activations of every micro-batch, gradient blocks, the messages of the step). Only the
// activations of a layer's full width do not shrink with the partition count; they scale with the
// batch. Besides the state, every partition generates the synthetic dataset whole and the process
// itself needs kWorkerProcessBytes. Checkpoints, resumption and export add bounded blocks only
// (kChecksumBlockBytes, kExportBlockBytes), counted in the process allowance.
// The benchmark bench/memory_scaling.py prints each partition's measured peak beside these
// numbers. Pure functions; thread-safe.
#ifndef NEUROPART_JOB_JOB_MEMORY_H_
#define NEUROPART_JOB_JOB_MEMORY_H_

#include <cstdint>
#include <string>

#include "neuropart/job/job_spec.h"
#include "neuropart/plan/plan.h"
#include "neuropart/status.h"

namespace neuropart {

// A worker process with a model of a few kilobytes peaks at 13 MiB (libraries, ZeroMQ and HTTP
// threads, measured with `neuropart run` on this machine); the rest is the blocks above.
inline constexpr int64_t kWorkerProcessBytes = int64_t{24} << 20;

struct PartitionMemory {
  int64_t parameters = 0;       // weights and biases of the owned neurons
  int64_t weight_bytes = 0;     // fp32 parameters and int32 sparse indices
  int64_t gradient_bytes = 0;   // training: fp32 per parameter
  int64_t optimizer_bytes = 0;  // training with momentum: fp32 per parameter
  int64_t exchange_bytes = 0;   // activations, gradient blocks and messages of one step
  int64_t dataset_bytes = 0;    // the synthetic dataset, generated whole by every partition

  int64_t state() const { return weight_bytes + gradient_bytes + optimizer_bytes + exchange_bytes; }
  // What the worker process needs.
  int64_t total() const { return state() + dataset_bytes + kWorkerProcessBytes; }
};

// REQUIRES: plan was made from spec.model, 0 <= partition < plan.num_partitions().
PartitionMemory EstimatePartitionMemory(const JobSpec& spec, const Plan& plan, int partition);

// InvalidArgument naming `field` for the first partition that needs more than `limit_bytes`:
// "<field>: partition 0 needs N bytes (W weights, G gradients, O optimizer state, E exchange
// buffers, D dataset, 25165824 for the process), more than the limit of L".
Status CheckPartitionMemory(const JobSpec& spec, const Plan& plan, double limit_bytes,
                            const std::string& field);

}  // namespace neuropart

#endif  // NEUROPART_JOB_JOB_MEMORY_H_
