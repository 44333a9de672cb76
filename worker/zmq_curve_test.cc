// ZmqTransport with CURVE: only the job's keys get a connection, and each partition's key speaks
// only for that partition.
#include <gtest/gtest.h>

#include <chrono>
#include <filesystem>
#include <thread>

#include "job_keys.h"
#include "neuropart/wire/values.h"
#include "zmq_transport.h"

namespace neuropart::worker {
namespace {

namespace fs = std::filesystem;
using std::chrono::milliseconds;
using Clock = std::chrono::steady_clock;

constexpr uint64_t kPlan = 0x0123456789abcdefull;
constexpr uint32_t kPartitions = 3;

// A job's key directory under the test's temporary directory.
class Keys {
 public:
  explicit Keys(const std::string& name)
      : dir_(fs::temp_directory_path() / ("zmq_curve_test_" + std::to_string(::getpid()) + "_" +
                                          name)) {
    fs::remove_all(dir_);
    fs::create_directories(dir_);
    EXPECT_TRUE(WriteJobKeys(path(), kPartitions).ok());
  }
  ~Keys() { fs::remove_all(dir_); }
  std::string path() const { return (dir_ / "keys").string(); }
  JobKeys Of(const std::string& owner) const {
    StatusOr<JobKeys> k = ReadJobKeys(path(), kPartitions, owner);
    EXPECT_TRUE(k.ok()) << k.status().ToString();
    return k.ok() ? *k : JobKeys{};
  }

