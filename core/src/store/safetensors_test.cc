#include "neuropart/store/safetensors.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <cctype>
#include <cstring>
#include <numeric>
#include <string>
#include <vector>

#include "store_test_util.h"

namespace neuropart {
namespace {

using ::neuropart::testing::ScratchDir;
using ::neuropart::testing::StringFile;
using ::neuropart::testing::WriteRaw;

std::string Le64(uint64_t v) {
  std::string s(8, '\0');
  for (int i = 0; i < 8; ++i) s[i] = static_cast<char>(v >> (8 * i));
  return s;
}

// A file made by hand: length, header text, data.
std::string RawFile(const std::string& header, const std::string& data) {
  return Le64(header.size()) + header + data;
}

StatusOr<SafetensorsReader> OpenBytes(std::string bytes) {
  return SafetensorsReader::Open(std::make_unique<StringFile>(std::move(bytes)));
}

bool Contains(const Status& s, const std::string& part) {
  return s.message().find(part) != std::string::npos;
}

// w: F32 [4, 3] = 0..11, idx: I32 [2] = {7, -1}, b: F32 [4] = 0.5.. ; metadata format=pt.
struct Sample {
  std::vector<float> w = std::vector<float>(12);
  std::vector<int32_t> idx = {7, -1};
  std::vector<float> b = {0.5f, 1.5f, 2.5f, 3.5f};
  SafetensorsWriter writer;

