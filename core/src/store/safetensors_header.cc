#include "safetensors_header.h"

#include <algorithm>
#include <limits>

#include "neuropart/base/json.h"

namespace neuropart {
namespace {

constexpr uint64_t kHeaderFileOffset = 8;

std::string ShapeString(const std::vector<int64_t>& shape) {
  std::string s = "[";
  for (size_t i = 0; i < shape.size(); ++i) s += (i ? ", " : "") + std::to_string(shape[i]);
  return s + "]";
}

// The stored files' JSON: strings and integers only, nested at most 64 deep.
constexpr JsonLimits kHeaderJson{.max_depth = 64, .strings_and_integers_only = true};

// Reads the tensor entries of one header, naming the file byte of each faulty value.
class HeaderReader {
 public:
  explicit HeaderReader(const JsonOffsets& offsets) : offsets_(offsets) {}

  StatusOr<TensorInfo> ParseTensor(std::string_view name, const Json& v, uint64_t data_offset,
                                   uint64_t data_bytes) const;
  Status ParseMetadata(const Json& v, std::map<std::string, std::string>* out) const;

 private:
  uint64_t FileByte(const Json& v) const { return kHeaderFileOffset + offsets_.Of(v); }

  // "tensor "w" (header at file byte 31): <what>"
  Status TensorError(std::string_view name, const Json& at, std::string_view what) const {
    return CorruptionError("tensor \"" + std::string(name) + "\" (header at file byte " +
                           std::to_string(FileByte(at)) + "): " + std::string(what));
  }

  Status ParseIntArray(std::string_view name, std::string_view field, const Json& v,
                       std::vector<int64_t>* out) const;
  StatusOr<Dtype> ParseDtypeField(std::string_view name, const Json& v) const;
  Status CheckTensorFields(std::string_view name, const Json& v) const;

