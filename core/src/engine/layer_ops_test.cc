#include "neuropart/engine/layer_ops.h"

#include <gtest/gtest.h>

#include <cmath>
#include <vector>

#include "neuropart/model/init.h"

namespace neuropart {
namespace {

MatrixF Random(int64_t rows, int64_t cols, uint64_t seed) {
  MatrixF m(rows, cols);
  for (int64_t i = 0; i < m.size(); ++i) {
    m.data()[i] = static_cast<float>(HashMix(seed, i) % 2001) / 1000.0f - 1.0f;
  }
  return m;
}

template <typename Got, typename Want>
void ExpectClose(const Eigen::MatrixBase<Got>& got, const Eigen::MatrixBase<Want>& want,
                 float tol) {
  ASSERT_EQ(got.rows(), want.rows());
  ASSERT_EQ(got.cols(), want.cols());
  for (int64_t r = 0; r < want.rows(); ++r) {
    for (int64_t c = 0; c < want.cols(); ++c) {
      EXPECT_NEAR(got(r, c), want(r, c), tol * std::max(1.0f, std::fabs(want(r, c))))
          << "at (" << r << ", " << c << ")";
    }
  }
}

// 12 inputs -> 7 neurons reading 4 inputs each.
Architecture SparseNet() {
  Architecture a;
  a.input_size = 12;
  a.layers = {{"h", 7, Activation::kTanh, {Connectivity::Type::kSparse, 4, 9}}};
  return a;
}

// The sparse layer written as a dense one: zero weight wherever a neuron has no connection.
LayerParams Densify(const LayerParams& p, int64_t inputs) {
  LayerParams d;
  d.first_neuron = p.first_neuron;
  d.weight = MatrixF::Zero(p.rows(), inputs);
  d.bias = p.bias;
  for (int64_t r = 0; r < p.rows(); ++r) {
    for (int64_t k = 0; k < p.index.cols(); ++k) d.weight(r, p.index(r, k)) = p.weight(r, k);
  }
  return d;
}

Architecture DenseTwin(const Architecture& sparse) {
  Architecture d = sparse;
  d.layers[0].connectivity = {};
  return d;
}

TEST(LayerOpsTest, SparseLayerComputesWhatItsDenseTwinComputes) {
  const Architecture arch = SparseNet(), dense_arch = DenseTwin(arch);
  const LayerParams p = InitLayerRows(arch, 3, 0, 0, 7);
  const LayerParams d = Densify(p, 12);
  const MatrixF x = Random(5, 12, 1), dz = Random(5, 7, 2);

  MatrixF z_sparse, z_dense;
  ForwardPreactivation(x, p, arch, 0, &z_sparse);
  ForwardPreactivation(x, d, dense_arch, 0, &z_dense);
  ExpectClose(z_sparse, z_dense, 1e-6f);

  MatrixF da_sparse, da_dense;
  InputGradients(dz, p, arch, 0, &da_sparse);
  InputGradients(dz, d, dense_arch, 0, &da_dense);
  ExpectClose(da_sparse, da_dense, 1e-6f);

  LayerParams g_sparse, g_dense;
  WeightGradients(x, dz, p, arch, 0, &g_sparse);
  WeightGradients(x, dz, d, dense_arch, 0, &g_dense);
  EXPECT_EQ(g_sparse.index, p.index);
  for (int64_t r = 0; r < 7; ++r) {
    for (int64_t k = 0; k < 4; ++k) {
      EXPECT_NEAR(g_sparse.weight(r, k), g_dense.weight(r, p.index(r, k)), 1e-6);
    }
  }
  ExpectClose(g_sparse.bias, g_dense.bias, 1e-6f);
}

// A worker owning rows [b, e) must get exactly those rows of Z and dW, and the partial dA_in of
// all slices must add up to the whole layer's. `tol` is 0 where the kernel's summation order does
// not depend on the slice (the sparse loops); GEMM may block a narrower matrix differently.
void CheckSlicesAgreeWithWholeLayer(const Architecture& arch, float tol) {
  const LayerParams whole = InitLayerRows(arch, 5, 0, 0, 7);
  const MatrixF x = Random(6, 12, 3), dz = Random(6, 7, 4);
  MatrixF z, da;
  LayerParams g;
  ForwardPreactivation(x, whole, arch, 0, &z);
  InputGradients(dz, whole, arch, 0, &da);
  WeightGradients(x, dz, whole, arch, 0, &g);

  MatrixF da_sum = MatrixF::Zero(6, 12);
  for (auto [b, e] : std::vector<std::pair<int, int>>{{0, 3}, {3, 4}, {4, 7}}) {
    const LayerParams slice = InitLayerRows(arch, 5, 0, b, e);
    MatrixF zs, das;
    LayerParams gs;
    ForwardPreactivation(x, slice, arch, 0, &zs);
    ExpectClose(zs, z.middleCols(b, e - b), tol);
    WeightGradients(x, dz.middleCols(b, e - b), slice, arch, 0, &gs);
    EXPECT_EQ(gs.first_neuron, b);
    ExpectClose(gs.weight, g.weight.middleRows(b, e - b), tol);
    InputGradients(dz.middleCols(b, e - b), slice, arch, 0, &das);
    da_sum += das;
  }
  ExpectClose(da_sum, da, 1e-6f);
}

TEST(LayerOpsTest, SparseRowSlicesAgreeExactlyWithWholeLayer) {
  CheckSlicesAgreeWithWholeLayer(SparseNet(), 0.0f);
}

TEST(LayerOpsTest, DenseRowSlicesAgreeWithWholeLayer) {
  CheckSlicesAgreeWithWholeLayer(DenseTwin(SparseNet()), 1e-6f);
}

TEST(LayerOpsTest, AccumulatedWeightGradientsAddUp) {
  const Architecture arch = DenseTwin(SparseNet());
  const LayerParams p = InitLayerRows(arch, 5, 0, 0, 7);
  const MatrixF x = Random(6, 12, 3), dz = Random(6, 7, 4);
  LayerParams whole, parts;
  WeightGradients(x, dz, p, arch, 0, &whole);
  WeightGradients(x.topRows(2), dz.topRows(2), p, arch, 0, &parts);
  AccumulateWeightGradients(x.bottomRows(4), dz.bottomRows(4), p, arch, 0, &parts);
  ExpectClose(parts.weight, whole.weight, 1e-6f);
  ExpectClose(parts.bias, whole.bias, 1e-6f);
}

TEST(LayerOpsTest, ActivationsAndTheirDerivatives) {
  MatrixF z(1, 3);
  z << -1.0f, 0.0f, 2.0f;
  const MatrixF da = MatrixF::Constant(1, 3, 2.0f);
  MatrixF a, dz;
  ApplyActivation(Activation::kRelu, z, &a);
  ActivationBackward(Activation::kRelu, z, a, da, &dz);
  EXPECT_EQ(a, (MatrixF(1, 3) << 0, 0, 2).finished());
  EXPECT_EQ(dz, (MatrixF(1, 3) << 0, 0, 2).finished());  // PyTorch: no gradient at exactly 0

  ApplyActivation(Activation::kTanh, z, &a);
  ActivationBackward(Activation::kTanh, z, a, da, &dz);
  EXPECT_NEAR(a(0, 2), std::tanh(2.0f), 1e-6);
  EXPECT_NEAR(dz(0, 0), 2.0f * (1 - std::pow(std::tanh(-1.0f), 2)), 1e-6);

  ApplyActivation(Activation::kSigmoid, z, &a);
  ActivationBackward(Activation::kSigmoid, z, a, da, &dz);
  EXPECT_NEAR(a(0, 1), 0.5f, 1e-7);
  EXPECT_NEAR(dz(0, 1), 0.5f, 1e-7);  // 2 * 0.5 * 0.5

  ApplyActivation(Activation::kIdentity, z, &a);
  ActivationBackward(Activation::kIdentity, z, a, da, &dz);
  EXPECT_EQ(a, z);
  EXPECT_EQ(dz, da);

  ApplyActivation(Activation::kSoftmax, z, &a);
  EXPECT_EQ(a, z);  // the output layer's activations are its logits
}

// Reference: plain double-precision softmax cross-entropy.
struct Expected {
  MatrixF probs, dz;
  double loss = 0;
};
Expected Reference(const MatrixF& logits, const std::vector<int32_t>& labels, float scale) {
  Expected e{logits, logits, 0};
  for (int64_t s = 0; s < logits.rows(); ++s) {
    double m = logits.row(s).maxCoeff(), sum = 0;
    for (int64_t c = 0; c < logits.cols(); ++c) sum += std::exp(logits(s, c) - m);
    for (int64_t c = 0; c < logits.cols(); ++c) {
      const double p = std::exp(logits(s, c) - m) / sum;
      e.probs(s, c) = static_cast<float>(p);
      e.dz(s, c) = static_cast<float>((p - (c == labels[s])) * scale);
    }
    e.loss += m + std::log(sum) - logits(s, labels[s]);
  }
  return e;
}

TEST(SoftmaxLossTest, SlicesCombineToTheWholeSoftmax) {
  MatrixF logits = Random(4, 10, 8) * 5.0f;
  const std::vector<int32_t> labels = {0, 9, 4, 5};
  const Expected want = Reference(logits, labels, 0.25f);
  const std::vector<std::pair<int, int>> slices = {{0, 4}, {4, 5}, {5, 5}, {5, 10}};

  SoftmaxStats combined;
  for (size_t i = 0; i < slices.size(); ++i) {
    SoftmaxStats part;
    auto [b, e] = slices[i];
    SoftmaxSliceStats(logits.middleCols(b, e - b), &part);
    if (i == 0) {
      combined = part;
    } else {
      CombineSoftmaxStats(part, &combined);
    }
  }
  double loss = 0;
  for (auto [b, e] : slices) {
    const MatrixF slice = logits.middleCols(b, e - b);
    loss += CrossEntropySliceLoss(slice, b, labels.data(), combined);
    MatrixF dz, probs;
    SoftmaxCrossEntropyGrad(slice, b, labels.data(), combined, 0.25f, &dz);
    SoftmaxSliceProbabilities(slice, combined, &probs);
    ExpectClose(dz, want.dz.middleCols(b, e - b), 1e-6f);
    ExpectClose(probs, want.probs.middleCols(b, e - b), 1e-6f);
  }
  EXPECT_NEAR(loss, want.loss, 1e-5 * want.loss);

  SoftmaxStats whole;
  SoftmaxSliceStats(logits, &whole);
  EXPECT_NEAR(CrossEntropySliceLoss(logits, 0, labels.data(), whole), want.loss, 1e-5 * want.loss);
}

TEST(SoftmaxLossTest, HugeLogitsStayFinite) {
  MatrixF logits(2, 3);
  logits << 1000.0f, -1000.0f, 999.0f, -500.0f, -501.0f, -2000.0f;
  const std::vector<int32_t> labels = {1, 0};
  SoftmaxStats stats;
  SoftmaxSliceStats(logits, &stats);
  const double loss = CrossEntropySliceLoss(logits, 0, labels.data(), stats);
  EXPECT_NEAR(loss, 2000.0 + std::log1p(std::exp(-1.0)) + std::log1p(std::exp(-1.0)), 1e-3);
  MatrixF dz;
  SoftmaxCrossEntropyGrad(logits, 0, labels.data(), stats, 1.0f, &dz);
  EXPECT_TRUE(dz.allFinite());
  EXPECT_NEAR(dz(0, 1), -1.0f, 1e-6);
  EXPECT_NEAR(dz.row(0).sum(), 0.0f, 1e-6);
}

}  // namespace
}  // namespace neuropart
