// Calibration: this machine's speeds for the cost model (neuropart/plan/cost_model.h), measured
// with the code a training step runs: the engine's forward product for the GEMM rate, the SGD
// update for elementwise work, and two processes ping-ponging over the links (link_calibration.h).
// Takes under a second. Not thread-safe (sets the process's math threads).
#ifndef NEUROPART_CLI_CALIBRATION_H_
#define NEUROPART_CLI_CALIBRATION_H_

#include <cstdint>
#include <string>
#include <vector>

#include "neuropart/job/job_spec.h"
#include "neuropart/plan/step_costs.h"
#include "neuropart/status.h"
#include "link_calibration.h"

namespace neuropart::cli {

struct CalibrationOptions {
  // The GEMM timed: `rows` samples through `neurons` neurons with `inputs` inputs each.
  int64_t rows = 256;
  int64_t inputs = 1024;
  int64_t neurons = 512;
  int threads_per_partition = 1;
  // Local partitions that share this machine: with more than one, that many probe processes
  // time the same products at once, which gives MachineCosts::host_parallelism.
  int partitions = 1;
  // The links a local run's workers use (link_calibration.h).
  LinkKind links = LinkKind::kShm;
};

// The hidden subcommand a probe process runs: `neuropart __probe-compute ROWS INPUTS NEURONS
// THREADS START_NS` warms up, waits for START_NS on the steady clock, times the products for
// 150 ms and prints their FLOP/s.
inline constexpr char kProbeCommand[] = "__probe-compute";
int ProbeComputeCommand(const std::vector<std::string>& args);

StatusOr<MachineCosts> MeasureMachine(const CalibrationOptions& options);

// This machine's costs for a local run of `spec` with `threads` math threads in all, split among
// the partitions as `neuropart run` splits them, timing a GEMM of the job's size (a micro-batch
// through the widest layer's share of one partition).
StatusOr<MachineCosts> MeasureForLocalRun(const JobSpec& spec, int threads, LinkKind links);

// The GEMM FLOP/s of each partition of a local run of `spec`, timed the same way with one probe
// process per partition, all at once, partition q's in a cgroup of cpu_limits[q] CPUs where that
// is > 0 (as its worker will be): the measured capacities of strategy balanced.
StatusOr<std::vector<double>> MeasurePartitionSpeeds(const JobSpec& spec, int threads,
                                                     const std::vector<double>& cpu_limits);

}  // namespace neuropart::cli

#endif  // NEUROPART_CLI_CALIBRATION_H_
