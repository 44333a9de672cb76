#include "neuropart/store/checkpoint.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include "neuropart/store/model_io.h"
#include "store_test_util.h"

namespace neuropart {
namespace {

namespace fs = std::filesystem;

Architecture Arch() {
  Architecture a;
  a.input_size = 6;
  a.layers = {{"h", 8, Activation::kRelu, {}},
              {"s", 5, Activation::kTanh, {Connectivity::Type::kSparse, 3, 9}},
              {"out", 3, Activation::kSoftmax, {}}};
  return a;
}

// Two partitions: p0 owns h[0,5) and out, p1 owns h[5,8) and s.
const std::vector<std::vector<ShardRange>> kRanges = {{{0, 0, 5}, {2, 0, 3}}, {{0, 5, 8}, {1, 0, 5}}};

OwnedSlice Slice(const Architecture& a, uint64_t seed, const ShardRange& r, bool momentum) {
  OwnedSlice s;
  s.layer = r.layer;
  s.params = InitLayerRows(a, seed, r.layer, r.begin, r.end);
  if (momentum) {
    LayerParams m = InitLayerRows(a, seed + 100, r.layer, r.begin, r.end);
    m.index.resize(0, 0);
    s.momentum = m;
  }
  s.optimizer_steps = 7;
  return s;
}

class CheckpointTest : public ::testing::Test {
 protected:
  // Writes both shards of `step` from `seed`; commits unless told not to.
  void Write(int64_t step, uint64_t seed, bool commit = true) {
    std::vector<ShardInfo> infos;
    for (int p = 0; p < 2; ++p) {
      std::vector<OwnedSlice> owned;
      for (const ShardRange& r : kRanges[p]) owned.push_back(Slice(arch_, seed, r, true));
      std::vector<ShardSlice> slices;
      for (const OwnedSlice& o : owned) {
        slices.push_back({o.layer, &o.params, &*o.momentum, o.optimizer_steps});
      }
      StatusOr<ShardInfo> info = WriteShard(dir_.path(), "j", step, p, 0xabc, slices);
      ASSERT_TRUE(info.ok()) << info.status().ToString();
      infos.push_back(*info);
    }
    if (commit) {
      ASSERT_TRUE(
          CommitCheckpoint(dir_.path(), "j", step, 0xabc, kRanges, infos, resumed_from_).ok());
    }
  }
  // Flips a byte near the end of partition 1's shard of `step`, after its commit.
  void CorruptShard(int64_t step) {
    std::fstream f(ShardPath(step), std::ios::in | std::ios::out | std::ios::binary);
    f.seekp(-3, std::ios::end);
    f.put('\x7f');
  }
  std::string ShardPath(int64_t step) {
    return CheckpointDir(dir_.path(), "j", step) + "/part-1.safetensors";
  }
  bool Committed(int64_t step) {
    return fs::exists(CheckpointDir(dir_.path(), "j", step) + "/manifest.json");
  }
  std::string LatestPath() { return JobDir(dir_.path(), "j") + "/LATEST"; }
  CheckpointRef Latest() {
    StatusOr<std::optional<CheckpointRef>> ref = LatestCheckpoint(dir_.path(), "j");
    EXPECT_TRUE(ref.ok()) << ref.status().ToString();
    return ref.ok() && *ref ? **ref : CheckpointRef{};
  }

