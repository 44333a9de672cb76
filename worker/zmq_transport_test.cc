#include "zmq_transport.h"

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <map>
#include <thread>
#include <tuple>

#include "testing/hostile_peer.h"
#include "neuropart/wire/payloads.h"
#include "neuropart/wire/values.h"

namespace neuropart::worker {
namespace {

using std::chrono::milliseconds;
using wire::DropReason;
using Clock = std::chrono::steady_clock;

constexpr uint64_t kPlan = 0x0123456789abcdefull;

ZmqTransportOptions Options(uint32_t self, uint32_t partitions = 2) {
  ZmqTransportOptions o;
  o.self = self;
  o.num_partitions = partitions;
  o.plan_hash = kPlan;
  o.listen_endpoint = "tcp://127.0.0.1:*";
  o.heartbeat_interval = milliseconds(200);
  o.heartbeat_timeout = milliseconds(2000);
  o.linger = milliseconds(200);
  o.send_timeout = milliseconds(3000);
  o.max_payload_bytes = 16 << 20;
  return o;
}

std::unique_ptr<ZmqTransport> Make(const ZmqTransportOptions& o) {
  StatusOr<std::unique_ptr<ZmqTransport>> t = ZmqTransport::Create(o);
  EXPECT_TRUE(t.ok()) << t.status().ToString();
  return t.ok() ? std::move(t).value() : nullptr;
}

// Partitions 0 and 1 of one plan, each knowing the other's endpoint.
struct Pair {
  explicit Pair(WorkerMetrics* metrics0 = nullptr) {
    ZmqTransportOptions o0 = Options(0);
    o0.metrics = metrics0;
    a = Make(o0);
    ZmqTransportOptions o1 = Options(1);
    o1.peer_endpoints = {a->endpoint(), ""};
    b = Make(o1);
    EXPECT_TRUE(a->SetPeerEndpoint(1, b->endpoint()).ok());
  }
  std::unique_ptr<ZmqTransport> a, b;
};

std::vector<float> Values(size_t n, float scale) {
  std::vector<float> v(n);
  for (size_t i = 0; i < n; ++i) v[i] = scale * (static_cast<float>(i) - 7.3f) / 3.0f;
  return v;
}

Message Activations(uint32_t from, uint32_t to, uint64_t step, const std::vector<float>& v,
                    uint32_t rows, wire::DType dtype) {
  Message m;
  m.header.type = wire::MsgType::kActivations;
  m.header.plan_hash = kPlan;
  m.header.source = from;
  m.header.destination = to;
  m.header.step = step;
  m.header.layer = 2;
  m.header.micro_batch = 1;
  EXPECT_TRUE(wire::SetTensorShape(rows, v.size() / rows, dtype, &m.header).ok());
  m.payload = wire::EncodeValues(v.data(), v.size(), dtype);
  return m;
}

Message ReceiveOrFail(ZmqTransport& t, milliseconds timeout = milliseconds(5000)) {
  StatusOr<std::optional<Message>> m = t.Receive(timeout);
  EXPECT_TRUE(m.ok()) << m.status().ToString();
  EXPECT_TRUE(m.ok() && m->has_value()) << "nothing received within " << timeout.count() << " ms";
  return m.ok() && m->has_value() ? std::move(**m) : Message{};
}

// Receives until `total` drops were counted or 5 s passed; returns what was delivered meanwhile.
int DrainUntilDropped(ZmqTransport& t, int64_t total) {
  int delivered = 0;
  const auto deadline = Clock::now() + milliseconds(5000);
  while (t.dropped_total() < total && Clock::now() < deadline) {
    StatusOr<std::optional<Message>> m = t.Receive(milliseconds(100));
    EXPECT_TRUE(m.ok()) << m.status().ToString();
    if (m.ok() && m->has_value()) ++delivered;
  }
  return delivered;
}

void ExpectExchange(wire::DType dtype) {
  Pair p;
  const std::vector<float> v = Values(3 * 5, 1.5f);
  ASSERT_TRUE(p.b->Send(Activations(1, 0, 4, v, 3, dtype)).ok());
  ASSERT_TRUE(p.a->Send(Activations(0, 1, 4, v, 5, dtype)).ok());
  for (auto [receiver, from, rows] : {std::tuple{p.a.get(), 1u, 3u}, {p.b.get(), 0u, 5u}}) {
    Message m = ReceiveOrFail(*receiver);
    EXPECT_EQ(m.header.type, wire::MsgType::kActivations);
    EXPECT_EQ(m.header.source, from);
    EXPECT_EQ(m.header.step, 4u);
    EXPECT_EQ(m.header.layer, 2u);
    EXPECT_EQ(m.header.micro_batch, 1u);
    EXPECT_EQ(m.header.dtype, dtype);
    EXPECT_EQ(m.header.rows, rows);
    std::vector<float> got(v.size());
    ASSERT_TRUE(wire::DecodeValues(m.payload, dtype, got.data(), got.size()).ok());
    std::vector<float> want(v.size());
    const std::string wire_bytes = wire::EncodeValues(v.data(), v.size(), dtype);
    ASSERT_TRUE(wire::DecodeValues(wire_bytes, dtype, want.data(), want.size()).ok());
    EXPECT_EQ(got, want);  // exactly what the codec produces: the transport changes no byte
    EXPECT_TRUE(receiver->greeted(from));
  }
}

TEST(ZmqTransport, ExchangesFp32ActivationsBothWays) { ExpectExchange(wire::DType::kF32); }
TEST(ZmqTransport, ExchangesBf16ActivationsBothWays) { ExpectExchange(wire::DType::kBF16); }
TEST(ZmqTransport, ExchangesFp16ActivationsBothWays) { ExpectExchange(wire::DType::kF16); }

TEST(ZmqTransport, Fp32PayloadArrivesBitExact) {
  Pair p;
  const std::vector<float> v = Values(1 << 16, 0.001f);  // 256 KiB payload
  ASSERT_TRUE(p.b->Send(Activations(1, 0, 0, v, 1 << 8, wire::DType::kF32)).ok());
  Message m = ReceiveOrFail(*p.a);
  EXPECT_EQ(m.payload, wire::EncodeValues(v.data(), v.size(), wire::DType::kF32));
}

TEST(ZmqTransport, MessagesOfOneLinkArriveInOrder) {
  Pair p;
  const std::vector<float> v = Values(4, 1);
  for (uint64_t s = 0; s < 20; ++s) {
    ASSERT_TRUE(p.b->Send(Activations(1, 0, s, v, 1, wire::DType::kF32)).ok());
  }
  for (uint64_t s = 0; s < 20; ++s) EXPECT_EQ(ReceiveOrFail(*p.a).header.step, s);
}

TEST(ZmqTransport, HelloIsConsumedNotDelivered) {
  Pair p;
  ASSERT_TRUE(p.b->Send(Activations(1, 0, 0, Values(2, 1), 1, wire::DType::kF32)).ok());
  EXPECT_EQ(ReceiveOrFail(*p.a).header.type, wire::MsgType::kActivations);
  StatusOr<std::optional<Message>> none = p.a->Receive(milliseconds(200));
  ASSERT_TRUE(none.ok());
  EXPECT_FALSE(none->has_value());
  EXPECT_EQ(p.a->dropped_total(), 0);
}

TEST(ZmqTransport, RemembersWhichPeersAborted) {
  Pair p;
  EXPECT_FALSE(p.a->aborted(1));
  ASSERT_TRUE(p.b->Send(Activations(1, 0, 0, Values(2, 1), 1, wire::DType::kF32)).ok());
  ReceiveOrFail(*p.a);
  EXPECT_FALSE(p.a->aborted(1)) << "a peer's ordinary message is no abort";
  Message abort;
  abort.header.type = wire::MsgType::kAbort;
  abort.header.plan_hash = kPlan;
  abort.header.source = 1;
  abort.header.destination = 0;
  abort.payload = wire::EncodeAbort({static_cast<uint32_t>(StatusCode::kCancelled), "stopped"});
  abort.header.payload_length = abort.payload.size();
  ASSERT_TRUE(p.b->Send(std::move(abort)).ok());
  EXPECT_EQ(ReceiveOrFail(*p.a).header.type, wire::MsgType::kAbort);
  EXPECT_TRUE(p.a->aborted(1));
  EXPECT_FALSE(p.b->aborted(0));
  EXPECT_FALSE(p.a->aborted(7)) << "out of range";
}

TEST(ZmqTransport, MessageToSelfIsDeliveredLocally) {
  auto a = Make(Options(0));
  ASSERT_TRUE(a->Send(Activations(0, 0, 3, Values(2, 1), 1, wire::DType::kF32)).ok());
  EXPECT_EQ(ReceiveOrFail(*a, milliseconds(0)).header.step, 3u);
}

TEST(ZmqTransport, SendRejectsHeadersThatAreNotThisPartitions) {
  Pair p;
  const std::vector<float> v = Values(2, 1);
  Message wrong_source = Activations(0, 0, 0, v, 1, wire::DType::kF32);
  EXPECT_EQ(p.b->Send(wrong_source).code(), StatusCode::kInvalidArgument);
  Message wrong_plan = Activations(1, 0, 0, v, 1, wire::DType::kF32);
  wrong_plan.header.plan_hash ^= 1;
  EXPECT_EQ(p.b->Send(wrong_plan).code(), StatusCode::kInvalidArgument);
  Message no_such_partition = Activations(1, 2, 0, v, 1, wire::DType::kF32);
  EXPECT_EQ(p.b->Send(no_such_partition).code(), StatusCode::kInvalidArgument);
  Message short_payload = Activations(1, 0, 0, v, 1, wire::DType::kF32);
  short_payload.payload.pop_back();
  EXPECT_EQ(p.b->Send(short_payload).code(), StatusCode::kInvalidArgument);
}

TEST(ZmqTransport, CreateRejectsInconsistentOptions) {
  ZmqTransportOptions o = Options(2, 2);
  EXPECT_EQ(ZmqTransport::Create(o).status().code(), StatusCode::kInvalidArgument);
  o = Options(0, 2);
  o.peer_endpoints = {"", "", ""};
  EXPECT_EQ(ZmqTransport::Create(o).status().code(), StatusCode::kInvalidArgument);
}

TEST(ZmqTransport, EndpointInUseIsUnavailable) {
  auto a = Make(Options(0));
  ZmqTransportOptions o = Options(1);
  o.listen_endpoint = a->endpoint();
  EXPECT_EQ(ZmqTransport::Create(o).status().code(), StatusCode::kUnavailable);
}

TEST(ZmqTransport, HostileMessagesAreDroppedByReasonAndTheNextGoodOneArrives) {
  StatusOr<std::unique_ptr<WorkerMetrics>> metrics = WorkerMetrics::Create({});
  ASSERT_TRUE(metrics.ok());
  Pair p(metrics->get());
  p.a->SetMinStep(5);
  {
    auto hostile = RawPeer::Connect(p.a->endpoint(), milliseconds(2000));
    ASSERT_TRUE(hostile.ok()) << hostile.status().ToString();
    const AttackTarget target{kPlan, 0, 2, 1, 5, 4};
    for (Attack a : kAllAttacks) ASSERT_TRUE((*hostile)->SendFrames(AttackFrames(a, target)).ok());
  }  // closed: its linger flushes the frames
  ASSERT_TRUE(p.b->Send(Activations(1, 0, 5, Values(4, 1), 2, wire::DType::kF32)).ok());
  Message good = ReceiveOrFail(*p.a);
  EXPECT_EQ(good.header.step, 5u);
  EXPECT_EQ(good.header.source, 1u);

  const int64_t attacks = std::size(kAllAttacks);
  EXPECT_EQ(DrainUntilDropped(*p.a, attacks), 0);
  std::map<DropReason, int64_t> want;
  for (Attack a : kAllAttacks) ++want[ExpectedDrop(a)];
  for (size_t r = 0; r < wire::kDropReasonCount; ++r) {
    const auto reason = static_cast<DropReason>(r);
    EXPECT_EQ(p.a->dropped(reason), want[reason]) << wire::DropReasonName(reason);
    EXPECT_EQ((*metrics)->dropped(reason), want[reason]) << wire::DropReasonName(reason);
  }
  EXPECT_EQ(p.a->dropped_total(), attacks);
  EXPECT_FALSE(p.a->last_drop().ok());

  // The link still works after the attacks.
  ASSERT_TRUE(p.b->Send(Activations(1, 0, 6, Values(4, 1), 2, wire::DType::kF32)).ok());
  EXPECT_EQ(ReceiveOrFail(*p.a).header.step, 6u);
}

TEST(ZmqTransport, MessageWithExtraFramesIsDroppedAsMalformed) {
  auto a = Make(Options(0));
  auto raw = RawPeer::Connect(a->endpoint(), milliseconds(2000));
  ASSERT_TRUE(raw.ok());
  std::vector<std::string> frames = AttackFrames(Attack::kNoHello, {kPlan, 0, 2, 1, 0, 0});
  for (int i = 0; i < 100; ++i) frames.push_back("extra");
  ASSERT_TRUE((*raw)->SendFrames(frames).ok());
  EXPECT_EQ(DrainUntilDropped(*a, 1), 0);
  EXPECT_EQ(a->dropped(DropReason::kMalformed), 1);
}

TEST(ZmqTransport, FrameOverMaxMsgSizeNeverReachesTheReceiver) {
  ZmqTransportOptions o = Options(0);
  o.max_payload_bytes = 1024;  // ZMQ_MAXMSGSIZE = 64 + 1024: ZeroMQ cuts the sender off
  auto a = Make(o);
  auto raw = RawPeer::Connect(a->endpoint(), milliseconds(500));
  ASSERT_TRUE(raw.ok());
  ASSERT_TRUE((*raw)->SendFrames({std::string(64, 'x'), std::string(1 << 20, 'y')}).ok());
  StatusOr<std::optional<Message>> m = a->Receive(milliseconds(500));
  ASSERT_TRUE(m.ok()) << m.status().ToString();
  EXPECT_FALSE(m->has_value());
}

TEST(ZmqTransport, SilentPeerMakesReceiveReturnNothingAfterTheTimeout) {
  Pair p;
  const auto start = Clock::now();
  StatusOr<std::optional<Message>> m = p.a->Receive(milliseconds(300));
  const auto waited = std::chrono::duration_cast<milliseconds>(Clock::now() - start);
  ASSERT_TRUE(m.ok()) << m.status().ToString();
  EXPECT_FALSE(m->has_value());
  EXPECT_GE(waited.count(), 300);
  EXPECT_LT(waited.count(), 1300);
}

TEST(ZmqTransport, FloodOfDroppedMessagesDoesNotExtendTheWait) {
  auto a = Make(Options(0));
  auto raw = RawPeer::Connect(a->endpoint(), milliseconds(0));
  ASSERT_TRUE(raw.ok());
  std::atomic<bool> stop{false};
  std::thread flood([&] {
    while (!stop) (void)(*raw)->SendFrames({"garbage"});
  });
  const auto start = Clock::now();
  StatusOr<std::optional<Message>> m = a->Receive(milliseconds(300));
  const auto waited = std::chrono::duration_cast<milliseconds>(Clock::now() - start);
  stop = true;
  flood.join();
  ASSERT_TRUE(m.ok());
  EXPECT_FALSE(m->has_value());
  EXPECT_LT(waited.count(), 1300);
  EXPECT_GT(a->dropped(DropReason::kMalformed), 0);
}

// Partition 0 with `send_timeout`, whose peer 1's endpoint is no longer listening.
std::unique_ptr<ZmqTransport> TransportToAGonePeer(milliseconds send_timeout) {
  std::string nobody;
  {
    auto gone = Make(Options(1));
    nobody = gone->endpoint();
  }
  ZmqTransportOptions o = Options(0);
  o.send_timeout = send_timeout;
  o.peer_endpoints = {"", nobody};
  return Make(o);
}

TEST(ZmqTransport, SendToAPeerThatIsNotListeningFailsAfterTheSendTimeout) {
  auto a = TransportToAGonePeer(milliseconds(300));
  const auto start = Clock::now();
  Status sent = a->Send(Activations(0, 1, 0, Values(2, 1), 1, wire::DType::kF32));
  const auto waited = std::chrono::duration_cast<milliseconds>(Clock::now() - start);
  EXPECT_EQ(sent.code(), StatusCode::kUnavailable) << sent.ToString();
  EXPECT_NE(sent.message().find("partition 1"), std::string::npos) << sent.ToString();
  EXPECT_LT(waited.count(), 1300);
}

TEST(ZmqTransport, SendNowToAPeerThatIsGoneFailsWithoutWaiting) {
  auto a = TransportToAGonePeer(milliseconds(5000));
  const auto start = Clock::now();
  Status sent = a->SendNow(Activations(0, 1, 0, Values(2, 1), 1, wire::DType::kF32));
  const auto waited = std::chrono::duration_cast<milliseconds>(Clock::now() - start);
  EXPECT_EQ(sent.code(), StatusCode::kUnavailable) << sent.ToString();
  EXPECT_NE(sent.message().find("at once"), std::string::npos) << sent.ToString();
  EXPECT_LT(waited.count(), 1000) << "the send timeout is 5 s";
}

TEST(ZmqTransport, SendNowToAConnectedPeerArrives) {
  Pair p;
  ASSERT_TRUE(p.b->Send(Activations(1, 0, 0, Values(2, 1), 1, wire::DType::kF32)).ok());
  ReceiveOrFail(*p.a);  // b's link to a is up
  ASSERT_TRUE(p.b->SendNow(Activations(1, 0, 5, Values(2, 1), 1, wire::DType::kF32)).ok());
  EXPECT_EQ(ReceiveOrFail(*p.a).header.step, 5u);
}

TEST(ZmqTransport, PeerWithoutEndpointIsUnavailable) {
  auto a = Make(Options(0));
  EXPECT_EQ(a->Send(Activations(0, 1, 0, Values(2, 1), 1, wire::DType::kF32)).code(),
            StatusCode::kUnavailable);
}

TEST(ZmqTransport, FullQueueFailsTheSendAndCloseWithUnsentMessagesIsBounded) {
  ZmqTransportOptions o0 = Options(0);
  o0.high_water_mark = 4;
  o0.send_timeout = milliseconds(200);
  auto a = Make(o0);
  ZmqTransportOptions o1 = Options(1);
  o1.high_water_mark = 4;
  o1.peer_endpoints = {a->endpoint(), ""};
  auto b = Make(o1);  // never receives
  ASSERT_TRUE(a->SetPeerEndpoint(1, b->endpoint()).ok());
  const std::vector<float> v = Values(1 << 18, 1);  // 1 MiB
  Status sent;
  int accepted = 0;
  for (; accepted < 500 && sent.ok(); ++accepted) {
    sent = a->Send(Activations(0, 1, 0, v, 1 << 8, wire::DType::kF32));
  }
  EXPECT_EQ(sent.code(), StatusCode::kUnavailable) << "accepted " << accepted << " MiB";
  const auto start = Clock::now();
  a.reset();  // messages are still queued for b
  const auto waited = std::chrono::duration_cast<milliseconds>(Clock::now() - start);
  EXPECT_LT(waited.count(), 2000);
}

TEST(ZmqTransport, ClientRequestIsAnsweredOnItsOwnLink) {
  auto a = Make(Options(0));
  auto client = RawPeer::Connect(a->endpoint(), milliseconds(500));
  ASSERT_TRUE(client.ok());
  Message request = Activations(kClientSource, 0, 42, Values(3, 1), 1, wire::DType::kF32);
  request.header.type = wire::MsgType::kInferRequest;
  request.header.phase = wire::Phase::kServe;
  ASSERT_TRUE((*client)->SendFrames(MessageFrames(request)).ok());
  Message got = ReceiveOrFail(*a);
  ASSERT_EQ(got.header.type, wire::MsgType::kInferRequest);
  EXPECT_EQ(got.header.source, kClientSource);
  EXPECT_EQ(got.header.step, 42u);
  EXPECT_EQ(got.payload, request.payload);

  Message reply;
  reply.header.type = wire::MsgType::kInferResponse;
  reply.header.phase = wire::Phase::kServe;
  const std::vector<float> out = {0.25f, 0.75f};
  ASSERT_TRUE(wire::SetTensorShape(1, 2, wire::DType::kF32, &reply.header).ok());
  reply.payload = wire::EncodeValues(out.data(), out.size(), wire::DType::kF32);
  ASSERT_TRUE(a->SendReply(got.header, reply).ok());
  auto frames = (*client)->ReceiveFrames(milliseconds(5000));
  ASSERT_TRUE(frames.ok() && frames->has_value());
  ASSERT_EQ((*frames)->size(), 2u);
  StatusOr<wire::MessageHeader> h = wire::DecodeHeader((**frames)[0], {});
  ASSERT_TRUE(h.ok()) << h.status().ToString();
  EXPECT_EQ(h->type, wire::MsgType::kInferResponse);
  EXPECT_EQ(h->step, 42u);
  EXPECT_EQ(h->source, 0u);
  EXPECT_EQ(h->destination, kClientSource);
  EXPECT_EQ(h->plan_hash, kPlan);
  EXPECT_EQ((**frames)[1], reply.payload);
  // A request is answered once.
  EXPECT_EQ(a->SendReply(got.header, reply).code(), StatusCode::kNotFound);
}

TEST(ZmqTransport, MetricsCountSentAndReceivedMessagesPerPeer) {
  StatusOr<std::unique_ptr<WorkerMetrics>> metrics = WorkerMetrics::Create({});
  ASSERT_TRUE(metrics.ok());
  Pair p(metrics->get());
  ASSERT_TRUE(p.a->Send(Activations(0, 1, 0, Values(4, 1), 1, wire::DType::kF32)).ok());
  ASSERT_TRUE(p.b->Send(Activations(1, 0, 0, Values(8, 1), 1, wire::DType::kF32)).ok());
  ReceiveOrFail(*p.a);
  EXPECT_EQ((*metrics)->messages_sent(1), 2);  // HELLO + ACTIVATIONS
  EXPECT_EQ((*metrics)->bytes_sent(1), 64 + 28 + 64 + 16);
  EXPECT_EQ((*metrics)->messages_received(1), 2);
  EXPECT_EQ((*metrics)->bytes_received(1), 64 + 28 + 64 + 32);
}

TEST(ZmqTransport, MetricsExpositionShowsTheDropCounters) {
  StatusOr<std::unique_ptr<WorkerMetrics>> metrics = WorkerMetrics::Create({});
  ASSERT_TRUE(metrics.ok()) << metrics.status().ToString();
  ZmqTransportOptions o = Options(0);
  o.metrics = metrics->get();
  auto a = Make(o);
  {
    auto hostile = RawPeer::Connect(a->endpoint(), milliseconds(2000));
    ASSERT_TRUE(hostile.ok());
    const AttackTarget target{kPlan, 0, 2, 1, 0, 0};
    ASSERT_TRUE((*hostile)->SendFrames(AttackFrames(Attack::kForeignPlan, target)).ok());
    ASSERT_TRUE((*hostile)->SendFrames(AttackFrames(Attack::kGarbage, target)).ok());
    ASSERT_TRUE((*hostile)->SendFrames(AttackFrames(Attack::kGarbage, target)).ok());
  }
  DrainUntilDropped(*a, 3);
  const std::string body = (*metrics)->Render();
  EXPECT_NE(body.find(
                "neuropart_messages_dropped_total{partition=\"0\",reason=\"foreign_plan\"} 1\n"),
            std::string::npos)
      << body;
  EXPECT_NE(
      body.find("neuropart_messages_dropped_total{partition=\"0\",reason=\"malformed\"} 2\n"),
      std::string::npos)
      << body;
  EXPECT_NE(body.find("neuropart_messages_dropped_total{partition=\"0\",reason=\"stale\"} 0\n"),
            std::string::npos)
      << body;
}

}  // namespace
}  // namespace neuropart::worker