  const JsonOffsets& offsets_;
};

Status HeaderReader::ParseIntArray(std::string_view name, std::string_view field, const Json& v,
                                   std::vector<int64_t>* out) const {
  if (!v.is_array()) return TensorError(name, v, std::string(field) + " must be an array");
  for (const Json& e : Elements(v)) {
    if (!e.is_number_integer() || AsInt(e) < 0) {
      return TensorError(name, e, std::string(field) + " must hold non-negative integers");
    }
    out->push_back(AsInt(e));
  }
  return Status::Ok();
}

StatusOr<Dtype> HeaderReader::ParseDtypeField(std::string_view name, const Json& v) const {
  if (!v.is_string()) return TensorError(name, v, "dtype must be a string");
  StatusOr<Dtype> dtype = ParseDtype(AsString(v));
  if (!dtype.ok()) return TensorError(name, v, "unknown dtype \"" + AsString(v) + "\"");
  return dtype;
}

Status HeaderReader::CheckTensorFields(std::string_view name, const Json& v) const {
  if (!v.is_object()) return TensorError(name, v, "entry must be an object");
  for (const auto& [key, value] : Members(v)) {
    if (key != "dtype" && key != "shape" && key != "data_offsets") {
      return TensorError(name, value, "unknown field \"" + key + "\"");
    }
  }
  for (const char* field : {"dtype", "shape", "data_offsets"}) {
    if (FindMember(v, field) == nullptr) {
      return TensorError(name, v, std::string("missing ") + field);
    }
  }
  return Status::Ok();
}

StatusOr<TensorInfo> HeaderReader::ParseTensor(std::string_view name, const Json& v,
                                               uint64_t data_offset, uint64_t data_bytes) const {
  RETURN_IF_ERROR(CheckTensorFields(name, v));
  TensorInfo t;
  t.name = std::string(name);
  ASSIGN_OR_RETURN(t.dtype, ParseDtypeField(name, *FindMember(v, "dtype")));
  RETURN_IF_ERROR(ParseIntArray(name, "shape", *FindMember(v, "shape"), &t.shape));
  const Json& offsets_json = *FindMember(v, "data_offsets");
  std::vector<int64_t> offsets;
  RETURN_IF_ERROR(ParseIntArray(name, "data_offsets", offsets_json, &offsets));
  if (offsets.size() != 2 || offsets[0] > offsets[1]) {
    return TensorError(name, offsets_json, "data_offsets must be [begin, end] with begin <= end");
  }
  t.begin = static_cast<uint64_t>(offsets[0]);
  t.end = static_cast<uint64_t>(offsets[1]);
  StatusOr<uint64_t> bytes = TensorBytes(t.dtype, t.shape);
  if (!bytes.ok()) return TensorError(name, v, bytes.status().message());
  if (*bytes != t.nbytes()) {
    return TensorError(name, v,
                       "shape " + ShapeString(t.shape) + " of " + std::string(DtypeName(t.dtype)) +
                           " needs " + std::to_string(*bytes) + " bytes but data_offsets [" +
                           std::to_string(t.begin) + ", " + std::to_string(t.end) + "] span " +
                           std::to_string(t.nbytes()));
  }
  if (t.end > data_bytes) {
    return TensorError(name, offsets_json,
                       "data ends at file byte " + std::to_string(data_offset + t.end) +
                           ", past the end of the file (" +
                           std::to_string(data_offset + data_bytes) + " bytes)");
  }
  t.file_offset = data_offset + t.begin;
  return t;
}

Status HeaderReader::ParseMetadata(const Json& v, std::map<std::string, std::string>* out) const {
  const std::string where = "__metadata__ (header at file byte ";
  if (!v.is_object()) {
    return CorruptionError(where + std::to_string(FileByte(v)) + "): must be an object");
  }
  for (const auto& [key, value] : Members(v)) {
    if (!value.is_string()) {
      return CorruptionError(where + std::to_string(FileByte(value)) + "): value of \"" + key +
                             "\" must be a string");
    }
    (*out)[key] = AsString(value);
  }
  return Status::Ok();
}

// Sorted by offset, the tensors must follow each other with neither overlap nor gap and end
// exactly at the end of the file, as the reference implementation requires.
Status CheckTiling(const std::vector<TensorInfo>& sorted, uint64_t data_offset,
                   uint64_t data_bytes) {
  uint64_t expected = 0;
  const TensorInfo* previous = nullptr;
  for (const TensorInfo& t : sorted) {
    if (t.begin < expected) {
      return CorruptionError("tensor \"" + t.name + "\" at file byte " +
                             std::to_string(t.file_offset) + " overlaps tensor \"" +
                             previous->name + "\", which ends at file byte " +
                             std::to_string(data_offset + expected));
    }
    if (t.begin > expected) {
      return CorruptionError("tensor \"" + t.name + "\" starts at file byte " +
                             std::to_string(t.file_offset) + ", leaving a gap after file byte " +
                             std::to_string(data_offset + expected));
    }
    expected = t.end;
    previous = &t;
  }
  if (expected != data_bytes) {
    return CorruptionError("tensors end at file byte " + std::to_string(data_offset + expected) +
                           " but the file has " + std::to_string(data_offset + data_bytes) +
                           " bytes");
  }
  return Status::Ok();
}

}  // namespace

StatusOr<uint64_t> TensorBytes(Dtype dtype, const std::vector<int64_t>& shape) {
  // The product ignoring zeros must fit, so that row sizes of empty tensors cannot overflow.
  uint64_t product = DtypeSize(dtype);
  bool empty = false;
  for (int64_t d : shape) {
    if (d < 0) return InvalidArgumentError("negative dimension in shape " + ShapeString(shape));
    if (d == 0) {
      empty = true;
      continue;
    }
    const uint64_t ud = static_cast<uint64_t>(d);
    if (product > static_cast<uint64_t>(std::numeric_limits<int64_t>::max()) / ud) {
      return InvalidArgumentError("byte size of shape " + ShapeString(shape) + " overflows");
    }
    product *= ud;
  }
  return empty ? 0 : product;
}

StatusOr<SafetensorsHeader> ParseSafetensorsHeader(std::string_view json, uint64_t data_offset,
                                                   uint64_t data_bytes) {
  Json root;
  JsonOffsets offsets;
  if (Status s = ParseJsonWithOffsets(json, kHeaderJson, &root, &offsets); !s.ok()) {
    return s.WithContext("JSON header (starts at file byte 8)");
  }
  if (!root.is_object()) {
    return CorruptionError("JSON header (starts at file byte 8) is not an object");
  }
  const HeaderReader reader(offsets);
  SafetensorsHeader header;
  for (const auto& [key, value] : Members(root)) {
    if (key == "__metadata__") {
      RETURN_IF_ERROR(reader.ParseMetadata(value, &header.metadata));
      continue;
    }
    ASSIGN_OR_RETURN(TensorInfo t, reader.ParseTensor(key, value, data_offset, data_bytes));
    header.tensors.push_back(std::move(t));
  }
  std::sort(header.tensors.begin(), header.tensors.end(),
            [](const TensorInfo& a, const TensorInfo& b) {
              return a.begin != b.begin ? a.begin < b.begin : a.end < b.end;
            });
  RETURN_IF_ERROR(CheckTiling(header.tensors, data_offset, data_bytes));
  return header;
}

}  // namespace neuropart
