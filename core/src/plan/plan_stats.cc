#include "neuropart/plan/plan_stats.h"

namespace neuropart {
namespace {

// values[p][q]: values of layer-1 that p sends q per sample at the boundary into `layer`.
std::vector<std::vector<int64_t>> BoundaryValues(const Plan& plan, int layer) {
  const int P = plan.num_partitions();
  std::vector<std::vector<int64_t>> values(P, std::vector<int64_t>(P, 0));
  std::vector<int64_t> owned_below(P, 0);
  for (const OwnedRange& r : plan.Ranges(layer - 1)) owned_below[r.partition] += r.end - r.begin;
  for (int q = 0; q < P; ++q) {
    if (!plan.OwnsAny(q, layer)) continue;
    if (plan.architecture().IsSparse(layer)) {
      std::vector<std::vector<IndexRange>> inbound = plan.Inbound(q, layer);
      for (int p = 0; p < P; ++p) values[p][q] = TotalSize(inbound[p]);
    } else {
      for (int p = 0; p < P; ++p) values[p][q] = owned_below[p];  // dense reads everything
    }
  }
  return values;
}

}  // namespace

std::vector<PartitionStats> ComputePlanStats(const Plan& plan, const TrafficOptions& traffic) {
  const Architecture& arch = plan.architecture();
  const int P = plan.num_partitions();
  std::vector<PartitionStats> stats(P);
  for (int p = 0; p < P; ++p) {
    for (int l = 0; l < arch.num_layers(); ++l) {
      const int64_t n = plan.OwnedCount(p, l);
      stats[p].neurons_per_layer.push_back(n);
      stats[p].neurons += n;
      stats[p].parameters += n * (arch.FanIn(l) + 1);
    }
  }
  const int64_t bytes_per_sample_value = traffic.batch_size * traffic.bytes_per_value;
  for (int l = 1; l < arch.num_layers(); ++l) {
    const auto values = BoundaryValues(plan, l);
    for (int p = 0; p < P; ++p) {
      for (int q = 0; q < P; ++q) {
        if (p == q) {
          stats[q].local_inputs += values[p][q];
          continue;
        }
        if (values[p][q] == 0) continue;
        stats[q].remote_inputs += values[p][q];
        // Forward p -> q, backward q -> p: same size, one block per micro-batch each way.
        const int64_t bytes = values[p][q] * bytes_per_sample_value;
        stats[p].bytes_sent += bytes;
        stats[q].bytes_received += bytes;
        stats[q].bytes_sent += bytes;
        stats[p].bytes_received += bytes;
        for (int who : {p, q}) {
          stats[who].messages_sent += traffic.micro_batches;
          stats[who].messages_received += traffic.micro_batches;
        }
      }
    }
  }
  const int last = arch.num_layers() - 1;
  if (arch.layers[last].activation == Activation::kSoftmax) {
    std::vector<int> owners;
    for (int p = 0; p < P; ++p) {
      if (plan.OwnsAny(p, last)) owners.push_back(p);
    }
    const int64_t k = owners.size();
    for (int p : owners) {  // (max, sum-exp) per sample to every other output owner
      stats[p].bytes_sent += (k - 1) * 2 * bytes_per_sample_value;
      stats[p].bytes_received += (k - 1) * 2 * bytes_per_sample_value;
      stats[p].messages_sent += (k - 1) * traffic.micro_batches;
      stats[p].messages_received += (k - 1) * traffic.micro_batches;
    }
  }
  return stats;
}

}  // namespace neuropart
