// libFuzzer target for everything that reads bytes off the wire, built as wire_codec_fuzzer by the
// fuzz preset (scripts/fuzz); the same entry point is linked into wire_test, which feeds it
// pseudo-random and mutated buffers so gcc builds exercise it too.
//
// Input: byte 0 picks the frame count (1 + b % 4) and a small payload limit (b & 4); then every
// frame but the last is a 2-byte little-endian length and that many bytes (cut at the end of the
// input); the last frame is the rest. Beyond "never crash", it checks that whatever decodes
// re-encodes to the very same bytes.
#include <algorithm>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "neuropart/wire/codec.h"
#include "neuropart/wire/payloads.h"
#include "neuropart/wire/values.h"

namespace neuropart::wire {
namespace {

void Require(bool condition, const char* what) {
  if (condition) return;
  std::fprintf(stderr, "codec_fuzzer: invariant violated: %s\n", what);
  std::abort();
}

std::vector<std::string_view> SplitFrames(std::string_view in, size_t count) {
  std::vector<std::string_view> frames;
  while (frames.size() + 1 < count && in.size() >= 2) {
    size_t len = static_cast<uint8_t>(in[0]) | (size_t{static_cast<uint8_t>(in[1])} << 8);
    in.remove_prefix(2);
    len = std::min(len, in.size());
    frames.push_back(in.substr(0, len));
    in.remove_prefix(len);
  }
  frames.push_back(in);
  return frames;
}

template <typename T>
void CheckReencodes(std::string_view bytes, StatusOr<T> (*decode)(std::string_view),
                    std::string (*encode)(const T&), const char* what) {
  StatusOr<T> value = decode(bytes);
  if (value.ok()) Require(encode(*value) == bytes, what);
}

void FuzzStructured(std::string_view bytes) {
  CheckReencodes(bytes, DecodeHello, EncodeHello, "HELLO re-encodes");
  CheckReencodes(bytes, DecodeMetrics, EncodeMetrics, "METRICS re-encodes");
  CheckReencodes(bytes, DecodeCheckpointDurable, EncodeCheckpointDurable,
                 "CHECKPOINT_DURABLE re-encodes");
  CheckReencodes(bytes, DecodeAbort, EncodeAbort, "ABORT re-encodes");
}

// Narrow formats may turn a signalling NaN quiet; everything else must come back bit for bit.
bool SameValue(DType dtype, uint16_t a, uint16_t b) {
  if (a == b) return true;
  float fa = dtype == DType::kF16 ? HalfToFloat(a) : BFloat16ToFloat(a);
  float fb = dtype == DType::kF16 ? HalfToFloat(b) : BFloat16ToFloat(b);
  return std::isnan(fa) && std::isnan(fb);
}

void FuzzTensor(const MessageHeader& h, std::string_view bytes) {
  std::vector<float> values(uint64_t{h.rows} * h.cols);
  Require(DecodeValues(bytes, h.dtype, values.data(), values.size()).ok(),
          "an admitted tensor payload decodes");
  std::string again = EncodeValues(values.data(), values.size(), h.dtype);
  Require(again.size() == bytes.size(), "tensor re-encodes to the same size");
  if (h.dtype == DType::kF32) return Require(again == bytes, "f32 tensor re-encodes exactly");
  for (size_t i = 0; i + 1 < bytes.size(); i += 2) {
    auto at = [i](std::string_view s) {
      return static_cast<uint16_t>(static_cast<uint8_t>(s[i]) |
                                   (static_cast<uint8_t>(s[i + 1]) << 8));
    };
    Require(SameValue(h.dtype, at(again), at(bytes)), "narrow tensor re-encodes");
  }
}

void FuzzMessage(std::span<const std::string_view> frames, const DecodeLimits& limits) {
  DropReason reason = DropReason::kMalformed;
  StatusOr<MessageHeader> header = DecodeHeader(frames[0], limits, &reason);
  Require(header.ok() == (reason == DropReason::kNone), "reason agrees with status");
  if (!header.ok()) return;
  Require(EncodeHeader(*header) == frames[0], "header re-encodes");
  const MessageHeader& h = *header;
  // Accept whatever the header claims, so that the payload checks are reached.
  Expectation expect{h.plan_hash, h.destination, h.source == UINT32_MAX ? h.source : h.source + 1,
                     h.step};
  Status valid = ValidateMessage(h, frames.subspan(1), expect, &reason);
  Require(valid.ok() == (reason == DropReason::kNone), "reason agrees with status");
  Require(valid.ok() || reason == DropReason::kMalformed || reason == DropReason::kUnknownSource,
          "only the frames can be wrong");
  (void)CheckMessage(frames, limits, Expectation{}, &reason);
  if (!valid.ok() || frames.size() < 2) return;
  if (PayloadKindOf(h.type) == PayloadKind::kTensor) FuzzTensor(h, frames[1]);
  if (PayloadKindOf(h.type) == PayloadKind::kStructured) FuzzStructured(frames[1]);
}

}  // namespace
}  // namespace neuropart::wire

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace neuropart::wire;
  if (size == 0) return 0;
  std::string_view in(reinterpret_cast<const char*>(data), size);
  uint8_t control = static_cast<uint8_t>(in[0]);
  in.remove_prefix(1);
  std::vector<std::string_view> frames = SplitFrames(in, 1 + control % 4);
  DecodeLimits limits{(control & 4) ? uint64_t{4096} : kMaxPayloadBytes};
  FuzzMessage(frames, limits);
  FuzzStructured(in);  // the payload decoders also stand on their own
  return 0;
}
