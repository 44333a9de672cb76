// Encoding, decoding and admission of wire messages (layout in wire/protocol.h).
//
// A receiver calls CheckMessage (or DecodeHeader then ValidateMessage) on every multipart message
// before looking at its payload. A message that fails is dropped, never asserted on: the returned
// Status says what was wrong and at which byte offset, and the DropReason says which counter to
// increment. Checks run in this order, and the first failure decides the reason: frame 0 itself
// (magic, version, field ranges, sizes), then the payload frames against the header, then the
// Expectation (plan, destination, source, step).
//
// Pure functions of their arguments; safe to call from any thread.
#ifndef NEUROPART_WIRE_CODEC_H_
#define NEUROPART_WIRE_CODEC_H_

#include <cstdint>
#include <span>
#include <string>
#include <string_view>

#include "neuropart/status.h"
#include "neuropart/wire/protocol.h"

namespace neuropart::wire {

// Why a message was dropped; kNone when it was accepted. Receivers keep one counter per value.
enum class DropReason : uint8_t {
  kNone = 0,
  kMalformed,         // truncated, trailing bytes, bad magic, field out of range, sizes disagree
  kBadVersion,        // a peer speaking another protocol version
  kUnknownType,       // a message type this build does not know (a newer peer?)
  kOversized,         // payload over the receiver's limit, or rows * cols * size overflows
  kForeignPlan,       // plan hash of another plan (another job, or before a re-plan)
  kWrongDestination,  // addressed to another partition
  kUnknownSource,     // sender is not a partition of this plan
  kStale,             // belongs to a step older than the receiver's current one
};
inline constexpr size_t kDropReasonCount = 9;

// "none", "malformed", "bad_version", ... (snake_case, for metric labels).
std::string_view DropReasonName(DropReason reason);

struct DecodeLimits {
  uint64_t max_payload_bytes = kMaxPayloadBytes;
};

// What a receiver accepts beyond a well-formed message.
struct Expectation {
  uint64_t plan_hash = 0;
  uint32_t self = 0;            // the only accepted destination
  uint32_t num_partitions = 1;  // sources must be below this
  uint64_t min_step = 0;        // step-bound messages (IsStepBound) below this are stale
};

// Always kHeaderBytes long. REQUIRES: header is valid (see DecodeHeader); this is for the
// sender's own headers and is not re-checked.
std::string EncodeHeader(const MessageHeader& header);
// The same bytes, written into a caller's buffer (e.g. a pre-allocated ZeroMQ frame).
void EncodeHeaderTo(const MessageHeader& header, char (&out)[kHeaderBytes]);

// Decodes and checks frame 0 on its own: exact length, magic, version, known type, flags, phase,
// dtype, reserved bytes, payload_length within `limits`, and payload_length consistent with the
// type (tensor: rows * cols * DTypeSize without overflow; structured: the type's layout size;
// none: 0). On failure *reason (if given) says why; on success it is kNone.
StatusOr<MessageHeader> DecodeHeader(std::string_view frame, const DecodeLimits& limits,
                                     DropReason* reason = nullptr);

// Checks the payload frames (frames after the header) against a decoded header, then the header
// against `expect`. Returns OK and sets *reason to kNone if the message is for this receiver.
Status ValidateMessage(const MessageHeader& header,
                       std::span<const std::string_view> payload_frames, const Expectation& expect,
                       DropReason* reason = nullptr);

// DecodeHeader(frames[0]) followed by ValidateMessage(rest): the one call a receiver makes.
StatusOr<MessageHeader> CheckMessage(std::span<const std::string_view> frames,
                                     const DecodeLimits& limits, const Expectation& expect,
                                     DropReason* reason = nullptr);

// Bytes of a rows x cols tensor of dtype; an error if that overflows uint64.
StatusOr<uint64_t> TensorBytes(uint32_t rows, uint32_t cols, DType dtype);

// Sets rows, cols, dtype and payload_length of a tensor message's header.
Status SetTensorShape(uint32_t rows, uint32_t cols, DType dtype, MessageHeader* header);

}  // namespace neuropart::wire

#endif  // NEUROPART_WIRE_CODEC_H_
