#include "neuropart/wire/values.h"

#include <bit>
#include <cstring>

#include "little_endian.h"

#if defined(__F16C__) && defined(__AVX__)
#include <immintrin.h>
#define NEUROPART_WIRE_F16C 1
#endif

namespace neuropart::wire {
namespace {

constexpr bool kLittleEndianHost = std::endian::native == std::endian::little;

bool KnownDType(DType dtype) {
  return static_cast<uint8_t>(dtype) <= static_cast<uint8_t>(kLastDType);
}

Status UnknownDType(DType dtype) {
  return InvalidArgumentError("unknown wire dtype " + std::to_string(static_cast<unsigned>(dtype)));
}

// Rounds the 24-bit significand `m` (implicit bit set) right by `shift` (1..25), to nearest even.
uint32_t ShiftRoundEven(uint32_t m, int shift) {
  uint32_t q = m >> shift;
  uint32_t rem = m & ((uint32_t{1} << shift) - 1);
  uint32_t half = uint32_t{1} << (shift - 1);
  return q + ((rem > half || (rem == half && (q & 1))) ? 1 : 0);
}

// |value| below 2^-14 (the smallest normal half): a half subnormal or zero. Rounding up may yield
// 0x0400, which is exactly the smallest normal.
uint16_t HalfFromTinyAbs(uint32_t abs) {
  if (abs < 0x33000000) return 0;  // below 2^-25, half of the smallest subnormal
  int exponent = static_cast<int>(abs >> 23);
  uint32_t significand = (abs & 0x7fffff) | 0x800000;
  // value = significand * 2^(exponent - 150); in units of 2^-24 that is significand >> (126 - e).
  return static_cast<uint16_t>(ShiftRoundEven(significand, 126 - exponent));
}

// F16C converts 8 values per instruction with the same rounding (to nearest even, overflow to
// inf, subnormal results, NaN made quiet keeping the top payload bits) as FloatToHalf, and
// ignores MXCSR's flush-to-zero; values_test checks the two paths agree bit for bit.
void EncodeHalves(const float* values, size_t n, char* out) {
  size_t i = 0;
#ifdef NEUROPART_WIRE_F16C
  for (; i + 8 <= n; i += 8) {
    __m128i h = _mm256_cvtps_ph(_mm256_loadu_ps(values + i), _MM_FROUND_TO_NEAREST_INT);
    _mm_storeu_si128(reinterpret_cast<__m128i*>(out + 2 * i), h);  // x86 is little-endian
  }
#endif
  for (; i < n; ++i) PutU16(out + 2 * i, FloatToHalf(values[i]));
}

void DecodeHalves(const char* in, float* out, size_t n) {
  size_t i = 0;
#ifdef NEUROPART_WIRE_F16C
  for (; i + 8 <= n; i += 8) {
    __m128i h = _mm_loadu_si128(reinterpret_cast<const __m128i*>(in + 2 * i));
    _mm256_storeu_ps(out + i, _mm256_cvtph_ps(h));
  }
#endif
  for (; i < n; ++i) out[i] = HalfToFloat(GetU16(in + 2 * i));
}

void EncodeNarrow(const float* values, size_t n, DType dtype, char* out) {
  if (dtype == DType::kF16) {
    EncodeHalves(values, n, out);
  } else {
    for (size_t i = 0; i < n; ++i) PutU16(out + 2 * i, FloatToBFloat16(values[i]));
  }
}

// Converts into `out`, which holds n * DTypeSize(dtype) bytes.
void EncodeInto(const float* values, size_t n, DType dtype, char* out) {
  if (dtype != DType::kF32) return EncodeNarrow(values, n, dtype, out);
  if constexpr (kLittleEndianHost) {
    if (n > 0) std::memcpy(out, values, n * sizeof(float));
  } else {
    for (size_t i = 0; i < n; ++i) PutU32(out + 4 * i, std::bit_cast<uint32_t>(values[i]));
  }
}

void DecodeF32(const char* in, float* out, size_t n) {
  if constexpr (kLittleEndianHost) {
    if (n > 0) std::memcpy(out, in, n * sizeof(float));
  } else {
    for (size_t i = 0; i < n; ++i) out[i] = std::bit_cast<float>(GetU32(in + 4 * i));
  }
}

}  // namespace

uint16_t FloatToHalf(float value) {
  uint32_t bits = std::bit_cast<uint32_t>(value);
  uint16_t sign = static_cast<uint16_t>((bits >> 16) & 0x8000);
  uint32_t abs = bits & 0x7fffffff;
  if (abs > 0x7f800000) {  // NaN: keep the top payload bits, force quiet so it stays a NaN
    return sign | 0x7e00 | static_cast<uint16_t>((abs >> 13) & 0x3ff);
  }
  if (abs >= 0x477ff000) return sign | 0x7c00;  // >= 65520 (and inf) rounds to inf
  if (abs < 0x38800000) return sign | HalfFromTinyAbs(abs);
  // Normal: rebias the exponent (127 -> 15) and round the 13 dropped bits; a carry out of the
  // significand correctly bumps the exponent.
  uint32_t half = (abs - 0x38000000) >> 13;
  uint32_t rem = abs & 0x1fff;
  half += (rem > 0x1000 || (rem == 0x1000 && (half & 1))) ? 1 : 0;
  return sign | static_cast<uint16_t>(half);
}

float HalfToFloat(uint16_t bits) {
  uint32_t sign = uint32_t{bits & 0x8000u} << 16;
  uint32_t exponent = (bits >> 10) & 0x1f;
  uint32_t significand = bits & 0x3ff;
  if (exponent == 0x1f) return std::bit_cast<float>(sign | 0x7f800000 | (significand << 13));
  if (exponent != 0) {
    return std::bit_cast<float>(sign | ((exponent + 112) << 23) | (significand << 13));
  }
  if (significand == 0) return std::bit_cast<float>(sign);
  // Subnormal: normalise; 2^-14 has float exponent 113.
  uint32_t e = 113;
  while ((significand & 0x400) == 0) {
    significand <<= 1;
    --e;
  }
  return std::bit_cast<float>(sign | (e << 23) | ((significand & 0x3ff) << 13));
}

uint16_t FloatToBFloat16(float value) {
  uint32_t bits = std::bit_cast<uint32_t>(value);
  if ((bits & 0x7fffffff) > 0x7f800000) return static_cast<uint16_t>((bits >> 16) | 0x0040);
  uint32_t rounding = 0x7fff + ((bits >> 16) & 1);  // to nearest even; may carry to inf
  return static_cast<uint16_t>((bits + rounding) >> 16);
}

float BFloat16ToFloat(uint16_t bits) { return std::bit_cast<float>(uint32_t{bits} << 16); }

StatusOr<std::string_view> EncodeValuesView(const float* values, size_t n, DType dtype,
                                            std::string* scratch) {
  if (!KnownDType(dtype)) return UnknownDType(dtype);
  if (n > SIZE_MAX / DTypeSize(dtype)) {
    return InvalidArgumentError(std::to_string(n) + " values overflow the payload size");
  }
  if (dtype == DType::kF32 && kLittleEndianHost) {
    return std::string_view(reinterpret_cast<const char*>(values), n * sizeof(float));
  }
  scratch->resize(n * DTypeSize(dtype));
  EncodeInto(values, n, dtype, scratch->data());
  return std::string_view(*scratch);
}

std::string EncodeValues(const float* values, size_t n, DType dtype) {
  std::string out(n * DTypeSize(dtype), '\0');
  EncodeInto(values, n, dtype, out.data());
  return out;
}

Status DecodeValues(std::string_view bytes, DType dtype, float* out, size_t n) {
  if (!KnownDType(dtype)) return UnknownDType(dtype);
  size_t size = DTypeSize(dtype);
  if (bytes.size() % size != 0 || bytes.size() / size != n) {
    return CorruptionError("tensor payload has " + std::to_string(bytes.size()) +
                           " bytes, expected " + std::to_string(n) + " " +
                           std::string(DTypeName(dtype)) + " values");
  }
  const char* in = bytes.data();
  if (dtype == DType::kF32) {
    DecodeF32(in, out, n);
  } else if (dtype == DType::kF16) {
    DecodeHalves(in, out, n);
  } else {
    for (size_t i = 0; i < n; ++i) out[i] = BFloat16ToFloat(GetU16(in + 2 * i));
  }
  return Status::Ok();
}

}  // namespace neuropart::wire
