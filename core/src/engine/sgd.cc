#include "neuropart/engine/sgd.h"

#include <cassert>
#include <utility>

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

}  // namespace

void SgdState::Apply(LayerParams* p, const LayerParams& grad) {
  assert(grad.weight.rows() == p->weight.rows() && grad.weight.cols() == p->weight.cols());
  assert(grad.bias.size() == p->bias.size());
  if (!has_buffer()) {
    StepPlain(options_, grad.weight, p->weight);
    StepPlain(options_, grad.bias, p->bias);
  } else {
    const bool first = steps_ == 0;
    if (first) {
      buf_.first_neuron = p->first_neuron;
      buf_.weight.resize(p->weight.rows(), p->weight.cols());
      buf_.bias.resize(p->bias.size());
    }
    StepWithMomentum(options_, first, grad.weight, p->weight, buf_.weight);
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
