#include "neuropart/job/job_data.h"

#include <algorithm>

namespace neuropart {
namespace {

Dataset Rows(const Dataset& d, int64_t begin, int64_t end) {
  Dataset out;
  out.x = d.x.middleRows(begin, end - begin);
  out.labels.assign(d.labels.begin() + begin, d.labels.begin() + end);
  out.num_classes = d.num_classes;
  return out;
}

Status CheckShape(const Dataset& d, const Architecture& arch, const char* which) {
  const std::string field = std::string("spec.training.dataset (") + which + ")";
  if (d.size() == 0) return Status::Ok();
  if (d.features() != arch.input_size) {
    return InvalidArgumentError(field + ": has " + std::to_string(d.features()) +
                                " features, spec.model.inputSize is " +
                                std::to_string(arch.input_size));
  }
  const int32_t max_label = *std::max_element(d.labels.begin(), d.labels.end());
  if (max_label >= arch.output_size()) {
    return InvalidArgumentError(field + ": has label " + std::to_string(max_label) +
                                " but the output layer has only " +
                                std::to_string(arch.output_size()) + " neurons");
  }
  return Status::Ok();
}

StatusOr<JobData> Load(const DatasetSpec& d, const Architecture& arch) {
  JobData data;
  switch (d.format) {
    case DatasetSpec::Format::kIdx: {
      ASSIGN_OR_RETURN(data.train, LoadIdx(d.images, d.labels));
      if (!d.test_images.empty() || !d.test_labels.empty()) {
        ASSIGN_OR_RETURN(data.test, LoadIdx(d.test_images, d.test_labels));
      }
      break;
    }
    case DatasetSpec::Format::kCsv: {
      ASSIGN_OR_RETURN(data.train, LoadCsv(d.path, d.label_column));
      if (!d.test_path.empty()) {
        ASSIGN_OR_RETURN(data.test, LoadCsv(d.test_path, d.label_column));
      }
      break;
    }
    case DatasetSpec::Format::kSynthetic: {
      const int64_t test = SyntheticTestSamples(d);
      Dataset all = MakeSynthetic(d.samples + test, arch.input_size, arch.output_size(), d.seed);
      data.test = Rows(all, d.samples, d.samples + test);
      data.train = Rows(all, 0, d.samples);
      break;
    }
  }
  return data;
}

}  // namespace

int64_t SyntheticTestSamples(const DatasetSpec& d) {
  return d.test_samples > 0 ? d.test_samples : std::max<int64_t>(1, d.samples / 5);
}

void GatherBatch(const Dataset& data, const std::vector<int64_t>& rows, MatrixF* x,
                 std::vector<int32_t>* labels) {
  x->resize(rows.size(), data.features());
  labels->resize(rows.size());
  for (size_t i = 0; i < rows.size(); ++i) {
    x->row(i) = data.x.row(rows[i]);
    (*labels)[i] = data.labels[rows[i]];
  }
}

StatusOr<JobData> LoadJobData(const JobSpec& spec) {
  ASSIGN_OR_RETURN(JobData data, Load(spec.training.dataset, spec.model));
  RETURN_IF_ERROR(CheckShape(data.train, spec.model, "training set"));
  RETURN_IF_ERROR(CheckShape(data.test, spec.model, "test set"));
  if (data.train.size() == 0) {
    return InvalidArgumentError("spec.training.dataset: the training set is empty");
  }
  return data;
}

}  // namespace neuropart
