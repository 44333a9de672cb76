#include "neuropart/job/job_memory.h"

#include <algorithm>

#include "neuropart/base/limits.h"
#include "neuropart/job/job_data.h"

namespace neuropart {

PartitionMemory EstimatePartitionMemory(const JobSpec& spec, const Plan& plan, int partition) {
  const Architecture& arch = plan.architecture();
  PartitionMemory m;
  for (int l = 0; l < arch.num_layers(); ++l) {
    m.parameters += plan.OwnedCount(partition, l) * (arch.FanIn(l) + 1);
  }
  const bool train = spec.mode == JobMode::kTrain;
  m.bytes_per_parameter = train ? kTrainingBytesPerParameter : kServingBytesPerParameter;
  const DatasetSpec& d = spec.training.dataset;
  if (train && d.format == DatasetSpec::Format::kSynthetic) {
    m.dataset_bytes = (d.samples + SyntheticTestSamples(d)) * arch.input_size *
                      static_cast<int64_t>(sizeof(float));
  }
  return m;
}

Status CheckPartitionMemory(const JobSpec& spec, const Plan& plan, double limit_bytes,
                            const std::string& field) {
  for (int p = 0; p < plan.num_partitions(); ++p) {
    const PartitionMemory m = EstimatePartitionMemory(spec, plan, p);
    if (static_cast<double>(m.total()) <= limit_bytes) continue;
    return InvalidArgumentError(
        field + ": partition " + std::to_string(p) + " needs at least " +
        std::to_string(m.total()) + " bytes (" + std::to_string(m.parameters) + " parameters at " +
        std::to_string(m.bytes_per_parameter) +
        " bytes each and " + std::to_string(m.dataset_bytes) +
        " bytes of dataset), more than the limit of " +
        std::to_string(static_cast<int64_t>(limit_bytes)));
  }
  return Status::Ok();
}

}  // namespace neuropart
