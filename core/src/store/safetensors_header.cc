#include "safetensors_header.h"

#include <algorithm>
#include <limits>

#include "neuropart/store/json_lite.h"

namespace neuropart {
namespace {

constexpr uint64_t kHeaderFileOffset = 8;

std::string ShapeString(const std::vector<int64_t>& shape) {
  std::string s = "[";
  for (size_t i = 0; i < shape.size(); ++i) s += (i ? ", " : "") + std::to_string(shape[i]);
  return s + "]";
}

// "tensor "w" (header at file byte 31): <what>"
Status TensorError(std::string_view name, const JsonValue& at, std::string_view what) {
  return CorruptionError("tensor \"" + std::string(name) + "\" (header at file byte " +
                         std::to_string(kHeaderFileOffset + at.offset) + "): " + std::string(what));
}

Status ParseIntArray(std::string_view name, std::string_view field, const JsonValue& v,
                     std::vector<int64_t>* out) {
  if (v.type != JsonValue::Type::kArray) {
    return TensorError(name, v, std::string(field) + " must be an array");
  }
  for (const JsonValue& e : v.array) {
    if (e.type != JsonValue::Type::kInteger || e.integer < 0) {
      return TensorError(name, e, std::string(field) + " must hold non-negative integers");
    }
    out->push_back(e.integer);
  }
  return Status::Ok();
}

StatusOr<Dtype> ParseDtypeField(std::string_view name, const JsonValue& v) {
  if (v.type != JsonValue::Type::kString) return TensorError(name, v, "dtype must be a string");
  StatusOr<Dtype> dtype = ParseDtype(v.string);
  if (!dtype.ok()) return TensorError(name, v, "unknown dtype \"" + v.string + "\"");
  return dtype;
}

Status CheckTensorFields(std::string_view name, const JsonValue& v) {
  if (v.type != JsonValue::Type::kObject) return TensorError(name, v, "entry must be an object");
  for (const JsonMember& m : v.members) {
    if (m.key != "dtype" && m.key != "shape" && m.key != "data_offsets") {
      return TensorError(name, m.value, "unknown field \"" + m.key + "\"");
    }
  }
  for (const char* field : {"dtype", "shape", "data_offsets"}) {
    if (v.Find(field) == nullptr) return TensorError(name, v, std::string("missing ") + field);
  }
  return Status::Ok();
}

StatusOr<TensorInfo> ParseTensor(std::string_view name, const JsonValue& v, uint64_t data_offset,
                                 uint64_t data_bytes) {
  RETURN_IF_ERROR(CheckTensorFields(name, v));
  TensorInfo t;
  t.name = std::string(name);
  ASSIGN_OR_RETURN(t.dtype, ParseDtypeField(name, *v.Find("dtype")));
  RETURN_IF_ERROR(ParseIntArray(name, "shape", *v.Find("shape"), &t.shape));
  const JsonValue& offsets_json = *v.Find("data_offsets");
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

Status ParseMetadata(const JsonValue& v, std::map<std::string, std::string>* out) {
  const std::string where = "__metadata__ (header at file byte ";
  if (v.type != JsonValue::Type::kObject) {
    return CorruptionError(where + std::to_string(kHeaderFileOffset + v.offset) +
                           "): must be an object");
  }
  for (const JsonMember& m : v.members) {
    if (m.value.type != JsonValue::Type::kString) {
      return CorruptionError(where + std::to_string(kHeaderFileOffset + m.value.offset) +
                             "): value of \"" + m.key + "\" must be a string");
    }
    (*out)[m.key] = m.value.string;
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
  StatusOr<JsonValue> root = ParseJson(json);
  if (!root.ok()) {
    return root.status().WithContext("JSON header (starts at file byte 8)");
  }
  if (root->type != JsonValue::Type::kObject) {
    return CorruptionError("JSON header (starts at file byte 8) is not an object");
  }
  SafetensorsHeader header;
  for (const JsonMember& m : root->members) {
    if (m.key == "__metadata__") {
      RETURN_IF_ERROR(ParseMetadata(m.value, &header.metadata));
      continue;
    }
    ASSIGN_OR_RETURN(TensorInfo t, ParseTensor(m.key, m.value, data_offset, data_bytes));
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
