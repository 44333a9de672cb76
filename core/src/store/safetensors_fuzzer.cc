// libFuzzer harness for the safetensors reader: the 8-byte header length and the JSON header
// (ParseSafetensorsHeader), read through SafetensorsReader over an in-memory file. Built by the
// fuzz preset (docs/fuzzing.md).
//
// Input: a whole safetensors file, so that real files are seeds and reproducers. Beyond "never
// crash": an accepted header's tensors tile the data section in order, each with the bytes its
// dtype and shape need, and each reads back as the file's bytes; written again by
// SafetensorsWriter, the same tensors and metadata open from the new file.
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <memory>
#include <string>
#include <string_view>
#include <utility>

#include "fuzz_require.h"
#include "neuropart/store/safetensors.h"
#include "safetensors_header.h"

namespace neuropart {
namespace {

class MemoryFile : public RandomAccessFile {
 public:
  explicit MemoryFile(std::string bytes) : bytes_(std::move(bytes)) {}

  Status ReadAt(uint64_t offset, size_t n, char* out) const override {
    if (offset > bytes_.size() || n > bytes_.size() - offset) {
      return CorruptionError(path_ + ": unexpected end of file");
    }
    std::memcpy(out, bytes_.data() + offset, n);
    return Status::Ok();
  }
  uint64_t size() const override { return bytes_.size(); }
  const std::string& path() const override { return path_; }

 private:
  std::string bytes_;
  std::string path_ = "fuzz.safetensors";
};

StatusOr<SafetensorsReader> Open(std::string bytes) {
  return SafetensorsReader::Open(std::make_unique<MemoryFile>(std::move(bytes)));
}

// The tiling and sizes that ParseSafetensorsHeader promises, and the data as the file holds it.
void CheckTensors(const SafetensorsReader& reader, std::string_view file) {
  uint64_t next = 0;
  for (const TensorInfo& t : reader.tensors()) {
    FuzzRequire(t.begin == next && t.end >= t.begin, "tensors tile the data section in order");
    next = t.end;
    StatusOr<uint64_t> bytes = TensorBytes(t.dtype, t.shape);
    FuzzRequire(bytes.ok() && *bytes == t.nbytes(), "a tensor holds the bytes of its shape");
    FuzzRequire(t.file_offset == reader.data_offset() + t.begin, "file offsets add up");
    FuzzRequire(reader.Find(t.name) == &t, "Find names each tensor");
    std::string data(t.nbytes(), '\0');
    FuzzRequire(reader.ReadAll(t.name, data.data(), data.size()).ok(), "every tensor reads");
    FuzzRequire(data == file.substr(t.file_offset, t.nbytes()), "a tensor reads its bytes");
  }
  FuzzRequire(reader.data_offset() + next == file.size(), "tensors cover the data section");
}

void CheckRewrite(const SafetensorsReader& reader, std::string_view file) {
  SafetensorsWriter writer;
  std::string rewritten;
  for (const TensorInfo& t : reader.tensors()) {
    FuzzRequire(writer.Add(t.name, t.dtype, t.shape, file.data() + t.file_offset).ok(),
                "an accepted tensor can be written");
    rewritten += file.substr(t.file_offset, t.nbytes());
  }
  for (const auto& [key, value] : reader.metadata()) writer.SetMetadata(key, value);
  StatusOr<SafetensorsReader> again = Open(writer.EncodeHeader() + rewritten);
  FuzzRequire(again.ok(), "a rewritten file opens");
  FuzzRequire(again->metadata() == reader.metadata(), "a rewritten file keeps its metadata");
  FuzzRequire(again->tensors().size() == reader.tensors().size(), "and its tensors");
  for (size_t i = 0; i < reader.tensors().size(); ++i) {
    const TensorInfo& a = reader.tensors()[i];
    const TensorInfo& b = again->tensors()[i];
    FuzzRequire(a.name == b.name && a.dtype == b.dtype && a.shape == b.shape &&
                    a.begin == b.begin && a.end == b.end,
                "a rewritten tensor keeps its name, dtype, shape and offsets");
  }
}

}  // namespace
}  // namespace neuropart

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace neuropart;
  const std::string_view file(reinterpret_cast<const char*>(data), size);
  StatusOr<SafetensorsReader> reader = Open(std::string(file));
  if (!reader.ok()) return 0;
  CheckTensors(*reader, file);
  CheckRewrite(*reader, file);
  return 0;
}
