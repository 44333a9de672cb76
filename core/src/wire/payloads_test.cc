#include "neuropart/wire/payloads.h"

#include <gtest/gtest.h>

#include <cmath>
#include <functional>
#include <limits>
#include <string>
#include <vector>

#include "little_endian.h"

namespace neuropart::wire {
namespace {

// A structured payload codec seen through bytes: decode, then re-encode.
using Reencode = std::function<StatusOr<std::string>(std::string_view)>;

template <typename T>
Reencode Through(StatusOr<T> (*decode)(std::string_view), std::string (*encode)(const T&)) {
  return [=](std::string_view bytes) -> StatusOr<std::string> {
    ASSIGN_OR_RETURN(T value, decode(bytes));
    return encode(value);
  };
}

struct Codec {
  std::string name;
  std::string valid;
  Reencode reencode;
};

std::vector<Codec> Codecs() {
  return {
      {"HELLO", EncodeHello({kProtocolVersion, 2, 4, 0x0123456789abcdefULL, 7}),
       Through(DecodeHello, EncodeHello)},
      {"METRICS", EncodeMetrics({12.5, 30, 64}), Through(DecodeMetrics, EncodeMetrics)},
      {"CHECKPOINT_DURABLE", EncodeCheckpointDurable({4096, 0xfeedULL}),
       Through(DecodeCheckpointDurable, EncodeCheckpointDurable)},
      {"ABORT", EncodeAbort({4, "partition 2: disk full"}), Through(DecodeAbort, EncodeAbort)},
      {"ABORT empty", EncodeAbort({1, ""}), Through(DecodeAbort, EncodeAbort)},
  };
}

TEST(PayloadsTest, EveryPayloadRoundTrips) {
  for (const Codec& c : Codecs()) {
    StatusOr<std::string> again = c.reencode(c.valid);
    ASSERT_TRUE(again.ok()) << c.name << ": " << again.status().ToString();
    EXPECT_EQ(*again, c.valid) << c.name;
  }
  HelloPayload hello{kProtocolVersion, 3, 5, ~uint64_t{0}, ~uint64_t{0}};
  EXPECT_EQ(*DecodeHello(EncodeHello(hello)), hello);
  MetricsPayload metrics{-0.5, 0, 0};
  EXPECT_EQ(*DecodeMetrics(EncodeMetrics(metrics)), metrics);
  CheckpointDurablePayload durable{~uint64_t{0}, 1};
  EXPECT_EQ(*DecodeCheckpointDurable(EncodeCheckpointDurable(durable)), durable);
  AbortPayload abort{5, std::string("nul \0 inside", 12)};
  EXPECT_EQ(*DecodeAbort(EncodeAbort(abort)), abort);
}

TEST(PayloadsTest, LayoutsHaveTheDocumentedSizes) {
  EXPECT_EQ(EncodeHello({}).size(), kHelloPayloadBytes);
  EXPECT_EQ(EncodeMetrics({}).size(), kMetricsPayloadBytes);
  EXPECT_EQ(EncodeCheckpointDurable({}).size(), kCheckpointDurablePayloadBytes);
  EXPECT_EQ(EncodeAbort({1, "abc"}).size(), kAbortPayloadMinBytes + 3);
  std::string hello = EncodeHello({kProtocolVersion, 2, 4, 0x0102030405060708ULL, 9});
  EXPECT_EQ(hello, std::string("\x01\x00\x00\x00"
                               "\x02\x00\x00\x00"
                               "\x04\x00\x00\x00"
                               "\x08\x07\x06\x05\x04\x03\x02\x01"
                               "\x09\x00\x00\x00\x00\x00\x00\x00",
                               kHelloPayloadBytes));
  EXPECT_EQ(EncodeMetrics({1.0, 0, 0}).substr(0, 8), std::string("\0\0\0\0\0\0\xf0\x3f", 8));
}

TEST(PayloadsTest, EveryTruncationAndExtensionFails) {
  for (const Codec& c : Codecs()) {
    for (size_t len = 0; len < c.valid.size(); ++len) {
      EXPECT_FALSE(c.reencode(c.valid.substr(0, len)).ok()) << c.name << " cut to " << len;
    }
    StatusOr<std::string> longer = c.reencode(c.valid + 'x');
    ASSERT_FALSE(longer.ok()) << c.name;
    EXPECT_EQ(longer.status().code(), StatusCode::kCorruption);
  }
}

TEST(PayloadsTest, EverySingleBitFlipFailsOrDecodesToTheFlippedValue) {
  for (const Codec& c : Codecs()) {
    for (size_t bit = 0; bit < 8 * c.valid.size(); ++bit) {
      std::string flipped = c.valid;
      flipped[bit / 8] = static_cast<char>(flipped[bit / 8] ^ (1 << (bit % 8)));
      StatusOr<std::string> again = c.reencode(flipped);
      if (again.ok()) {
        EXPECT_EQ(*again, flipped) << c.name << " bit " << bit;
      }
    }
  }
}

TEST(PayloadsTest, HelloChecksVersionAndPartition) {
  EXPECT_FALSE(DecodeHello(EncodeHello({kProtocolVersion + 1, 0, 1, 0, 0})).ok());
  EXPECT_FALSE(DecodeHello(EncodeHello({kProtocolVersion, 4, 4, 0, 0})).ok());
  EXPECT_FALSE(DecodeHello(EncodeHello({kProtocolVersion, 0, 0, 0, 0})).ok());
  StatusOr<HelloPayload> bad = DecodeHello(EncodeHello({kProtocolVersion, 4, 4, 0, 0}));
  EXPECT_NE(bad.status().message().find("HELLO payload byte 4 (partition)"), std::string::npos)
      << bad.status().message();
}

TEST(PayloadsTest, HelloMustDescribeItsHeader) {
  HelloPayload hello{kProtocolVersion, 2, 4, 99, 0};
  MessageHeader header;
  header.type = MsgType::kHello;
  header.plan_hash = 99;
  header.source = 2;
  EXPECT_TRUE(CheckHelloMatchesHeader(hello, header).ok());
  header.source = 3;
  EXPECT_FALSE(CheckHelloMatchesHeader(hello, header).ok());
  header.source = 2;
  header.plan_hash = 98;
  EXPECT_FALSE(CheckHelloMatchesHeader(hello, header).ok());
}

TEST(PayloadsTest, MetricsCountsMustBeFiniteAndOrdered) {
  constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();
  constexpr double kInf = std::numeric_limits<double>::infinity();
  EXPECT_FALSE(DecodeMetrics(EncodeMetrics({0, 65, 64})).ok());
  EXPECT_FALSE(DecodeMetrics(EncodeMetrics({0, -1, 64})).ok());
  EXPECT_FALSE(DecodeMetrics(EncodeMetrics({0, 0, -1})).ok());
  EXPECT_FALSE(DecodeMetrics(EncodeMetrics({0, kNaN, 64})).ok());
  EXPECT_FALSE(DecodeMetrics(EncodeMetrics({0, 0, kInf})).ok());
  // A diverged loss is reported, not dropped.
  StatusOr<MetricsPayload> diverged = DecodeMetrics(EncodeMetrics({kNaN, 3, 64}));
  ASSERT_TRUE(diverged.ok());
  EXPECT_TRUE(std::isnan(diverged->loss_sum));
}

TEST(PayloadsTest, AbortChecksCodeAndLength) {
  EXPECT_FALSE(DecodeAbort(EncodeAbort({0, "ok is not a reason"})).ok());
  EXPECT_TRUE(DecodeAbort(EncodeAbort({6, "kCancelled"})).ok());
  EXPECT_FALSE(DecodeAbort(EncodeAbort({7, "past kCancelled"})).ok());
  std::string huge = EncodeAbort({1, ""});
  PutU32(&huge[4], kMaxAbortMessageBytes + 1);
  huge.append(kMaxAbortMessageBytes + 1, 'x');
  StatusOr<AbortPayload> decoded = DecodeAbort(huge);
  ASSERT_FALSE(decoded.ok());
  EXPECT_NE(decoded.status().message().find("byte 4 (length)"), std::string::npos);
}

TEST(PayloadsTest, LongAbortMessagesAreCutAtACharacterBoundary) {
  std::string message(kMaxAbortMessageBytes - 1, 'a');
  message += "\xc3\xa9 and more";  // a two-byte character straddling the limit
  StatusOr<AbortPayload> decoded = DecodeAbort(EncodeAbort({2, message}));
  ASSERT_TRUE(decoded.ok());
  EXPECT_EQ(decoded->message, std::string(kMaxAbortMessageBytes - 1, 'a'));
  std::string exact(kMaxAbortMessageBytes, 'b');
  EXPECT_EQ(DecodeAbort(EncodeAbort({2, exact}))->message, exact);
}

}  // namespace
}  // namespace neuropart::wire
