#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "data_test_util.h"
#include "neuropart/store/zlib.h"
#include "neuropart/data/dataset.h"

namespace neuropart {
namespace {

using ::neuropart::testing::Gzip;
using ::neuropart::testing::IdxImages;
using ::neuropart::testing::IdxLabels;
using ::neuropart::testing::ScratchDir;
using ::neuropart::testing::WriteRaw;

bool Contains(const Status& s, const std::string& part) {
  return s.message().find(part) != std::string::npos;
}

class IdxTest : public ::testing::Test {
 protected:
  // Writes images and labels (optionally gzipped) and loads them.
  StatusOr<Dataset> Load(const std::string& images, const std::string& labels) {
    WriteRaw(dir_.File("images"), images);
    WriteRaw(dir_.File("labels"), labels);
    return LoadIdx(dir_.File("images"), dir_.File("labels"));
  }

  ScratchDir dir_;
  const std::string images_ = IdxImages(3, 2, 4);
  const std::string labels_ = IdxLabels({4, 0, 2});
};

void ExpectSample(const StatusOr<Dataset>& ds) {
  ASSERT_TRUE(ds.ok()) << ds.status().ToString();
  EXPECT_EQ(ds->size(), 3);
  EXPECT_EQ(ds->features(), 8);
  EXPECT_EQ(ds->labels, std::vector<int32_t>({4, 0, 2}));
  EXPECT_EQ(ds->num_classes, 5);
  EXPECT_FLOAT_EQ(ds->x(0, 0), 0.0f);
  EXPECT_FLOAT_EQ(ds->x(2, 5), 19.0f / 255.0f);  // (2 * 7 + 5) / 255
  EXPECT_FLOAT_EQ(ds->x(1, 7), 14.0f / 255.0f);
}

TEST_F(IdxTest, LoadsRawFilesScaledToUnitRange) { ExpectSample(Load(images_, labels_)); }

TEST_F(IdxTest, LoadsGzipAndMixedFiles) {
  ExpectSample(Load(Gzip(images_), Gzip(labels_)));
  ExpectSample(Load(images_, Gzip(labels_)));
}

TEST_F(IdxTest, LoadsConcatenatedGzipMembers) {
  ExpectSample(Load(Gzip(images_.substr(0, 10)) + Gzip(images_.substr(10)), labels_));
}

TEST_F(IdxTest, FullPixelIsOne) {
  std::string images = IdxImages(1, 1, 1);
  images.back() = static_cast<char>(255);
  StatusOr<Dataset> ds = Load(images, IdxLabels({0}));
  ASSERT_TRUE(ds.ok());
  EXPECT_EQ(ds->x(0, 0), 1.0f);
}

TEST_F(IdxTest, EveryTruncationOfARawFileFails) {
  for (size_t len = 0; len < images_.size(); ++len) {
    StatusOr<Dataset> ds = Load(images_.substr(0, len), labels_);
    ASSERT_FALSE(ds.ok()) << len;
    EXPECT_EQ(ds.status().code(), StatusCode::kCorruption) << ds.status().ToString();
    EXPECT_TRUE(Contains(ds.status(), dir_.File("images"))) << ds.status().ToString();
  }
  for (size_t len = 0; len < labels_.size(); ++len) {
    ASSERT_FALSE(Load(images_, labels_.substr(0, len)).ok()) << len;
  }
}

TEST_F(IdxTest, TruncationNamesTheByteWhereDataEnds) {
  StatusOr<Dataset> ds = Load(images_.substr(0, 30), labels_);
  ASSERT_FALSE(ds.ok());
  EXPECT_TRUE(Contains(ds.status(),
                       "header announces 3x2x4 images but the data from byte 16 "
                       "ends early at byte 30"))
      << ds.status().ToString();
}

TEST_F(IdxTest, EveryTruncationOfAGzipFileFails) {
  const std::string gz = Gzip(images_);
  for (size_t len = 0; len < gz.size(); ++len) {
    StatusOr<Dataset> ds = Load(gz.substr(0, len), labels_);
    ASSERT_FALSE(ds.ok()) << len;
    EXPECT_EQ(ds.status().code(), StatusCode::kCorruption) << ds.status().ToString();
  }
}

TEST_F(IdxTest, CorruptGzipNamesTheCompressedOffset) {
  std::string gz = Gzip(images_);
  gz[gz.size() - 6] ^= 0x5a;  // inside the CRC-32 trailer
  StatusOr<Dataset> ds = Load(gz, labels_);
  ASSERT_FALSE(ds.ok());
  EXPECT_TRUE(Contains(ds.status(), "gzip: ")) << ds.status().ToString();
  EXPECT_TRUE(Contains(ds.status(), "at compressed byte")) << ds.status().ToString();
}

TEST_F(IdxTest, GarbageAfterGzipStreamFails) {
  StatusOr<Dataset> ds = Load(Gzip(images_) + "junk", labels_);
  ASSERT_FALSE(ds.ok());
  EXPECT_TRUE(Contains(ds.status(), "trailing garbage")) << ds.status().ToString();
}

TEST_F(IdxTest, TrailingBytesFail) {
  StatusOr<Dataset> ds = Load(images_ + "x", labels_);
  ASSERT_FALSE(ds.ok());
  EXPECT_TRUE(Contains(ds.status(), "runs on to byte 41")) << ds.status().ToString();
}

TEST_F(IdxTest, WrongMagicNamesBothValues) {
  StatusOr<Dataset> ds = Load(labels_, labels_);  // a labels file where images are expected
  ASSERT_FALSE(ds.ok());
  EXPECT_EQ(ds.status().code(), StatusCode::kCorruption);
  EXPECT_TRUE(Contains(ds.status(), "byte 0: magic 0x00000801, expected 0x00000803"))
      << ds.status().ToString();
  ds = Load(images_, images_);
  ASSERT_FALSE(ds.ok());
  EXPECT_TRUE(Contains(ds.status(), "magic 0x00000803, expected 0x00000801"));
}

TEST_F(IdxTest, GzipMagicIsReportedAgainstTheDecompressedContent) {
  StatusOr<Dataset> ds = Load(Gzip(labels_), labels_);
  ASSERT_FALSE(ds.ok());
  EXPECT_TRUE(Contains(ds.status(), "images (decompressed): byte 0: magic"))
      << ds.status().ToString();
}

TEST_F(IdxTest, CountMismatchIsInvalidArgument) {
  StatusOr<Dataset> ds = Load(images_, IdxLabels({1, 2}));
  ASSERT_FALSE(ds.ok());
  EXPECT_EQ(ds.status().code(), StatusCode::kInvalidArgument);
  EXPECT_TRUE(Contains(ds.status(), "holds 3 images but")) << ds.status().ToString();
  EXPECT_TRUE(Contains(ds.status(), "holds 2 labels")) << ds.status().ToString();
}

TEST_F(IdxTest, HugeDimensionsDoNotOverflow) {
  std::string images = IdxImages(0, 0, 0);
  images.replace(4, 12, std::string(12, '\xff'));  // 2^32-1 in every dimension
  StatusOr<Dataset> ds = Load(images, labels_);
  ASSERT_FALSE(ds.ok());
  EXPECT_TRUE(Contains(ds.status(), "ends early at byte 16")) << ds.status().ToString();
}

TEST_F(IdxTest, EmptyDatasetIsRejected) {
  EXPECT_EQ(Load(IdxImages(0, 2, 2), IdxLabels({})).status().code(), StatusCode::kInvalidArgument);
}

TEST_F(IdxTest, MissingFileIsNotFound) {
  EXPECT_EQ(LoadIdx(dir_.File("a"), dir_.File("b")).status().code(), StatusCode::kNotFound);
}

TEST(GunzipTest, StopsAtTheSizeLimit) {
  const std::string zeros(1 << 20, '\0');
  StatusOr<std::string> out = Gunzip(Gzip(zeros), "z.gz", 1000);
  ASSERT_FALSE(out.ok());
  EXPECT_TRUE(Contains(out.status(), "beyond the size limit")) << out.status().ToString();
  EXPECT_TRUE(Gunzip(Gzip(zeros), "z.gz", 1 << 20).ok());
}

}  // namespace
}  // namespace neuropart
