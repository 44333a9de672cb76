// The cost model: a plan's training step time, predicted from measured machine speeds.
//
// PredictStep replays the schedule PartitionExecutor runs (forward layer by layer and micro-batch
// by micro-batch, backward with each input gradient sent before its weight gradient, the update
// per layer, the loss to the coordinator) as one program per partition of compute, send and
// receive operations, and simulates them on a virtual clock: a message arrives `latency + bytes /
// bandwidth` after it is sent, a receive waits for its message, and partitions that share a
// host's cores (local runs) slow each other down while more threads compute than there are cores.
// The step time is when the last partition finishes. Pure; thread-safe.
#ifndef NEUROPART_PLAN_COST_MODEL_H_
#define NEUROPART_PLAN_COST_MODEL_H_

#include <vector>

#include "neuropart/plan/plan.h"
#include "neuropart/plan/step_costs.h"

namespace neuropart {

struct StepPrediction {
  double step_seconds = 0;
  std::vector<double> compute_seconds;  // per partition, at full speed
  std::vector<double> wait_seconds;     // per partition, time blocked on a peer
};

StepPrediction PredictStep(const Plan& plan, const StepCostOptions& options);

}  // namespace neuropart

#endif  // NEUROPART_PLAN_COST_MODEL_H_
