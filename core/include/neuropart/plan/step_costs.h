// What a training step costs on the machines a plan runs on: the inputs of the cost model
// (cost_model.h) and of strategy auto. Plain value types.
#ifndef NEUROPART_PLAN_STEP_COSTS_H_
#define NEUROPART_PLAN_STEP_COSTS_H_

#include <cstdint>
#include <vector>

namespace neuropart {

// What one partition's machine and links can do; measured by `neuropart plan` / `run` on the
// machine they run on (cli/calibration.h), or the defaults below.
struct MachineCosts {
  double gemm_flops_per_second = 20e9;      // one partition's GEMM speed with its threads
  double elementwise_per_second = 1e9;      // floats per second: activations, packing, SGD
  double message_seconds = 20e-6;           // one message's delay in flight, on top of bytes
  // CPU time one message costs, half to its sender and half to its receiver (system calls,
  // ZeroMQ's I/O thread, waking the receiver); it competes for shared cores like compute.
  double message_cpu_seconds = 20e-6;
  double link_bytes_per_second = 2e9;
  // > 0: all partitions share one host (local runs), which computes as fast as this many
  // partitions alone: k partitions computing at once each run at min(1, host_parallelism / k)
  // of the rates above. Measured, not the core count: on a VM whose two cores share a physical
  // one, two GEMMs at once run at 0.6 of one alone (host_parallelism 1.2). 0: every partition
  // has a machine of its own (pods).
  double host_parallelism = 0;
  int threads_per_partition = 1;
};

struct StepCostOptions {
  int64_t batch_size = 64;
  int micro_batches = 1;
  int bytes_per_value = 4;
  MachineCosts machine;
  // Relative speed of each partition's worker (empty = all equal): partition p computes at
  // capacities[p] / max(capacities) of the machine's rates.
  std::vector<double> capacities;
};

}  // namespace neuropart

#endif  // NEUROPART_PLAN_STEP_COSTS_H_
