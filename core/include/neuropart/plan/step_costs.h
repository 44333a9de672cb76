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
  // > 0: all partitions share this many cores, each computing with `threads_per_partition`
  // (local runs); 0: every partition has cores of its own (pods).
  int host_cores = 0;
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