 private:
  fs::path dir_;
};

ZmqTransportOptions Options(uint32_t self, std::optional<JobKeys> keys) {
  ZmqTransportOptions o;
  o.self = self;
  o.num_partitions = kPartitions;
  o.plan_hash = kPlan;
  o.heartbeat_interval = milliseconds(200);
  o.heartbeat_timeout = milliseconds(2000);
  o.linger = milliseconds(100);
  o.send_timeout = milliseconds(1000);
  o.keys = std::move(keys);
  return o;
}

std::unique_ptr<ZmqTransport> Make(const ZmqTransportOptions& o) {
  StatusOr<std::unique_ptr<ZmqTransport>> t = ZmqTransport::Create(o);
  EXPECT_TRUE(t.ok()) << t.status().ToString();
  return t.ok() ? std::move(t).value() : nullptr;
}

Message Activations(uint32_t from, uint32_t to, uint64_t step) {
  Message m;
  m.header.type = wire::MsgType::kActivations;
  m.header.plan_hash = kPlan;
  m.header.source = from;
  m.header.destination = to;
  m.header.step = step;
  const float v[4] = {1.5f, -2.0f, 3.25f, 0.0f};
  EXPECT_TRUE(wire::SetTensorShape(2, 2, wire::DType::kF32, &m.header).ok());
  m.payload = wire::EncodeValues(v, 4, wire::DType::kF32);
  return m;
}

// Partition 0 of the job, and a sender connected to it with `sender` options.
struct Link {
  Link(const Keys& job, ZmqTransportOptions sender) {
    receiver = Make(Options(0, job.Of("partition-0")));
    sender.peer_endpoints.assign(kPartitions, "");
    sender.peer_endpoints[0] = receiver->endpoint();
    this->sender = Make(sender);
  }
  // Receives for up to `wait`; what arrived, if anything.
  std::optional<Message> Receive(milliseconds wait) {
    StatusOr<std::optional<Message>> m = receiver->Receive(wait);
    EXPECT_TRUE(m.ok()) << m.status().ToString();
    return m.ok() ? *m : std::nullopt;
  }
  std::unique_ptr<ZmqTransport> receiver, sender;
};

int64_t WaitForRefusals(ZmqTransport& t, int64_t at_least) {
  const auto deadline = Clock::now() + milliseconds(5000);
  while (t.handshakes_refused() < at_least && Clock::now() < deadline) {
    std::this_thread::sleep_for(milliseconds(20));
  }
  return t.handshakes_refused();
}

TEST(CurveTransport, PartitionsOfTheJobExchangeMessages) {
  Keys job("exchange");
  Link link(job, Options(1, job.Of("partition-1")));
  ASSERT_TRUE(link.sender->Send(Activations(1, 0, 0)).ok());
  std::optional<Message> m = link.Receive(milliseconds(5000));
  ASSERT_TRUE(m.has_value()) << link.receiver->last_drop().ToString();
  EXPECT_EQ(m->header.source, 1u);
  EXPECT_EQ(m->payload, Activations(1, 0, 0).payload);
  EXPECT_EQ(link.receiver->handshakes_refused(), 0);
}

TEST(CurveTransport, PeerWithAnotherJobsKeyIsRefusedBeforeAnyMessageAndCounted) {
  Keys job("job"), other("other");
  StatusOr<std::unique_ptr<WorkerMetrics>> metrics = WorkerMetrics::Create({});
  ASSERT_TRUE(metrics.ok());
  JobKeys stranger = other.Of("partition-1");
  stranger.partition_public_keys = job.Of("partition-1").partition_public_keys;  // knows ours
  Link link(job, Options(1, stranger));
  link.receiver.reset();
  ZmqTransportOptions o = Options(0, job.Of("partition-0"));
  o.metrics = metrics->get();
  link.receiver = Make(o);
  ASSERT_TRUE(link.sender->SetPeerEndpoint(0, link.receiver->endpoint()).ok());
  EXPECT_FALSE(link.sender->Send(Activations(1, 0, 0)).ok());  // never connected
  EXPECT_FALSE(link.Receive(milliseconds(300)).has_value());
  EXPECT_GE(WaitForRefusals(*link.receiver, 1), 1);
  EXPECT_EQ(link.receiver->dropped_total(), 0);  // refused before any message was decoded
  EXPECT_FALSE(link.receiver->greeted(1));
  EXPECT_GE((*metrics)->handshakes_refused(), 1);
  EXPECT_NE((*metrics)->Render().find("neuropart_handshakes_refused_total{partition=\"0\"} "),
            std::string::npos);
}

TEST(CurveTransport, PlainPeerIsRefusedAndCounted) {
  Keys job("plain");
  Link link(job, Options(1, std::nullopt));
  EXPECT_FALSE(link.sender->Send(Activations(1, 0, 0)).ok());
  EXPECT_FALSE(link.Receive(milliseconds(300)).has_value());
  EXPECT_GE(WaitForRefusals(*link.receiver, 1), 1);
  EXPECT_EQ(link.receiver->dropped_total(), 0);
}

TEST(CurveTransport, PartitionKeyCannotSpeakForAnotherPartition) {
  Keys job("impersonate");
  // A real member of the job (partition 2's key) claiming to be partition 1.
  Link link(job, Options(1, job.Of("partition-2")));
  ASSERT_TRUE(link.sender->Send(Activations(1, 0, 0)).ok());
  EXPECT_FALSE(link.Receive(milliseconds(500)).has_value());
  // Its HELLO, then the message itself.
  EXPECT_EQ(link.receiver->dropped(wire::DropReason::kUnknownSource), 2);
  EXPECT_EQ(link.receiver->last_drop().message(),
            "ACTIVATIONS from partition 1: came with partition-2's key");
  EXPECT_FALSE(link.receiver->greeted(1));
}

TEST(CurveTransport, CurveServerNeedsTheJobsKeysForEveryPartition) {
  Keys job("count");
  ZmqTransportOptions o = Options(0, job.Of("partition-0"));
  o.keys->partition_public_keys.pop_back();
  StatusOr<std::unique_ptr<ZmqTransport>> t = ZmqTransport::Create(o);
  EXPECT_EQ(t.status().message(), "transport: 2 partition keys for 3 partitions");
}

}  // namespace
}  // namespace neuropart::worker
