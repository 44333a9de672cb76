// IDX files (LeCun's MNIST format): a big-endian magic 0x0000TTNN (TT = 08 for unsigned bytes,
// NN = number of dimensions), NN big-endian uint32 sizes, then the data.
#include <algorithm>
#include <vector>

#include "neuropart/store/zlib.h"
#include "neuropart/data/dataset.h"
#include "neuropart/store/file_util.h"

namespace neuropart {
namespace {

constexpr uint32_t kImagesMagic = 0x00000803;
constexpr uint32_t kLabelsMagic = 0x00000801;

uint32_t BigEndian32(std::string_view b, size_t at) {
  uint32_t v = 0;
  for (size_t i = 0; i < 4; ++i) v = (v << 8) | static_cast<unsigned char>(b[at + i]);
  return v;
}

std::string Hex32(uint32_t v) {
  static constexpr char kHex[] = "0123456789abcdef";
  std::string s = "0x";
  for (int shift = 28; shift >= 0; shift -= 4) s += kHex[(v >> shift) & 0xF];
  return s;
}

struct IdxFile {
  std::string bytes;  // decompressed content
  std::string where;  // path, plus "(decompressed)" for gzip, for messages
  std::vector<uint32_t> dims;
  size_t data_offset = 0;
};

// Decompresses `raw` if it is gzip, checks the magic and that the data is exactly as long as the
// dims announce.
StatusOr<IdxFile> ParseIdxFile(std::string_view raw, const std::string& name, uint32_t magic,
                               std::string_view what) {
  IdxFile f;
  const bool was_gzip = IsGzip(raw);
  if (was_gzip) {
    ASSIGN_OR_RETURN(f.bytes, Gunzip(raw, name));
  } else {
    f.bytes = raw;
  }
  // Offsets in messages count decompressed bytes for gzip files.
  f.where = name + (was_gzip ? " (decompressed)" : "");
  const size_t ndims = magic & 0xFF;
  f.data_offset = 4 + 4 * ndims;
  // The magic first: a file of the wrong kind should say so, whatever its size.
  if (f.bytes.size() >= 4 && BigEndian32(f.bytes, 0) != magic) {
    return CorruptionError(f.where + ": byte 0: magic " + Hex32(BigEndian32(f.bytes, 0)) +
                           ", expected " + Hex32(magic) + " (IDX " + std::string(what) + ")");
  }
  if (f.bytes.size() < f.data_offset) {
    return CorruptionError(f.where + ": " + std::to_string(f.bytes.size()) +
                           " bytes, too short for the " + std::to_string(f.data_offset) +
                           "-byte IDX header of " + std::string(what));
  }
  // The product saturates just above the file size: beyond that it cannot match anyway, and
  // three 32-bit dims could overflow 64 bits.
  const uint64_t cap = f.bytes.size() + 1;
  uint64_t expected = 1;
  for (size_t d = 0; d < ndims; ++d) {
    const uint64_t dim = BigEndian32(f.bytes, 4 + 4 * d);
    f.dims.push_back(static_cast<uint32_t>(dim));
    expected = (dim != 0 && expected > cap / dim) ? cap : expected * dim;
  }
  const uint64_t have = f.bytes.size() - f.data_offset;
  if (have != expected) {
    std::string dims;
    for (uint32_t d : f.dims) dims += (dims.empty() ? "" : "x") + std::to_string(d);
    return CorruptionError(f.where + ": header announces " + dims + " " + std::string(what) +
                           " but the data from byte " + std::to_string(f.data_offset) +
                           (have < expected ? " ends early at byte " : " runs on to byte ") +
                           std::to_string(f.bytes.size()));
  }
  return f;
}

}  // namespace

StatusOr<Dataset> LoadIdx(const std::string& images_path, const std::string& labels_path) {
  ASSIGN_OR_RETURN(const std::string images, ReadFile(images_path));
  ASSIGN_OR_RETURN(const std::string labels, ReadFile(labels_path));
  return ParseIdx(images, labels, images_path, labels_path);
}

StatusOr<Dataset> ParseIdx(std::string_view images_bytes, std::string_view labels_bytes,
                           const std::string& images_path, const std::string& labels_path) {
  ASSIGN_OR_RETURN(IdxFile images,
                   ParseIdxFile(images_bytes, images_path, kImagesMagic, "images"));
  ASSIGN_OR_RETURN(IdxFile labels,
                   ParseIdxFile(labels_bytes, labels_path, kLabelsMagic, "labels"));
  const int64_t n = images.dims[0];
  if (labels.dims[0] != images.dims[0]) {
    return InvalidArgumentError(images_path + " holds " + std::to_string(n) + " images but " +
                                labels_path + " holds " + std::to_string(labels.dims[0]) +
                                " labels");
  }
  if (n == 0) return InvalidArgumentError(images_path + ": contains no images");
  const int64_t features = int64_t{images.dims[1]} * images.dims[2];
  if (features == 0) return InvalidArgumentError(images_path + ": images have no pixels");

  Dataset ds;
  ds.x.resize(n, features);
  const auto* pixels =
      reinterpret_cast<const unsigned char*>(images.bytes.data()) + images.data_offset;
  float* x = ds.x.data();
  for (int64_t i = 0; i < n * features; ++i) x[i] = static_cast<float>(pixels[i]) / 255.0f;
  const auto* label_bytes =
      reinterpret_cast<const unsigned char*>(labels.bytes.data()) + labels.data_offset;
  ds.labels.assign(label_bytes, label_bytes + n);
  ds.num_classes = *std::max_element(ds.labels.begin(), ds.labels.end()) + 1;
  return ds;
}

}  // namespace neuropart
