// Encoding and decoding of the structured payloads (HELLO, METRICS, CHECKPOINT_DURABLE, ABORT;
// layouts in wire/protocol.h). Decoders check the exact size before reading and the value ranges
// after, so Decode(Encode(x)) == x and every truncated or trailing-byte payload is an error.
//
// Pure functions; safe to call from any thread.
#ifndef NEUROPART_WIRE_PAYLOADS_H_
#define NEUROPART_WIRE_PAYLOADS_H_

#include <string>
#include <string_view>

#include "neuropart/status.h"
#include "neuropart/wire/protocol.h"

namespace neuropart::wire {

std::string EncodeHello(const HelloPayload& hello);
StatusOr<HelloPayload> DecodeHello(std::string_view payload);
// A HELLO must describe its own header: same plan hash and partition == source.
Status CheckHelloMatchesHeader(const HelloPayload& hello, const MessageHeader& header);

std::string EncodeMetrics(const MetricsPayload& metrics);
StatusOr<MetricsPayload> DecodeMetrics(std::string_view payload);

std::string EncodeCheckpointDurable(const CheckpointDurablePayload& durable);
StatusOr<CheckpointDurablePayload> DecodeCheckpointDurable(std::string_view payload);

// Messages longer than kMaxAbortMessageBytes are cut (at a UTF-8 character boundary), as the
// reason travels for logs only. REQUIRES: abort.code is a StatusCode other than kOk.
std::string EncodeAbort(const AbortPayload& abort);
StatusOr<AbortPayload> DecodeAbort(std::string_view payload);

}  // namespace neuropart::wire

#endif  // NEUROPART_WIRE_PAYLOADS_H_
