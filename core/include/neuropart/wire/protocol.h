// The neuropart wire protocol: the one place that defines what workers say to each other.
//
// A message is a ZeroMQ multipart message: frame 0 is a fixed 64-byte little-endian header, the
// following frames carry the payload (zero or one frame, fixed by the message type). Tensor
// payloads are dense row-major blocks (rows x cols values of `dtype`); structured payloads (HELLO,
// METRICS, CHECKPOINT_DURABLE, ABORT) have the explicit layouts below. Every field is encoded and
// decoded byte by byte (wire/codec.h, wire/payloads.h); no struct is ever memcpy'd to the wire.
//
// Compatibility rules: MsgType, DType and Phase values are pinned (static_asserts below) and only
// ever appended. Any change to a layout bumps kProtocolVersion; peers of different versions never
// talk (their messages are dropped as kBadVersion, and HELLO is the first message on every link).
//
// This header holds only constants and plain value types; everything here is safe to share.
#ifndef NEUROPART_WIRE_PROTOCOL_H_
#define NEUROPART_WIRE_PROTOCOL_H_

#include <array>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

namespace neuropart::wire {

inline constexpr std::array<char, 4> kMagic = {'N', 'P', 'W', 'R'};
inline constexpr uint16_t kProtocolVersion = 1;

// Largest payload a decoder accepts by default (one frame). A receiver may lower it with
// DecodeLimits; transports should set ZMQ_MAXMSGSIZE to at least this plus the header.
inline constexpr uint64_t kMaxPayloadBytes = uint64_t{1} << 30;  // 1 GiB
// The source a client (a process that is not a partition, e.g. `neuropart infer`) writes into
// its INFER_REQUEST headers; replies to it carry it as their destination.
inline constexpr uint32_t kClientSource = 0xFFFFFFFFu;
// Partition 0 coordinates: it collects losses and evaluation totals, gathers checkpoints' shard
// list, serves /status and answers serving clients.
inline constexpr int kCoordinator = 0;
// The `step` field of messages that are not a training step, so that no two exchanges share an
// id: training steps count from 0, evaluation batches from kEvalStepBase, requests a serving
// coordinator forwards to its peers from kServeStepBase.
inline constexpr uint64_t kEvalStepBase = uint64_t{1} << 48;
inline constexpr uint64_t kServeStepBase = uint64_t{1} << 56;

enum class MsgType : uint8_t {
  // 0 is never valid, so an all-zero frame cannot decode.
  kHello = 1,              // first message on a link: HelloPayload
  kActivations = 2,        // tensor: values of owned neurons, [samples, neurons]
  kGradients = 3,          // tensor: partial input gradients for the neurons' owner
  kSoftmaxStats = 4,       // tensor: per sample (max, sum-exp) of a split softmax layer, cols = 2
  kMetrics = 5,            // MetricsPayload: loss / accuracy partial sums for the coordinator
  kCheckpointDurable = 6,  // CheckpointDurablePayload: this partition's shard of `step` is synced
  kCheckpointCommit = 7,   // no payload: the coordinator committed the checkpoint of `step`
  kHeartbeat = 8,          // no payload
  kAbort = 9,              // AbortPayload: the sender gives up the job; peers stop too
  kInferRequest = 10,      // tensor: input rows of an inference request (`step` = request id)
  kInferResponse = 11,     // tensor: output rows of an inference request (`step` = request id)
  kStepBegin = 12,         // no payload: the coordinator starts `step`
};
inline constexpr MsgType kLastMsgType = MsgType::kStepBegin;  // move when appending

static_assert(static_cast<uint8_t>(MsgType::kHello) == 1);
static_assert(static_cast<uint8_t>(MsgType::kActivations) == 2);
static_assert(static_cast<uint8_t>(MsgType::kGradients) == 3);
static_assert(static_cast<uint8_t>(MsgType::kSoftmaxStats) == 4);
static_assert(static_cast<uint8_t>(MsgType::kMetrics) == 5);
static_assert(static_cast<uint8_t>(MsgType::kCheckpointDurable) == 6);
static_assert(static_cast<uint8_t>(MsgType::kCheckpointCommit) == 7);
static_assert(static_cast<uint8_t>(MsgType::kHeartbeat) == 8);
static_assert(static_cast<uint8_t>(MsgType::kAbort) == 9);
static_assert(static_cast<uint8_t>(MsgType::kInferRequest) == 10);
static_assert(static_cast<uint8_t>(MsgType::kInferResponse) == 11);
static_assert(static_cast<uint8_t>(MsgType::kStepBegin) == 12);

// Element type of tensor payloads. fp32 is exact; fp16/bf16 halve traffic (round to nearest even).
enum class DType : uint8_t { kF32 = 0, kF16 = 1, kBF16 = 2 };
inline constexpr DType kLastDType = DType::kBF16;
static_assert(static_cast<uint8_t>(DType::kF32) == 0);
static_assert(static_cast<uint8_t>(DType::kF16) == 1);
static_assert(static_cast<uint8_t>(DType::kBF16) == 2);

constexpr size_t DTypeSize(DType dtype) { return dtype == DType::kF32 ? 4 : 2; }

// What the step is doing when the message is sent; lets one step's forward and backward
// exchanges of the same layer share a link without ambiguity.
enum class Phase : uint8_t { kForward = 0, kBackward = 1, kEval = 2, kServe = 3 };
inline constexpr Phase kLastPhase = Phase::kServe;
static_assert(static_cast<uint8_t>(Phase::kForward) == 0);
static_assert(static_cast<uint8_t>(Phase::kBackward) == 1);
static_assert(static_cast<uint8_t>(Phase::kEval) == 2);
static_assert(static_cast<uint8_t>(Phase::kServe) == 3);

// Names for logs and metric labels ("ACTIVATIONS", "bf16", "backward"); "unknown" out of range.
std::string_view MsgTypeName(MsgType type);
std::string_view DTypeName(DType dtype);
std::string_view PhaseName(Phase phase);

// Frame 0, 64 bytes, all integers little-endian:
//
//   offset  size  field
//   ------  ----  ---------------------------------------------------------------
//        0     4  magic           "NPWR"
//        4     2  version         kProtocolVersion
//        6     1  type            MsgType
//        7     1  flags           no flags defined yet: must be 0
//        8     8  plan_hash       content hash of the plan; foreign plans are dropped
//       16     4  source          sending partition, < number of partitions
//       20     4  destination     receiving partition
//       24     8  step            optimizer step (request id when serving)
//       32     4  micro_batch     index of the micro-batch within the step
//       36     4  layer           layer index the payload belongs to
//       40     1  phase           Phase
//       41     1  dtype           DType of a tensor payload; 0 otherwise
//       42     2  reserved        must be 0
//       44     4  rows            tensor rows (samples); 0 without a tensor
//       48     4  cols            tensor cols (neurons); 0 without a tensor
//       52     4  reserved        must be 0
//       56     8  payload_length  bytes in the payload frame
//       64        end
inline constexpr size_t kHeaderBytes = 64;
inline constexpr size_t kOffsetMagic = 0;
inline constexpr size_t kOffsetVersion = 4;
inline constexpr size_t kOffsetType = 6;
inline constexpr size_t kOffsetFlags = 7;
inline constexpr size_t kOffsetPlanHash = 8;
inline constexpr size_t kOffsetSource = 16;
inline constexpr size_t kOffsetDestination = 20;
inline constexpr size_t kOffsetStep = 24;
inline constexpr size_t kOffsetMicroBatch = 32;
inline constexpr size_t kOffsetLayer = 36;
inline constexpr size_t kOffsetPhase = 40;
inline constexpr size_t kOffsetDType = 41;
inline constexpr size_t kOffsetReserved0 = 42;
inline constexpr size_t kOffsetRows = 44;
inline constexpr size_t kOffsetCols = 48;
inline constexpr size_t kOffsetReserved1 = 52;
inline constexpr size_t kOffsetPayloadLength = 56;
static_assert(kOffsetPayloadLength + 8 == kHeaderBytes);

// The decoded header. The version is not a field: encoders always write kProtocolVersion and
// decoders reject anything else.
struct MessageHeader {
  MsgType type = MsgType::kHeartbeat;
  uint8_t flags = 0;
  uint64_t plan_hash = 0;
  uint32_t source = 0;
  uint32_t destination = 0;
  uint64_t step = 0;
  uint32_t micro_batch = 0;
  uint32_t layer = 0;
  Phase phase = Phase::kForward;
  DType dtype = DType::kF32;
  uint32_t rows = 0;
  uint32_t cols = 0;
  uint64_t payload_length = 0;

