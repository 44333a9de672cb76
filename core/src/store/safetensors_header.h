// Parsing and validation of a safetensors JSON header, apart from any file I/O.
#ifndef NEUROPART_STORE_SAFETENSORS_HEADER_H_
#define NEUROPART_STORE_SAFETENSORS_HEADER_H_

#include <cstdint>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "neuropart/status.h"
#include "neuropart/store/safetensors.h"

namespace neuropart {

struct SafetensorsHeader {
  std::vector<TensorInfo> tensors;  // sorted by data offset
  std::map<std::string, std::string> metadata;
};

// Parses `json`, the header found at file byte 8, of a file whose data section starts at
// `data_offset` and holds `data_bytes` bytes. Checks dtypes, shapes (with overflow), that each
// tensor's byte size matches its offsets and that the tensors tile the data section exactly.
// Errors are Corruption and give file byte offsets.
StatusOr<SafetensorsHeader> ParseSafetensorsHeader(std::string_view json, uint64_t data_offset,
                                                   uint64_t data_bytes);

// Bytes of a tensor of `shape` and `dtype`; InvalidArgument on a negative dimension or if the
// product, ignoring zero dimensions, does not fit in int64.
StatusOr<uint64_t> TensorBytes(Dtype dtype, const std::vector<int64_t>& shape);

}  // namespace neuropart

#endif  // NEUROPART_STORE_SAFETENSORS_HEADER_H_
