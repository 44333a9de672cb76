#include "neuropart/engine/reference_trainer.h"

#include <algorithm>
#include <cassert>
#include <utility>

namespace neuropart {
namespace {

// Rows [begin, end) of micro-batch i of n: sizes differ by at most one.
int64_t MicroBatchBegin(int64_t batch, int micro_batches, int i) {
  return batch * i / micro_batches;
}

int64_t ArgMax(const ConstMatrixRef& m, int64_t row) {
  Eigen::Index best = 0;
  m.row(row).maxCoeff(&best);
  return best;
}

}  // namespace

ReferenceTrainer::ReferenceTrainer(const Architecture& arch, ModelParams params, SgdOptions sgd)
    : arch_(arch),
      params_(std::move(params)),
      sgd_(arch.num_layers(), SgdState(sgd)),
      grads_(arch.num_layers()),
      z_(arch.num_layers()),
      a_(arch.num_layers()) {
  assert(static_cast<int>(params_.size()) == arch_.num_layers());
  for (int l = 0; l < arch_.num_layers(); ++l) {
    assert(params_[l].first_neuron == 0 && params_[l].rows() == arch_.layers[l].neurons);
    grads_[l].first_neuron = 0;
    grads_[l].weight.resize(params_[l].weight.rows(), params_[l].weight.cols());
    grads_[l].bias.resize(params_[l].bias.size());
    grads_[l].index = params_[l].index;
  }
}

ConstMatrixRef ReferenceTrainer::LayerInput(const ConstMatrixRef& x, int l) const {
  return l == 0 ? x : ConstMatrixRef(a_[l - 1]);
}

const MatrixF& ReferenceTrainer::ForwardPass(const ConstMatrixRef& x) {
  const int last = arch_.num_layers() - 1;
  for (int l = 0; l <= last; ++l) {
    ForwardPreactivation(LayerInput(x, l), params_[l], arch_, l, &z_[l]);
    // The output layer's activations are only needed when it is not softmax (see Forward).
    if (l < last) ApplyActivation(arch_.layers[l].activation, z_[l], &a_[l]);
  }
  return z_[last];
}

double ReferenceTrainer::Backward(const ConstMatrixRef& x, const int32_t* labels, float scale,
                                  bool accumulate) {
  const int last = arch_.num_layers() - 1;
  assert(arch_.layers[last].activation == Activation::kSoftmax);
  const MatrixF& logits = z_[last];
  SoftmaxSliceStats(logits, &stats_);
  const double loss = CrossEntropySliceLoss(logits, 0, labels, stats_);
  SoftmaxCrossEntropyGrad(logits, 0, labels, stats_, scale, &dz_);
  for (int l = last; l >= 0; --l) {
    const ConstMatrixRef a_in = LayerInput(x, l);
    if (accumulate) {
      AccumulateWeightGradients(a_in, dz_, params_[l], arch_, l, &grads_[l]);
    } else {
      WeightGradients(a_in, dz_, params_[l], arch_, l, &grads_[l]);
    }
    if (l == 0) break;
    InputGradients(dz_, params_[l], arch_, l, &da_);
    ActivationBackward(arch_.layers[l - 1].activation, z_[l - 1], a_[l - 1], da_, &dz_);
  }
  return loss;
}

double ReferenceTrainer::AccumulateBatch(const MatrixF& x, const int32_t* labels,
                                         int micro_batches) {
  const int64_t batch = x.rows();
  assert(micro_batches >= 1 && micro_batches <= batch);
  assert(x.cols() == arch_.input_size);
  assert(std::all_of(labels, labels + batch,
                     [&](int32_t y) { return y >= 0 && y < arch_.output_size(); }));
  const float scale = 1.0f / static_cast<float>(batch);
  double loss = 0.0;
  for (int i = 0; i < micro_batches; ++i) {
    const int64_t begin = MicroBatchBegin(batch, micro_batches, i);
    const int64_t rows = MicroBatchBegin(batch, micro_batches, i + 1) - begin;
    const ConstMatrixRef xs = x.middleRows(begin, rows);
    ForwardPass(xs);
    loss += Backward(xs, labels + begin, scale, /*accumulate=*/i > 0);
  }
  return loss / static_cast<double>(batch);
}

float ReferenceTrainer::TrainStep(const MatrixF& x, const int32_t* labels, int micro_batches) {
  const double loss = AccumulateBatch(x, labels, micro_batches);
  for (int l = 0; l < arch_.num_layers(); ++l) sgd_[l].Apply(&params_[l], grads_[l]);
  return static_cast<float>(loss);
}

float ReferenceTrainer::ComputeGradients(const MatrixF& x, const int32_t* labels,
                                         ModelParams* grads) {
  return ComputeGradients(x, labels, 1, grads);
}

float ReferenceTrainer::ComputeGradients(const MatrixF& x, const int32_t* labels,
                                         int micro_batches, ModelParams* grads) {
  const double loss = AccumulateBatch(x, labels, micro_batches);
  *grads = grads_;
  return static_cast<float>(loss);
}

MatrixF ReferenceTrainer::Forward(const MatrixF& x) {
  assert(x.cols() == arch_.input_size);
  const MatrixF& z = ForwardPass(x);
  const Activation act = arch_.layers.back().activation;
  MatrixF out;
  if (act == Activation::kSoftmax) {
    SoftmaxSliceStats(z, &stats_);
    SoftmaxSliceProbabilities(z, stats_, &out);
  } else {
    ApplyActivation(act, z, &out);
  }
  return out;
}

EvalResult ReferenceTrainer::Evaluate(const MatrixF& x, const std::vector<int32_t>& labels,
                                      int batch) {
  assert(arch_.layers.back().activation == Activation::kSoftmax);
  assert(static_cast<int64_t>(labels.size()) == x.rows() && batch >= 1);
  EvalResult result;
  double loss = 0.0;
  int64_t correct = 0;
  for (int64_t begin = 0; begin < x.rows(); begin += batch) {
    const int64_t rows = std::min<int64_t>(batch, x.rows() - begin);
    const MatrixF& logits = ForwardPass(x.middleRows(begin, rows));
    SoftmaxSliceStats(logits, &stats_);
    loss += CrossEntropySliceLoss(logits, 0, labels.data() + begin, stats_);
    for (int64_t s = 0; s < rows; ++s) correct += ArgMax(logits, s) == labels[begin + s];
  }
  result.samples = x.rows();
  if (result.samples > 0) {
    result.loss = loss / static_cast<double>(result.samples);
    result.accuracy = static_cast<double>(correct) / static_cast<double>(result.samples);
  }
  return result;
}

}  // namespace neuropart
