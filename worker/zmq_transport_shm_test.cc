// ZmqTransport with shared-memory rings (shm_links.h) beside its sockets.
#include <gtest/gtest.h>

#include <chrono>
#include <map>
#include <set>
#include <thread>

#include "neuropart/wire/codec.h"
#include "shm_links.h"
#include "shm_ring.h"
#include "zmq_transport.h"

namespace neuropart::worker {
namespace {

using std::chrono::milliseconds;
using Clock = std::chrono::steady_clock;

constexpr uint64_t kPlan = 0x0123456789abcdefull;

Message Activations(uint32_t from, uint32_t to, uint64_t step, size_t bytes) {
  Message m;
  m.header.type = wire::MsgType::kActivations;
  m.header.plan_hash = kPlan;
  m.header.source = from;
  m.header.destination = to;
  m.header.step = step;
  m.header.layer = 1;
  EXPECT_TRUE(wire::SetTensorShape(1, bytes / 4, wire::DType::kF32, &m.header).ok());
  m.payload.assign(bytes, static_cast<char>('a' + step % 26));
  return m;
}

// Partitions 0 and 1 over TCP sockets with rings of `ring_bytes` between them.
struct ShmPair {
  explicit ShmPair(size_t ring_bytes = 64 << 10) : set(ShmLinkSet::Create(2, ring_bytes)) {
    EXPECT_TRUE(set.ok()) << set.status().message();
    for (uint32_t q = 0; q < 2; ++q) {
      ZmqTransportOptions o;
      o.self = q;
      o.num_partitions = 2;
      o.plan_hash = kPlan;
      o.listen_endpoint = "tcp://127.0.0.1:*";
      o.linger = milliseconds(200);
      o.send_timeout = milliseconds(3000);
      o.shm = set->For(static_cast<int>(q));
      StatusOr<std::unique_ptr<ZmqTransport>> t = ZmqTransport::Create(o);
      EXPECT_TRUE(t.ok()) << t.status().message();
      t_[q] = std::move(t).value();
    }
    EXPECT_TRUE(t_[0]->SetPeerEndpoint(1, t_[1]->endpoint()).ok());
    EXPECT_TRUE(t_[1]->SetPeerEndpoint(0, t_[0]->endpoint()).ok());
  }
  ZmqTransport& operator[](int q) { return *t_[q]; }
  StatusOr<ShmLinkSet> set;
  std::unique_ptr<ZmqTransport> t_[2];
};

Message ReceiveOrFail(ZmqTransport& t, milliseconds timeout = milliseconds(5000)) {
  StatusOr<std::optional<Message>> m = t.Receive(timeout);
  EXPECT_TRUE(m.ok()) << m.status().ToString();
  EXPECT_TRUE(m.ok() && m->has_value()) << "nothing received within " << timeout.count() << " ms";
  return m.ok() && m->has_value() ? std::move(**m) : Message{};
}

TEST(ZmqTransportShmTest, MessagesThatFitGoThroughTheRingUnchanged) {
  ShmPair p;
  const Message sent = Activations(0, 1, 3, 4000);
  ASSERT_TRUE(p[0].Send(sent).ok());
  const Message got = ReceiveOrFail(p[1]);
  EXPECT_EQ(p[0].shm_messages_sent(), 1);
  EXPECT_EQ(got.header.source, 0u);
  EXPECT_EQ(got.header.step, 3u);
  EXPECT_EQ(got.payload, sent.payload);
  EXPECT_FALSE(p[1].greeted(0)) << "no HELLO: the ring's producer is known";
}

TEST(ZmqTransportShmTest, AMessageTooBigForTheRingGoesOverTheSocket) {
  ShmPair p(64 << 10);
  ASSERT_TRUE(p[0].Send(Activations(0, 1, 1, 40000)).ok());  // over half the ring
  ASSERT_TRUE(p[0].Send(Activations(0, 1, 2, 400)).ok());
  EXPECT_EQ(p[0].shm_messages_sent(), 1);
  std::map<uint64_t, size_t> got;
  for (int i = 0; i < 2; ++i) {
    const Message m = ReceiveOrFail(p[1]);
    got[m.header.step] = m.payload.size();
  }
  EXPECT_EQ(got, (std::map<uint64_t, size_t>{{1, 40000}, {2, 400}}));
  EXPECT_TRUE(p[1].greeted(0)) << "the socket's message came after a HELLO";
}

TEST(ZmqTransportShmTest, AFullRingSpillsToTheSocketAndNothingIsLost) {
  ShmPair p(64 << 10);
  for (uint64_t step = 0; step < 40; ++step) {
    ASSERT_TRUE(p[0].Send(Activations(0, 1, step, 8000)).ok());
  }
  EXPECT_GT(p[0].shm_messages_sent(), 0);
  EXPECT_LT(p[0].shm_messages_sent(), 40);
  std::set<uint64_t> steps;
  for (int i = 0; i < 40; ++i) steps.insert(ReceiveOrFail(p[1]).header.step);
  EXPECT_EQ(steps.size(), 40u);
}

TEST(ZmqTransportShmTest, ASleepingReceiverWakesForARingRecord) {
  ShmPair p;
  std::thread sender([&p] {
    std::this_thread::sleep_for(milliseconds(200));
    EXPECT_TRUE(p[0].Send(Activations(0, 1, 7, 64)).ok());
  });
  const auto start = Clock::now();
  const Message m = ReceiveOrFail(p[1], milliseconds(5000));
  const auto waited = Clock::now() - start;
  sender.join();
  EXPECT_EQ(m.header.step, 7u);
  EXPECT_LT(waited, milliseconds(2000)) << "woken by the doorbell, not by the timeout";
}

TEST(ZmqTransportShmTest, ManyMessagesBothWaysArriveWithoutALostWakeUp) {
  ShmPair p;
  constexpr int kRounds = 3000;
  // Ping-pong: each side waits for the other's message before sending its next, so one lost
  // wake-up stalls the exchange until the receive timeout.
  std::thread pong([&p] {
    for (int i = 0; i < kRounds; ++i) {
      StatusOr<std::optional<Message>> m = p[1].Receive(milliseconds(2000));
      ASSERT_TRUE(m.ok() && m->has_value()) << "round " << i;
      ASSERT_TRUE(p[1].Send(Activations(1, 0, i, 256)).ok());
    }
  });
  for (int i = 0; i < kRounds; ++i) {
    ASSERT_TRUE(p[0].Send(Activations(0, 1, i, 256)).ok());
    StatusOr<std::optional<Message>> m = p[0].Receive(milliseconds(2000));
    ASSERT_TRUE(m.ok() && m->has_value()) << "round " << i;
    EXPECT_EQ((*m)->header.step, static_cast<uint64_t>(i));
  }
  pong.join();
  EXPECT_EQ(p[0].shm_messages_sent(), kRounds);
}

TEST(ZmqTransportShmTest, ARingRecordThatClaimsAnotherSourceOrAnOldStepIsDropped) {
  StatusOr<ShmLinkSet> set = ShmLinkSet::Create(3, 64 << 10);
  ASSERT_TRUE(set.ok());
  ZmqTransportOptions o;
  o.self = 0;
  o.num_partitions = 3;
  o.plan_hash = kPlan;
  o.shm = set->For(0);
  StatusOr<std::unique_ptr<ZmqTransport>> t = ZmqTransport::Create(o);
  ASSERT_TRUE(t.ok()) << t.status().message();
  (*t)->SetMinStep(5);
  // Partition 1's ring to 0, written as 1 would, with a forged source and a stale step.
  StatusOr<ShmRing> from1 = ShmRing::Map(set->For(1).outbound[0]);
  ASSERT_TRUE(from1.ok());
  auto push = [&](const Message& m) {
    char header[wire::kHeaderBytes];
    wire::EncodeHeaderTo(m.header, header);
    ASSERT_TRUE(from1->TryPush(std::string_view(header, sizeof(header)), m.payload));
    RingDoorbell(set->For(1).peer_bells[0]);
  };
  push(Activations(2, 0, 6, 64));  // says it is partition 2
  push(Activations(1, 0, 4, 64));  // below the floor
  push(Activations(1, 0, 6, 64));
  const Message m = ReceiveOrFail(**t);
  EXPECT_EQ(m.header.source, 1u);
  EXPECT_EQ(m.header.step, 6u);
  EXPECT_EQ((*t)->dropped(wire::DropReason::kUnknownSource), 1);
  EXPECT_EQ((*t)->dropped(wire::DropReason::kStale), 1);
}

}  // namespace
}  // namespace neuropart::worker
