// The cost model: a plan's training step time, predicted from measured machine speeds.
//
// PredictStep replays the schedule PartitionExecutor runs (forward layer by layer and micro-batch
// by micro-batch, backward with each input gradient sent before its weight gradient, the update
// per layer, the loss to the coordinator) as one program per partition of compute, send and
// receive operations, and simulates them on a virtual clock: a message arrives its delay plus
// bytes / bandwidth after it is sent, and costs CPU time at both ends; a receive waits for its
// message; partitions that share a host (local runs) slow each other down while more of them
// compute at once than the host's measured parallelism. The step time is when the last partition
// finishes. Pure; thread-safe.
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
