// Test-only: one valid message (header + payload frame) of every type, shared by the wire tests.
#ifndef NEUROPART_WIRE_TEST_MESSAGES_H_
#define NEUROPART_WIRE_TEST_MESSAGES_H_

#include <string>
#include <vector>

#include "neuropart/wire/codec.h"
#include "neuropart/wire/payloads.h"
#include "neuropart/wire/protocol.h"
#include "neuropart/wire/values.h"

namespace neuropart::wire::testing {

inline constexpr uint64_t kTestPlanHash = 0x0123456789abcdefULL;

struct TestMessage {
  MessageHeader header;
  std::vector<std::string> payload_frames;  // zero or one
};

inline std::vector<MsgType> AllMsgTypes() {
  std::vector<MsgType> types;
  for (int t = 1; t <= static_cast<int>(kLastMsgType); ++t) types.push_back(MsgType(t));
  return types;
}

// Partition 2 of 4 talking to partition 1, step 7; non-zero, distinct values in every field.
inline TestMessage SampleMessage(MsgType type, DType dtype = DType::kBF16) {
  TestMessage m;
  MessageHeader& h = m.header;
  h.type = type;
  h.plan_hash = kTestPlanHash;
  h.source = 2;
  h.destination = 1;
  h.step = 7;
  h.micro_batch = 3;
  h.layer = 5;
  h.phase = Phase::kBackward;
  std::string payload;
  switch (PayloadKindOf(type)) {
    case PayloadKind::kTensor: {
      std::vector<float> values = {1.0f, -2.5f, 0.375f, 65504.0f, -0.0f, 3.0e-6f};
      (void)SetTensorShape(2, 3, dtype, &h);
      payload = EncodeValues(values.data(), values.size(), dtype);
      break;
    }
    case PayloadKind::kStructured:
      if (type == MsgType::kHello)
        payload = EncodeHello({kProtocolVersion, 2, 4, kTestPlanHash, 7});
      if (type == MsgType::kMetrics) payload = EncodeMetrics({12.5, 30, 64});
      if (type == MsgType::kCheckpointDurable) payload = EncodeCheckpointDurable({4096, 0xfeedULL});
      if (type == MsgType::kAbort) payload = EncodeAbort({4, "partition 2: disk full"});
      h.payload_length = payload.size();
      break;
    case PayloadKind::kNone:
      return m;
  }
  m.payload_frames.push_back(payload);
  return m;
}

// What partition 1 of the sample's 4-partition plan at step 7 accepts.
inline Expectation SampleExpectation() { return {kTestPlanHash, 1, 4, 7}; }

}  // namespace neuropart::wire::testing

#endif  // NEUROPART_WIRE_TEST_MESSAGES_H_
