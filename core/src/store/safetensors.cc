#include "neuropart/store/safetensors.h"

#include <array>
#include <bit>
#include <cstring>

#include "neuropart/base/json.h"
#include "safetensors_header.h"

namespace neuropart {
namespace {

// Tensor bytes are copied verbatim; the format is little-endian, and so must the host be.
static_assert(std::endian::native == std::endian::little, "safetensors I/O assumes little-endian");

struct DtypeEntry {
  Dtype dtype;
  std::string_view name;
  size_t size;
};

constexpr std::array<DtypeEntry, 15> kDtypes = {{
    {Dtype::kBool, "BOOL", 1},
    {Dtype::kU8, "U8", 1},
    {Dtype::kI8, "I8", 1},
    {Dtype::kF8E5M2, "F8_E5M2", 1},
    {Dtype::kF8E4M3, "F8_E4M3", 1},
    {Dtype::kI16, "I16", 2},
    {Dtype::kU16, "U16", 2},
    {Dtype::kF16, "F16", 2},
    {Dtype::kBF16, "BF16", 2},
    {Dtype::kI32, "I32", 4},
    {Dtype::kU32, "U32", 4},
    {Dtype::kF32, "F32", 4},
    {Dtype::kF64, "F64", 8},
    {Dtype::kI64, "I64", 8},
    {Dtype::kU64, "U64", 8},
}};

constexpr bool DtypeTableMatchesEnum() {
  for (size_t i = 0; i < kDtypes.size(); ++i) {
    if (static_cast<size_t>(kDtypes[i].dtype) != i) return false;
  }
  return true;
}
static_assert(DtypeTableMatchesEnum(), "kDtypes is indexed by Dtype");

const DtypeEntry& EntryOf(Dtype dtype) { return kDtypes[static_cast<size_t>(dtype)]; }

uint64_t DecodeLe64(const char* p) {
  uint64_t v = 0;
  for (int i = 7; i >= 0; --i) v = (v << 8) | static_cast<unsigned char>(p[i]);
  return v;
}

std::string EncodeLe64(uint64_t v) {
  std::string s(8, '\0');
  for (int i = 0; i < 8; ++i) s[i] = static_cast<char>((v >> (8 * i)) & 0xFF);
  return s;
}

}  // namespace

StatusOr<Dtype> ParseDtype(std::string_view name) {
  for (const DtypeEntry& e : kDtypes) {
    if (e.name == name) return e.dtype;
  }
  return InvalidArgumentError("unknown dtype \"" + std::string(name) + "\"");
}

std::string_view DtypeName(Dtype dtype) { return EntryOf(dtype).name; }
size_t DtypeSize(Dtype dtype) { return EntryOf(dtype).size; }

int64_t TensorInfo::num_elements() const {
  int64_t n = 1;
  for (int64_t d : shape) n *= d;
  return n;
}

uint64_t TensorInfo::row_bytes() const {
  uint64_t n = DtypeSize(dtype);
  for (size_t i = 1; i < shape.size(); ++i) n *= static_cast<uint64_t>(shape[i]);
  return n;
}

// ---- Reader ----

StatusOr<SafetensorsReader> SafetensorsReader::Open(const std::string& path) {
  ASSIGN_OR_RETURN(std::unique_ptr<RandomAccessFile> file, OpenRandomAccessFile(path));
  return Open(std::move(file));
}

StatusOr<SafetensorsReader> SafetensorsReader::Open(std::unique_ptr<RandomAccessFile> file) {
  const std::string& path = file->path();
  const uint64_t file_size = file->size();
  if (file_size < 8) {
    return CorruptionError(path + ": file has " + std::to_string(file_size) +
                           " bytes, too short for the 8-byte header length at byte 0");
  }
  char len_bytes[8];
  RETURN_IF_ERROR(file->ReadAt(0, 8, len_bytes));
  const uint64_t header_len = DecodeLe64(len_bytes);
  if (header_len > kSafetensorsMaxHeaderBytes || header_len > file_size - 8) {
    return CorruptionError(path + ": header length " + std::to_string(header_len) +
                           " at byte 0 exceeds the limit of " +
                           std::to_string(kSafetensorsMaxHeaderBytes) + " bytes or the file size " +
                           std::to_string(file_size));
  }
  std::string json(header_len, '\0');
  RETURN_IF_ERROR(file->ReadAt(8, header_len, json.data()));
  const uint64_t data_offset = 8 + header_len;
  StatusOr<SafetensorsHeader> header =
      ParseSafetensorsHeader(json, data_offset, file_size - data_offset);
  if (!header.ok()) return header.status().WithContext(path);

  SafetensorsReader reader;
  reader.file_ = std::move(file);
  reader.data_offset_ = data_offset;
  reader.tensors_ = std::move(header->tensors);
  reader.metadata_ = std::move(header->metadata);
  for (size_t i = 0; i < reader.tensors_.size(); ++i) {
    reader.by_name_.emplace(reader.tensors_[i].name, i);
  }
  return reader;
}

const TensorInfo* SafetensorsReader::Find(std::string_view name) const {
  auto it = by_name_.find(std::string(name));
  return it == by_name_.end() ? nullptr : &tensors_[it->second];
}

StatusOr<const TensorInfo*> SafetensorsReader::Lookup(std::string_view name) const {
  const TensorInfo* t = Find(name);
  if (t == nullptr) {
    return InvalidArgumentError(path() + ": no tensor named \"" + std::string(name) + "\"");
  }
  return t;
}

Status SafetensorsReader::ReadRange(const TensorInfo& t, uint64_t offset, uint64_t n, void* out,
                                    size_t out_bytes) const {
  if (out_bytes != n) {
    return InvalidArgumentError(path() + ": reading " + std::to_string(n) + " bytes of tensor \"" +
                                t.name + "\" at file byte " + std::to_string(offset) +
                                " into a buffer of " + std::to_string(out_bytes) + " bytes");
  }
  if (n == 0) return Status::Ok();
  // The header was checked against the file size at Open; a file truncated since then still
  // fails cleanly inside ReadAt.
  Status s = file_->ReadAt(offset, n, static_cast<char*>(out));
  if (!s.ok()) {
    return s.WithContext("tensor \"" + t.name + "\" at file byte " + std::to_string(offset));
  }
  return Status::Ok();
}

Status SafetensorsReader::ReadRows(std::string_view name, int64_t row_begin, int64_t row_end,
                                   void* out, size_t out_bytes) const {
  ASSIGN_OR_RETURN(const TensorInfo* t, Lookup(name));
  if (t->shape.empty()) {
    return InvalidArgumentError(path() + ": tensor \"" + t->name +
                                "\" is a scalar; it has no rows");
  }
  if (row_begin < 0 || row_begin > row_end || row_end > t->shape[0]) {
    return InvalidArgumentError(path() + ": rows [" + std::to_string(row_begin) + ", " +
                                std::to_string(row_end) + ") outside tensor \"" + t->name +
                                "\" with " + std::to_string(t->shape[0]) + " rows");
  }
  const uint64_t row = t->row_bytes();
  const uint64_t offset = t->file_offset + static_cast<uint64_t>(row_begin) * row;
  return ReadRange(*t, offset, static_cast<uint64_t>(row_end - row_begin) * row, out, out_bytes);
}

Status SafetensorsReader::ReadAll(std::string_view name, void* out, size_t out_bytes) const {
  ASSIGN_OR_RETURN(const TensorInfo* t, Lookup(name));
  return ReadRange(*t, t->file_offset, t->nbytes(), out, out_bytes);
}

// ---- Writer ----

Status SafetensorsWriter::Add(std::string name, Dtype dtype, std::vector<int64_t> shape,
                              const void* data) {
  if (name == "__metadata__") return InvalidArgumentError("tensor name __metadata__ is reserved");
  for (const Entry& e : entries_) {
    if (e.info.name == name) return InvalidArgumentError("duplicate tensor \"" + name + "\"");
  }
  StatusOr<uint64_t> bytes = TensorBytes(dtype, shape);
  if (!bytes.ok()) return bytes.status().WithContext("tensor \"" + name + "\"");
  Entry e{
      TensorInfo{std::move(name), dtype, std::move(shape), data_bytes_, data_bytes_ + *bytes, 0},
      data};
  data_bytes_ = e.info.end;
  entries_.push_back(std::move(e));
  return Status::Ok();
}

void SafetensorsWriter::SetMetadata(std::string key, std::string value) {
  metadata_[std::move(key)] = std::move(value);
}

std::string SafetensorsWriter::EncodeHeader() const {
  Json header = Json::object();
  if (!metadata_.empty()) {
    Json& metadata = header["__metadata__"] = Json::object();
    for (const auto& [key, value] : metadata_) metadata[key] = value;
  }
  for (const Entry& e : entries_) {
    header[e.info.name] =
        Json::object({{"dtype", DtypeName(e.info.dtype)},
                      {"shape", e.info.shape},
                      {"data_offsets", Json::array({e.info.begin, e.info.end})}});
  }
  std::string json = DumpJson(header);
  // The specification allows trailing spaces; they make the data section 8-byte aligned.
  json.append((8 - json.size() % 8) % 8, ' ');
  return EncodeLe64(json.size()) + json;
}

Status SafetensorsWriter::WriteAtomic(const std::string& path) const {
  const std::string header = EncodeHeader();
  std::vector<std::string_view> pieces;
  pieces.reserve(entries_.size() + 1);
  pieces.emplace_back(header);
  for (const Entry& e : entries_) {
    pieces.emplace_back(static_cast<const char*>(e.data), e.info.nbytes());
  }
  return WriteFileAtomic(path, pieces);
}

}  // namespace neuropart
