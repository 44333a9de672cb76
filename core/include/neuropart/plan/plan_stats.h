// Summary statistics of a plan: per partition, what it owns and what it must exchange.
//
// Traffic is predicted for one training step at a given batch size: forward, each boundary
// sends one block per (peer, micro-batch) of the values the peer reads; backward mirrors it with
// partial input-gradients; a split softmax output adds (max, sum-exp) per sample among its owners.
// Pure function of the plan; thread-safe.
#ifndef NEUROPART_PLAN_PLAN_STATS_H_
#define NEUROPART_PLAN_PLAN_STATS_H_

#include <cstdint>
#include <vector>

#include "neuropart/plan/plan.h"

namespace neuropart {

struct PartitionStats {
  std::vector<int64_t> neurons_per_layer;
  int64_t neurons = 0;
  int64_t parameters = 0;     // weights + biases of owned neurons
  int64_t local_inputs = 0;   // distinct inputs read that the partition owns (layers >= 1)
  int64_t remote_inputs = 0;  // distinct inputs read from other partitions (layers >= 1)
  int64_t bytes_sent = 0;     // per training step, forward + backward
  int64_t bytes_received = 0;
  int64_t messages_sent = 0;
  int64_t messages_received = 0;
};

struct TrafficOptions {
  int64_t batch_size = 64;
  int micro_batches = 1;
  int bytes_per_value = 4;  // fp32 on the wire
};

std::vector<PartitionStats> ComputePlanStats(const Plan& plan, const TrafficOptions& traffic);

}  // namespace neuropart

#endif  // NEUROPART_PLAN_PLAN_STATS_H_
