// BatchSchedule: which samples form each training step, identical on every partition.
//
// Epoch e visits the samples in file order, or in a permutation drawn from (seed, e) when
// shuffling; step s of the run is batch s % StepsPerEpoch() of epoch s / StepsPerEpoch(). The
// last batch of an epoch may be smaller (PyTorch DataLoader's drop_last=False). Every worker and
// the reference trainer compute the same schedule from the spec alone, so no sample lists travel.
// Batch() caches the current epoch's order, so walking the steps costs O(samples) per epoch.
// Not thread-safe.
#ifndef NEUROPART_JOB_BATCH_SCHEDULE_H_
#define NEUROPART_JOB_BATCH_SCHEDULE_H_

#include <cstdint>
#include <vector>

namespace neuropart {

// Rows per evaluation batch: the training batch's (at most 1024), so that evaluating needs no more
// memory than a training step.
int64_t EvaluationBatchRows(int64_t training_batch_size);

class BatchSchedule {
 public:
  // REQUIRES: samples >= 1, batch_size >= 1, epochs >= 1, max_steps >= 0 (0 = no limit).
  BatchSchedule(int64_t samples, int64_t batch_size, int epochs, int64_t max_steps, bool shuffle,
                uint64_t seed);

  int64_t StepsPerEpoch() const { return (samples_ + batch_size_ - 1) / batch_size_; }
  int64_t TotalSteps() const;
  int EpochOf(int64_t step) const { return static_cast<int>(step / StepsPerEpoch()); }
  // Sample indices of global step `step`. REQUIRES: 0 <= step < TotalSteps().
  std::vector<int64_t> Batch(int64_t step);
  // The whole order of epoch `epoch`.
  std::vector<int64_t> EpochOrder(int epoch) const;

 private:
  int64_t samples_, batch_size_;
  int epochs_;
  int64_t max_steps_;
  bool shuffle_;
  uint64_t seed_;
  int cached_epoch_ = -1;
  std::vector<int64_t> cached_order_;
};

// Row ranges [begin, end) of `rows` split into `parts` nearly equal pieces (the first get the
// extra row), as micro-batches are cut. REQUIRES: 1 <= parts.
std::vector<std::pair<int64_t, int64_t>> SplitRows(int64_t rows, int parts);

}  // namespace neuropart

#endif  // NEUROPART_JOB_BATCH_SCHEDULE_H_
