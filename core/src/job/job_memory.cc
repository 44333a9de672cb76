#include "neuropart/job/job_memory.h"

#include <algorithm>

#include "neuropart/job/batch_schedule.h"
#include "neuropart/job/job_data.h"
#include "neuropart/plan/plan_stats.h"

namespace neuropart {
namespace {

constexpr int64_t kValue = sizeof(float);

// Rows x widths of the buffers PartitionExecutor keeps for `rows` rows of a pass: every layer's
// activations at full width (owned and received columns), the input batch, and per owned neuron
// its pre-activation and activation; backward adds dL/dz per owned neuron, the partial input
// gradients of each owned layer and one full-width dL/dA.
int64_t PassValues(const Plan& plan, int partition, int64_t rows, bool backward) {
  const Architecture& arch = plan.architecture();
  int64_t owned = 0, partial = 0, widest = 0;
  for (int l = 0; l < arch.num_layers(); ++l) {
    owned += plan.OwnedCount(partition, l);
    if (l >= 1 && plan.OwnsAny(partition, l)) partial += arch.InputsOf(l);
    widest = std::max(widest, arch.layers[l].neurons);
  }
  int64_t per_row = arch.TotalNeurons() + arch.input_size + 2 * owned;
  if (backward) per_row += owned + partial + widest;
  return rows * per_row;
}

std::string Bytes(int64_t n) { return std::to_string(n); }

}  // namespace

PartitionMemory EstimatePartitionMemory(const JobSpec& spec, const Plan& plan, int partition) {
  const Architecture& arch = plan.architecture();
  PartitionMemory m;
  for (int l = 0; l < arch.num_layers(); ++l) {
    const int64_t owned = plan.OwnedCount(partition, l);
    m.parameters += owned * (arch.FanIn(l) + 1);
    if (arch.IsSparse(l)) m.weight_bytes += owned * arch.FanIn(l) * sizeof(int32_t);
  }
  m.weight_bytes += m.parameters * kValue;
  const bool train = spec.mode == JobMode::kTrain;
  const TrainingSpec& t = spec.training;
  const int64_t eval_rows = EvaluationBatchRows(t.batch_size);
  int64_t values = PassValues(plan, partition, eval_rows, /*backward=*/false);
  if (train) {
    m.gradient_bytes = m.parameters * kValue;
    if (t.optimizer.momentum != 0) m.optimizer_bytes = m.parameters * kValue;
    values = std::max(values, PassValues(plan, partition, t.batch_size, /*backward=*/true));
  }
  // A step's messages may all wait in the mailbox at once: count the step's whole traffic.
  const PartitionStats traffic = ComputePlanStats(
      plan, {.batch_size = t.batch_size, .micro_batches = t.micro_batches,
             .bytes_per_value = 4})[partition];
  m.exchange_bytes = values * kValue + traffic.bytes_sent + traffic.bytes_received;
  const DatasetSpec& d = t.dataset;
  if (train && d.format == DatasetSpec::Format::kSynthetic) {
    m.dataset_bytes = (d.samples + SyntheticTestSamples(d)) * arch.input_size * kValue;
  }
  return m;
}

Status CheckPartitionMemory(const JobSpec& spec, const Plan& plan, double limit_bytes,
                            const std::string& field) {
  for (int p = 0; p < plan.num_partitions(); ++p) {
    const PartitionMemory m = EstimatePartitionMemory(spec, plan, p);
    if (static_cast<double>(m.total()) <= limit_bytes) continue;
    return InvalidArgumentError(
        field + ": partition " + std::to_string(p) + " needs " + Bytes(m.total()) + " bytes (" +
        Bytes(m.weight_bytes) + " weights, " + Bytes(m.gradient_bytes) + " gradients, " +
        Bytes(m.optimizer_bytes) + " optimizer state, " + Bytes(m.exchange_bytes) +
        " exchange buffers, " + Bytes(m.dataset_bytes) + " dataset, " +
        Bytes(kWorkerProcessBytes) + " for the process), more than the limit of " +
        Bytes(static_cast<int64_t>(limit_bytes)));
  }
  return Status::Ok();
}

}  // namespace neuropart