  Architecture arch_ = Arch();
  testing::ScratchDir dir_;
  std::optional<int64_t> resumed_from_;  // what Write tells CommitCheckpoint
};

TEST_F(CheckpointTest, NoCommitMeansNoCheckpoint) {
  StatusOr<std::optional<CheckpointRef>> ref = LatestCheckpoint(dir_.path(), "j");
  ASSERT_TRUE(ref.ok());
  EXPECT_FALSE(ref->has_value());
}

TEST_F(CheckpointTest, ASliceAcrossShardsIsReassembledWithMomentum) {
  Write(4, 1);
  const CheckpointRef ref = Latest();
  EXPECT_EQ(ref.step, 4);
  EXPECT_EQ(ref.plan_hash, 0xabcu);
  // h[3,7) spans both shards.
  StatusOr<OwnedSlice> s = LoadSlice(ref, arch_, 0, 3, 7);
  ASSERT_TRUE(s.ok()) << s.status().ToString();
  const LayerParams want = InitLayerRows(arch_, 1, 0, 3, 7);
  EXPECT_EQ(s->params.weight, want.weight);
  EXPECT_EQ(s->params.bias, want.bias);
  EXPECT_EQ(s->params.first_neuron, 3);
  ASSERT_TRUE(s->momentum.has_value());
  EXPECT_EQ(s->momentum->weight, InitLayerRows(arch_, 101, 0, 3, 7).weight);
  EXPECT_EQ(s->optimizer_steps, 7);
  StatusOr<OwnedSlice> sparse = LoadSlice(ref, arch_, 1, 1, 4);
  ASSERT_TRUE(sparse.ok());
  EXPECT_EQ(sparse->params.index, InitLayerRows(arch_, 1, 1, 1, 4).index);
}

TEST_F(CheckpointTest, ServingLoadsNoMomentum) {
  Write(4, 1);
  StatusOr<OwnedSlice> s = LoadSlice(Latest(), arch_, 0, 3, 7, /*with_momentum=*/false);
  ASSERT_TRUE(s.ok()) << s.status().ToString();
  EXPECT_FALSE(s->momentum.has_value());
  EXPECT_EQ(s->params.weight, InitLayerRows(arch_, 1, 0, 3, 7).weight);
}

TEST_F(CheckpointTest, ARangeTheCheckpointDoesNotCoverIsCorruptionNamingIt) {
  Write(4, 1);
  CheckpointRef partial = Latest();
  partial.shard_ranges[1].clear();  // as if partition 1 held nothing: h[5,8) is missing
  StatusOr<OwnedSlice> s = LoadSlice(partial, arch_, 0, 3, 7);
  ASSERT_EQ(s.status().code(), StatusCode::kCorruption);
  EXPECT_NE(s.status().message().find("covers 2 of the 4 neurons h/3-7"), std::string::npos)
      << s.status().message();
}

TEST_F(CheckpointTest, ShardsWithoutAManifestNeverBecomeLatest) {
  Write(4, 1);
  Write(8, 2, /*commit=*/false);  // a crash between the shard writes and the manifest
  EXPECT_EQ(Latest().step, 4);
}

TEST_F(CheckpointTest, ACorruptShardFallsBackToTheOlderCommit) {
  Write(4, 1);
  Write(8, 2);
  CorruptShard(8);
  const CheckpointRef ref = Latest();
  EXPECT_EQ(ref.step, 4);
  EXPECT_EQ(ref.warning, LatestPath() + " names step 8, which does not verify (" + ShardPath(8) +
                             ": size or checksum differs from " +
                             CheckpointDir(dir_.path(), "j", 8) + "/manifest.json); using step 4");
}

TEST_F(CheckpointTest, TheCheckpointLatestNamesComesWithoutAWarning) {
  Write(4, 1);
  EXPECT_EQ(Latest().warning, "");
}

TEST_F(CheckpointTest, ACorruptNewerCommitNeverDisplacesTheLastVerifiedOne) {
  Write(4, 1);
  Write(8, 2);
  CorruptShard(8);
  ASSERT_EQ(Latest().step, 4);  // the fallback a resumed run starts from
  Write(12, 3);
  // 12 and 4 are the two newest that verify; the corrupt 8 is what goes.
  EXPECT_TRUE(Committed(4));
  EXPECT_FALSE(fs::exists(CheckpointDir(dir_.path(), "j", 8)));
  EXPECT_TRUE(Committed(12));
}

TEST_F(CheckpointTest, TheCheckpointARunResumedFromIsNeverRemoved) {
  Write(4, 1);
  Write(8, 2);
  CorruptShard(8);
  resumed_from_ = Latest().step;
  for (int step : {12, 16, 20}) Write(step, step);
  EXPECT_TRUE(Committed(4));
  EXPECT_FALSE(fs::exists(CheckpointDir(dir_.path(), "j", 12)));
  EXPECT_TRUE(Committed(16));
  EXPECT_EQ(Latest().step, 20);
  fs::remove_all(CheckpointDir(dir_.path(), "j", 20));
  fs::remove_all(CheckpointDir(dir_.path(), "j", 16));
  EXPECT_EQ(Latest().step, 4);  // still a checkpoint to fall back to
}

TEST_F(CheckpointTest, AMissingLatestUsesTheNewestVerifiedCheckpointAndSaysSo) {
  Write(4, 1);
  Write(8, 2);
  fs::remove(LatestPath());
  const CheckpointRef ref = Latest();
  EXPECT_EQ(ref.step, 8);
  EXPECT_EQ(ref.warning,
            LatestPath() + " is missing; using the newest verified checkpoint, step 8");
}

TEST_F(CheckpointTest, AMissingLatestWithNothingCommittedStartsOver) {
  Write(4, 1, /*commit=*/false);  // a crash before the first manifest
  StatusOr<std::optional<CheckpointRef>> ref = LatestCheckpoint(dir_.path(), "j");
  ASSERT_TRUE(ref.ok()) << ref.status().ToString();
  EXPECT_FALSE(ref->has_value());
}

TEST_F(CheckpointTest, ALatestThatIsNotAStepIsRefusedAndTheNewestVerifiedOneUsed) {
  Write(40, 1);
  Write(80, 2);
  testing::WriteRaw(LatestPath(), "64junk\n");  // strtoll would read 64 and pick step 40
  const CheckpointRef ref = Latest();
  EXPECT_EQ(ref.step, 80);
  EXPECT_EQ(ref.warning, LatestPath() +
                             ": \"64junk\\n\" is not a step number; using the newest verified "
                             "checkpoint, step 80");
}

TEST_F(CheckpointTest, ALatestThatIsNotAStepWithNothingVerifiedIsCorruption) {
  ASSERT_TRUE(MakeDirs(JobDir(dir_.path(), "j")).ok());
  testing::WriteRaw(LatestPath(), "64junk\n");
  StatusOr<std::optional<CheckpointRef>> ref = LatestCheckpoint(dir_.path(), "j");
  ASSERT_FALSE(ref.ok());
  EXPECT_EQ(ref.status().ToString(),
            "Corruption: " + LatestPath() +
                ": \"64junk\\n\" is not a step number, and no checkpoint verifies");
}

TEST_F(CheckpointTest, OnlyTheLastTwoCommitsAreKept) {
  for (int step : {2, 4, 6}) Write(step, step);
  EXPECT_FALSE(fs::exists(CheckpointDir(dir_.path(), "j", 2)));
  EXPECT_TRUE(Committed(4));
  EXPECT_EQ(Latest().step, 6);
}

TEST_F(CheckpointTest, NothingVerifiableIsCorruption) {
  Write(4, 1);
  fs::remove(CheckpointDir(dir_.path(), "j", 4) + "/part-0.safetensors");
  StatusOr<std::optional<CheckpointRef>> ref = LatestCheckpoint(dir_.path(), "j");
  ASSERT_FALSE(ref.ok());
  EXPECT_EQ(ref.status().code(), StatusCode::kCorruption);
  EXPECT_NE(ref.status().message().find("LATEST names step 4"), std::string::npos)
      << ref.status().message();
}

TEST_F(CheckpointTest, TheManifestNamesStepPlanHashAndEachShard) {
  Write(4, 1);
  std::ifstream f(CheckpointDir(dir_.path(), "j", 4) + "/manifest.json");
  const std::string text((std::istreambuf_iterator<char>(f)), std::istreambuf_iterator<char>());
  EXPECT_EQ(text.rfind(R"({"step":4,"plan_hash":"0000000000000abc","shards":[{"partition":0,)", 0),
            0u)
      << text;
  EXPECT_NE(text.find(R"("ranges":[[0,0,5],[2,0,3]]})"), std::string::npos) << text;
  EXPECT_EQ(text.back(), '\n');
}

TEST_F(CheckpointTest, AManifestRangeThatIsNotARangeIsNamedByItsByte) {
  Write(4, 1);
  const std::string manifest = CheckpointDir(dir_.path(), "j", 4) + "/manifest.json";
  const std::string text =
      R"({"step": 4, "plan_hash": "0000000000000abc", "shards": [)"
      R"({"partition": 0, "bytes": 1, "crc32": 1, "ranges": [[0, 5, 0]]}]})";
  std::ofstream(manifest, std::ios::trunc) << text;
  StatusOr<std::optional<CheckpointRef>> ref = LatestCheckpoint(dir_.path(), "j");
  ASSERT_FALSE(ref.ok());
  const std::string want = "shards[0]: a range at byte " + std::to_string(text.find("[0, 5, 0]")) +
                           " is not [layer, begin, end]";
  EXPECT_NE(ref.status().message().find(want), std::string::npos) << ref.status().message();
}

TEST_F(CheckpointTest, AManifestOutsideTheStoredSubsetIsCorruptionWithItsByte) {
  Write(4, 1);
  const std::string manifest = CheckpointDir(dir_.path(), "j", 4) + "/manifest.json";
  std::ofstream(manifest, std::ios::trunc) << R"({"step": 4.5})";
  StatusOr<std::optional<CheckpointRef>> ref = LatestCheckpoint(dir_.path(), "j");
  ASSERT_FALSE(ref.ok());
  EXPECT_NE(ref.status().message().find("manifest.json: JSON byte 9: only integers"),
            std::string::npos)
      << ref.status().message();
}

TEST_F(CheckpointTest, ExportIsTheWholeModelInNnLinearLayout) {
  Write(4, 3);
  const std::string path = dir_.path() + "/export/model.safetensors";
  ASSERT_TRUE(ExportModel(Latest(), arch_, path).ok());
  StatusOr<ModelParams> got = ReadModelWeights(path, arch_);
  ASSERT_TRUE(got.ok()) << got.status().ToString();
  const ModelParams want = InitModel(arch_, 3);
  for (int l = 0; l < 3; ++l) {
    EXPECT_EQ((*got)[l].weight, want[l].weight) << l;
    EXPECT_EQ((*got)[l].bias, want[l].bias) << l;
  }
}

// The streamed export must be the file WriteModelWeights writes from the gathered model, whatever
// the block: one row per block (the smallest), a block that ends mid-tensor, and the default.
TEST_F(CheckpointTest, TheStreamedExportIsByteForByteTheGatheredModelsFile) {
  Write(4, 3);
  const std::string gathered = dir_.path() + "/gathered.safetensors";
  ASSERT_TRUE(WriteModelWeights(gathered, arch_, InitModel(arch_, 3)).ok());
  for (size_t block : {size_t{1}, size_t{40}, kExportBlockBytes}) {
    const std::string path = dir_.path() + "/export/model.safetensors";
    ASSERT_TRUE(ExportModel(Latest(), arch_, path, block).ok()) << block;
    EXPECT_EQ(*ReadFile(path), *ReadFile(gathered)) << "block " << block;
  }
}

TEST_F(CheckpointTest, AFailedExportLeavesNoFileBehind) {
  Write(4, 3);
  CheckpointRef partial = Latest();
  partial.shard_ranges[1].clear();
  const std::string path = dir_.path() + "/export/model.safetensors";
  EXPECT_EQ(ExportModel(partial, arch_, path, 1).code(), StatusCode::kCorruption);
  EXPECT_TRUE(fs::is_empty(dir_.path() + "/export"));
}

}  // namespace
}  // namespace neuropart
