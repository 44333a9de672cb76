// ReferenceTrainer: the whole network in one process, the yardstick of every distributed run.
//
// It runs the layer kernels of engine/layer_ops.h on whole layers and updates with engine/sgd.h,
// so a distributed job under any plan must reproduce its weights and losses (within 1e-5 relative
// after N steps). The loss is the mean softmax cross-entropy over the full batch; a batch split
// into micro-batches accumulates gradients scaled by 1/B of the full batch, giving the same update.
// The trainer owns its parameters, optimizer state and scratch buffers (reused across steps).
// Not thread-safe; the math inside uses up to Eigen::nbThreads() OpenMP threads.
#ifndef NEUROPART_ENGINE_REFERENCE_TRAINER_H_
#define NEUROPART_ENGINE_REFERENCE_TRAINER_H_

#include <cstdint>
#include <vector>

#include "neuropart/engine/layer_ops.h"
#include "neuropart/engine/sgd.h"
#include "neuropart/model/architecture.h"
#include "neuropart/model/parameters.h"

namespace neuropart {

struct EvalResult {
  double loss = 0.0;      // mean cross-entropy
  double accuracy = 0.0;  // fraction of samples whose arg-max output is the label
  int64_t samples = 0;
};

class ReferenceTrainer {
 public:
  // REQUIRES: arch.Validate() is OK and params are whole layers of arch (as from InitModel).
  ReferenceTrainer(const Architecture& arch, ModelParams params, SgdOptions sgd);

  // One optimizer step on the batch x [B, input_size] with labels[0..B); returns the batch's mean
  // cross-entropy before the update. REQUIRES: last layer softmax, labels in [0, output_size),
  // 1 <= micro_batches <= B.
  float TrainStep(const MatrixF& x, const int32_t* labels, int micro_batches);

  // Gradients of the mean cross-entropy without updating; returns the loss. For gradient checks.
  float ComputeGradients(const MatrixF& x, const int32_t* labels, ModelParams* grads);
  float ComputeGradients(const MatrixF& x, const int32_t* labels, int micro_batches,
                         ModelParams* grads);

  // Output probabilities (softmax last layer) or the last layer's activations [B, output_size].
  MatrixF Forward(const MatrixF& x);

  // Mean loss and accuracy over all rows of x, `batch` rows at a time.
  // REQUIRES: last layer softmax, labels.size() == x.rows(), batch >= 1.
  EvalResult Evaluate(const MatrixF& x, const std::vector<int32_t>& labels, int batch);

  const Architecture& architecture() const { return arch_; }
  const ModelParams& params() const { return params_; }
  // One SgdState per layer (momentum buffers), for checkpoints.
  const std::vector<SgdState>& optimizer() const { return sgd_; }

 private:
  // Runs the layers on x, leaving z_ and a_ for Backward; returns the last layer's Z (logits).
  const MatrixF& ForwardPass(const ConstMatrixRef& x);
  // Adds (or writes, if !accumulate) the gradients of the rows of x to grads_; `scale` is 1/B of
  // the full batch. Returns the summed cross-entropy of these rows. REQUIRES: ForwardPass(x).
  double Backward(const ConstMatrixRef& x, const int32_t* labels, float scale, bool accumulate);
  // Fills grads_ over the whole batch; returns the mean loss.
  double AccumulateBatch(const MatrixF& x, const int32_t* labels, int micro_batches);
  // Input of layer l: x for layer 0, else the previous layer's activations.
  ConstMatrixRef LayerInput(const ConstMatrixRef& x, int l) const;

  Architecture arch_;
  ModelParams params_;
  std::vector<SgdState> sgd_;
  ModelParams grads_;
  // Scratch, reused across steps: pre-activations and activations per layer, and the gradient
  // flowing backward (dz_: w.r.t. Z of the current layer, da_: w.r.t. its input activations).
  std::vector<MatrixF> z_, a_;
  MatrixF dz_, da_;
  SoftmaxStats stats_;
};

}  // namespace neuropart

#endif  // NEUROPART_ENGINE_REFERENCE_TRAINER_H_
