#include "neuropart/model/init.h"

#include <gtest/gtest.h>

#include <cmath>
#include <set>
#include <vector>

namespace neuropart {
namespace {

Architecture Net() {
  Architecture a;
  a.input_size = 100;
  a.layers = {{"h", 50, Activation::kRelu, {Connectivity::Type::kSparse, 10, 3}},
              {"out", 10, Activation::kSoftmax, {}}};
  return a;
}

TEST(InitTest, NeuronValuesDependOnlyOnSeedLayerAndIndex) {
  Architecture a = Net();
  std::vector<float> w1(10), w2(10);
  float b1, b2;
  InitNeuron(a, 7, 0, 42, w1.data(), &b1);
  InitNeuron(a, 7, 0, 41, w2.data(), &b2);  // a neighbour in between changes nothing
  InitNeuron(a, 7, 0, 42, w2.data(), &b2);
  EXPECT_EQ(w1, w2);
  EXPECT_EQ(b1, b2);
  InitNeuron(a, 8, 0, 42, w2.data(), &b2);
  EXPECT_NE(w1, w2);
}

TEST(InitTest, ValuesFollowPytorchLinearBounds) {
  Architecture a = Net();
  std::vector<float> w(50);
  float b;
  double sum = 0;
  const float bound = 1.0f / std::sqrt(50.0f);
  for (int n = 0; n < 10; ++n) {
    InitNeuron(a, 1, 1, n, w.data(), &b);
    for (float v : w) {
      EXPECT_LE(std::fabs(v), bound);
      sum += v;
    }
    EXPECT_LE(std::fabs(b), bound);
  }
  EXPECT_LT(std::fabs(sum / 500), bound * 0.2);  // centred
}

TEST(InitTest, SparseInputsAreDistinctSortedAndInRange) {
  Architecture a = Net();
  std::vector<int32_t> idx(10);
  std::set<std::vector<int32_t>> distinct;
  for (int n = 0; n < 50; ++n) {
    SparseInputs(a, 0, n, idx.data());
    for (int j = 0; j < 10; ++j) {
      EXPECT_GE(idx[j], 0);
      EXPECT_LT(idx[j], 100);
      if (j > 0) {
        EXPECT_LT(idx[j - 1], idx[j]);
      }
    }
    distinct.insert(idx);
  }
  EXPECT_GT(distinct.size(), 45u);
}

TEST(InitTest, FullFanInSparseTakesEveryInput) {
  Architecture a = Net();
  a.layers[0].connectivity.fan_in = 100;
  std::vector<int32_t> idx(100);
  SparseInputs(a, 0, 3, idx.data());
  for (int j = 0; j < 100; ++j) EXPECT_EQ(idx[j], j);
}

}  // namespace
}  // namespace neuropart
