#include "neuropart/exec/blocks.h"

#include <bit>

#include "neuropart/wire/values.h"

static_assert(std::endian::native == std::endian::little, "fp32 blocks are packed in host order");

namespace neuropart {

std::string PackColumns(const ConstMatrixRef& m, const std::vector<IndexRange>& ranges,
                        wire::DType dtype) {
  const int64_t cols = TotalSize(ranges);
  // fp32 (the default) is packed straight into the payload bytes: one copy from the matrix.
  std::string fp32(m.rows() * cols * sizeof(float), '\0');
  Eigen::Map<MatrixF> block(reinterpret_cast<float*>(fp32.data()), m.rows(), cols);
  int64_t at = 0;
  for (const IndexRange& r : ranges) {
    block.middleCols(at, r.size()) = m.middleCols(r.begin, r.size());
    at += r.size();
  }
  if (dtype == wire::DType::kF32) return fp32;
  return wire::EncodeValues(block.data(), block.size(), dtype);
}

Status UnpackColumns(const std::string& payload, wire::DType dtype,
                     const std::vector<IndexRange>& ranges, Unpack mode, MatrixF* m) {
  MatrixF block(m->rows(), TotalSize(ranges));
  RETURN_IF_ERROR(wire::DecodeValues(payload, dtype, block.data(), block.size()));
  int64_t at = 0;
  for (const IndexRange& r : ranges) {
    if (mode == Unpack::kAssign) {
      m->middleCols(r.begin, r.size()) = block.middleCols(at, r.size());
    } else {
      m->middleCols(r.begin, r.size()) += block.middleCols(at, r.size());
    }
    at += r.size();
  }
  return Status::Ok();
}

}  // namespace neuropart
