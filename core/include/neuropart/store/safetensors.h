// Safetensors files: the store's format for weights, checkpoint shards and exports.
//
// The layout is the public one (huggingface/safetensors): an 8-byte little-endian header length
// N, N bytes of JSON
//   {"__metadata__": {"k": "v"}, "name": {"dtype": "F32", "shape": [r, c],
//                                         "data_offsets": [begin, end]}, ...}
// (offsets relative to the first byte after the header), then the tensor data, row-major and
// little-endian. PyTorch's safetensors.torch.save_file writes it, so such files load as is.
//
// SafetensorsReader reads only the header when opened and validates it strictly (sizes, dtypes,
// overflow, offsets inside the file, tensors neither overlapping nor leaving gaps); data is read
// later, one pread per requested row range, so a worker never loads the whole file. The reader
// owns its file; it is movable, and const methods may be called from several threads at once.
// SafetensorsWriter collects tensors by reference and writes the file atomically; it is not
// synchronised.
#ifndef NEUROPART_STORE_SAFETENSORS_H_
#define NEUROPART_STORE_SAFETENSORS_H_

#include <cstddef>
#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "neuropart/status.h"
#include "neuropart/store/file_util.h"

namespace neuropart {

// The dtypes of the safetensors specification; neuropart itself writes F32 and I32.
enum class Dtype {
  kBool,
  kU8,
  kI8,
  kF8E5M2,
  kF8E4M3,
  kI16,
  kU16,
  kF16,
  kBF16,
  kI32,
  kU32,
  kF32,
  kF64,
  kI64,
  kU64
};

// "F32" -> kF32 ...; InvalidArgument for names outside the specification.
StatusOr<Dtype> ParseDtype(std::string_view name);
std::string_view DtypeName(Dtype dtype);
size_t DtypeSize(Dtype dtype);

struct TensorInfo {
  std::string name;
  Dtype dtype = Dtype::kF32;
  std::vector<int64_t> shape;
  uint64_t begin = 0;        // data_offsets[0], relative to the data section
  uint64_t end = 0;          // data_offsets[1]
  uint64_t file_offset = 0;  // absolute position of the first byte in the file

  uint64_t nbytes() const { return end - begin; }
  // Elements of the whole tensor (1 for a scalar).
  int64_t num_elements() const;
  // Bytes of one slice along the first dimension. REQUIRES: !shape.empty().
  uint64_t row_bytes() const;
};

// Largest header accepted, as in the reference implementation.
inline constexpr uint64_t kSafetensorsMaxHeaderBytes = 100ull << 20;

class SafetensorsReader {
 public:
  // Reads and validates the header of `path`. Corruption (naming the byte offset) if it is
  // malformed, NotFound if the file does not exist.
  static StatusOr<SafetensorsReader> Open(const std::string& path);
  // The same over an already open file (tests count the bytes read through a wrapper).
  static StatusOr<SafetensorsReader> Open(std::unique_ptr<RandomAccessFile> file);

  // In data order (ascending offsets).
  const std::vector<TensorInfo>& tensors() const { return tensors_; }
  // The tensor called `name`, or nullptr.
  const TensorInfo* Find(std::string_view name) const;
  const std::map<std::string, std::string>& metadata() const { return metadata_; }
  const std::string& path() const { return file_->path(); }
  // File offset of the data section (8 + header length).
  uint64_t data_offset() const { return data_offset_; }

  // Copies slices [row_begin, row_end) of the first dimension of `name` into `out` with one
  // pread. InvalidArgument if the tensor is unknown, is a scalar, the range is outside
  // [0, shape[0]] or out_bytes differs from the bytes of the range.
  Status ReadRows(std::string_view name, int64_t row_begin, int64_t row_end, void* out,
                  size_t out_bytes) const;
  // Copies the whole tensor; out_bytes must equal its size.
  Status ReadAll(std::string_view name, void* out, size_t out_bytes) const;

 private:
  SafetensorsReader() = default;
  StatusOr<const TensorInfo*> Lookup(std::string_view name) const;
  Status ReadRange(const TensorInfo& t, uint64_t offset, uint64_t n, void* out,
                   size_t out_bytes) const;

  std::unique_ptr<RandomAccessFile> file_;
  uint64_t data_offset_ = 0;
  std::vector<TensorInfo> tensors_;
  std::unordered_map<std::string, size_t> by_name_;
  std::map<std::string, std::string> metadata_;
};

class SafetensorsWriter {
 public:
  // Adds a tensor laid out after the previous ones. The data is referenced, not copied:
  // REQUIRES: `data` holds product(shape) * DtypeSize(dtype) bytes and stays valid until
  // WriteAtomic returns (it may be null for a writer used only for EncodeHeader). InvalidArgument for a duplicate or reserved name, negative dimensions
  // or a size overflow.
  Status Add(std::string name, Dtype dtype, std::vector<int64_t> shape, const void* data);
  void SetMetadata(std::string key, std::string value);

  // The 8-byte length and the JSON header, padded with spaces so the data starts 8-aligned.
  std::string EncodeHeader() const;
  // Writes the file with WriteFileAtomic.
  Status WriteAtomic(const std::string& path) const;

 private:
  struct Entry {
    TensorInfo info;
    const void* data;
  };
  std::vector<Entry> entries_;
  uint64_t data_bytes_ = 0;
  std::map<std::string, std::string> metadata_;
};

}  // namespace neuropart

#endif  // NEUROPART_STORE_SAFETENSORS_H_
