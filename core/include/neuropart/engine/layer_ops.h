// Layer kernels: forward, backward and softmax cross-entropy on a row-slice of one layer.
//
// Every function works on a LayerParams slice (neurons [first_neuron, first_neuron + rows) of
// `layer`), so the single-process ReferenceTrainer (which passes whole layers) and a distributed
// worker (which passes the rows it owns) run the very same arithmetic. Input activations are
// always the full-width matrix A_in [batch, InputsOf(layer)]; a sparse layer reads the columns
// named by its `index`. Outputs are resized by the callee. Matrix products use Eigen's GEMM,
// threaded through OpenMP up to Eigen::nbThreads(); the hand-written sparse loops use the same
// thread count. Each output element is produced by one thread in a fixed order, so results are
// deterministic for given shapes and thread count. A dense slice's results may differ from the
// whole layer's in the last bits (GEMM blocks a narrower matrix differently); sparse slices match
// exactly. Stateless free functions; callers own all buffers.
#ifndef NEUROPART_ENGINE_LAYER_OPS_H_
#define NEUROPART_ENGINE_LAYER_OPS_H_

#include <cstdint>

#include "neuropart/model/architecture.h"
#include "neuropart/model/parameters.h"

namespace neuropart {

// Read-only view of a row-major fp32 matrix: a MatrixF, or a block of rows of one (micro-batch).
using ConstMatrixRef = Eigen::Ref<const MatrixF>;

// Z = A_in W^T + b, z resized to [batch, rows].
// Sparse: z(s, r) = b(r) + sum_k W(r, k) A_in(s, index(r, k)).
// REQUIRES: a_in.cols() == arch.InputsOf(layer); params is a slice of `layer`.
void ForwardPreactivation(const ConstMatrixRef& a_in, const LayerParams& params,
                          const Architecture& arch, int layer, MatrixF* z);

// a = f(z) elementwise. For kSoftmax the layer's activations are its logits (a = z): the
// probabilities need all output neurons, see the softmax pieces below.
void ApplyActivation(Activation act, const ConstMatrixRef& z, MatrixF* a);

// dz = da * f'(z), from z (relu) or a = f(z) (tanh, sigmoid). REQUIRES: act != kSoftmax (the
// loss produces the output layer's dz directly, see SoftmaxCrossEntropyGrad).
void ActivationBackward(Activation act, const ConstMatrixRef& z, const ConstMatrixRef& a,
                        const ConstMatrixRef& da, MatrixF* dz);

// grad->weight = dz^T A_in (restricted to `index` for sparse layers), grad->bias = column sums of
// dz; grad gets params' shape, first_neuron and index. dz is [batch, params.rows()].
void WeightGradients(const ConstMatrixRef& a_in, const ConstMatrixRef& dz,
                     const LayerParams& params, const Architecture& arch, int layer,
                     LayerParams* grad);

// As WeightGradients, but adds to *grad (micro-batch accumulation).
// REQUIRES: grad already has params' shape.
void AccumulateWeightGradients(const ConstMatrixRef& a_in, const ConstMatrixRef& dz,
                               const LayerParams& params, const Architecture& arch, int layer,
                               LayerParams* grad);

// This slice's contribution to dL/dA_in: da_in = dz W, full width [batch, InputsOf(layer)]
// (sparse: scatter-add through `index`, zero where no owned neuron reads the input). The full
// dA_in is the sum of the partials of all slices of the layer.
void InputGradients(const ConstMatrixRef& dz, const LayerParams& params, const Architecture& arch,
                    int layer, MatrixF* da_in);

// ---- Softmax cross-entropy, split over slices of output neurons ----
//
// A worker owning output columns [first, first + cols) computes SoftmaxStats of its logits, the
// owners combine their stats (in a fixed order for determinism), and each then computes its share
// of the loss and of dZ from the combined stats. With one slice this is the plain computation.

// Per sample: max of the logits and sum of exp(logit - max), over some set of output neurons.
struct SoftmaxStats {
  VectorF max;
  VectorF sum_exp;
};

// Stats of one slice of logits [batch, cols].
void SoftmaxSliceStats(const ConstMatrixRef& logits, SoftmaxStats* stats);

// *into = stats over the union of both neuron sets (log-sum-exp merge).
// REQUIRES: both describe the same samples.
void CombineSoftmaxStats(const SoftmaxStats& other, SoftmaxStats* into);

// Sum over the samples whose label falls in [first_neuron, first_neuron + logits.cols()) of
// -log softmax(label): summing this over all slices gives the batch's total cross-entropy.
// `stats` must cover all output neurons. REQUIRES: labels has logits.rows() entries.
double CrossEntropySliceLoss(const ConstMatrixRef& logits, int64_t first_neuron,
                             const int32_t* labels, const SoftmaxStats& stats);

// dz = (softmax - onehot(label)) * scale for the slice's columns; scale is 1/B of the full batch
// so that micro-batches accumulate to the full-batch gradient.
void SoftmaxCrossEntropyGrad(const ConstMatrixRef& logits, int64_t first_neuron,
                             const int32_t* labels, const SoftmaxStats& stats, float scale,
                             MatrixF* dz);

// probs = softmax of the slice's columns, normalised by the combined stats.
void SoftmaxSliceProbabilities(const ConstMatrixRef& logits, const SoftmaxStats& stats,
                               MatrixF* probs);

}  // namespace neuropart

#endif  // NEUROPART_ENGINE_LAYER_OPS_H_
