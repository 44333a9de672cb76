#include "zmq_transport.h"

#include <array>
#include <atomic>
#include <cerrno>
#include <deque>
#include <exception>
#include <random>
#include <span>
#include <string_view>
#include <utility>

#include "neuropart/wire/payloads.h"
#include "shm_ring.h"
#include "zmq_socket.h"

namespace neuropart::worker {
namespace {

using Clock = std::chrono::steady_clock;
using std::chrono::milliseconds;

// Routing id, header and one payload frame; one more is kept so that "too many" is visible.
constexpr size_t kMaxKeptFrames = 4;

// The socket settings of every link, from the transport's options. `server_key` is the public key
// of the ROUTER a DEALER connects to (empty for the ROUTER itself).
ZmqSocketOptions SocketOptions(const ZmqTransportOptions& o, const std::string& server_key = {}) {
  ZmqSocketOptions s;
  if (o.keys) s.curve = CurveOptions{o.keys->own, server_key};
  s.max_frame_bytes = wire::kHeaderBytes + o.max_payload_bytes;
  s.linger = o.linger;
  s.heartbeat_interval = o.heartbeat_interval;
  s.heartbeat_timeout = o.heartbeat_timeout;
  s.connect_timeout = o.connect_timeout;
  s.reconnect_interval = o.reconnect_interval;
  s.reconnect_interval_max = o.reconnect_interval_max;
  s.send_timeout = o.send_timeout;
  s.high_water_mark = o.high_water_mark;
  return s;
}

Status CheckOptions(const ZmqTransportOptions& o) {
  if (o.num_partitions == 0 || o.self >= o.num_partitions) {
    return InvalidArgumentError("transport: partition " + std::to_string(o.self) +
                                " is not below the partition count " +
                                std::to_string(o.num_partitions));
  }
  if (!o.peer_endpoints.empty() && o.peer_endpoints.size() != o.num_partitions) {
    return InvalidArgumentError("transport: " + std::to_string(o.peer_endpoints.size()) +
                                " peer endpoints for " + std::to_string(o.num_partitions) +
                                " partitions");
  }
  if (o.keys && o.keys->partition_public_keys.size() != o.num_partitions) {
    return InvalidArgumentError("transport: " +
                                std::to_string(o.keys->partition_public_keys.size()) +
                                " partition keys for " + std::to_string(o.num_partitions) +
                                " partitions");
  }
  if (o.max_payload_bytes > wire::kMaxPayloadBytes || o.linger.count() < 0 ||
      o.send_timeout.count() < 0 || o.heartbeat_interval.count() <= 0 ||
      o.heartbeat_timeout.count() <= 0 || o.high_water_mark <= 0) {
    return InvalidArgumentError(
        "transport: max payload above wire::kMaxPayloadBytes, or a negative or zero time or "
        "high-water mark");
  }
  return Status::Ok();
}

// The caller's own header must be one a peer would admit; catching it here names the bug.
Status CheckOutgoing(const wire::MessageHeader& h, const std::string& payload) {
  const bool has_payload = wire::PayloadKindOf(h.type) != wire::PayloadKind::kNone;
  if (payload.size() != h.payload_length || (!has_payload && !payload.empty())) {
    return InvalidArgumentError(std::string(wire::MsgTypeName(h.type)) + " to " +
                                std::to_string(h.destination) + ": payload of " +
                                std::to_string(payload.size()) + " bytes, header says " +
                                std::to_string(h.payload_length));
  }
  return Status::Ok();
}

std::string RandomNonce() {
  std::random_device rd;
  const uint64_t n = (uint64_t{rd()} << 32) ^ rd();
  char buf[17];
  std::snprintf(buf, sizeof(buf), "%016llx", static_cast<unsigned long long>(n));
  return buf;
}

std::string HeaderFrame(const wire::MessageHeader& h) {
  std::string frame(wire::kHeaderBytes, '\0');
  wire::EncodeHeaderTo(h, *reinterpret_cast<char(*)[wire::kHeaderBytes]>(frame.data()));
  return frame;
}

}  // namespace

struct ZmqTransport::Impl {
  struct Peer {
    std::string endpoint;
    std::unique_ptr<ZmqSocket> dealer;
    bool hello_sent = false;
  };

