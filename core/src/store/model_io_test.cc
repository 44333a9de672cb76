#include "neuropart/store/model_io.h"

#include <gtest/gtest.h>

#include <cstring>
#include <string>

#include "store_test_util.h"

namespace neuropart {
namespace {

using ::neuropart::testing::ScratchDir;
using ::neuropart::testing::WriteRaw;

Architecture Net() {
  Architecture a;
  a.input_size = 20;
  a.layers = {{"h1", 12, Activation::kRelu, {Connectivity::Type::kSparse, 5, 9}},
              {"h2", 8, Activation::kTanh, {}},
              {"out", 3, Activation::kSoftmax, {}}};
  return a;
}

bool Contains(const Status& s, const std::string& part) {
  return s.message().find(part) != std::string::npos;
}

void ExpectSameLayer(const LayerParams& a, const LayerParams& b) {
  EXPECT_EQ(a.first_neuron, b.first_neuron);
  EXPECT_EQ(a.weight, b.weight);
  EXPECT_EQ(a.bias, b.bias);
  EXPECT_EQ(a.index, b.index);
}

class ModelIoTest : public ::testing::Test {
 protected:
  void SetUp() override { ASSERT_TRUE(WriteModelWeights(path_, arch_, params_).ok()); }
  // Rewrites the file with `bytes` replaced at `offset`.
  void Patch(uint64_t offset, const void* bytes, size_t n) {
    std::string content = *ReadFile(path_);
    std::memcpy(content.data() + offset, bytes, n);
    WriteRaw(path_, content);
  }

