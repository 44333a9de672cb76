#include "neuropart/job/batch_schedule.h"

#include <algorithm>
#include <numeric>

#include "neuropart/model/init.h"

namespace neuropart {

int64_t EvaluationBatchRows(int64_t training_batch_size) {
  return std::clamp<int64_t>(training_batch_size, 1, 1024);
}

BatchSchedule::BatchSchedule(int64_t samples, int64_t batch_size, int epochs, int64_t max_steps,
                             bool shuffle, uint64_t seed)
    : samples_(samples),
      batch_size_(batch_size),
      epochs_(epochs),
      max_steps_(max_steps),
      shuffle_(shuffle),
      seed_(seed) {}

int64_t BatchSchedule::TotalSteps() const {
  const int64_t all = StepsPerEpoch() * epochs_;
  return max_steps_ > 0 ? std::min(all, max_steps_) : all;
}

std::vector<int64_t> BatchSchedule::EpochOrder(int epoch) const {
  std::vector<int64_t> order(samples_);
  std::iota(order.begin(), order.end(), 0);
  if (!shuffle_) return order;
  // Fisher-Yates driven by the counter-based hash: reproducible on every machine.
  const uint64_t key = HashMix(seed_, 0x5eed0000ULL + static_cast<uint64_t>(epoch));
  for (int64_t i = samples_ - 1; i > 0; --i) {
    const int64_t j = static_cast<int64_t>(HashMix(key, i) % static_cast<uint64_t>(i + 1));
    std::swap(order[i], order[j]);
  }
  return order;
}

std::vector<int64_t> BatchSchedule::Batch(int64_t step) {
  if (EpochOf(step) != cached_epoch_) {
    cached_epoch_ = EpochOf(step);
    cached_order_ = EpochOrder(cached_epoch_);
  }
  const std::vector<int64_t>& order = cached_order_;
  const int64_t begin = (step % StepsPerEpoch()) * batch_size_;
  const int64_t end = std::min(begin + batch_size_, samples_);
  return std::vector<int64_t>(order.begin() + begin, order.begin() + end);
}

std::vector<std::pair<int64_t, int64_t>> SplitRows(int64_t rows, int parts) {
  std::vector<std::pair<int64_t, int64_t>> out;
  int64_t begin = 0;
  for (int k = 0; k < parts; ++k) {
    const int64_t size = rows / parts + (k < rows % parts ? 1 : 0);
    if (size > 0) out.push_back({begin, begin + size});
    begin += size;
  }
  return out;
}

}  // namespace neuropart