  bool operator==(const MessageHeader&) const = default;
};

// How a message type uses the frames after the header.
enum class PayloadKind {
  kNone,        // no payload frame; payload_length 0
  kTensor,      // one frame of rows * cols values of dtype
  kStructured,  // one frame with the type's layout below; rows, cols and dtype are 0
};

constexpr PayloadKind PayloadKindOf(MsgType type) {
  switch (type) {
    case MsgType::kActivations:
    case MsgType::kGradients:
    case MsgType::kSoftmaxStats:
    case MsgType::kInferRequest:
    case MsgType::kInferResponse:
      return PayloadKind::kTensor;
    case MsgType::kHello:
    case MsgType::kMetrics:
    case MsgType::kCheckpointDurable:
    case MsgType::kAbort:
      return PayloadKind::kStructured;
    case MsgType::kCheckpointCommit:
    case MsgType::kHeartbeat:
    case MsgType::kStepBegin:
      return PayloadKind::kNone;
  }
  return PayloadKind::kNone;
}

// Messages that belong to a step; older ones are dropped as stale. HELLO, HEARTBEAT and ABORT
// are about the link or the job, not a step.
constexpr bool IsStepBound(MsgType type) {
  return type != MsgType::kHello && type != MsgType::kHeartbeat && type != MsgType::kAbort;
}

// HELLO payload, 28 bytes:
//   0  u32  protocol_version  kProtocolVersion of the sender
//   4  u32  partition         the sender; equals the header's source
//   8  u32  num_partitions    >= 1, > partition
//  12  u64  plan_hash         equals the header's plan_hash
//  20  u64  start_step        the step the sender (re)starts from; every peer must agree
struct HelloPayload {
  uint32_t protocol_version = kProtocolVersion;
  uint32_t partition = 0;
  uint32_t num_partitions = 1;
  uint64_t plan_hash = 0;
  uint64_t start_step = 0;

