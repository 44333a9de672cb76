// Explicit little-endian stores and loads of fixed-width integers and IEEE-754 values, byte by
// byte so that they are independent of host endianness and alignment (LevelDB's coding.h).
// REQUIRES for every function: the buffer holds at least sizeof(value) bytes from `p`.
#ifndef NEUROPART_WIRE_LITTLE_ENDIAN_H_
#define NEUROPART_WIRE_LITTLE_ENDIAN_H_

#include <bit>
#include <cstdint>

namespace neuropart::wire {

inline void PutU8(char* p, uint8_t v) { p[0] = static_cast<char>(v); }
inline void PutU16(char* p, uint16_t v) {
  for (int i = 0; i < 2; ++i) p[i] = static_cast<char>(v >> (8 * i));
}
inline void PutU32(char* p, uint32_t v) {
  for (int i = 0; i < 4; ++i) p[i] = static_cast<char>(v >> (8 * i));
}
inline void PutU64(char* p, uint64_t v) {
  for (int i = 0; i < 8; ++i) p[i] = static_cast<char>(v >> (8 * i));
}
inline void PutF64(char* p, double v) { PutU64(p, std::bit_cast<uint64_t>(v)); }

inline uint8_t GetU8(const char* p) { return static_cast<uint8_t>(p[0]); }
inline uint16_t GetU16(const char* p) {
  return static_cast<uint16_t>(GetU8(p) | (GetU8(p + 1) << 8));
}
inline uint32_t GetU32(const char* p) {
  uint32_t v = 0;
  for (int i = 3; i >= 0; --i) v = (v << 8) | GetU8(p + i);
  return v;
}
inline uint64_t GetU64(const char* p) {
  uint64_t v = 0;
  for (int i = 7; i >= 0; --i) v = (v << 8) | GetU8(p + i);
  return v;
}
inline double GetF64(const char* p) { return std::bit_cast<double>(GetU64(p)); }

}  // namespace neuropart::wire

#endif  // NEUROPART_WIRE_LITTLE_ENDIAN_H_