  Sample() {
    std::iota(w.begin(), w.end(), 0.0f);
    EXPECT_TRUE(writer.Add("w", Dtype::kF32, {4, 3}, w.data()).ok());
    EXPECT_TRUE(writer.Add("idx", Dtype::kI32, {2}, idx.data()).ok());
    EXPECT_TRUE(writer.Add("b", Dtype::kF32, {4}, b.data()).ok());
    writer.SetMetadata("format", "pt");
  }
  std::string Bytes() const {
    std::string bytes = writer.EncodeHeader();
    bytes.append(reinterpret_cast<const char*>(w.data()), w.size() * 4);
    bytes.append(reinterpret_cast<const char*>(idx.data()), idx.size() * 4);
    bytes.append(reinterpret_cast<const char*>(b.data()), b.size() * 4);
    return bytes;
  }
};

TEST(SafetensorsTest, RoundTripsTensorsMetadataAndOrder) {
  ScratchDir dir;
  Sample sample;
  ASSERT_TRUE(sample.writer.WriteAtomic(dir.File("m.safetensors")).ok());
  EXPECT_EQ(*ReadFile(dir.File("m.safetensors")), sample.Bytes());

  StatusOr<SafetensorsReader> r = SafetensorsReader::Open(dir.File("m.safetensors"));
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  ASSERT_EQ(r->tensors().size(), 3u);
  EXPECT_EQ(r->tensors()[0].name, "w");  // laid out in the order added
  EXPECT_EQ(r->tensors()[1].name, "idx");
  EXPECT_EQ(r->tensors()[2].name, "b");
  EXPECT_EQ(r->data_offset() % 8, 0u);
  const TensorInfo* idx = r->Find("idx");
  ASSERT_NE(idx, nullptr);
  EXPECT_EQ(idx->dtype, Dtype::kI32);
  EXPECT_EQ(idx->shape, std::vector<int64_t>{2});
  EXPECT_EQ(idx->begin, 48u);
  EXPECT_EQ(idx->end, 56u);
  EXPECT_EQ(idx->file_offset, r->data_offset() + 48);
  EXPECT_EQ(r->metadata().at("format"), "pt");

  std::vector<float> w(12), b(4);
  std::vector<int32_t> i(2);
  ASSERT_TRUE(r->ReadAll("w", w.data(), 48).ok());
  ASSERT_TRUE(r->ReadAll("idx", i.data(), 8).ok());
  ASSERT_TRUE(r->ReadAll("b", b.data(), 16).ok());
  EXPECT_EQ(w, sample.w);
  EXPECT_EQ(i, sample.idx);
  EXPECT_EQ(b, sample.b);
}

TEST(SafetensorsTest, ReadsTheFormatAsPythonSafetensorsWritesIt) {
  // What safetensors.torch.save_file({"a": torch.tensor([[1., 2.]]), "n": torch.tensor([3],
  // dtype=torch.int32)}, metadata={"format": "pt"}) produces: compact JSON, __metadata__ first,
  // offsets relative to the data section, header padded with spaces to a multiple of 8.
  std::string header =
      R"({"__metadata__":{"format":"pt"},"a":{"dtype":"F32","shape":[1,2],"data_offsets":[0,8]},)"
      R"("n":{"dtype":"I32","shape":[1],"data_offsets":[8,12]}})";
  header.append((8 - header.size() % 8) % 8, ' ');
  const float a[2] = {1.0f, 2.0f};
  const int32_t n = 3;
  const std::string data = std::string(reinterpret_cast<const char*>(a), 8) +
                           std::string(reinterpret_cast<const char*>(&n), 4);
  StatusOr<SafetensorsReader> r = OpenBytes(RawFile(header, data));
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  float got[2];
  int32_t got_n;
  ASSERT_TRUE(r->ReadRows("a", 0, 1, got, 8).ok());
  ASSERT_TRUE(r->ReadAll("n", &got_n, 4).ok());
  EXPECT_EQ(got[0], 1.0f);
  EXPECT_EQ(got[1], 2.0f);
  EXPECT_EQ(got_n, 3);
}

TEST(SafetensorsTest, ReadRowsReturnsExactlyTheRequestedRows) {
  Sample sample;
  StatusOr<SafetensorsReader> r = OpenBytes(sample.Bytes());
  ASSERT_TRUE(r.ok());
  std::vector<float> rows(6);
  ASSERT_TRUE(r->ReadRows("w", 1, 3, rows.data(), 24).ok());
  EXPECT_EQ(rows, std::vector<float>({3, 4, 5, 6, 7, 8}));
  float last;
  ASSERT_TRUE(r->ReadRows("b", 3, 4, &last, 4).ok());
  EXPECT_EQ(last, 3.5f);
  EXPECT_TRUE(r->ReadRows("w", 2, 2, nullptr, 0).ok());  // empty range
}

TEST(SafetensorsTest, ReadRowsIssuesOneReadOfOnlyThoseRows) {
  Sample sample;
  auto file = std::make_unique<StringFile>(sample.Bytes());
  StringFile* counter = file.get();
  StatusOr<SafetensorsReader> r = SafetensorsReader::Open(std::move(file));
  ASSERT_TRUE(r.ok());
  // Opening reads the 8-byte length and the header, nothing of the data.
  EXPECT_EQ(counter->reads_, 2);
  EXPECT_EQ(counter->bytes_read_, r->data_offset());

  counter->reads_ = 0;
  counter->bytes_read_ = 0;
  std::vector<float> rows(6);
  ASSERT_TRUE(r->ReadRows("w", 2, 4, rows.data(), 24).ok());
  EXPECT_EQ(counter->reads_, 1);
  EXPECT_EQ(counter->bytes_read_, 24u);
  EXPECT_EQ(counter->last_offset_, r->Find("w")->file_offset + 2 * 12);
}

TEST(SafetensorsTest, ReadRowsNeverTouchesBytesOutsideTheRows) {
  // A file that fails every read outside the header and the one requested row: if ReadRows read
  // the whole tensor or file, it would fail.
  class Fenced : public StringFile {
   public:
    Fenced(std::string bytes, uint64_t header_end, uint64_t lo, uint64_t hi)
        : StringFile(std::move(bytes)), header_end_(header_end), lo_(lo), hi_(hi) {}
    Status ReadAt(uint64_t offset, size_t n, char* out) const override {
      const bool in_header = offset + n <= header_end_;
      const bool in_rows = offset >= lo_ && offset + n <= hi_;
      if (!in_header && !in_rows) return CorruptionError("read outside the fence");
      return StringFile::ReadAt(offset, n, out);
    }

   private:
    uint64_t header_end_, lo_, hi_;
  };
  Sample sample;
  StatusOr<SafetensorsReader> probe = OpenBytes(sample.Bytes());
  ASSERT_TRUE(probe.ok());
  const uint64_t row1 = probe->Find("w")->file_offset + 12;
  StatusOr<SafetensorsReader> r = SafetensorsReader::Open(
      std::make_unique<Fenced>(sample.Bytes(), probe->data_offset(), row1, row1 + 12));
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  float row[6];
  ASSERT_TRUE(r->ReadRows("w", 1, 2, row, 12).ok());
  EXPECT_EQ(row[0], 3.0f);
  EXPECT_EQ(row[2], 5.0f);
  EXPECT_FALSE(r->ReadRows("w", 1, 3, row, 24).ok());  // the fence can fail a read
}

TEST(SafetensorsTest, CallerErrorsAreInvalidArgument) {
  Sample sample;
  StatusOr<SafetensorsReader> r = OpenBytes(sample.Bytes());
  ASSERT_TRUE(r.ok());
  float buf[12];
  const Status unknown = r->ReadRows("nope", 0, 1, buf, 12);
  EXPECT_EQ(unknown.code(), StatusCode::kInvalidArgument);
  EXPECT_TRUE(Contains(unknown, "\"nope\""));
  EXPECT_EQ(r->ReadRows("w", 3, 5, buf, 24).code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(r->ReadRows("w", -1, 1, buf, 24).code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(r->ReadRows("w", 2, 1, buf, 0).code(), StatusCode::kInvalidArgument);
  const Status size = r->ReadRows("w", 0, 1, buf, 16);
  EXPECT_EQ(size.code(), StatusCode::kInvalidArgument);
  EXPECT_TRUE(Contains(size, "file byte")) << size.ToString();
  EXPECT_EQ(r->ReadAll("w", buf, 44).code(), StatusCode::kInvalidArgument);
}

TEST(SafetensorsTest, ScalarsAndEmptyTensorsAreSupported) {
  const float scalar = 2.0f;
  SafetensorsWriter writer;
  ASSERT_TRUE(writer.Add("s", Dtype::kF32, {}, &scalar).ok());
  ASSERT_TRUE(writer.Add("empty", Dtype::kF32, {0, 5}, nullptr).ok());
  StatusOr<SafetensorsReader> r =
      OpenBytes(writer.EncodeHeader() + std::string(reinterpret_cast<const char*>(&scalar), 4));
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  float got = 0;
  ASSERT_TRUE(r->ReadAll("s", &got, 4).ok());
  EXPECT_EQ(got, 2.0f);
  EXPECT_EQ(r->ReadRows("s", 0, 1, &got, 4).code(), StatusCode::kInvalidArgument);
  EXPECT_TRUE(r->ReadAll("empty", nullptr, 0).ok());
}

TEST(SafetensorsTest, EveryTruncationFailsCleanly) {
  Sample sample;
  const std::string bytes = sample.Bytes();
  for (size_t len = 0; len < bytes.size(); ++len) {
    StatusOr<SafetensorsReader> r = OpenBytes(bytes.substr(0, len));
    ASSERT_FALSE(r.ok()) << "truncated at " << len;
    EXPECT_EQ(r.status().code(), StatusCode::kCorruption) << r.status().ToString();
  }
  EXPECT_TRUE(OpenBytes(bytes).ok());
}

TEST(SafetensorsTest, EverySingleBitFlipIsRejectedOrReadsSafely) {
  // Flips in the header must fail cleanly or still describe a consistent file; flips in the data
  // are undetectable by design (there is no checksum) and only change values.
  Sample sample;
  const std::string bytes = sample.Bytes();
  int rejected = 0;
  for (size_t i = 0; i < bytes.size(); ++i) {
    for (int bit = 0; bit < 8; ++bit) {
      std::string flipped = bytes;
      flipped[i] = static_cast<char>(flipped[i] ^ (1 << bit));
      StatusOr<SafetensorsReader> r = OpenBytes(flipped);
      if (!r.ok()) {
        EXPECT_EQ(r.status().code(), StatusCode::kCorruption) << r.status().ToString();
        ++rejected;
        continue;
      }
      for (const TensorInfo& t : r->tensors()) {
        std::vector<char> buf(t.nbytes());
        EXPECT_TRUE(r->ReadAll(t.name, buf.data(), buf.size()).ok()) << i << ":" << bit;
      }
    }
  }
  EXPECT_GT(rejected, 0);
}

TEST(SafetensorsTest, TruncatedFileOnDiskFailsNamingPathAndOffset) {
  ScratchDir dir;
  Sample sample;
  const std::string bytes = sample.Bytes();
  WriteRaw(dir.File("t.safetensors"), bytes.substr(0, bytes.size() - 1));
  StatusOr<SafetensorsReader> r = SafetensorsReader::Open(dir.File("t.safetensors"));
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), StatusCode::kCorruption);
  EXPECT_TRUE(Contains(r.status(), dir.File("t.safetensors"))) << r.status().ToString();
  EXPECT_TRUE(Contains(r.status(), "tensor \"b\"")) << r.status().ToString();
  EXPECT_TRUE(Contains(r.status(), "file byte")) << r.status().ToString();
}

TEST(SafetensorsTest, FileShrunkAfterOpenFailsOnRead) {
  ScratchDir dir;
  Sample sample;
  ASSERT_TRUE(sample.writer.WriteAtomic(dir.File("m")).ok());
  StatusOr<SafetensorsReader> r = SafetensorsReader::Open(dir.File("m"));
  ASSERT_TRUE(r.ok());
  ASSERT_EQ(::truncate(dir.File("m").c_str(), static_cast<off_t>(r->data_offset() + 8)), 0);
  float buf[4];
  const Status s = r->ReadAll("b", buf, 16);
  ASSERT_FALSE(s.ok());
  EXPECT_TRUE(Contains(s, "tensor \"b\"")) << s.ToString();
  EXPECT_TRUE(Contains(s, "unexpected end of file")) << s.ToString();
}

struct CorruptCase {
  const char* label;
  std::string header;
  size_t data_bytes;
  const char* message;  // substring the error must contain
};

void PrintTo(const CorruptCase& c, std::ostream* os) { *os << c.label; }

class SafetensorsCorruptHeader : public ::testing::TestWithParam<CorruptCase> {};

TEST_P(SafetensorsCorruptHeader, IsCorruptionNamingWhatAndWhere) {
  const CorruptCase& c = GetParam();
  StatusOr<SafetensorsReader> r = OpenBytes(RawFile(c.header, std::string(c.data_bytes, 'x')));
  ASSERT_FALSE(r.ok()) << c.label;
  EXPECT_EQ(r.status().code(), StatusCode::kCorruption) << r.status().ToString();
  EXPECT_TRUE(Contains(r.status(), c.message)) << c.label << ": " << r.status().ToString();
}

std::string T(const std::string& name, const std::string& dtype, const std::string& shape,
              const std::string& offsets) {
  return "\"" + name + "\":{\"dtype\":\"" + dtype + "\",\"shape\":" + shape +
         ",\"data_offsets\":" + offsets + "}";
}

INSTANTIATE_TEST_SUITE_P(
    Cases, SafetensorsCorruptHeader,
    ::testing::Values(
        CorruptCase{"bad json", "{\"a\":{\"dtype\":\"F32\",", 0, "file byte 8): JSON byte 20"},
        CorruptCase{"not an object", "[]", 0, "not an object"},
        CorruptCase{"unknown dtype", "{" + T("a", "F31", "[2]", "[0,8]") + "}", 8,
                    "tensor \"a\" (header at file byte 22): unknown dtype \"F31\""},
        CorruptCase{"size mismatch", "{" + T("a", "F32", "[2,3]", "[0,20]") + "}", 20,
                    "tensor \"a\" (header at file byte 13): shape [2, 3] of F32 needs 24 bytes "
                    "but data_offsets [0, 20] span 20"},
        CorruptCase{"past end", "{" + T("a", "F32", "[2]", "[0,8]") + "}", 4,
                    "tensor \"a\" (header at file byte 55): data ends at file byte 70, past the "
                    "end of the file (66 bytes)"},
        CorruptCase{
            "overlap",
            "{" + T("a", "F32", "[2]", "[0,8]") + "," + T("b", "F32", "[2]", "[4,12]") + "}", 12,
            "tensor \"b\" at file byte"},
        CorruptCase{
            "gap", "{" + T("a", "F32", "[1]", "[0,4]") + "," + T("b", "F32", "[1]", "[8,12]") + "}",
            12, "leaving a gap"},
        CorruptCase{"trailing bytes", "{" + T("a", "F32", "[1]", "[0,4]") + "}", 8,
                    "tensors end at file byte"},
        CorruptCase{"reversed offsets", "{" + T("a", "F32", "[0]", "[8,0]") + "}", 8,
                    "begin <= end"},
        CorruptCase{"three offsets", "{" + T("a", "F32", "[1]", "[0,4,4]") + "}", 4,
                    "data_offsets must be [begin, end]"},
        CorruptCase{"negative dim", "{" + T("a", "F32", "[-1]", "[0,4]") + "}", 4,
                    "shape must hold non-negative integers"},
        CorruptCase{"string dim", "{" + T("a", "F32", "[\"2\"]", "[0,8]") + "}", 8,
                    "shape must hold non-negative integers"},
        CorruptCase{"shape overflow", "{" + T("a", "F32", "[4294967296,4294967296]", "[0,0]") + "}",
                    0, "overflows"},
        CorruptCase{"overflow hidden by a zero dim",
                    "{" + T("a", "F32", "[0,4294967296,4294967296]", "[0,0]") + "}", 0,
                    "overflows"},
        CorruptCase{"missing field", "{\"a\":{\"dtype\":\"F32\",\"shape\":[1]}}", 4,
                    "tensor \"a\" (header at file byte 13): missing data_offsets"},
        CorruptCase{"unknown field",
                    "{\"a\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4],\"x\":1}}", 4,
                    "unknown field \"x\""},
        CorruptCase{"entry not object", "{\"a\":[1]}", 0, "entry must be an object"},
        CorruptCase{"metadata value", "{\"__metadata__\":{\"k\":1}}", 0,
                    "__metadata__ (header at file byte 29): value of \"k\" must be a string"},
        CorruptCase{"duplicate tensor",
                    "{" + T("a", "F32", "[1]", "[0,4]") + "," + T("a", "F32", "[1]", "[4,8]") + "}",
                    8, "duplicate key \"a\""}),
    [](const ::testing::TestParamInfo<CorruptCase>& info) {
      std::string name = info.param.label;
      for (char& ch : name) {
        if (!std::isalnum(static_cast<unsigned char>(ch))) ch = '_';
      }
      return name;
    });

TEST(SafetensorsTest, HeaderLengthBeyondTheFileOrTheLimitIsCorruption) {
  for (uint64_t len :
       {uint64_t{1} << 63, uint64_t{~0ull}, kSafetensorsMaxHeaderBytes + 1, uint64_t{3}}) {
    StatusOr<SafetensorsReader> r = OpenBytes(Le64(len) + "{}");
    ASSERT_FALSE(r.ok()) << len;
    EXPECT_EQ(r.status().code(), StatusCode::kCorruption);
    EXPECT_TRUE(Contains(r.status(), "header length " + std::to_string(len) + " at byte 0"))
        << r.status().ToString();
  }
}

TEST(SafetensorsTest, OpenMissingFileIsNotFound) {
  ScratchDir dir;
  EXPECT_EQ(SafetensorsReader::Open(dir.File("absent")).status().code(), StatusCode::kNotFound);
}

TEST(SafetensorsWriterTest, RejectsDuplicateReservedAndNegativeShapes) {
  SafetensorsWriter w;
  float x[1] = {0};
  ASSERT_TRUE(w.Add("a", Dtype::kF32, {1}, x).ok());
  EXPECT_EQ(w.Add("a", Dtype::kF32, {1}, x).code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(w.Add("__metadata__", Dtype::kF32, {1}, x).code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(w.Add("n", Dtype::kF32, {-1}, x).code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(w.Add("o", Dtype::kF32, {1ll << 40, 1ll << 40}, x).code(),
            StatusCode::kInvalidArgument);
}

TEST(SafetensorsWriterTest, HeaderIsPaddedWithSpacesAndEscapesNames) {
  SafetensorsWriter w;
  int32_t v = 1;
  ASSERT_TRUE(w.Add("we\"ird\\name", Dtype::kI32, {1}, &v).ok());
  w.SetMetadata("note", "line\nbreak");
  const std::string header = w.EncodeHeader();
  EXPECT_EQ(header.size() % 8, 0u);
  const std::string json = header.substr(8);
  EXPECT_EQ(json.find_last_not_of(' '), json.find_last_of('}'));
  StatusOr<SafetensorsReader> r =
      OpenBytes(header + std::string(reinterpret_cast<const char*>(&v), 4));
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_NE(r->Find("we\"ird\\name"), nullptr);
  EXPECT_EQ(r->metadata().at("note"), "line\nbreak");
}

TEST(SafetensorsWriterTest, WriteAtomicReplacesAnExistingFile) {
  ScratchDir dir;
  WriteRaw(dir.File("w.safetensors"), "old garbage");
  Sample sample;
  ASSERT_TRUE(sample.writer.WriteAtomic(dir.File("w.safetensors")).ok());
  EXPECT_TRUE(SafetensorsReader::Open(dir.File("w.safetensors")).ok());
  EXPECT_EQ(dir.List(), std::vector<std::string>{"w.safetensors"});
}

TEST(DtypeTest, NamesAndSizesFollowTheSpecification) {
  EXPECT_EQ(*ParseDtype("F32"), Dtype::kF32);
  EXPECT_EQ(*ParseDtype("I32"), Dtype::kI32);
  EXPECT_EQ(*ParseDtype("BF16"), Dtype::kBF16);
  EXPECT_EQ(DtypeName(Dtype::kF8E4M3), "F8_E4M3");
  EXPECT_EQ(DtypeSize(Dtype::kF32), 4u);
  EXPECT_EQ(DtypeSize(Dtype::kI64), 8u);
  EXPECT_EQ(DtypeSize(Dtype::kF16), 2u);
  EXPECT_FALSE(ParseDtype("f32").ok());
}

}  // namespace
}  // namespace neuropart
