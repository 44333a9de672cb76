#include "neuropart/wire/values.h"

#include <gtest/gtest.h>

#include <bit>
#include <cmath>
#include <cstring>
#include <limits>
#include <random>
#include <vector>

#if defined(__SSE__)
#include <xmmintrin.h>
#endif

#include "little_endian.h"

namespace neuropart::wire {
namespace {

constexpr float kInf = std::numeric_limits<float>::infinity();
constexpr float kNaN = std::numeric_limits<float>::quiet_NaN();

float Bits(uint32_t bits) { return std::bit_cast<float>(bits); }

TEST(HalfTest, KnownBitPatterns) {
  EXPECT_EQ(FloatToHalf(0.0f), 0x0000);
  EXPECT_EQ(FloatToHalf(-0.0f), 0x8000);
  EXPECT_EQ(FloatToHalf(1.0f), 0x3c00);
  EXPECT_EQ(FloatToHalf(-2.5f), 0xc100);
  EXPECT_EQ(FloatToHalf(65504.0f), 0x7bff);               // largest finite
  EXPECT_EQ(FloatToHalf(std::ldexp(1.0f, -14)), 0x0400);  // smallest normal
  EXPECT_EQ(FloatToHalf(std::ldexp(1.0f, -24)), 0x0001);  // smallest subnormal
  EXPECT_EQ(FloatToHalf(-std::ldexp(1.0f, -24)), 0x8001);
  EXPECT_EQ(FloatToHalf(kInf), 0x7c00);
  EXPECT_EQ(FloatToHalf(-kInf), 0xfc00);
}

TEST(HalfTest, OverflowRoundsToInfinityFrom65520) {
  EXPECT_EQ(FloatToHalf(65519.996f), 0x7bff);  // just below the halfway point
  EXPECT_EQ(FloatToHalf(65520.0f), 0x7c00);    // halfway, ties to even = inf
  EXPECT_EQ(FloatToHalf(-65520.0f), 0xfc00);
  EXPECT_EQ(FloatToHalf(1e10f), 0x7c00);
  EXPECT_EQ(FloatToHalf(std::numeric_limits<float>::max()), 0x7c00);
}

TEST(HalfTest, RoundsToNearestEven) {
  // 1 + 2^-11 is halfway between 1 and 1 + 2^-10: ties go to the even significand (1).
  EXPECT_EQ(FloatToHalf(1.0f + std::ldexp(1.0f, -11)), 0x3c00);
  // 1 + 3 * 2^-11 is halfway between 0x3c01 and 0x3c02: ties go to 0x3c02.
  EXPECT_EQ(FloatToHalf(1.0f + 3 * std::ldexp(1.0f, -11)), 0x3c02);
  EXPECT_EQ(FloatToHalf(1.0f + std::ldexp(1.0f, -11) + std::ldexp(1.0f, -20)), 0x3c01);
  // 2047.5 is not representable (spacing 1 from 1024): rounds to even 2048.
  EXPECT_EQ(FloatToHalf(2047.5f), 0x6800);
  // Carry out of the significand bumps the exponent: 2 - 2^-12 rounds to 2.
  EXPECT_EQ(FloatToHalf(2.0f - std::ldexp(1.0f, -12)), 0x4000);
}

TEST(HalfTest, SubnormalsRoundToNearestEven) {
  EXPECT_EQ(FloatToHalf(std::ldexp(1.0f, -25)), 0x0000);  // tie with 0: even
  EXPECT_EQ(FloatToHalf(std::ldexp(1.5f, -25)), 0x0001);  // above the tie
  EXPECT_EQ(FloatToHalf(std::ldexp(1.0f, -26)), 0x0000);
  EXPECT_EQ(FloatToHalf(std::ldexp(3.0f, -25)), 0x0002);     // 1.5 ulp: tie to even 2
  EXPECT_EQ(FloatToHalf(std::ldexp(1023.0f, -24)), 0x03ff);  // largest subnormal
  EXPECT_EQ(FloatToHalf(std::ldexp(1023.5f, -24)), 0x0400);  // rounds up into normal
  EXPECT_EQ(FloatToHalf(std::numeric_limits<float>::denorm_min()), 0x0000);
  EXPECT_EQ(HalfToFloat(0x0001), std::ldexp(1.0f, -24));
  EXPECT_EQ(HalfToFloat(0x03ff), std::ldexp(1023.0f, -24));
  EXPECT_EQ(HalfToFloat(0x8200), -std::ldexp(1.0f, -15));
}

TEST(HalfTest, NaNStaysNaN) {
  EXPECT_TRUE(std::isnan(HalfToFloat(FloatToHalf(kNaN))));
  EXPECT_TRUE(std::isnan(HalfToFloat(FloatToHalf(-kNaN))));
  // A NaN whose payload lives only in the low bits must not become inf.
  EXPECT_TRUE(std::isnan(HalfToFloat(FloatToHalf(Bits(0x7f800001)))));
  EXPECT_EQ(FloatToHalf(Bits(0x7f800001)) & 0x7c00, 0x7c00);
  EXPECT_TRUE(std::isnan(HalfToFloat(0x7c01)));
  EXPECT_EQ(HalfToFloat(0x7c00), kInf);
}

// Every half bit pattern widens exactly and narrows back to itself (NaNs to a quiet NaN).
TEST(HalfTest, EveryHalfRoundTrips) {
  for (uint32_t bits = 0; bits <= 0xffff; ++bits) {
    uint16_t h = static_cast<uint16_t>(bits);
    float f = HalfToFloat(h);
    if ((h & 0x7c00) == 0x7c00 && (h & 0x3ff) != 0) {
      ASSERT_TRUE(std::isnan(f)) << bits;
      ASSERT_EQ(FloatToHalf(f), h | 0x0200) << bits;
    } else {
      ASSERT_EQ(FloatToHalf(f), h) << bits;
    }
  }
}

// Against the double-precision definition: the result is one of the two neighbours, the nearer.
TEST(HalfTest, RandomFloatsRoundToTheNearestHalf) {
  std::mt19937 rng(42);
  std::uniform_real_distribution<float> exponent(-26.0f, 16.5f);
  for (int i = 0; i < 200000; ++i) {
    float x = std::exp2(exponent(rng)) * (rng() & 1 ? 1.0f : -1.0f);
    uint16_t h = FloatToHalf(x);
    double got = HalfToFloat(h);
    if (std::isinf(got)) {
      ASSERT_GE(std::fabs(x), 65520.0f) << x;
      continue;
    }
    uint16_t other = static_cast<uint16_t>(std::fabs(got) < std::fabs(x) ? h + 1 : h - 1);
    if ((h & 0x7fff) == 0) other = static_cast<uint16_t>(h | 1);
    double alt = HalfToFloat(other);
    ASSERT_LE(std::fabs(got - x), std::fabs(alt - x)) << x;
  }
}

TEST(BFloat16Test, KnownBitPatterns) {
  EXPECT_EQ(FloatToBFloat16(1.0f), 0x3f80);
  EXPECT_EQ(FloatToBFloat16(-2.5f), 0xc020);
  EXPECT_EQ(FloatToBFloat16(0.0f), 0x0000);
  EXPECT_EQ(FloatToBFloat16(-0.0f), 0x8000);
  EXPECT_EQ(FloatToBFloat16(kInf), 0x7f80);
  EXPECT_EQ(FloatToBFloat16(std::numeric_limits<float>::max()), 0x7f80);  // rounds to inf
  EXPECT_EQ(FloatToBFloat16(65504.0f), 0x4780);          // 65536: bf16 has 8 significant bits
  EXPECT_EQ(FloatToBFloat16(Bits(0x00000001)), 0x0000);  // smallest float subnormal, ties even
  EXPECT_EQ(FloatToBFloat16(Bits(0x00010000)), 0x0001);  // smallest bf16 subnormal
  EXPECT_EQ(BFloat16ToFloat(0x0001), Bits(0x00010000));
  EXPECT_EQ(BFloat16ToFloat(0xc020), -2.5f);
}

TEST(BFloat16Test, RoundsToNearestEven) {
  EXPECT_EQ(FloatToBFloat16(Bits(0x3f808000)), 0x3f80);  // tie, even stays
  EXPECT_EQ(FloatToBFloat16(Bits(0x3f818000)), 0x3f82);  // tie, odd rounds up
  EXPECT_EQ(FloatToBFloat16(Bits(0x3f808001)), 0x3f81);  // above the tie
  EXPECT_EQ(FloatToBFloat16(Bits(0x3f807fff)), 0x3f80);  // below the tie
}

TEST(BFloat16Test, NaNStaysNaN) {
  EXPECT_TRUE(std::isnan(BFloat16ToFloat(FloatToBFloat16(kNaN))));
  // Payload only in the low 16 bits: truncation alone would give inf.
  EXPECT_TRUE(std::isnan(BFloat16ToFloat(FloatToBFloat16(Bits(0x7f800001)))));
  EXPECT_TRUE(std::isnan(BFloat16ToFloat(FloatToBFloat16(Bits(0xffffffff)))));
}

TEST(BFloat16Test, EveryBFloat16RoundTrips) {
  for (uint32_t bits = 0; bits <= 0xffff; ++bits) {
    uint16_t b = static_cast<uint16_t>(bits);
    float f = BFloat16ToFloat(b);
    if (std::isnan(f)) {
      ASSERT_EQ(FloatToBFloat16(f), b | 0x0040) << bits;
    } else {
      ASSERT_EQ(FloatToBFloat16(f), b) << bits;
    }
  }
}

// Every half, the midpoints between neighbours (ties), their float neighbours, NaN payloads,
// float subnormals and random bit patterns: the inputs where a bulk path could differ.
std::vector<float> HardFloats() {
  std::vector<float> v;
  for (uint32_t h = 0; h <= 0xffff; ++h) {
    float f = HalfToFloat(static_cast<uint16_t>(h));
    float next = HalfToFloat(static_cast<uint16_t>(h + 1));
    v.push_back(f);
    if (std::isfinite(f) && std::isfinite(next) && (h & 0x7fff) != 0x7fff) {
      float mid = static_cast<float>((double{f} + next) / 2);
      v.insert(v.end(), {mid, std::nextafter(mid, kInf), std::nextafter(mid, -kInf)});
    }
  }
  for (uint32_t bits : {0x7f800001u, 0x7fbfffffu, 0xffc00001u, 0x00000001u, 0x807fffffu,
                        0x477ff000u, 0x477fefffu, 0x33000000u, 0x33000001u}) {
    v.push_back(Bits(bits));
  }
  std::mt19937 rng(99);
  for (int i = 0; i < 100000; ++i) v.push_back(Bits(static_cast<uint32_t>(rng())));
  return v;
}

void ExpectBulkHalvesMatchScalar() {
  std::vector<float> v = HardFloats();
  std::string bytes = EncodeValues(v.data(), v.size(), DType::kF16);
  for (size_t i = 0; i < v.size(); ++i) {
    ASSERT_EQ(GetU16(&bytes[2 * i]), FloatToHalf(v[i])) << i << " " << v[i];
  }
  std::vector<float> out(v.size());
  ASSERT_TRUE(DecodeValues(bytes, DType::kF16, out.data(), out.size()).ok());
  for (size_t i = 0; i < v.size(); ++i) {
    uint16_t h = GetU16(&bytes[2 * i]);
    ASSERT_EQ(std::bit_cast<uint32_t>(out[i]), std::bit_cast<uint32_t>(HalfToFloat(h))) << h;
  }
}

TEST(ValuesTest, BulkHalfConversionMatchesScalar) { ExpectBulkHalvesMatchScalar(); }

#if defined(__SSE__)
// Eigen code may enable flush-to-zero / denormals-are-zero; the wire must not change with it.
TEST(ValuesTest, BulkHalfConversionIgnoresFlushToZero) {
  unsigned saved = _mm_getcsr();
  _mm_setcsr(saved | 0x8040);  // FTZ | DAZ
  ExpectBulkHalvesMatchScalar();
  _mm_setcsr(saved);
}
#endif

std::vector<float> SampleValues(size_t n) {
  std::mt19937 rng(7);
  std::normal_distribution<float> normal(0.0f, 3.0f);
  std::vector<float> v(n);
  for (float& x : v) x = normal(rng);
  return v;
}

TEST(ValuesTest, F32IsExactAndLittleEndian) {
  std::vector<float> v = {1.0f, -2.5f, kInf, Bits(0x7fc01234)};
  std::string bytes = EncodeValues(v.data(), v.size(), DType::kF32);
  ASSERT_EQ(bytes.size(), 16u);
  EXPECT_EQ(bytes.substr(0, 4), std::string("\x00\x00\x80\x3f", 4));
  EXPECT_EQ(bytes.substr(4, 4), std::string("\x00\x00\x20\xc0", 4));
  std::vector<float> out(v.size());
  ASSERT_TRUE(DecodeValues(bytes, DType::kF32, out.data(), out.size()).ok());
  EXPECT_EQ(std::memcmp(out.data(), v.data(), 16), 0);
}

TEST(ValuesTest, F16AndBF16AreLittleEndian) {
  float v = -2.5f;
  EXPECT_EQ(EncodeValues(&v, 1, DType::kF16), std::string("\x00\xc1", 2));
  EXPECT_EQ(EncodeValues(&v, 1, DType::kBF16), std::string("\x20\xc0", 2));
}

TEST(ValuesTest, BlockRoundTripsWithinEachFormatsPrecision) {
  std::vector<float> v = SampleValues(4096);
  struct Case {
    DType dtype;
    float relative;
  };
  for (Case c :
       {Case{DType::kF32, 0.0f}, Case{DType::kF16, 0x1p-11f}, Case{DType::kBF16, 0x1p-8f}}) {
    SCOPED_TRACE(DTypeName(c.dtype));
    std::string bytes = EncodeValues(v.data(), v.size(), c.dtype);
    ASSERT_EQ(bytes.size(), v.size() * DTypeSize(c.dtype));
    std::vector<float> out(v.size());
    ASSERT_TRUE(DecodeValues(bytes, c.dtype, out.data(), out.size()).ok());
    for (size_t i = 0; i < v.size(); ++i) {
      ASSERT_LE(std::fabs(out[i] - v[i]), c.relative * std::fabs(v[i]) + 0x1p-24f) << i;
    }
    EXPECT_EQ(EncodeValues(out.data(), out.size(), c.dtype), bytes);
  }
}

TEST(ValuesTest, F32ViewIsTheMatrixMemoryItself) {
  std::vector<float> v = SampleValues(256 * 1024);
  std::string scratch;
  StatusOr<std::string_view> view = EncodeValuesView(v.data(), v.size(), DType::kF32, &scratch);
  ASSERT_TRUE(view.ok());
  if constexpr (std::endian::native == std::endian::little) {
    EXPECT_EQ(view->data(), reinterpret_cast<const char*>(v.data()));
    EXPECT_TRUE(scratch.empty());
  }
  EXPECT_EQ(*view, EncodeValues(v.data(), v.size(), DType::kF32));
}

TEST(ValuesTest, NarrowViewsConvertIntoScratch) {
  std::vector<float> v = SampleValues(1000);
  std::string scratch = "stale contents";
  for (DType dtype : {DType::kF16, DType::kBF16}) {
    StatusOr<std::string_view> view = EncodeValuesView(v.data(), v.size(), dtype, &scratch);
    ASSERT_TRUE(view.ok());
    EXPECT_EQ(view->data(), scratch.data());
    EXPECT_EQ(*view, EncodeValues(v.data(), v.size(), dtype));
  }
}

TEST(ValuesTest, UnknownDTypeIsAnError) {
  float v = 1.0f;
  std::string scratch;
  DType bad = static_cast<DType>(3);
  EXPECT_FALSE(EncodeValuesView(&v, 1, bad, &scratch).ok());
  EXPECT_FALSE(DecodeValues(std::string(4, '\0'), bad, &v, 1).ok());
}

TEST(ValuesTest, DecodeRejectsEveryWrongLengthAndWritesNothing) {
  std::vector<float> v = SampleValues(6);
  for (DType dtype : {DType::kF32, DType::kF16, DType::kBF16}) {
    std::string bytes = EncodeValues(v.data(), v.size(), dtype);
    for (size_t len = 0; len <= bytes.size() + 3; ++len) {
      if (len == bytes.size()) continue;
      std::vector<float> out(8, 42.0f);
      std::string_view cut(bytes.data(), std::min(len, bytes.size()));
      std::string longer = bytes + std::string(len > bytes.size() ? len - bytes.size() : 0, 'x');
      std::string_view input = len < bytes.size() ? cut : std::string_view(longer);
      Status s = DecodeValues(input, dtype, out.data(), v.size());
      ASSERT_FALSE(s.ok()) << len;
      EXPECT_EQ(s.code(), StatusCode::kCorruption);
      EXPECT_EQ(out, std::vector<float>(8, 42.0f));
    }
  }
  float one;
  EXPECT_TRUE(DecodeValues("", DType::kF16, &one, 0).ok());
}

}  // namespace
}  // namespace neuropart::wire
