#include "neuropart/store/zlib.h"

#include <gtest/gtest.h>

#include "store_test_util.h"

namespace neuropart {
namespace {

using testing::ScratchDir;

TEST(Crc32Test, IsZlibsCheckValue) { EXPECT_EQ(Crc32("123456789"), 0xCBF43926u); }

TEST(Crc32Test, UpdatingPieceByPieceEqualsTheWhole) {
  EXPECT_EQ(Crc32Update(Crc32("1234"), "56789"), 0xCBF43926u);
  EXPECT_EQ(Crc32Update(Crc32({}), "123456789"), 0xCBF43926u);
}

TEST(ChecksumFileTest, AnyBlockSizeGivesTheWholeFilesSizeAndCrc) {
  ScratchDir dir;
  std::string bytes;
  for (int i = 0; i < 10007; ++i) bytes.push_back(static_cast<char>(i * 31 + 7));
  ASSERT_TRUE(WriteFileAtomic(dir.File("shard"), bytes).ok());
  for (size_t block : {size_t{1}, size_t{4096}, size_t{10007}, kChecksumBlockBytes}) {
    StatusOr<FileChecksum> sum = ChecksumFile(dir.File("shard"), block);
    ASSERT_TRUE(sum.ok()) << sum.status().ToString();
    EXPECT_EQ(sum->bytes, bytes.size()) << block;
    EXPECT_EQ(sum->crc32, Crc32(bytes)) << block;
  }
}

TEST(ChecksumFileTest, AMissingFileIsNotFound) {
  ScratchDir dir;
  EXPECT_EQ(ChecksumFile(dir.File("nope")).status().code(), StatusCode::kNotFound);
}

}  // namespace
}  // namespace neuropart
