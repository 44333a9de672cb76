// Capacities measured from the workers' own training steps, for strategy balanced and auto.
//
// A partition's time for its share of a step is the longer of
//   - its compute time: its step time less the time it waited for peers, which a slower core, a
//     busy neighbour or cold caches lengthen; and
//   - the CPU time it spent, divided by the CPU it is allowed (a CPU quota): a throttled worker
//     with little to do computes at full speed in bursts and looks fast, but its quota caps what
//     it can do per step, and part of its throttling falls into its waits.
// CapacityMeter keeps those times per partition; with the plan's work per partition (the cost
// model's compute at equal speeds) they give each worker's speed, and capacities are speeds
// relative to the fastest. RebalanceWanted says whether re-planning with
// them is worth a restart. Pure; CapacityMeter is not thread-safe.
#ifndef NEUROPART_PLAN_REBALANCE_H_
#define NEUROPART_PLAN_REBALANCE_H_

#include <optional>
#include <utility>
#include <vector>

#include "neuropart/plan/plan.h"
#include "neuropart/plan/step_costs.h"

namespace neuropart {

// Each partition's share of a step's work in `plan` (seconds at the default machine's speeds,
// every partition equally fast): what capacities divide.
std::vector<double> PartitionWork(const Plan& plan, const StepCostOptions& options);

class CapacityMeter {
 public:
  // Counts a partition's steps only after its first `warmup_steps` (caches, page faults, the
  // links' first messages), and decides from its last `window` steps. cpu_allowance[q] > 0: the
  // CPUs partition q may use (its quota); shorter, or <= 0: unlimited.
  CapacityMeter(std::vector<double> work, std::vector<double> cpu_allowance, int warmup_steps,
                int window);

  // One step of partition q took `compute_seconds` outside waits and `cpu_seconds` of CPU.
  // Out-of-range q is ignored.
  void Observe(int q, double compute_seconds, double cpu_seconds);

  // Every partition's speed relative to the fastest, rounded to 0.01 (at least 0.01), once each
  // has a full window; nullopt before.
  std::optional<std::vector<double>> Capacities() const;
  // The step time a plan split by the measured speeds would save: the slowest partition's time
  // less the whole work over the sum of speeds. nullopt before every window is full.
  std::optional<double> SecondsSavedPerStep() const;

 private:
  std::vector<double> work_;
  std::vector<double> cpu_allowance_;
  int warmup_steps_;
  int window_;
  std::vector<int> seen_;
  std::vector<std::vector<double>> recent_;  // per partition, its last `window_` times

  // Per partition, its median time and its speed (work per second; 0 without work); nullopt
  // before every window is full.
  std::optional<std::vector<std::pair<double, double>>> TimesAndSpeeds() const;
};

// True when some partition's measured capacity differs from the plan's by more than `tolerance`
// (both relative to their fastest; empty `current` means all equal).
bool RebalanceWanted(const std::vector<double>& current, const std::vector<double>& measured,
                     double tolerance);

// Whether to re-plan now, `remaining_steps` before the end, when a restart costs
// `restart_seconds`: when the measured capacities differ from `current` by more than `tolerance`
// (RebalanceWanted) and the step time they save over the remaining steps exceeds the restart.
struct RebalanceVerdict {
  std::vector<double> measured;  // the meter's capacities
  bool differ = false;           // from current's, beyond the tolerance
  double seconds_saved = 0;      // over the remaining steps
  bool pays = false;             // differ, and seconds_saved > restart_seconds
};
// nullopt before the meter has a full window of every partition.
std::optional<RebalanceVerdict> JudgeRebalance(const CapacityMeter& meter,
                                               const std::vector<double>& current,
                                               double tolerance, double remaining_steps,
                                               double restart_seconds);

// `fraction` of the way from `current` to `measured` (both relative to their fastest; empty
// `current` means all equal), rounded as CapacityMeter rounds. A worker's measured speed depends
// somewhat on its share (one throttled by a CPU quota looks faster while it waits more), so
// moving part of the way keeps repeated rebalancing from swinging around the best split.
std::vector<double> MoveCapacities(const std::vector<double>& current,
                                   const std::vector<double>& measured, double fraction);

}  // namespace neuropart

#endif  // NEUROPART_PLAN_REBALANCE_H_
