// Calibration: this machine's speeds for the cost model (neuropart/plan/cost_model.h), measured
// with the code a training step runs: the engine's forward product for the GEMM rate, the SGD
// update for elementwise work, and two ZmqTransports ping-ponging on two threads for the links.
// Takes about a quarter of a second. Not thread-safe (sets the process's math threads).
#ifndef NEUROPART_CLI_CALIBRATION_H_
#define NEUROPART_CLI_CALIBRATION_H_

#include <cstdint>

#include "neuropart/job/job_spec.h"
#include "neuropart/plan/step_costs.h"
#include "neuropart/status.h"

namespace neuropart::cli {

struct CalibrationOptions {
  // The GEMM timed: `rows` samples through `neurons` neurons with `inputs` inputs each.
  int64_t rows = 256;
  int64_t inputs = 1024;
  int64_t neurons = 512;
  int threads_per_partition = 1;
  int host_cores = 1;     // the machine's cores: local partitions share them
  bool ipc_links = true;  // Unix-domain sockets, else TCP on 127.0.0.1 (without CURVE)
};

StatusOr<MachineCosts> MeasureMachine(const CalibrationOptions& options);

// This machine's costs for a local run of `spec` with `threads` math threads in all, split among
// the partitions as `neuropart run` splits them, timing a GEMM of the job's size (a micro-batch
// through the widest layer's share of one partition).
StatusOr<MachineCosts> MeasureForLocalRun(const JobSpec& spec, int threads, bool ipc_links);

}  // namespace neuropart::cli

#endif  // NEUROPART_CLI_CALIBRATION_H_
