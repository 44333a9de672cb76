// Forward and backward kernels of one layer slice. Dense layers are GEMMs (gemm.h); sparse layers
// are gather/scatter loops over `index`, parallel over the dimension each output element belongs
// to (samples for Z and dA_in, neurons for dW) so that no two threads write the same element.
#include "neuropart/engine/layer_ops.h"

#include <algorithm>
#include <cassert>

#include "gemm.h"
#include "parallel_for.h"

namespace neuropart {
namespace {

void SparseForward(const ConstMatrixRef& a_in, const LayerParams& p, MatrixF* z) {
  const int64_t rows = p.rows(), fan_in = p.weight.cols();
  internal::ParallelFor(a_in.rows(), rows * fan_in, [&](int64_t s) {
    const float* a = a_in.row(s).data();
    float* out = z->row(s).data();
    for (int64_t r = 0; r < rows; ++r) {
      const float* w = p.weight.row(r).data();
      const int32_t* idx = p.index.row(r).data();
      float acc = 0.0f;
      for (int64_t k = 0; k < fan_in; ++k) acc += w[k] * a[idx[k]];
      out[r] = acc + p.bias[r];
    }
  });
}

// grad->weight(r, k) (+)= sum_s dz(s, r) a_in(s, index(r, k)).
void SparseWeightGradients(const ConstMatrixRef& a_in, const ConstMatrixRef& dz,
                           const LayerParams& p, bool accumulate, LayerParams* grad) {
  const int64_t batch = a_in.rows(), fan_in = p.weight.cols();
  internal::ParallelFor(p.rows(), batch * fan_in, [&](int64_t r) {
    float* gw = grad->weight.row(r).data();
    if (!accumulate) std::fill(gw, gw + fan_in, 0.0f);
    const int32_t* idx = p.index.row(r).data();
    for (int64_t s = 0; s < batch; ++s) {
      const float d = dz(s, r);
      const float* a = a_in.row(s).data();
      for (int64_t k = 0; k < fan_in; ++k) gw[k] += d * a[idx[k]];
    }
  });
}

// da_in(s, index(r, k)) += dz(s, r) W(r, k), over this slice's rows.
void SparseInputGradients(const ConstMatrixRef& dz, const LayerParams& p, MatrixF* da_in) {
  const int64_t rows = p.rows(), fan_in = p.weight.cols();
  da_in->setZero();
  internal::ParallelFor(dz.rows(), rows * fan_in, [&](int64_t s) {
    float* da = da_in->row(s).data();
    for (int64_t r = 0; r < rows; ++r) {
      const float d = dz(s, r);
      const float* w = p.weight.row(r).data();
      const int32_t* idx = p.index.row(r).data();
      for (int64_t k = 0; k < fan_in; ++k) da[idx[k]] += d * w[k];
    }
  });
}

void WeightGradientsImpl(const ConstMatrixRef& a_in, const ConstMatrixRef& dz,
                         const LayerParams& params, const Architecture& arch, int layer,
                         bool accumulate, LayerParams* grad) {
  assert(a_in.cols() == arch.InputsOf(layer));
  assert(dz.rows() == a_in.rows() && dz.cols() == params.rows());
  if (arch.IsSparse(layer)) {
    SparseWeightGradients(a_in, dz, params, accumulate, grad);
  } else {
    internal::Gemm(dz, internal::Op::kTranspose, a_in, internal::Op::kNone,
                   accumulate ? 1.0f : 0.0f, grad->weight);
  }
  if (accumulate) {
    grad->bias.noalias() += dz.colwise().sum().transpose();
  } else {
    grad->bias.noalias() = dz.colwise().sum().transpose();
  }
}

}  // namespace

void ForwardPreactivation(const ConstMatrixRef& a_in, const LayerParams& params,
                          const Architecture& arch, int layer, MatrixF* z) {
  assert(a_in.cols() == arch.InputsOf(layer));
  assert(params.weight.cols() == arch.FanIn(layer));
  z->resize(a_in.rows(), params.rows());
  if (arch.IsSparse(layer)) {
    SparseForward(a_in, params, z);
    return;
  }
  // Start from the bias and accumulate the product into it, as BLAS addmm (beta = 1) does: one
  // pass fewer than writing the product and adding the bias afterwards.
  z->rowwise() = params.bias.transpose();
  internal::Gemm(a_in, internal::Op::kNone, params.weight, internal::Op::kTranspose, 1.0f, *z);
}

void ApplyActivation(Activation act, const ConstMatrixRef& z, MatrixF* a) {
  switch (act) {
    case Activation::kRelu:
      *a = z.cwiseMax(0.0f);
      return;
    case Activation::kTanh:
      *a = z.array().tanh().matrix();
      return;
    case Activation::kSigmoid:
      *a = z.array().logistic().matrix();
      return;
    case Activation::kIdentity:
    case Activation::kSoftmax:
      *a = z;
      return;
  }
}

void ActivationBackward(Activation act, const ConstMatrixRef& z, const ConstMatrixRef& a,
                        const ConstMatrixRef& da, MatrixF* dz) {
  switch (act) {
    case Activation::kRelu:
      *dz = (z.array() > 0.0f).select(da.array(), 0.0f).matrix();
      return;
    case Activation::kTanh:
      *dz = (da.array() * (1.0f - a.array().square())).matrix();
      return;
    case Activation::kSigmoid:
      *dz = (da.array() * a.array() * (1.0f - a.array())).matrix();
      return;
    case Activation::kIdentity:
      *dz = da;
      return;
    case Activation::kSoftmax:
      assert(false && "softmax dz comes from SoftmaxCrossEntropyGrad");
      return;
  }
}

void WeightGradients(const ConstMatrixRef& a_in, const ConstMatrixRef& dz,
                     const LayerParams& params, const Architecture& arch, int layer,
                     LayerParams* grad) {
  grad->first_neuron = params.first_neuron;
  grad->weight.resize(params.rows(), params.weight.cols());
  grad->bias.resize(params.rows());
  grad->index = params.index;
  WeightGradientsImpl(a_in, dz, params, arch, layer, /*accumulate=*/false, grad);
}

void AccumulateWeightGradients(const ConstMatrixRef& a_in, const ConstMatrixRef& dz,
                               const LayerParams& params, const Architecture& arch, int layer,
                               LayerParams* grad) {
  assert(grad->weight.rows() == params.rows() && grad->weight.cols() == params.weight.cols());
  WeightGradientsImpl(a_in, dz, params, arch, layer, /*accumulate=*/true, grad);
}

void InputGradients(const ConstMatrixRef& dz, const LayerParams& params, const Architecture& arch,
                    int layer, MatrixF* da_in) {
  assert(dz.cols() == params.rows());
  da_in->resize(dz.rows(), arch.InputsOf(layer));
  if (arch.IsSparse(layer)) {
    SparseInputGradients(dz, params, da_in);
  } else {
    internal::Gemm(dz, internal::Op::kNone, params.weight, internal::Op::kNone, 0.0f, *da_in);
  }
}

}  // namespace neuropart
