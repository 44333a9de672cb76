#include "neuropart/wire/codec.h"

#include <gtest/gtest.h>

#include <set>
#include <string>
#include <vector>

#include "little_endian.h"
#include "test_messages.h"

namespace neuropart::wire {
namespace {

using testing::AllMsgTypes;
using testing::kTestPlanHash;
using testing::SampleExpectation;
using testing::SampleMessage;
using testing::TestMessage;

std::vector<std::string_view> Frames(const std::string& header, const TestMessage& m) {
  std::vector<std::string_view> frames = {header};
  for (const std::string& f : m.payload_frames) frames.push_back(f);
  return frames;
}

// Decodes `frame` expecting failure; returns the reason given.
DropReason DecodeFailure(std::string_view frame, DecodeLimits limits = {}) {
  DropReason reason = DropReason::kNone;
  StatusOr<MessageHeader> h = DecodeHeader(frame, limits, &reason);
  EXPECT_FALSE(h.ok()) << "decoded although it should not";
  if (!h.ok()) {
    EXPECT_NE(reason, DropReason::kNone) << h.status().ToString();
  }
  return reason;
}

// Validates a (valid) message against an expectation, returning the reason.
DropReason Admission(const TestMessage& m, const Expectation& expect, Status* status = nullptr) {
  std::string header = EncodeHeader(m.header);
  DropReason reason = DropReason::kMalformed;
  StatusOr<MessageHeader> h = CheckMessage(Frames(header, m), {}, expect, &reason);
  if (status != nullptr) *status = h.status();
  EXPECT_EQ(h.ok(), reason == DropReason::kNone);
  return reason;
}

TEST(CodecTest, EveryTypeRoundTripsAndIsAccepted) {
  for (MsgType type : AllMsgTypes()) {
    for (DType dtype : {DType::kF32, DType::kF16, DType::kBF16}) {
      SCOPED_TRACE(std::string(MsgTypeName(type)) + " " + std::string(DTypeName(dtype)));
      TestMessage m = SampleMessage(type, dtype);
      std::string encoded = EncodeHeader(m.header);
      ASSERT_EQ(encoded.size(), kHeaderBytes);
      DropReason reason = DropReason::kMalformed;
      StatusOr<MessageHeader> decoded = DecodeHeader(encoded, {}, &reason);
      ASSERT_TRUE(decoded.ok()) << decoded.status().ToString();
      EXPECT_EQ(reason, DropReason::kNone);
      EXPECT_EQ(*decoded, m.header);
      EXPECT_EQ(EncodeHeader(*decoded), encoded);
      EXPECT_EQ(Admission(m, SampleExpectation()), DropReason::kNone);
    }
  }
}

TEST(CodecTest, ExtremeFieldValuesRoundTrip) {
  MessageHeader h;
  h.type = MsgType::kStepBegin;
  h.plan_hash = ~uint64_t{0};
  h.source = ~uint32_t{0};
  h.destination = ~uint32_t{0};
  h.step = ~uint64_t{0};
  h.micro_batch = ~uint32_t{0};
  h.layer = ~uint32_t{0};
  h.phase = kLastPhase;
  StatusOr<MessageHeader> decoded = DecodeHeader(EncodeHeader(h), {});
  ASSERT_TRUE(decoded.ok()) << decoded.status().ToString();
  EXPECT_EQ(*decoded, h);
}

TEST(CodecTest, EncodingMatchesTheDocumentedLayout) {
  MessageHeader h = SampleMessage(MsgType::kActivations, DType::kF16).header;
  const std::string expected(
      "NPWR"
      "\x01\x00"                           // version 1
      "\x02"                               // ACTIVATIONS
      "\x00"                               // flags
      "\xef\xcd\xab\x89\x67\x45\x23\x01"   // plan hash
      "\x02\x00\x00\x00"                   // source
      "\x01\x00\x00\x00"                   // destination
      "\x07\x00\x00\x00\x00\x00\x00\x00"   // step
      "\x03\x00\x00\x00"                   // micro-batch
      "\x05\x00\x00\x00"                   // layer
      "\x01"                               // backward
      "\x01"                               // f16
      "\x00\x00"                           // reserved
      "\x02\x00\x00\x00"                   // rows
      "\x03\x00\x00\x00"                   // cols
      "\x00\x00\x00\x00"                   // reserved
      "\x0c\x00\x00\x00\x00\x00\x00\x00",  // payload length 2 * 3 * 2
      kHeaderBytes);
  EXPECT_EQ(EncodeHeader(h), expected);
  char buf[kHeaderBytes];
  EncodeHeaderTo(h, buf);
  EXPECT_EQ(std::string(buf, kHeaderBytes), expected);
}

TEST(CodecTest, EveryTruncationAndExtensionIsMalformed) {
  for (MsgType type : AllMsgTypes()) {
    std::string encoded = EncodeHeader(SampleMessage(type).header);
    for (size_t len = 0; len < encoded.size(); ++len) {
      SCOPED_TRACE(std::string(MsgTypeName(type)) + " cut to " + std::to_string(len));
      EXPECT_EQ(DecodeFailure(encoded.substr(0, len)), DropReason::kMalformed);
    }
    EXPECT_EQ(DecodeFailure(encoded + '\0'), DropReason::kMalformed);
  }
}

// A flipped bit either fails to decode, or yields a different header whose encoding is exactly
// the flipped bytes (nothing is silently normalised). Fields with no invalid value always decode;
// the magic, version, flags and reserved bytes never do.
TEST(CodecTest, EverySingleBitFlipFailsOrDecodesToTheFlippedValue) {
  const std::set<size_t> always_fail = {0, 1, 2, 3, 4, 5, 7, 42, 43, 52, 53, 54, 55};
  auto always_decode = [](size_t byte) {
    return (byte >= kOffsetPlanHash && byte < kOffsetPhase);  // hash, ids, step, micro, layer
  };
  for (MsgType type : AllMsgTypes()) {
    MessageHeader original = SampleMessage(type).header;
    std::string encoded = EncodeHeader(original);
    for (size_t bit = 0; bit < 8 * encoded.size(); ++bit) {
      SCOPED_TRACE(std::string(MsgTypeName(type)) + " bit " + std::to_string(bit));
      std::string flipped = encoded;
      flipped[bit / 8] = static_cast<char>(flipped[bit / 8] ^ (1 << (bit % 8)));
      DropReason reason = DropReason::kNone;
      StatusOr<MessageHeader> decoded = DecodeHeader(flipped, {}, &reason);
      if (decoded.ok()) {
        EXPECT_NE(*decoded, original);
        EXPECT_EQ(EncodeHeader(*decoded), flipped);
      } else {
        EXPECT_NE(reason, DropReason::kNone);
      }
      if (always_fail.count(bit / 8)) {
        EXPECT_FALSE(decoded.ok());
      }
      if (always_decode(bit / 8)) {
        EXPECT_TRUE(decoded.ok()) << decoded.status().ToString();
      }
    }
  }
}

TEST(CodecTest, ForeignPlanIsDropped) {
  Expectation expect = SampleExpectation();
  expect.plan_hash = kTestPlanHash ^ 1;
  Status status;
  EXPECT_EQ(Admission(SampleMessage(MsgType::kActivations), expect, &status),
            DropReason::kForeignPlan);
  EXPECT_NE(status.message().find("0x0123456789abcdef"), std::string::npos) << status.message();
  EXPECT_EQ(Admission(SampleMessage(MsgType::kHello), expect), DropReason::kForeignPlan);
}

TEST(CodecTest, MessageForAnotherPartitionIsDropped) {
  Expectation expect = SampleExpectation();
  expect.self = 3;
  EXPECT_EQ(Admission(SampleMessage(MsgType::kGradients), expect), DropReason::kWrongDestination);
}

TEST(CodecTest, SourceOutsideThePlanIsDropped) {
  Expectation expect = SampleExpectation();
  expect.num_partitions = 2;  // the sample's source is partition 2
  EXPECT_EQ(Admission(SampleMessage(MsgType::kMetrics), expect), DropReason::kUnknownSource);
}

TEST(CodecTest, OlderStepIsStaleButLinkMessagesAndLaterStepsAreNot) {
  Expectation expect = SampleExpectation();
  expect.min_step = 8;  // the samples are at step 7
  for (MsgType type : AllMsgTypes()) {
    SCOPED_TRACE(MsgTypeName(type));
    DropReason want = IsStepBound(type) ? DropReason::kStale : DropReason::kNone;
    EXPECT_EQ(Admission(SampleMessage(type), expect), want);
  }
  EXPECT_FALSE(IsStepBound(MsgType::kHello));
  EXPECT_FALSE(IsStepBound(MsgType::kHeartbeat));
  EXPECT_FALSE(IsStepBound(MsgType::kAbort));
  expect.min_step = 6;
  EXPECT_EQ(Admission(SampleMessage(MsgType::kActivations), expect), DropReason::kNone);
}

TEST(CodecTest, PeerOfAnotherVersionIsBadVersionEvenWithALongerHeader) {
  std::string encoded = EncodeHeader(SampleMessage(MsgType::kHello).header);
  PutU16(&encoded[kOffsetVersion], kProtocolVersion + 1);
  EXPECT_EQ(DecodeFailure(encoded), DropReason::kBadVersion);
  EXPECT_EQ(DecodeFailure(encoded + std::string(8, '\0')), DropReason::kBadVersion);
  StatusOr<MessageHeader> h = DecodeHeader(encoded, {});
  EXPECT_NE(h.status().message().find("byte 4 (version)"), std::string::npos)
      << h.status().message();
}

TEST(CodecTest, UnknownTypesAreCountedApart) {
  std::string encoded = EncodeHeader(SampleMessage(MsgType::kHeartbeat).header);
  for (uint8_t type : {uint8_t{0}, uint8_t(uint8_t(kLastMsgType) + 1), uint8_t{255}}) {
    encoded[kOffsetType] = static_cast<char>(type);
    EXPECT_EQ(DecodeFailure(encoded), DropReason::kUnknownType) << int(type);
  }
}

TEST(CodecTest, BadMagicFlagsPhaseDtypeAndReservedAreMalformed) {
  const std::string valid = EncodeHeader(SampleMessage(MsgType::kActivations).header);
  struct Case {
    size_t offset;
    char value;
    std::string where;
  };
  for (const Case& c : std::vector<Case>{{kOffsetMagic, 'X', "byte 0 (magic)"},
                                         {kOffsetFlags, 1, "byte 7 (flags)"},
                                         {kOffsetPhase, 4, "byte 40 (phase)"},
                                         {kOffsetDType, 3, "byte 41 (dtype)"},
                                         {kOffsetReserved0 + 1, 1, "byte 42 (reserved)"},
                                         {kOffsetReserved1 + 3, 1, "byte 52 (reserved)"}}) {
    std::string bad = valid;
    bad[c.offset] = c.value;
    EXPECT_EQ(DecodeFailure(bad), DropReason::kMalformed) << c.where;
    StatusOr<MessageHeader> h = DecodeHeader(bad, {});
    EXPECT_NE(h.status().message().find(c.where), std::string::npos) << h.status().message();
  }
}

TEST(CodecTest, RowsTimesColsOverflowIsOversized) {
  MessageHeader h = SampleMessage(MsgType::kActivations, DType::kF32).header;
  h.rows = ~uint32_t{0};
  h.cols = ~uint32_t{0};  // (2^32-1)^2 * 4 > 2^64
  EXPECT_FALSE(TensorBytes(h.rows, h.cols, DType::kF32).ok());
  EXPECT_EQ(DecodeFailure(EncodeHeader(h)), DropReason::kOversized);
}

TEST(CodecTest, PayloadOverTheLimitIsOversized) {
  MessageHeader h = SampleMessage(MsgType::kActivations, DType::kF32).header;
  ASSERT_TRUE(SetTensorShape(1024, 1024, DType::kF32, &h).ok());
  EXPECT_EQ(h.payload_length, 4u << 20);
  EXPECT_TRUE(DecodeHeader(EncodeHeader(h), {}).ok());
  EXPECT_EQ(DecodeFailure(EncodeHeader(h), {(4u << 20) - 1}), DropReason::kOversized);
  ASSERT_TRUE(SetTensorShape(1u << 16, 1u << 14, DType::kF32, &h).ok());  // 4 GiB
  EXPECT_EQ(DecodeFailure(EncodeHeader(h)), DropReason::kOversized);

  MessageHeader abort = SampleMessage(MsgType::kAbort).header;
  abort.payload_length = ~uint64_t{0};
  EXPECT_EQ(DecodeFailure(EncodeHeader(abort)), DropReason::kOversized);
}

TEST(CodecTest, TensorLengthMustMatchRowsTimesCols) {
  MessageHeader h = SampleMessage(MsgType::kActivations, DType::kF16).header;
  h.payload_length += 2;
  EXPECT_EQ(DecodeFailure(EncodeHeader(h)), DropReason::kMalformed);
  h = SampleMessage(MsgType::kActivations, DType::kF16).header;
  h.dtype = DType::kF32;  // same shape, twice the bytes
  EXPECT_EQ(DecodeFailure(EncodeHeader(h)), DropReason::kMalformed);
}

TEST(CodecTest, MessagesWithoutTensorHaveNoShapeAndTheirLayoutSize) {
  for (MsgType type : AllMsgTypes()) {
    if (PayloadKindOf(type) == PayloadKind::kTensor) continue;
    SCOPED_TRACE(MsgTypeName(type));
    MessageHeader h = SampleMessage(type).header;
    MessageHeader bad = h;
    bad.rows = 1;
    EXPECT_EQ(DecodeFailure(EncodeHeader(bad)), DropReason::kMalformed);
    bad = h;
    bad.dtype = DType::kBF16;
    EXPECT_EQ(DecodeFailure(EncodeHeader(bad)), DropReason::kMalformed);
    if (type == MsgType::kAbort) continue;  // variable length, bounds tested below
    bad = h;
    bad.payload_length += 1;
    EXPECT_EQ(DecodeFailure(EncodeHeader(bad)), DropReason::kMalformed);
  }
  MessageHeader abort = SampleMessage(MsgType::kAbort).header;
  abort.payload_length = kAbortPayloadMinBytes - 1;
  EXPECT_EQ(DecodeFailure(EncodeHeader(abort)), DropReason::kMalformed);
  abort.payload_length = kAbortPayloadMinBytes + kMaxAbortMessageBytes + 1;
  EXPECT_EQ(DecodeFailure(EncodeHeader(abort)), DropReason::kMalformed);
  abort.payload_length = kAbortPayloadMinBytes + kMaxAbortMessageBytes;
  EXPECT_TRUE(DecodeHeader(EncodeHeader(abort), {}).ok());
}

TEST(CodecTest, PayloadFramesMustMatchTheHeader) {
  for (MsgType type : AllMsgTypes()) {
    SCOPED_TRACE(MsgTypeName(type));
    TestMessage m = SampleMessage(type);
    TestMessage extra = m;
    extra.payload_frames.push_back("x");
    EXPECT_EQ(Admission(extra, SampleExpectation()), DropReason::kMalformed);
    if (m.payload_frames.empty()) continue;
    TestMessage missing = m;
    missing.payload_frames.clear();
    EXPECT_EQ(Admission(missing, SampleExpectation()), DropReason::kMalformed);
    TestMessage short_frame = m;
    short_frame.payload_frames[0].pop_back();
    EXPECT_EQ(Admission(short_frame, SampleExpectation()), DropReason::kMalformed);
  }
}

TEST(CodecTest, MalformedWinsOverForeignPlan) {
  TestMessage m = SampleMessage(MsgType::kActivations);
  m.payload_frames.clear();
  Expectation expect = SampleExpectation();
  expect.plan_hash = 0;
  EXPECT_EQ(Admission(m, expect), DropReason::kMalformed);
}

TEST(CodecTest, EmptyMultipartIsMalformed) {
  DropReason reason = DropReason::kNone;
  EXPECT_FALSE(CheckMessage({}, {}, SampleExpectation(), &reason).ok());
  EXPECT_EQ(reason, DropReason::kMalformed);
}

TEST(CodecTest, ReasonIsOptional) {
  EXPECT_FALSE(DecodeHeader("", {}).ok());
  TestMessage m = SampleMessage(MsgType::kHeartbeat);
  EXPECT_TRUE(ValidateMessage(m.header, {}, SampleExpectation()).ok());
}

TEST(CodecTest, DropReasonsHaveDistinctNames) {
  std::set<std::string_view> names;
  for (size_t r = 0; r < kDropReasonCount; ++r) {
    std::string_view name = DropReasonName(static_cast<DropReason>(r));
    EXPECT_NE(name, "unknown") << r;
    names.insert(name);
  }
  EXPECT_EQ(names.size(), kDropReasonCount);
  EXPECT_EQ(DropReasonName(static_cast<DropReason>(kDropReasonCount)), "unknown");
}

TEST(CodecTest, EnumNamesCoverEveryValue) {
  std::set<std::string_view> names;
  for (MsgType type : AllMsgTypes()) names.insert(MsgTypeName(type));
  EXPECT_EQ(names.size(), AllMsgTypes().size());
  EXPECT_EQ(names.count("unknown"), 0u);
  EXPECT_EQ(MsgTypeName(MsgType::kSoftmaxStats), "SOFTMAX_STATS");
  EXPECT_EQ(DTypeName(DType::kBF16), "bf16");
  EXPECT_EQ(PhaseName(Phase::kServe), "serve");
  EXPECT_EQ(PhaseName(static_cast<Phase>(uint8_t(kLastPhase) + 1)), "unknown");
}

}  // namespace
}  // namespace neuropart::wire
