#include "neuropart/engine/sgd.h"

#include <algorithm>
#include <cassert>
#include <utility>

#include "parallel_for.h"

namespace neuropart {
namespace {

// One fused pass per element, in PyTorch's order of operations:
// g = grad + wd * w; buf = momentum * buf + g (buf = g first); w = w - lr * buf.
template <typename Param, typename Grad, typename Buf>
void StepWithMomentum(const SgdOptions& o, bool first, const Grad& grad, Param& w, Buf& buf) {
  auto g = grad.array() + o.weight_decay * w.array();
  if (first) {
    buf.array() = g;
  } else {
    buf.array() = o.momentum * buf.array() + g;
  }
  w.array() -= o.learning_rate * buf.array();
}

template <typename Param, typename Grad>
void StepPlain(const SgdOptions& o, const Grad& grad, Param& w) {
  w.array() -= o.learning_rate * (grad.array() + o.weight_decay * w.array());
}

// The update is elementwise and memory-bound: blocks of rows go to the threads that Eigen's GEMM
// also uses (Eigen runs coefficient-wise expressions on one thread). Each element's arithmetic is
// the same whatever the split, so the result does not depend on the thread count.
constexpr int64_t kRowsPerBlock = 32;

template <typename Fn>
void ForRowBlocks(int64_t rows, int64_t cols, const Fn& fn) {
  const int64_t blocks = (rows + kRowsPerBlock - 1) / kRowsPerBlock;
  internal::ParallelFor(blocks, kRowsPerBlock * cols, [&](int64_t b) {
    const int64_t begin = b * kRowsPerBlock;
    fn(begin, std::min(kRowsPerBlock, rows - begin));
  });
}

}  // namespace

void SgdState::Apply(LayerParams* p, const LayerParams& grad) {
  assert(grad.weight.rows() == p->weight.rows() && grad.weight.cols() == p->weight.cols());
  assert(grad.bias.size() == p->bias.size());
  const int64_t rows = p->weight.rows(), cols = p->weight.cols();
  if (!has_buffer()) {
    ForRowBlocks(rows, cols, [&](int64_t begin, int64_t n) {
      auto w = p->weight.middleRows(begin, n);
      StepPlain(options_, grad.weight.middleRows(begin, n), w);
    });
    StepPlain(options_, grad.bias, p->bias);
  } else {
    const bool first = steps_ == 0;
    if (first) {
      buf_.first_neuron = p->first_neuron;
      buf_.weight.resize(rows, cols);
      buf_.bias.resize(p->bias.size());
    }
    ForRowBlocks(rows, cols, [&](int64_t begin, int64_t n) {
      auto w = p->weight.middleRows(begin, n);
      auto buf = buf_.weight.middleRows(begin, n);
      StepWithMomentum(options_, first, grad.weight.middleRows(begin, n), w, buf);
    });
    StepWithMomentum(options_, first, grad.bias, p->bias, buf_.bias);
  }
  ++steps_;
}

void SgdState::Restore(LayerParams buffer, int64_t steps) {
  assert(steps > 0);
  buf_ = std::move(buffer);
  buf_.index.resize(0, 0);
  steps_ = steps;
}

}  // namespace neuropart
