// JobData: the training and test sets a job names, loaded and checked against its model.
// Every partition of a distributed run loads the same data (the input layer is replicated).
#ifndef NEUROPART_JOB_JOB_DATA_H_
#define NEUROPART_JOB_JOB_DATA_H_

#include "neuropart/data/dataset.h"
#include "neuropart/job/job_spec.h"
#include "neuropart/status.h"

namespace neuropart {

struct JobData {
  Dataset train;
  Dataset test;  // may be empty (no test files given)
};

// Loads spec.training.dataset. Synthetic data draws samples + testSamples points (testSamples
// defaults to a fifth of samples) and splits them. Checks features == inputSize and every label
// < the output layer's size.
StatusOr<JobData> LoadJobData(const JobSpec& spec);

// The test samples a synthetic dataset draws: testSamples, else a fifth of samples (at least 1).
int64_t SyntheticTestSamples(const DatasetSpec& d);

// The rows `rows` of `data` as a batch: x [rows.size(), features] and their labels.
void GatherBatch(const Dataset& data, const std::vector<int64_t>& rows, MatrixF* x,
                 std::vector<int32_t>* labels);

}  // namespace neuropart

#endif  // NEUROPART_JOB_JOB_DATA_H_
