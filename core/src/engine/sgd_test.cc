#include "neuropart/engine/sgd.h"

#include <gtest/gtest.h>

#include "neuropart/engine/math_threads.h"
#include "neuropart/model/init.h"

namespace neuropart {
namespace {

// A 2x2 slice whose every weight and bias starts at 1, with a sparse index that must survive.
LayerParams Ones() {
  LayerParams p;
  p.first_neuron = 4;
  p.weight = MatrixF::Constant(2, 2, 1.0f);
  p.bias = VectorF::Constant(2, 1.0f);
  p.index.resize(2, 2);
  p.index << 0, 3, 1, 2;
  return p;
}

LayerParams Grad(float g) {
  LayerParams p;
  p.weight = MatrixF::Constant(2, 2, g);
  p.bias = VectorF::Constant(2, g);
  return p;
}

void ExpectAll(const LayerParams& p, float want) {
  for (int64_t i = 0; i < p.weight.size(); ++i) EXPECT_NEAR(p.weight.data()[i], want, 1e-6);
  for (int64_t i = 0; i < p.bias.size(); ++i) EXPECT_NEAR(p.bias[i], want, 1e-6) << "bias " << i;
}

// Hand-computed with torch.optim.SGD(lr=0.1, momentum=0.9, weight_decay=0.1), w0 = 1,
// grads 0.5, -0.25, 1.0:
//   g1 = 0.5 + 0.1*1        = 0.6      buf = 0.6                  w = 0.94
//   g2 = -0.25 + 0.1*0.94   = -0.156   buf = 0.54 - 0.156 = 0.384 w = 0.9016
//   g3 = 1 + 0.1*0.9016     = 1.09016  buf = 0.3456 + 1.09016     w = 0.758024
TEST(SgdTest, ThreeStepsMatchPytorchWithMomentumAndWeightDecay) {
  SgdState sgd({.learning_rate = 0.1f, .momentum = 0.9f, .weight_decay = 0.1f});
  LayerParams p = Ones();
  EXPECT_EQ(sgd.momentum_buffer(), nullptr);
  sgd.Apply(&p, Grad(0.5f));
  ExpectAll(p, 0.94f);
  ASSERT_NE(sgd.momentum_buffer(), nullptr);
  ExpectAll(*sgd.momentum_buffer(), 0.6f);
  sgd.Apply(&p, Grad(-0.25f));
  ExpectAll(p, 0.9016f);
  ExpectAll(*sgd.momentum_buffer(), 0.384f);
  sgd.Apply(&p, Grad(1.0f));
  ExpectAll(p, 0.758024f);
  ExpectAll(*sgd.momentum_buffer(), 1.43576f);
  EXPECT_EQ(sgd.steps(), 3);
}

TEST(SgdTest, WithoutMomentumStepsAlongDecayedGradientAndKeepsNoBuffer) {
  SgdState sgd({.learning_rate = 0.1f, .momentum = 0.0f, .weight_decay = 0.1f});
  LayerParams p = Ones();
  sgd.Apply(&p, Grad(0.5f));
  ExpectAll(p, 0.94f);
  sgd.Apply(&p, Grad(-0.25f));
  ExpectAll(p, 0.9556f);  // 0.94 - 0.1 * (-0.25 + 0.094)
  EXPECT_EQ(sgd.momentum_buffer(), nullptr);
}

TEST(SgdTest, SparseIndexAndFirstNeuronAreNeverUpdated) {
  SgdState sgd({.learning_rate = 0.5f, .momentum = 0.9f, .weight_decay = 0.0f});
  LayerParams p = Ones();
  const IndexMatrix index = p.index;
  sgd.Apply(&p, Grad(3.0f));
  EXPECT_EQ(p.index, index);
  EXPECT_EQ(p.first_neuron, 4);
}

TEST(SgdTest, RestoredStateContinuesExactlyLikeTheOriginal) {
  const SgdOptions o{.learning_rate = 0.1f, .momentum = 0.9f, .weight_decay = 0.1f};
  SgdState a(o);
  LayerParams pa = Ones();
  a.Apply(&pa, Grad(0.5f));
  SgdState b(o);
  b.Restore(*a.momentum_buffer(), a.steps());
  LayerParams pb = pa;
  a.Apply(&pa, Grad(-0.25f));
  b.Apply(&pb, Grad(-0.25f));
  EXPECT_EQ(pa.weight, pb.weight);
  EXPECT_EQ(pa.bias, pb.bias);
}

// Big enough for the update to be split over threads: the split must not change a single bit.
TEST(SgdTest, ThreadCountDoesNotChangeTheUpdate) {
  Architecture arch;
  arch.input_size = 300;
  arch.layers = {{"h", 200, Activation::kRelu, {}}};
  const LayerParams start = InitLayerRows(arch, 1, 0, 0, 200);
  const LayerParams grad = InitLayerRows(arch, 2, 0, 0, 200);
  const SgdOptions o{.learning_rate = 0.1f, .momentum = 0.9f, .weight_decay = 0.01f};
  const int saved = MathThreads();
  LayerParams results[2];
  for (int threads : {1, 2}) {
    SetMathThreads(threads);
    SgdState sgd(o);
    results[threads - 1] = start;
    for (int step = 0; step < 3; ++step) sgd.Apply(&results[threads - 1], grad);
  }
  SetMathThreads(saved);
  EXPECT_EQ(results[0].weight, results[1].weight);
  EXPECT_EQ(results[0].bias, results[1].bias);
  EXPECT_NE(results[0].weight, start.weight);
}

}  // namespace
}  // namespace neuropart