  ScratchDir dir_;
  std::string path_ = dir_.File("weights.safetensors");
  Architecture arch_ = Net();
  ModelParams params_ = InitModel(arch_, 42);
};

TEST_F(ModelIoTest, RoundTripsEveryLayer) {
  StatusOr<ModelParams> read = ReadModelWeights(path_, arch_);
  ASSERT_TRUE(read.ok()) << read.status().ToString();
  ASSERT_EQ(read->size(), 3u);
  for (int l = 0; l < 3; ++l) ExpectSameLayer((*read)[l], params_[l]);
}

TEST_F(ModelIoTest, UsesPytorchNamesShapesAndDtypes) {
  StatusOr<SafetensorsReader> r = SafetensorsReader::Open(path_);
  ASSERT_TRUE(r.ok());
  ASSERT_EQ(r->tensors().size(), 7u);
  EXPECT_EQ(r->Find("h1.weight")->shape, (std::vector<int64_t>{12, 5}));
  EXPECT_EQ(r->Find("h1.bias")->shape, (std::vector<int64_t>{12}));
  EXPECT_EQ(r->Find("h1.index")->shape, (std::vector<int64_t>{12, 5}));
  EXPECT_EQ(r->Find("h1.index")->dtype, Dtype::kI32);
  EXPECT_EQ(r->Find("h2.weight")->shape, (std::vector<int64_t>{8, 12}));
  EXPECT_EQ(r->Find("h2.weight")->dtype, Dtype::kF32);
  EXPECT_EQ(r->Find("h2.index"), nullptr);
  EXPECT_EQ(r->metadata().at("format"), "pt");
}

TEST_F(ModelIoTest, ReadLayerRowsMatchesInitOfThoseRows) {
  StatusOr<SafetensorsReader> r = SafetensorsReader::Open(path_);
  ASSERT_TRUE(r.ok());
  for (int l = 0; l < 3; ++l) {
    const int64_t n = arch_.layers[l].neurons;
    StatusOr<LayerParams> rows = ReadLayerRows(*r, arch_, l, 1, n - 1);
    ASSERT_TRUE(rows.ok()) << rows.status().ToString();
    ExpectSameLayer(*rows, InitLayerRows(arch_, 42, l, 1, n - 1));
  }
  StatusOr<LayerParams> empty = ReadLayerRows(*r, arch_, 1, 4, 4);
  ASSERT_TRUE(empty.ok());
  EXPECT_EQ(empty->rows(), 0);
}

TEST_F(ModelIoTest, ReadLayerRowsRejectsCallerErrors) {
  StatusOr<SafetensorsReader> r = SafetensorsReader::Open(path_);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(ReadLayerRows(*r, arch_, 3, 0, 1).status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(ReadLayerRows(*r, arch_, -1, 0, 1).status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(ReadLayerRows(*r, arch_, 0, 5, 13).status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(ReadLayerRows(*r, arch_, 0, 5, 4).status().code(), StatusCode::kInvalidArgument);
}

TEST_F(ModelIoTest, ShapeThatDisagreesWithTheArchitectureIsCorruption) {
  Architecture wider = arch_;
  wider.layers[1].neurons = 9;  // h2.weight is [8, 12] in the file
  wider.layers[2].connectivity = {};
  StatusOr<ModelParams> read = ReadModelWeights(path_, wider);
  ASSERT_FALSE(read.ok());
  EXPECT_EQ(read.status().code(), StatusCode::kCorruption);
  EXPECT_TRUE(Contains(read.status(), "tensor \"h2.weight\"")) << read.status().ToString();
  EXPECT_TRUE(Contains(read.status(), "expected F32 [9, 12], got F32 [8, 12]"))
      << read.status().ToString();
}

TEST_F(ModelIoTest, MissingTensorIsCorruptionNamingIt) {
  Architecture renamed = arch_;
  renamed.layers[2].name = "logits";
  StatusOr<ModelParams> read = ReadModelWeights(path_, renamed);
  ASSERT_FALSE(read.ok());
  EXPECT_EQ(read.status().code(), StatusCode::kCorruption);
  EXPECT_TRUE(Contains(read.status(), "missing tensor \"logits.weight\" (expected F32 [3, 8])"))
      << read.status().ToString();
}

TEST_F(ModelIoTest, DenseFileReadAsSparseLacksTheIndex) {
  Architecture sparse = arch_;
  sparse.layers[1].connectivity = {Connectivity::Type::kSparse, 12, 1};  // fan_in == inputs
  StatusOr<ModelParams> read = ReadModelWeights(path_, sparse);
  ASSERT_FALSE(read.ok());
  EXPECT_TRUE(Contains(read.status(), "missing tensor \"h2.index\"")) << read.status().ToString();
}

// A well-formed index other than the job's seeded connectivity: the plan exchanges the seeded
// inputs, so a distributed run would compute with other inputs than the reference trainer.
TEST_F(ModelIoTest, AnIndexOtherThanTheSeededConnectivityIsRefusedAtItsFirstDifference) {
  Architecture reseeded = arch_;
  reseeded.layers[0].connectivity.seed = 10;
  const IndexMatrix seeded = InitModel(reseeded, 42)[0].index;
  int64_t row = 0, position = 0;
  while (seeded(row, position) == params_[0].index(row, position)) {
    if (++position == seeded.cols()) position = 0, ++row;
  }
  StatusOr<ModelParams> read = ReadModelWeights(path_, reseeded);
  EXPECT_EQ(read.status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(read.status().message(),
            path_ + ": tensor \"h1.index\" row " + std::to_string(row) + " position " +
                std::to_string(position) + ": input " +
                std::to_string(params_[0].index(row, position)) +
                " differs from the job's sparse connectivity (seed 10), which reads input " +
                std::to_string(seeded(row, position)));
}

TEST_F(ModelIoTest, IndexOutOfRangeIsCorruptionWithRowAndOffset) {
  StatusOr<SafetensorsReader> probe = SafetensorsReader::Open(path_);
  ASSERT_TRUE(probe.ok());
  const uint64_t at = probe->Find("h1.index")->file_offset + (3 * 5 + 4) * 4;  // row 3, last
  const int32_t bad = 20;                                                      // == input_size
  Patch(at, &bad, 4);
  StatusOr<ModelParams> read = ReadModelWeights(path_, arch_);
  ASSERT_FALSE(read.ok());
  EXPECT_EQ(read.status().code(), StatusCode::kCorruption);
  EXPECT_TRUE(Contains(read.status(), "tensor \"h1.index\" row 3 position 4 at file byte " +
                                          std::to_string(at) + ": index 20 is outside [0, 20)"))
      << read.status().ToString();

  // Rows that do not include the bad one still load: only the requested rows are checked.
  StatusOr<SafetensorsReader> r = SafetensorsReader::Open(path_);
  ASSERT_TRUE(r.ok());
  EXPECT_TRUE(ReadLayerRows(*r, arch_, 0, 4, 12).ok());
  EXPECT_FALSE(ReadLayerRows(*r, arch_, 0, 3, 4).ok());
}

TEST_F(ModelIoTest, NegativeOrRepeatedIndexIsCorruption) {
  StatusOr<SafetensorsReader> probe = SafetensorsReader::Open(path_);
  ASSERT_TRUE(probe.ok());
  const uint64_t row0 = probe->Find("h1.index")->file_offset;
  const int32_t first = params_[0].index(0, 0);
  Patch(row0 + 4, &first, 4);  // position 1 repeats position 0
  StatusOr<ModelParams> read = ReadModelWeights(path_, arch_);
  ASSERT_FALSE(read.ok());
  EXPECT_TRUE(Contains(read.status(), "row 0 position 1")) << read.status().ToString();
  EXPECT_TRUE(Contains(read.status(), "not greater than the previous one"));

  const int32_t negative = -1;
  Patch(row0, &negative, 4);
  read = ReadModelWeights(path_, arch_);
  ASSERT_FALSE(read.ok());
  EXPECT_TRUE(Contains(read.status(), "row 0 position 0")) << read.status().ToString();
}

TEST_F(ModelIoTest, WrongDtypeIsCorruption) {
  // The same bytes declared I32 instead of F32.
  StatusOr<SafetensorsReader> probe = SafetensorsReader::Open(path_);
  ASSERT_TRUE(probe.ok());
  std::string content = *ReadFile(path_);
  const size_t pos = content.find("\"h2.bias\":{\"dtype\":\"F32\"");
  ASSERT_NE(pos, std::string::npos);
  content.replace(pos + 20, 3, "I32");
  WriteRaw(path_, content);
  StatusOr<ModelParams> read = ReadModelWeights(path_, arch_);
  ASSERT_FALSE(read.ok());
  EXPECT_TRUE(Contains(read.status(), "tensor \"h2.bias\"")) << read.status().ToString();
  EXPECT_TRUE(Contains(read.status(), "expected F32 [8], got I32 [8]"));
}

TEST_F(ModelIoTest, WriteRejectsParamsThatDoNotMatch) {
  ModelParams partial = params_;
  partial[1] = InitLayerRows(arch_, 42, 1, 0, 4);
  EXPECT_EQ(WriteModelWeights(dir_.File("p"), arch_, partial).code(), StatusCode::kInvalidArgument);
  ModelParams missing_index = params_;
  missing_index[0].index.resize(0, 0);
  EXPECT_EQ(WriteModelWeights(dir_.File("p"), arch_, missing_index).code(),
            StatusCode::kInvalidArgument);
  ModelParams short_model(params_.begin(), params_.end() - 1);
  EXPECT_EQ(WriteModelWeights(dir_.File("p"), arch_, short_model).code(),
            StatusCode::kInvalidArgument);
  EXPECT_EQ(dir_.List(), std::vector<std::string>{"weights.safetensors"});
}

}  // namespace
}  // namespace neuropart
