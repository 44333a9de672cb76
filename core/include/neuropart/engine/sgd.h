// Stochastic gradient descent with PyTorch's torch.optim.SGD semantics (dampening 0, no Nesterov).
//
// Per element, for weights and biases alike:
//   g = grad + weight_decay * w
//   buf = g                      on the first step (when momentum != 0)
//   buf = momentum * buf + g     afterwards
//   w -= learning_rate * (momentum != 0 ? buf : g)
// One SgdState holds the momentum buffer of one LayerParams slice, so each partition keeps exactly
// the optimizer state of the rows it owns. The sparse `index` is structure, never updated.
// Not synchronised: one thread per SgdState.
#ifndef NEUROPART_ENGINE_SGD_H_
#define NEUROPART_ENGINE_SGD_H_

#include "neuropart/model/parameters.h"

namespace neuropart {

struct SgdOptions {
  float learning_rate = 0.01f;
  float momentum = 0.0f;
  float weight_decay = 0.0f;
};

class SgdState {
 public:
  explicit SgdState(SgdOptions options) : options_(options) {}

  // One optimizer step on *p. REQUIRES: grad has p's weight and bias shapes, and p keeps the same
  // shape across calls.
  void Apply(LayerParams* p, const LayerParams& grad);

  const SgdOptions& options() const { return options_; }
  // Steps applied so far.
  int64_t steps() const { return steps_; }
  // The momentum buffer (weight and bias only), or nullptr before the first step or when
  // momentum == 0. For checkpoints.
  const LayerParams* momentum_buffer() const {
    return steps_ > 0 && has_buffer() ? &buf_ : nullptr;
  }
  // Resumes from a checkpointed buffer as if `steps` steps had been applied.
  // REQUIRES: steps > 0 and buffer shaped like the parameters it will update.
  void Restore(LayerParams buffer, int64_t steps);

 private:
  bool has_buffer() const { return options_.momentum != 0.0f; }

  SgdOptions options_;
  int64_t steps_ = 0;
  LayerParams buf_;
};

}  // namespace neuropart

#endif  // NEUROPART_ENGINE_SGD_H_
