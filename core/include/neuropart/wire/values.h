// Tensor payloads: a block of n values (rows x cols, row-major) as fp32, fp16 or bf16 bytes.
//
// fp32 is the exact default; fp16 and bf16 halve traffic. Narrowing rounds to nearest even;
// fp16 overflows to +-inf (|x| >= 65520), keeps subnormals, and NaN stays NaN (made quiet).
// Widening is exact.
//
// Zero copy: EncodeValuesView returns, for fp32 on a little-endian host, a view of the caller's
// matrix memory itself, which the transport can hand to ZeroMQ without copying; only fp16/bf16
// (and big-endian hosts) convert into a caller-owned scratch buffer. The caller keeps the viewed
// memory alive and unchanged until the transport releases the frame.
//
// Pure functions; safe to call from any thread on distinct buffers.
#ifndef NEUROPART_WIRE_VALUES_H_
#define NEUROPART_WIRE_VALUES_H_

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "neuropart/status.h"
#include "neuropart/wire/protocol.h"

namespace neuropart::wire {

// Scalar conversions (IEEE-754 binary16 and bfloat16 bit patterns).
uint16_t FloatToHalf(float value);
float HalfToFloat(uint16_t bits);
uint16_t FloatToBFloat16(float value);
float BFloat16ToFloat(uint16_t bits);

// The payload bytes of values[0, n) in dtype. For kF32 on a little-endian host the view points
// at `values` (no copy, *scratch untouched); otherwise at *scratch, which is overwritten (reuse
// it across calls to avoid allocations). Fails on an unknown dtype.
// REQUIRES: values is non-null when n > 0; scratch is non-null.
StatusOr<std::string_view> EncodeValuesView(const float* values, size_t n, DType dtype,
                                            std::string* scratch);

// The same bytes, owned (one copy or conversion). REQUIRES: dtype is a known DType.
std::string EncodeValues(const float* values, size_t n, DType dtype);

// Widens `bytes` into out[0, n). Fails, writing nothing, unless dtype is known and bytes holds
// exactly n values of it. The bytes need no alignment (ZeroMQ frames have none).
Status DecodeValues(std::string_view bytes, DType dtype, float* out, size_t n);

}  // namespace neuropart::wire

#endif  // NEUROPART_WIRE_VALUES_H_