  explicit Impl(const ZmqTransportOptions& o)
      : options(o),
        filter(InboundFilterOptions{o.plan_hash, o.self, o.num_partitions, o.start_step,
                                    o.max_payload_bytes, o.max_pending_requests,
                                    o.keys.has_value()}),
        peers(o.num_partitions),
        aborted(o.num_partitions, false),
        nonce(RandomNonce()) {}

  Status Bind();
  Status MapRings();
  // True if `message` went into the ring to `to` (then `message` is spent).
  bool PushToRing(uint32_t to, Message& message);
  // The next message waiting in a ring, admitted (nullopt: none, or it was dropped).
  StatusOr<std::optional<Message>> PopFromRings(bool* got);
  bool RingsHaveRecords() const;
  Status Connect(uint32_t partition, const std::string& endpoint);
  Status SendOnLink(uint32_t to, Message message, bool no_wait);
  Status SendHello(uint32_t to, bool no_wait);
  // Sends header (+ payload) on `socket`, after a routing-id frame when `link` is given.
  Status SendFrames(ZmqSocket& socket, const std::string* link, Message message,
                    const std::string& where, bool no_wait = false);
  std::optional<Message> Admit(std::vector<std::string>& frames, size_t total_frames,
                               std::string_view key_owner);
  void CountDrop(wire::DropReason reason, Status why);

