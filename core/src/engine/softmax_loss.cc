// Softmax cross-entropy over slices of output neurons, via per-sample (max, sum-exp) statistics.
// Every exponent is taken relative to the sample's max, so no exp overflows (log-sum-exp).
#include "neuropart/engine/layer_ops.h"

#include <algorithm>
#include <cassert>
#include <cmath>
#include <limits>

namespace neuropart {
namespace {

// log softmax = (logit - max) - log(sum_exp), in PyTorch's order: subtracting the max first keeps
// the operands small, so large logits lose no precision.
template <typename Row>
auto LogSoftmax(const Row& logits, const SoftmaxStats& stats, int64_t s) {
  return (logits.array() - stats.max[s]) - std::log(stats.sum_exp[s]);
}

// Column of sample s's label inside the slice, or -1 when another slice owns it.
int64_t LabelColumn(const int32_t* labels, int64_t s, int64_t first_neuron, int64_t cols) {
  const int64_t c = labels[s] - first_neuron;
  return c >= 0 && c < cols ? c : -1;
}

}  // namespace

void SoftmaxSliceStats(const ConstMatrixRef& logits, SoftmaxStats* stats) {
  const int64_t batch = logits.rows();
  if (logits.cols() == 0) {  // a slice with no output neurons contributes nothing
    stats->max.setConstant(batch, -std::numeric_limits<float>::infinity());
    stats->sum_exp.setZero(batch);
    return;
  }
  stats->max = logits.rowwise().maxCoeff();
  stats->sum_exp = (logits.colwise() - stats->max).array().exp().rowwise().sum().matrix();
}

void CombineSoftmaxStats(const SoftmaxStats& other, SoftmaxStats* into) {
  assert(other.max.size() == into->max.size());
  for (int64_t s = 0; s < into->max.size(); ++s) {
    const float m = std::max(into->max[s], other.max[s]);
    if (m == -std::numeric_limits<float>::infinity()) continue;  // both empty
    into->sum_exp[s] = into->sum_exp[s] * std::exp(into->max[s] - m) +
                       other.sum_exp[s] * std::exp(other.max[s] - m);
    into->max[s] = m;
  }
}

double CrossEntropySliceLoss(const ConstMatrixRef& logits, int64_t first_neuron,
                             const int32_t* labels, const SoftmaxStats& stats) {
  double total = 0.0;
  for (int64_t s = 0; s < logits.rows(); ++s) {
    const int64_t c = LabelColumn(labels, s, first_neuron, logits.cols());
    if (c < 0) continue;
    total += std::log(static_cast<double>(stats.sum_exp[s])) -
             (static_cast<double>(logits(s, c)) - static_cast<double>(stats.max[s]));
  }
  return total;
}

void SoftmaxCrossEntropyGrad(const ConstMatrixRef& logits, int64_t first_neuron,
                             const int32_t* labels, const SoftmaxStats& stats, float scale,
                             MatrixF* dz) {
  dz->resize(logits.rows(), logits.cols());
  for (int64_t s = 0; s < logits.rows(); ++s) {
    dz->row(s) = (LogSoftmax(logits.row(s), stats, s).exp() * scale).matrix();
    const int64_t c = LabelColumn(labels, s, first_neuron, logits.cols());
    if (c >= 0) (*dz)(s, c) -= scale;
  }
}

void SoftmaxSliceProbabilities(const ConstMatrixRef& logits, const SoftmaxStats& stats,
                               MatrixF* probs) {
  probs->resize(logits.rows(), logits.cols());
  for (int64_t s = 0; s < logits.rows(); ++s) {
    probs->row(s) = LogSoftmax(logits.row(s), stats, s).exp().matrix();
  }
}

}  // namespace neuropart
