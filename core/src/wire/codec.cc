#include "neuropart/wire/codec.h"

#include <algorithm>
#include <cinttypes>
#include <cstdio>
#include <cstring>
#include <limits>
#include <utility>

#include "little_endian.h"

namespace neuropart::wire {
namespace {

std::string Hex64(uint64_t v) {
  char buf[19];
  std::snprintf(buf, sizeof(buf), "0x%016" PRIx64, v);
  return buf;
}

// Records why a message is dropped and passes the error through, so checks stay one-liners.
Status Drop(DropReason why, DropReason* reason, Status status) {
  *reason = why;
  return status;
}

Status Malformed(DropReason* reason, size_t offset, std::string_view field, std::string what) {
  return Drop(DropReason::kMalformed, reason,
              CorruptionError("wire header byte " + std::to_string(offset) + " (" +
                              std::string(field) + "): " + what));
}

// Magic, version and exact length. Version comes before length so that a peer of another
// version, whose header may have another size, is counted as kBadVersion rather than malformed.
Status CheckPreamble(std::string_view frame, DropReason* reason) {
  if (frame.size() < kOffsetType) {
    return Malformed(reason, frame.size(), "preamble",
                     "frame of " + std::to_string(frame.size()) + " bytes is truncated");
  }
  if (std::memcmp(frame.data() + kOffsetMagic, kMagic.data(), kMagic.size()) != 0) {
    return Malformed(reason, kOffsetMagic, "magic", "not a neuropart wire message");
  }
  uint16_t version = GetU16(frame.data() + kOffsetVersion);
  if (version != kProtocolVersion) {
    return Drop(DropReason::kBadVersion, reason,
                CorruptionError("wire header byte 4 (version): peer speaks protocol version " +
                                std::to_string(version) + ", this build speaks " +
                                std::to_string(kProtocolVersion)));
  }
  if (frame.size() != kHeaderBytes) {
    return Malformed(reason, std::min(frame.size(), kHeaderBytes), "length",
                     "header frame has " + std::to_string(frame.size()) + " bytes, expected " +
                         std::to_string(kHeaderBytes));
  }
  return Status::Ok();
}

// The one-byte enumerations and the must-be-zero bytes.
Status ReadSmallFields(const char* p, MessageHeader* h, DropReason* reason) {
  uint8_t type = GetU8(p + kOffsetType);
  if (type == 0 || type > static_cast<uint8_t>(kLastMsgType)) {
    return Drop(
        DropReason::kUnknownType, reason,
        CorruptionError("wire header byte 6 (type): unknown message type " + std::to_string(type)));
  }
  uint8_t phase = GetU8(p + kOffsetPhase);
  uint8_t dtype = GetU8(p + kOffsetDType);
  if (GetU8(p + kOffsetFlags) != 0) {
    return Malformed(reason, kOffsetFlags, "flags", "unknown flag bits set");
  }
  if (phase > static_cast<uint8_t>(kLastPhase)) {
    return Malformed(reason, kOffsetPhase, "phase", "unknown phase " + std::to_string(phase));
  }
  if (dtype > static_cast<uint8_t>(kLastDType)) {
    return Malformed(reason, kOffsetDType, "dtype", "unknown dtype " + std::to_string(dtype));
  }
  if (GetU16(p + kOffsetReserved0) != 0) {
    return Malformed(reason, kOffsetReserved0, "reserved", "must be zero");
  }
  if (GetU32(p + kOffsetReserved1) != 0) {
    return Malformed(reason, kOffsetReserved1, "reserved", "must be zero");
  }
  h->type = static_cast<MsgType>(type);
  h->flags = 0;
  h->phase = static_cast<Phase>(phase);
  h->dtype = static_cast<DType>(dtype);
  return Status::Ok();
}

void ReadWideFields(const char* p, MessageHeader* h) {
  h->plan_hash = GetU64(p + kOffsetPlanHash);
  h->source = GetU32(p + kOffsetSource);
  h->destination = GetU32(p + kOffsetDestination);
  h->step = GetU64(p + kOffsetStep);
  h->micro_batch = GetU32(p + kOffsetMicroBatch);
  h->layer = GetU32(p + kOffsetLayer);
  h->rows = GetU32(p + kOffsetRows);
  h->cols = GetU32(p + kOffsetCols);
  h->payload_length = GetU64(p + kOffsetPayloadLength);
}

Status CheckTensorLength(const MessageHeader& h, const DecodeLimits& limits, DropReason* reason) {
  StatusOr<uint64_t> bytes = TensorBytes(h.rows, h.cols, h.dtype);
  if (!bytes.ok() || *bytes > limits.max_payload_bytes) {
    return Drop(DropReason::kOversized, reason,
                CorruptionError("wire header byte 44 (rows, cols): " + std::to_string(h.rows) +
                                " x " + std::to_string(h.cols) + " " +
                                std::string(DTypeName(h.dtype)) + " exceeds the limit of " +
                                std::to_string(limits.max_payload_bytes) + " bytes"));
  }
  if (*bytes != h.payload_length) {
    return Malformed(reason, kOffsetPayloadLength, "payload_length",
                     std::to_string(h.payload_length) + " bytes, but " + std::to_string(h.rows) +
                         " x " + std::to_string(h.cols) + " " + std::string(DTypeName(h.dtype)) +
                         " needs " + std::to_string(*bytes));
  }
  return Status::Ok();
}

// Smallest and largest payload_length of a structured or payload-free message type.
std::pair<uint64_t, uint64_t> PayloadBounds(MsgType type) {
  switch (type) {
    case MsgType::kHello:
      return {kHelloPayloadBytes, kHelloPayloadBytes};
    case MsgType::kMetrics:
      return {kMetricsPayloadBytes, kMetricsPayloadBytes};
    case MsgType::kCheckpointDurable:
      return {kCheckpointDurablePayloadBytes, kCheckpointDurablePayloadBytes};
    case MsgType::kAbort:
      return {kAbortPayloadMinBytes, kAbortPayloadMinBytes + kMaxAbortMessageBytes};
    default:
      return {0, 0};
  }
}

Status CheckUntypedLength(const MessageHeader& h, DropReason* reason) {
  if (h.rows != 0 || h.cols != 0) {
    return Malformed(reason, kOffsetRows, "rows, cols",
                     std::string(MsgTypeName(h.type)) + " carries no tensor: must be 0");
  }
  if (h.dtype != DType::kF32) {
    return Malformed(reason, kOffsetDType, "dtype",
                     std::string(MsgTypeName(h.type)) + " carries no tensor: must be 0");
  }
  auto [lo, hi] = PayloadBounds(h.type);
  if (h.payload_length < lo || h.payload_length > hi) {
    return Malformed(reason, kOffsetPayloadLength, "payload_length",
                     std::to_string(h.payload_length) + " bytes, but " +
                         std::string(MsgTypeName(h.type)) + " takes " + std::to_string(lo) +
                         (lo == hi ? "" : " to " + std::to_string(hi)));
  }
  return Status::Ok();
}

Status CheckPayloadLength(const MessageHeader& h, const DecodeLimits& limits, DropReason* reason) {
  if (PayloadKindOf(h.type) == PayloadKind::kTensor) return CheckTensorLength(h, limits, reason);
  if (h.payload_length > limits.max_payload_bytes) {
    return Drop(DropReason::kOversized, reason,
                CorruptionError(
                    "wire header byte 56 (payload_length): " + std::to_string(h.payload_length) +
                    " bytes exceeds the limit of " + std::to_string(limits.max_payload_bytes)));
  }
  return CheckUntypedLength(h, reason);
}

Status DecodeHeaderInto(std::string_view frame, const DecodeLimits& limits, MessageHeader* h,
                        DropReason* reason) {
  RETURN_IF_ERROR(CheckPreamble(frame, reason));
  RETURN_IF_ERROR(ReadSmallFields(frame.data(), h, reason));
  ReadWideFields(frame.data(), h);
  return CheckPayloadLength(*h, limits, reason);
}

Status CheckFrames(const MessageHeader& h, std::span<const std::string_view> payload_frames,
                   DropReason* reason) {
  size_t expected = PayloadKindOf(h.type) == PayloadKind::kNone ? 0 : 1;
  if (payload_frames.size() != expected) {
    return Drop(DropReason::kMalformed, reason,
                CorruptionError(std::string(MsgTypeName(h.type)) + " message has " +
                                std::to_string(payload_frames.size()) +
                                " payload frames, expected " + std::to_string(expected)));
  }
  if (expected == 1 && payload_frames[0].size() != h.payload_length) {
    return Drop(DropReason::kMalformed, reason,
                CorruptionError(std::string(MsgTypeName(h.type)) + " payload frame has " +
                                std::to_string(payload_frames[0].size()) + " bytes, header says " +
                                std::to_string(h.payload_length)));
  }
  return Status::Ok();
}

Status CheckExpectation(const MessageHeader& h, const Expectation& expect, DropReason* reason) {
  std::string what = std::string(MsgTypeName(h.type)) + " from partition " +
                     std::to_string(h.source) + " step " + std::to_string(h.step) + ": ";
  if (h.plan_hash != expect.plan_hash) {
    return Drop(DropReason::kForeignPlan, reason,
                InvalidArgumentError(what + "plan hash " + Hex64(h.plan_hash) + ", expected " +
                                     Hex64(expect.plan_hash)));
  }
  if (h.destination != expect.self) {
    return Drop(
        DropReason::kWrongDestination, reason,
        InvalidArgumentError(what + "addressed to partition " + std::to_string(h.destination) +
                             ", this is partition " + std::to_string(expect.self)));
  }
  if (h.source >= expect.num_partitions) {
    return Drop(DropReason::kUnknownSource, reason,
                InvalidArgumentError(what + "the plan has only " +
                                     std::to_string(expect.num_partitions) + " partitions"));
  }
  if (IsStepBound(h.type) && h.step < expect.min_step) {
    return Drop(
        DropReason::kStale, reason,
        InvalidArgumentError(what + "stale, current step is " + std::to_string(expect.min_step)));
  }
  return Status::Ok();
}

}  // namespace

std::string_view DropReasonName(DropReason reason) {
  switch (reason) {
    case DropReason::kNone:
      return "none";
    case DropReason::kMalformed:
      return "malformed";
    case DropReason::kBadVersion:
      return "bad_version";
    case DropReason::kUnknownType:
      return "unknown_type";
    case DropReason::kOversized:
      return "oversized";
    case DropReason::kForeignPlan:
      return "foreign_plan";
    case DropReason::kWrongDestination:
      return "wrong_destination";
    case DropReason::kUnknownSource:
      return "unknown_source";
    case DropReason::kStale:
      return "stale";
  }
  return "unknown";
}

StatusOr<uint64_t> TensorBytes(uint32_t rows, uint32_t cols, DType dtype) {
  uint64_t elements = uint64_t{rows} * cols;  // < 2^64: both factors are below 2^32
  uint64_t size = DTypeSize(dtype);
  if (elements > std::numeric_limits<uint64_t>::max() / size) {
    return InvalidArgumentError(std::to_string(rows) + " x " + std::to_string(cols) +
                                " values overflow a 64-bit byte count");
  }
  return elements * size;
}

Status SetTensorShape(uint32_t rows, uint32_t cols, DType dtype, MessageHeader* header) {
  ASSIGN_OR_RETURN(uint64_t bytes, TensorBytes(rows, cols, dtype));
  header->rows = rows;
  header->cols = cols;
  header->dtype = dtype;
  header->payload_length = bytes;
  return Status::Ok();
}

void EncodeHeaderTo(const MessageHeader& h, char (&out)[kHeaderBytes]) {
  char* p = out;
  std::memcpy(p + kOffsetMagic, kMagic.data(), kMagic.size());
  PutU16(p + kOffsetVersion, kProtocolVersion);
  PutU8(p + kOffsetType, static_cast<uint8_t>(h.type));
  PutU8(p + kOffsetFlags, h.flags);
  PutU64(p + kOffsetPlanHash, h.plan_hash);
  PutU32(p + kOffsetSource, h.source);
  PutU32(p + kOffsetDestination, h.destination);
  PutU64(p + kOffsetStep, h.step);
  PutU32(p + kOffsetMicroBatch, h.micro_batch);
  PutU32(p + kOffsetLayer, h.layer);
  PutU8(p + kOffsetPhase, static_cast<uint8_t>(h.phase));
  PutU8(p + kOffsetDType, static_cast<uint8_t>(h.dtype));
  PutU16(p + kOffsetReserved0, 0);
  PutU32(p + kOffsetRows, h.rows);
  PutU32(p + kOffsetCols, h.cols);
  PutU32(p + kOffsetReserved1, 0);
  PutU64(p + kOffsetPayloadLength, h.payload_length);
}

std::string EncodeHeader(const MessageHeader& header) {
  char buf[kHeaderBytes];
  EncodeHeaderTo(header, buf);
  return std::string(buf, kHeaderBytes);
}

StatusOr<MessageHeader> DecodeHeader(std::string_view frame, const DecodeLimits& limits,
                                     DropReason* reason) {
  DropReason why = DropReason::kNone;
  MessageHeader header;
  Status status = DecodeHeaderInto(frame, limits, &header, &why);
  if (reason != nullptr) *reason = why;
  if (!status.ok()) return status;
  return header;
}

Status ValidateMessage(const MessageHeader& header,
                       std::span<const std::string_view> payload_frames, const Expectation& expect,
                       DropReason* reason) {
  DropReason why = DropReason::kNone;
  Status status = CheckFrames(header, payload_frames, &why);
  if (status.ok()) status = CheckExpectation(header, expect, &why);
  if (reason != nullptr) *reason = why;
  return status;
}

StatusOr<MessageHeader> CheckMessage(std::span<const std::string_view> frames,
                                     const DecodeLimits& limits, const Expectation& expect,
                                     DropReason* reason) {
  if (frames.empty()) {
    if (reason != nullptr) *reason = DropReason::kMalformed;
    return CorruptionError("wire message has no frames");
  }
  ASSIGN_OR_RETURN(MessageHeader header, DecodeHeader(frames[0], limits, reason));
  RETURN_IF_ERROR(ValidateMessage(header, frames.subspan(1), expect, reason));
  return header;
}

}  // namespace neuropart::wire