  ZmqTransportOptions options;
  ZmqContext context;  // declared first: destroyed after the sockets
  std::unique_ptr<ZmqSocket> router;
  InboundFilter filter;
  std::vector<Peer> peers;
  std::vector<bool> aborted;  // [p]: p's ABORT arrived
  std::string nonce;
  std::string endpoint;
  std::deque<Message> loopback;
  std::vector<std::optional<ShmRing>> rings_to;    // [p]: self -> p
  std::vector<std::optional<ShmRing>> rings_from;  // [p]: p -> self
  uint32_t next_ring = 0;                          // where PopFromRings looks first
  int64_t shm_sent = 0;
  std::array<std::atomic<int64_t>, wire::kDropReasonCount> drops{};
  Status last_drop;
};

Status ZmqTransport::Impl::Bind() {
  if (options.keys) {
    WorkerMetrics* metrics = options.metrics;
    RETURN_IF_ERROR(context.Authenticate(options.keys->KeyOwners(), [metrics] {
      if (metrics != nullptr) metrics->OnHandshakeRefused();
    }));
  }
  ASSIGN_OR_RETURN(router,
                   ZmqSocket::Create(&context, ZmqSocket::Role::kRouter, SocketOptions(options)));
  if (Status s = router->Bind(options.listen_endpoint, options.listen_fd); !s.ok()) {
    return UnavailableError("transport: " + s.message());
  }
  endpoint = router->bound_endpoint();
  return Status::Ok();
}

Status ZmqTransport::Impl::MapRings() {
  if (!options.shm) return Status::Ok();
  const ShmLinkFds& fds = *options.shm;
  const size_t P = options.num_partitions;
  if (fds.bell < 0 || fds.inbound.size() != P || fds.outbound.size() != P ||
      fds.peer_bells.size() != P) {
    return InvalidArgumentError("transport: shared-memory links for " +
                                std::to_string(fds.inbound.size()) + " partitions, want " +
                                std::to_string(P) + ", and a doorbell");
  }
  rings_to.resize(P);
  rings_from.resize(P);
  for (uint32_t p = 0; p < P; ++p) {
    if (p == options.self) continue;
    ASSIGN_OR_RETURN(ShmRing to, ShmRing::Map(fds.outbound[p]));
    ASSIGN_OR_RETURN(ShmRing from, ShmRing::Map(fds.inbound[p]));
    rings_to[p].emplace(std::move(to));
    rings_from[p].emplace(std::move(from));
  }
  return Status::Ok();
}

bool ZmqTransport::Impl::PushToRing(uint32_t to, Message& message) {
  if (to >= rings_to.size() || !rings_to[to]) return false;
  const std::string header = HeaderFrame(message.header);
  if (!rings_to[to]->TryPush(header, message.payload)) return false;
  RingDoorbell(options.shm->peer_bells[to]);
  ++shm_sent;
  if (options.metrics != nullptr) {
    options.metrics->OnSent(static_cast<int>(to), header.size() + message.payload.size());
    options.metrics->OnSentThroughRing(static_cast<int>(to));
  }
  return true;
}

StatusOr<std::optional<Message>> ZmqTransport::Impl::PopFromRings(bool* got) {
  *got = false;
  const uint32_t P = static_cast<uint32_t>(rings_from.size());
  for (uint32_t i = 0; i < P; ++i) {
    const uint32_t p = (next_ring + i) % P;
    if (!rings_from[p]) continue;
    std::string header;
    Message m;  // the payload is copied out of the ring straight into it
    ASSIGN_OR_RETURN(const bool popped, rings_from[p]->TryPop(wire::kHeaderBytes, &header,
                                                              &m.payload));
    if (!popped) continue;
    next_ring = (p + 1) % P;
    *got = true;
    std::vector<std::string_view> frames = {header};
    if (!m.payload.empty()) frames.push_back(m.payload);
    const InboundVerdict verdict = filter.AdmitFromPartitionLink(p, frames);
    if (verdict.action == InboundVerdict::Action::kDrop) {
      CountDrop(verdict.reason, verdict.status);
      return std::optional<Message>();
    }
    if (options.metrics != nullptr) {
      options.metrics->OnReceived(static_cast<int>(p), header.size() + m.payload.size());
    }
    m.header = verdict.header;
    return std::optional<Message>(std::move(m));
  }
  return std::optional<Message>();
}

bool ZmqTransport::Impl::RingsHaveRecords() const {
  for (const std::optional<ShmRing>& ring : rings_from) {
    if (ring && ring->HasRecord()) return true;
  }
  return false;
}

Status ZmqTransport::Impl::Connect(uint32_t partition, const std::string& where) {
  Peer& peer = peers[partition];
  const std::string server_key =
      options.keys ? options.keys->partition_public_keys[partition] : std::string();
  ASSIGN_OR_RETURN(std::unique_ptr<ZmqSocket> dealer,
                   ZmqSocket::Create(&context, ZmqSocket::Role::kDealer,
                                     SocketOptions(options, server_key)));
  // Stable across reconnects, so the peer's ROUTER keeps this link's HELLO (with handover).
  const std::string id =
      "np-" + std::to_string(options.self) + "-" + nonce + "-" + std::to_string(partition);
  if (Status s = dealer->Connect(where, id); !s.ok()) {
    return InvalidArgumentError("transport: partition " + std::to_string(partition) + ": " +
                                s.message());
  }
  peer.endpoint = where;
  peer.dealer = std::move(dealer);
  peer.hello_sent = false;
  return Status::Ok();
}

Status ZmqTransport::Impl::SendFrames(ZmqSocket& socket, const std::string* link,
                                      Message message, const std::string& where, bool no_wait) {
  const wire::MessageHeader& h = message.header;
  std::vector<std::string> frames;
  if (link != nullptr) frames.push_back(*link);
  frames.push_back(HeaderFrame(h));
  if (wire::PayloadKindOf(h.type) != wire::PayloadKind::kNone) {
    frames.push_back(std::move(message.payload));
  }
  if (Status s = socket.Send(std::move(frames), no_wait); !s.ok()) {
    return UnavailableError(std::string(wire::MsgTypeName(h.type)) + " to " + where + ": " +
                            s.message());
  }
  return Status::Ok();
}

Status ZmqTransport::Impl::SendHello(uint32_t to, bool no_wait) {
  Message hello;
  hello.header.type = wire::MsgType::kHello;
  hello.header.plan_hash = options.plan_hash;
  hello.header.source = options.self;
  hello.header.destination = to;
  hello.header.step = options.start_step;
  hello.payload = wire::EncodeHello(wire::HelloPayload{wire::kProtocolVersion, options.self,
                                                       options.num_partitions, options.plan_hash,
                                                       options.start_step});
  hello.header.payload_length = hello.payload.size();
  const uint64_t bytes = wire::kHeaderBytes + hello.payload.size();
  RETURN_IF_ERROR(SendFrames(*peers[to].dealer, nullptr, std::move(hello),
                             "partition " + std::to_string(to) + " at " + peers[to].endpoint,
                             no_wait));
  peers[to].hello_sent = true;
  if (options.metrics != nullptr) options.metrics->OnSent(static_cast<int>(to), bytes);
  return Status::Ok();
}

Status ZmqTransport::Impl::SendOnLink(uint32_t to, Message message, bool no_wait) {
  Peer& peer = peers[to];
  if (peer.dealer == nullptr) {
    return UnavailableError("transport: no endpoint for partition " + std::to_string(to));
  }
  if (!peer.hello_sent) RETURN_IF_ERROR(SendHello(to, no_wait));
  const uint64_t bytes = wire::kHeaderBytes + message.payload.size();
  RETURN_IF_ERROR(SendFrames(*peer.dealer, nullptr, std::move(message),
                             "partition " + std::to_string(to) + " at " + peer.endpoint, no_wait));
  if (options.metrics != nullptr) options.metrics->OnSent(static_cast<int>(to), bytes);
  return Status::Ok();
}

void ZmqTransport::Impl::CountDrop(wire::DropReason reason, Status why) {
  drops[static_cast<size_t>(reason)].fetch_add(1, std::memory_order_relaxed);
  last_drop = std::move(why);
  if (options.metrics != nullptr) options.metrics->OnDropped(reason);
}

std::optional<Message> ZmqTransport::Impl::Admit(std::vector<std::string>& frames,
                                                 size_t total_frames,
                                                 std::string_view key_owner) {
  if (total_frames > 3) {
    CountDrop(wire::DropReason::kMalformed,
              CorruptionError("wire message of " + std::to_string(total_frames - 1) +
                              " frames; at most 2 (header, payload) are defined"));
    return std::nullopt;
  }
  std::vector<std::string_view> views;
  for (size_t i = 1; i < frames.size(); ++i) views.push_back(frames[i]);
  const InboundVerdict verdict = filter.Admit(frames[0], views, key_owner);
  if (verdict.action == InboundVerdict::Action::kDrop) {
    CountDrop(verdict.reason, verdict.status);
    return std::nullopt;
  }
  const int peer = verdict.header.source == kClientSource ? kClientPeer
                                                         : static_cast<int>(verdict.header.source);
  uint64_t bytes = 0;
  for (const std::string_view v : views) bytes += v.size();
  if (options.metrics != nullptr) options.metrics->OnReceived(peer, bytes);
  if (verdict.action == InboundVerdict::Action::kConsumedHello) return std::nullopt;
  Message m;
  m.header = verdict.header;
  if (frames.size() > 2) m.payload = std::move(frames[2]);  // the one copy was on receipt
  return m;
}

StatusOr<std::unique_ptr<ZmqTransport>> ZmqTransport::Create(const ZmqTransportOptions& options) {
  RETURN_IF_ERROR(CheckOptions(options));
  auto impl = std::make_unique<Impl>(options);
  RETURN_IF_ERROR(impl->Bind());
  RETURN_IF_ERROR(impl->MapRings());
  for (uint32_t p = 0; p < options.peer_endpoints.size(); ++p) {
    if (p == options.self || options.peer_endpoints[p].empty()) continue;
    RETURN_IF_ERROR(impl->Connect(p, options.peer_endpoints[p]));
  }
  return std::unique_ptr<ZmqTransport>(new ZmqTransport(std::move(impl)));
}

ZmqTransport::ZmqTransport(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}

ZmqTransport::~ZmqTransport() = default;

Status ZmqTransport::Send(Message message) { return Send(std::move(message), false); }
Status ZmqTransport::SendNow(Message message) { return Send(std::move(message), true); }

Status ZmqTransport::Send(Message message, bool no_wait) {
  const wire::MessageHeader& h = message.header;
  const ZmqTransportOptions& o = impl_->options;
  if (h.source != o.self || h.plan_hash != o.plan_hash || h.destination >= o.num_partitions) {
    return InvalidArgumentError(std::string(wire::MsgTypeName(h.type)) + ": source " +
                                std::to_string(h.source) + ", destination " +
                                std::to_string(h.destination) + " or plan hash is not this "
                                "partition's (" + std::to_string(o.self) + " of " +
                                std::to_string(o.num_partitions) + ")");
  }
  RETURN_IF_ERROR(CheckOutgoing(h, message.payload));
  if (h.destination == o.self) {
    impl_->loopback.push_back(std::move(message));
    return Status::Ok();
  }
  if (impl_->PushToRing(h.destination, message)) return Status::Ok();
  return impl_->SendOnLink(h.destination, std::move(message), no_wait);
}

StatusOr<std::optional<Message>> ZmqTransport::Receive(milliseconds timeout) {
  if (!impl_->loopback.empty()) {
    Message m = std::move(impl_->loopback.front());
    impl_->loopback.pop_front();
    return std::optional<Message>(std::move(m));
  }
  const Clock::time_point deadline = Clock::now() + timeout;
  std::vector<std::string> frames;
  std::string key_owner;
  size_t total_frames = 0;
  const int bell = impl_->options.shm ? impl_->options.shm->bell : -1;
  auto delivered = [this](Message& m) {
    if (m.header.type == wire::MsgType::kAbort && m.header.source < impl_->aborted.size()) {
      impl_->aborted[m.header.source] = true;
    }
    return std::optional<Message>(std::move(m));
  };
  // Checked from the second pass on, so a flood of dropped messages cannot extend the wait.
  for (bool first = true;; first = false) {
    if (!first && Clock::now() >= deadline) return std::optional<Message>();
    bool got = false;
    ASSIGN_OR_RETURN(std::optional<Message> from_ring, impl_->PopFromRings(&got));
    if (from_ring) return delivered(*from_ring);
    if (got) continue;
    ASSIGN_OR_RETURN(got, impl_->router->TryReceive(kMaxKeptFrames, &frames, &total_frames,
                                                    &key_owner));
    if (got) {
      std::optional<Message> m = impl_->Admit(frames, total_frames, key_owner);
      if (m) return delivered(*m);
      continue;
    }
    if (bell >= 0) {
      // Emptied before the rings are looked at again: a record published after that look rings
      // the bell anew, so the poll below cannot sleep through it.
      DrainDoorbell(bell);
      if (impl_->RingsHaveRecords()) continue;
    }
    // Rounded up: a wait never ends before its timeout.
    const auto left = std::chrono::ceil<milliseconds>(deadline - Clock::now());
    if (left.count() <= 0) return std::optional<Message>();
    ASSIGN_OR_RETURN(bool readable, impl_->router->WaitReadable(left, bell));
    (void)readable;  // what is readable is looked at above
  }
}

Status ZmqTransport::SendReply(const wire::MessageHeader& request, Message reply) {
  if (request.type != wire::MsgType::kInferRequest || request.source != kClientSource) {
    return InvalidArgumentError("SendReply: " + std::string(wire::MsgTypeName(request.type)) +
                                " from partition " + std::to_string(request.source) +
                                " is not a client request");
  }
  ASSIGN_OR_RETURN(std::string link, impl_->filter.TakeClientLink(request.step));
  wire::MessageHeader& h = reply.header;
  h.plan_hash = impl_->options.plan_hash;
  h.source = impl_->options.self;
  h.destination = kClientSource;
  h.step = request.step;
  RETURN_IF_ERROR(CheckOutgoing(h, reply.payload));
  const uint64_t bytes = wire::kHeaderBytes + reply.payload.size();
  const std::string where = "client of request " + std::to_string(request.step);
  // Unavailable (ROUTER_MANDATORY) when the client disconnected before its answer.
  RETURN_IF_ERROR(impl_->SendFrames(*impl_->router, &link, std::move(reply), where));
  if (impl_->options.metrics != nullptr) impl_->options.metrics->OnSent(kClientPeer, bytes);
  return Status::Ok();
}

Status ZmqTransport::SetPeerEndpoint(uint32_t partition, const std::string& endpoint) {
  if (partition >= impl_->options.num_partitions || partition == impl_->options.self) {
    return InvalidArgumentError("SetPeerEndpoint: partition " + std::to_string(partition) +
                                " is not a peer of partition " +
                                std::to_string(impl_->options.self));
  }
  return impl_->Connect(partition, endpoint);
}

void ZmqTransport::SetMinStep(uint64_t step) { impl_->filter.SetMinStep(step); }
uint64_t ZmqTransport::min_step() const { return impl_->filter.min_step(); }
const std::string& ZmqTransport::endpoint() const { return impl_->endpoint; }
bool ZmqTransport::greeted(uint32_t partition) const { return impl_->filter.greeted(partition); }
bool ZmqTransport::aborted(uint32_t partition) const {
  return partition < impl_->aborted.size() && impl_->aborted[partition];
}
Status ZmqTransport::last_drop() const { return impl_->last_drop; }

int64_t ZmqTransport::dropped(wire::DropReason reason) const {
  return impl_->drops[static_cast<size_t>(reason)].load(std::memory_order_relaxed);
}

int64_t ZmqTransport::shm_messages_sent() const { return impl_->shm_sent; }

int64_t ZmqTransport::handshakes_refused() const { return impl_->context.refused(); }

int64_t ZmqTransport::dropped_total() const {
  int64_t total = 0;
  for (const auto& d : impl_->drops) total += d.load(std::memory_order_relaxed);
  return total;
}

}  // namespace neuropart::worker