  bool operator==(const HelloPayload&) const = default;
};
inline constexpr size_t kHelloPayloadBytes = 28;

// METRICS payload, 24 bytes: partial sums over the sender's samples of one step or evaluation,
// summed by the coordinator in partition order. IEEE-754 binary64, little-endian.
//   0  f64  loss_sum  sum of per-sample losses (may be NaN or inf: divergence is reported)
//   8  f64  correct   correctly classified samples, finite, 0 <= correct <= samples
//  16  f64  samples   samples counted, finite, >= 0
struct MetricsPayload {
  double loss_sum = 0;
  double correct = 0;
  double samples = 0;

  bool operator==(const MetricsPayload&) const = default;
};
inline constexpr size_t kMetricsPayloadBytes = 24;

// CHECKPOINT_DURABLE payload, 16 bytes (the step is the header's):
//   0  u64  shard_bytes  size of the synced shard file
//   8  u64  checksum     the shard's checksum as the store computes it
struct CheckpointDurablePayload {
  uint64_t shard_bytes = 0;
  uint64_t checksum = 0;

  bool operator==(const CheckpointDurablePayload&) const = default;
};
inline constexpr size_t kCheckpointDurablePayloadBytes = 16;

// ABORT payload, 8 + n bytes:
//   0  u32  code        a neuropart::StatusCode other than kOk
//   4  u32  length      n <= kMaxAbortMessageBytes
//   8  n    message     UTF-8, not NUL-terminated
struct AbortPayload {
  uint32_t code = 0;
  std::string message;

  bool operator==(const AbortPayload&) const = default;
};
inline constexpr size_t kAbortPayloadMinBytes = 8;
inline constexpr size_t kMaxAbortMessageBytes = 4096;

}  // namespace neuropart::wire

#endif  // NEUROPART_WIRE_PROTOCOL_H_
