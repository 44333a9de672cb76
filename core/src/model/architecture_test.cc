#include "neuropart/model/architecture.h"

#include <gtest/gtest.h>

namespace neuropart {
namespace {

Architecture Mlp() {
  Architecture a;
  a.input_size = 4;
  a.layers = {{"h1", 3, Activation::kRelu, {}},
              {"h2", 5, Activation::kTanh, {Connectivity::Type::kSparse, 2, 9}},
              {"out", 2, Activation::kSoftmax, {}}};
  return a;
}

TEST(ArchitectureTest, OffsetsAndFanIns) {
  Architecture a = Mlp();
  ASSERT_TRUE(a.Validate().ok());
  EXPECT_EQ(a.LayerOffset(0), 0);
  EXPECT_EQ(a.LayerOffset(2), 8);
  EXPECT_EQ(a.TotalNeurons(), 10);
  EXPECT_EQ(a.FanIn(0), 4);
  EXPECT_EQ(a.FanIn(1), 2);
  EXPECT_EQ(a.FanIn(2), 5);
  EXPECT_EQ(a.TotalParameters(), 3 * 5 + 5 * 3 + 2 * 6);
  EXPECT_EQ(a.FindLayer("h2"), 1);
  EXPECT_EQ(a.FindLayer("nope"), std::nullopt);
}

TEST(ArchitectureTest, SoftmaxOnlyLast) {
  Architecture a = Mlp();
  a.layers[0].activation = Activation::kSoftmax;
  Status s = a.Validate();
  EXPECT_EQ(s.code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(s.message(), "layers[0] (h1).activation: softmax is allowed only on the last layer");
}

TEST(ArchitectureTest, SparseFanInMustFitThePreviousLayer) {
  Architecture a = Mlp();
  a.layers[1].connectivity.fan_in = 4;
  EXPECT_EQ(a.Validate().message(), "layers[1] (h2).connectivity.fanIn: must be in [1, 3], got 4");
}

TEST(ArchitectureTest, DuplicateNamesRefused) {
  Architecture a = Mlp();
  a.layers[2].name = "h1";
  EXPECT_EQ(a.Validate().message(), "layers[2] (h1).name: duplicate layer name");
}

// Found by job_file_fuzzer (tests/fuzz/corpus/job_file_fuzzer/regression-layer-name-not-utf8):
// the name reached plan.yaml and checkpoint headers as U+FFFD, and the plan's hash then failed.
TEST(ArchitectureTest, LayerNameMustBePrintableAscii) {
  // The job_file_fuzzer's find: invalid UTF-8 came back from plan.yaml as U+FFFD, and the plan
  // then failed its own hash check.
  Architecture a = Mlp();
  a.layers[2].name = "o\xdd\xddut";
  EXPECT_EQ(a.Validate().message(),
            "layers[2].name: must be printable ASCII (letters, digits, punctuation)");
  a.layers[2].name = "out_2";
  EXPECT_TRUE(a.Validate().ok());
}

TEST(ArchitectureTest, ActivationNamesRoundTrip) {
  for (auto a : {Activation::kRelu, Activation::kTanh, Activation::kSigmoid, Activation::kIdentity,
                 Activation::kSoftmax}) {
    EXPECT_EQ(*ParseActivation(ActivationName(a)), a);
  }
  EXPECT_FALSE(ParseActivation("gelu").ok());
}

}  // namespace
}  // namespace neuropart
