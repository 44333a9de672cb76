// The local launcher: one worker process per partition on 127.0.0.1, supervised as a gang.
//
// It writes the plan to the store, picks free ports, starts every partition, relays progress,
// and applies the job lifecycle: when a partition dies, every partition is stopped and the job
// restarts from the last committed checkpoint, up to spec.backoffLimit restarts; Ctrl-C stops
// everything and leaves the store consistent (only committed checkpoints are ever trusted).
#ifndef NEUROPART_CLI_LAUNCHER_H_
#define NEUROPART_CLI_LAUNCHER_H_

#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "neuropart/job/job_file.h"
#include "neuropart/plan/plan.h"

namespace neuropart::cli {

// --rebalance: the launcher times every partition's compute and CPU from its progress reports,
// with its --cpu-limit as its CPU allowance (neuropart/plan/rebalance.h), and, at a committed checkpoint where the measured capacities differ
// from the plan's, stops the gang, re-plans with them and resumes from that checkpoint. Not
// counted against spec.backoffLimit.
struct RebalanceOptions {
  // The plan for the given capacities (the job's spec with them, through PlanJob).
  std::function<StatusOr<Plan>(const std::vector<double>& capacities)> replan;
  std::vector<double> capacities;  // the first plan's; empty: all equal
  int warmup_steps = 2;            // of each gang, per partition, before timing
  int window = 8;                  // steps timed per decision
  double tolerance = 0.1;          // capacities closer than this to the plan's are kept
  // The first rebalance takes the measured capacities; later ones move this fraction of the way
  // to them (MoveCapacities).
  double later_fraction = 0.5;
};

struct LaunchOptions {
  std::string job_path;       // absolute path of the job file, handed to every worker
  std::string store;          // absolute store directory
  std::string worker_binary;  // neuropart-worker
  int64_t max_steps = -1;     // -1: the job's own
  int threads_per_worker = 1;
  int timeout_seconds = 0;    // 0: spec.transport.timeoutSeconds
  // Where Launch writes the job's fresh CURVE keys, once it holds the job's lease
  // (worker/job_keys.h); empty: the links are not encrypted.
  std::string keys_dir;
  // The partitions' links as Unix-domain sockets in a private directory (ipc_links.h) instead
  // of TCP on 127.0.0.1; they are then never encrypted, so keys_dir must be empty.
  bool ipc_links = false;
  // And shared-memory rings between every pair of partitions besides (worker/shm_links.h): a
  // message that fits its ring skips the socket.
  bool shm_links = false;
  // [q] > 0: partition q's worker runs in a cgroup limited to that many CPUs (cpu_cgroup.h);
  // shorter than the partitions, or 0: unlimited.
  std::vector<double> cpu_limits;
  std::optional<RebalanceOptions> rebalance;
};

// The name of partition q's CPU cgroup: unique to this launcher process.
std::string CpuCgroupName(const JobSpec& spec, int q);

// Returns the process exit code (0 ok, 1 the job failed, 2 a worker refused its input, 130
// interrupted). REQUIRES: the job's directory in options.store exists (CheckJobStore).
int Launch(const ParsedJob& job, const Plan& plan, const LaunchOptions& options);

// The worker binary next to this program (or $NEUROPART_WORKER).
std::string FindWorkerBinary();

}  // namespace neuropart::cli

#endif  // NEUROPART_CLI_LAUNCHER_H_
