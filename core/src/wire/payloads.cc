#include "neuropart/wire/payloads.h"

#include <cmath>

#include "little_endian.h"

namespace neuropart::wire {
namespace {

Status CheckSize(std::string_view what, std::string_view payload, size_t expected) {
  if (payload.size() == expected) return Status::Ok();
  return CorruptionError(std::string(what) + " payload has " + std::to_string(payload.size()) +
                         " bytes, expected " + std::to_string(expected));
}

Status FieldError(std::string_view what, size_t offset, std::string_view field,
                  std::string message) {
  return CorruptionError(std::string(what) + " payload byte " + std::to_string(offset) + " (" +
                         std::string(field) + "): " + message);
}

bool IsCount(double v) { return std::isfinite(v) && v >= 0; }

// Longest prefix of `s` of at most `limit` bytes that does not split a UTF-8 sequence.
std::string_view Utf8Prefix(std::string_view s, size_t limit) {
  if (s.size() <= limit) return s;
  size_t cut = limit;
  while (cut > 0 && (static_cast<unsigned char>(s[cut]) & 0xc0) == 0x80) --cut;
  return s.substr(0, cut);
}

}  // namespace

std::string EncodeHello(const HelloPayload& hello) {
  std::string out(kHelloPayloadBytes, '\0');
  PutU32(&out[0], hello.protocol_version);
  PutU32(&out[4], hello.partition);
  PutU32(&out[8], hello.num_partitions);
  PutU64(&out[12], hello.plan_hash);
  PutU64(&out[20], hello.start_step);
  return out;
}

StatusOr<HelloPayload> DecodeHello(std::string_view payload) {
  RETURN_IF_ERROR(CheckSize("HELLO", payload, kHelloPayloadBytes));
  const char* p = payload.data();
  HelloPayload hello{GetU32(p), GetU32(p + 4), GetU32(p + 8), GetU64(p + 12), GetU64(p + 20)};
  if (hello.protocol_version != kProtocolVersion) {
    return FieldError("HELLO", 0, "protocol_version",
                      "peer speaks " + std::to_string(hello.protocol_version) +
                          ", this build speaks " + std::to_string(kProtocolVersion));
  }
  if (hello.partition >= hello.num_partitions) {
    return FieldError("HELLO", 4, "partition",
                      std::to_string(hello.partition) + " is not below num_partitions " +
                          std::to_string(hello.num_partitions));
  }
  return hello;
}

Status CheckHelloMatchesHeader(const HelloPayload& hello, const MessageHeader& header) {
  if (hello.plan_hash != header.plan_hash) {
    return FieldError("HELLO", 12, "plan_hash", "differs from the header's");
  }
  if (hello.partition != header.source) {
    return FieldError("HELLO", 4, "partition",
                      std::to_string(hello.partition) + " but the header's source is " +
                          std::to_string(header.source));
  }
  return Status::Ok();
}

std::string EncodeMetrics(const MetricsPayload& metrics) {
  std::string out(kMetricsPayloadBytes, '\0');
  PutF64(&out[0], metrics.loss_sum);
  PutF64(&out[8], metrics.correct);
  PutF64(&out[16], metrics.samples);
  return out;
}

StatusOr<MetricsPayload> DecodeMetrics(std::string_view payload) {
  RETURN_IF_ERROR(CheckSize("METRICS", payload, kMetricsPayloadBytes));
  const char* p = payload.data();
  MetricsPayload metrics{GetF64(p), GetF64(p + 8), GetF64(p + 16)};
  if (!IsCount(metrics.samples)) {
    return FieldError("METRICS", 16, "samples", "must be finite and >= 0");
  }
  if (!IsCount(metrics.correct) || metrics.correct > metrics.samples) {
    return FieldError("METRICS", 8, "correct", "must be finite, >= 0 and <= samples");
  }
  return metrics;
}

std::string EncodeCheckpointDurable(const CheckpointDurablePayload& durable) {
  std::string out(kCheckpointDurablePayloadBytes, '\0');
  PutU64(&out[0], durable.shard_bytes);
  PutU64(&out[8], durable.checksum);
  return out;
}

StatusOr<CheckpointDurablePayload> DecodeCheckpointDurable(std::string_view payload) {
  RETURN_IF_ERROR(CheckSize("CHECKPOINT_DURABLE", payload, kCheckpointDurablePayloadBytes));
  return CheckpointDurablePayload{GetU64(payload.data()), GetU64(payload.data() + 8)};
}

std::string EncodeAbort(const AbortPayload& abort) {
  std::string_view message = Utf8Prefix(abort.message, kMaxAbortMessageBytes);
  std::string out(kAbortPayloadMinBytes, '\0');
  PutU32(&out[0], abort.code);
  PutU32(&out[4], static_cast<uint32_t>(message.size()));
  out.append(message);
  return out;
}

StatusOr<AbortPayload> DecodeAbort(std::string_view payload) {
  if (payload.size() < kAbortPayloadMinBytes) {
    return CheckSize("ABORT", payload, kAbortPayloadMinBytes);
  }
  uint32_t code = GetU32(payload.data());
  uint32_t length = GetU32(payload.data() + 4);
  // kCancelled is the last StatusCode (neuropart/status.h).
  if (code == static_cast<uint32_t>(StatusCode::kOk) ||
      code > static_cast<uint32_t>(StatusCode::kCancelled)) {
    return FieldError("ABORT", 0, "code", "unknown status code " + std::to_string(code));
  }
  if (length > kMaxAbortMessageBytes) {
    return FieldError("ABORT", 4, "length",
                      std::to_string(length) + " exceeds " + std::to_string(kMaxAbortMessageBytes));
  }
  RETURN_IF_ERROR(CheckSize("ABORT", payload, kAbortPayloadMinBytes + length));
  return AbortPayload{code, std::string(payload.substr(kAbortPayloadMinBytes))};
}

}  // namespace neuropart::wire
