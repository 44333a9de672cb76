// The ZeroMQ adapter: the only file that includes zmq.hpp; every zmq::error_t becomes a Status.
#include "zmq_socket.h"

#include <array>
#include <atomic>
#include <cerrno>
#include <cstring>
#include <mutex>
#include <thread>
#include <zmq.hpp>

namespace neuropart::worker {
namespace {

std::string ZmqWhat(const zmq::error_t& e) {
  return std::string(e.what()) + " (errno " + std::to_string(e.num()) + ")";
}

int Millis(std::chrono::milliseconds d) { return static_cast<int>(d.count()); }

// Hands the string's buffer to ZeroMQ, which frees it once the frame is on the wire.
zmq::message_t Frame(std::string bytes) {
  auto holder = std::make_unique<std::string>(std::move(bytes));
  zmq::message_t frame(
      holder->data(), holder->size(),
      [](void*, void* hint) { delete static_cast<std::string*>(hint); }, holder.get());
  holder.release();  // owned by the frame now
  return frame;
}

// libzmq asks for authentication on this inproc endpoint of the socket's own context (RFC 27).
constexpr const char* kZapEndpoint = "inproc://zeromq.zap.01";
constexpr size_t kZ85KeyChars = 40;
constexpr int kHandshakeFailures = ZMQ_EVENT_HANDSHAKE_FAILED_NO_DETAIL |
                                   ZMQ_EVENT_HANDSHAKE_FAILED_PROTOCOL |
                                   ZMQ_EVENT_HANDSHAKE_FAILED_AUTH;

std::string Z85(const unsigned char* key32) {
  char text[kZ85KeyChars + 1];
  zmq_z85_encode(text, key32, 32);
  return std::string(text, kZ85KeyChars);
}

}  // namespace

StatusOr<CurveKeyPair> MakeCurveKeyPair() {
  char pub[kZ85KeyChars + 1], sec[kZ85KeyChars + 1];
  if (zmq_curve_keypair(pub, sec) != 0) {
    return InternalError("zmq: no CURVE key pair (libzmq built without CURVE?): " +
                         std::string(zmq_strerror(zmq_errno())));
  }
  return CurveKeyPair{std::string(pub, kZ85KeyChars), std::string(sec, kZ85KeyChars)};
}

// The context's guard thread: answers libzmq's ZAP requests (RFC 27) and reads the handshake
// events of every CURVE ROUTER, counting each failed handshake as a refusal.
struct ZmqContext::Impl {
  zmq::context_t context;  // first: destroyed after the guard thread has closed its sockets
  std::thread guard;
  std::atomic<bool> stopping{false};
  std::atomic<int64_t> refused{0};
  std::function<void()> on_refused;
  std::map<std::string, std::string> known;
  std::mutex mu;
  std::vector<zmq::socket_t> new_monitors;  // handed to the guard thread under mu
  int monitors_made = 0;                    // owner thread only: names monitor endpoints

  ~Impl() {
    stopping = true;
    if (guard.joinable()) guard.join();
  }
  void Guard(zmq::socket_t zap);
  // version, request id, domain, address, routing id, mechanism, credentials ->
  // version, request id, status code and text, user id (the key's owner), metadata.
  void AnswerZap(zmq::socket_t& zap);
  void ReadEvent(zmq::socket_t& monitor);
  // Has the guard thread count `router`'s failed handshakes. Owner thread; throws zmq::error_t.
  Status Watch(zmq::socket_t& router);
};

Status ZmqContext::Impl::Watch(zmq::socket_t& router) {
  const std::string endpoint = "inproc://neuropart-handshakes-" + std::to_string(monitors_made++);
  if (zmq_socket_monitor(router.handle(), endpoint.c_str(), kHandshakeFailures) != 0) {
    return InternalError("zmq: cannot watch handshakes: " + std::string(zmq_strerror(zmq_errno())));
  }
  // Connected here, before the ROUTER can see a peer, so no event is emitted unread.
  zmq::socket_t monitor(context, zmq::socket_type::pair);
  monitor.set(zmq::sockopt::linger, 0);
  monitor.connect(endpoint);
  std::lock_guard<std::mutex> lock(mu);
  new_monitors.push_back(std::move(monitor));
  return Status::Ok();
}

std::vector<zmq::message_t> ReceiveAll(zmq::socket_t& socket) {
  std::vector<zmq::message_t> parts;
  bool more = true;
  while (more) {
    zmq::message_t part;
    if (!socket.recv(part, zmq::recv_flags::dontwait)) break;
    more = part.more();
    parts.push_back(std::move(part));
  }
  return parts;
}

void ZmqContext::Impl::Guard(zmq::socket_t zap) {
  std::vector<zmq::socket_t> monitors;
  while (!stopping) {
    {
      std::lock_guard<std::mutex> lock(mu);
      for (zmq::socket_t& m : new_monitors) monitors.push_back(std::move(m));
      new_monitors.clear();
    }
    std::vector<zmq::pollitem_t> items{{zap.handle(), 0, ZMQ_POLLIN, 0}};
    for (zmq::socket_t& m : monitors) items.push_back({m.handle(), 0, ZMQ_POLLIN, 0});
    try {
      // Polled, so a stopping context and a new monitor are noticed within 100 ms.
      if (zmq::poll(items, std::chrono::milliseconds(100)) == 0) continue;
      if (items[0].revents & ZMQ_POLLIN) AnswerZap(zap);
      for (size_t i = 1; i < items.size(); ++i) {
        if (items[i].revents & ZMQ_POLLIN) ReadEvent(monitors[i - 1]);
      }
    } catch (const zmq::error_t&) {
      // EINTR, or a malformed request from libzmq itself: nothing to answer, keep serving.
    }
  }
}

void ZmqContext::Impl::AnswerZap(zmq::socket_t& zap) {
  std::vector<zmq::message_t> request = ReceiveAll(zap);
  if (request.size() < 2) return;
  std::string owner;
  if (request.size() == 7 && request[5].to_string_view() == "CURVE" && request[6].size() == 32) {
    const auto it = known.find(Z85(request[6].data<unsigned char>()));
    if (it != known.end()) owner = it->second;
  }
  const std::array<std::string, 6> reply = {"1.0", request[1].to_string(),
                                            owner.empty() ? "400" : "200",
                                            owner.empty() ? "key not in this job" : "OK", owner,
                                            ""};
  for (size_t i = 0; i < reply.size(); ++i) {
    zap.send(zmq::buffer(reply[i]),
             i + 1 < reply.size() ? zmq::send_flags::sndmore : zmq::send_flags::none);
  }
}

void ZmqContext::Impl::ReadEvent(zmq::socket_t& monitor) {
  // Frame 0: the event (uint16) and its value (uint32), native byte order; frame 1: the address.
  std::vector<zmq::message_t> event = ReceiveAll(monitor);
  if (event.empty() || event[0].size() < sizeof(uint16_t)) return;
  uint16_t id = 0;
  std::memcpy(&id, event[0].data(), sizeof(id));
  if ((id & kHandshakeFailures) == 0) return;
  refused.fetch_add(1, std::memory_order_relaxed);
  if (on_refused) on_refused();
}

ZmqContext::ZmqContext() : impl_(std::make_unique<Impl>()) {}
ZmqContext::~ZmqContext() = default;

Status ZmqContext::Authenticate(std::map<std::string, std::string> known,
                                std::function<void()> on_refused) {
  if (impl_->guard.joinable()) return InternalError("zmq: ZAP handler already running");
  impl_->known = std::move(known);
  impl_->on_refused = std::move(on_refused);
  try {
    // Bound here, before any CURVE socket exists: with no handler bound, libzmq admits every key.
    zmq::socket_t zap(impl_->context, zmq::socket_type::rep);
    zap.set(zmq::sockopt::linger, 0);
    zap.bind(kZapEndpoint);
    impl_->guard = std::thread(
        [impl = impl_.get(), zap = std::move(zap)]() mutable { impl->Guard(std::move(zap)); });
  } catch (const zmq::error_t& e) {
    return InternalError("zmq: starting the ZAP handler: " + ZmqWhat(e));
  }
  return Status::Ok();
}

int64_t ZmqContext::refused() const { return impl_->refused.load(std::memory_order_relaxed); }

struct ZmqSocket::Impl {
  Impl(zmq::context_t& context, Role role)
      : role(role),
        socket(context, role == Role::kRouter ? zmq::socket_type::router
                                              : zmq::socket_type::dealer) {}
  Role role;
  ZmqSocketOptions options;
  zmq::socket_t socket;
};

StatusOr<std::unique_ptr<ZmqSocket>> ZmqSocket::Create(ZmqContext* context, Role role,
                                                       const ZmqSocketOptions& o) {
  try {
    auto impl = std::make_unique<Impl>(context->impl_->context, role);
    impl->options = o;
    zmq::socket_t& s = impl->socket;
    s.set(zmq::sockopt::maxmsgsize, static_cast<int64_t>(o.max_frame_bytes));
    s.set(zmq::sockopt::linger, Millis(o.linger));
    s.set(zmq::sockopt::heartbeat_ivl, Millis(o.heartbeat_interval));
    s.set(zmq::sockopt::heartbeat_timeout, Millis(o.heartbeat_timeout));
    s.set(zmq::sockopt::heartbeat_ttl, Millis(o.heartbeat_timeout));
    s.set(zmq::sockopt::connect_timeout, Millis(o.connect_timeout));
    s.set(zmq::sockopt::reconnect_ivl, Millis(o.reconnect_interval));
    s.set(zmq::sockopt::reconnect_ivl_max, Millis(o.reconnect_interval_max));
    s.set(zmq::sockopt::sndhwm, o.high_water_mark);
    s.set(zmq::sockopt::rcvhwm, o.high_water_mark);
    s.set(zmq::sockopt::sndtimeo, Millis(o.send_timeout));
    if (o.curve && role == Role::kRouter) {
      if (!context->impl_->guard.joinable()) {
        return InternalError("zmq: a CURVE server needs its context's ZAP handler "
                             "(ZmqContext::Authenticate) first; without it libzmq admits any key");
      }
      RETURN_IF_ERROR(context->impl_->Watch(s));
      s.set(zmq::sockopt::curve_server, true);
      s.set(zmq::sockopt::curve_secretkey, o.curve->own.secret_key);
      s.set(zmq::sockopt::zap_domain, "neuropart");
    } else if (o.curve) {
      s.set(zmq::sockopt::curve_serverkey, o.curve->server_public_key);
      s.set(zmq::sockopt::curve_publickey, o.curve->own.public_key);
      s.set(zmq::sockopt::curve_secretkey, o.curve->own.secret_key);
    }
    if (role == Role::kRouter) {
      s.set(zmq::sockopt::router_mandatory, true);
      s.set(zmq::sockopt::router_handover, true);
    } else {
      s.set(zmq::sockopt::immediate, o.immediate);
    }
    return std::unique_ptr<ZmqSocket>(new ZmqSocket(std::move(impl)));
  } catch (const zmq::error_t& e) {
    return InternalError("zmq: setting up a socket: " + ZmqWhat(e));
  }
}

ZmqSocket::ZmqSocket(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
ZmqSocket::~ZmqSocket() = default;

Status ZmqSocket::Bind(const std::string& endpoint, int listen_fd) {
  try {
    if (listen_fd >= 0) impl_->socket.set(zmq::sockopt::use_fd, listen_fd);
    impl_->socket.bind(endpoint);
    bound_endpoint_ = impl_->socket.get(zmq::sockopt::last_endpoint);
  } catch (const zmq::error_t& e) {
    return UnavailableError("cannot bind " + endpoint + ": " + ZmqWhat(e));
  }
  return Status::Ok();
}

Status ZmqSocket::Connect(const std::string& endpoint, const std::string& routing_id) {
  try {
    impl_->socket.set(zmq::sockopt::routing_id, routing_id);
    impl_->socket.connect(endpoint);
  } catch (const zmq::error_t& e) {
    return InvalidArgumentError("cannot connect to " + endpoint + ": " + ZmqWhat(e));
  }
  return Status::Ok();
}

Status ZmqSocket::Send(std::vector<std::string> frames, bool no_wait) {
  try {
    for (size_t i = 0; i < frames.size(); ++i) {
      const bool last = i + 1 == frames.size();
      zmq::message_t frame = Frame(std::move(frames[i]));
      zmq::send_flags flags = last ? zmq::send_flags::none : zmq::send_flags::sndmore;
      if (no_wait) flags = flags | zmq::send_flags::dontwait;
      if (!impl_->socket.send(frame, flags)) {
        // Only the first frame can block: ZeroMQ admits a multipart message as a whole.
        return UnavailableError(
            (no_wait ? std::string("not taken at once")
                     : "not taken within " + std::to_string(impl_->options.send_timeout.count()) +
                           " ms") +
            " (peer not connected, or its queue is full)");
      }
    }
  } catch (const zmq::error_t& e) {
    // EHOSTUNREACH (ROUTER_MANDATORY): the addressed peer is gone.
    return UnavailableError(ZmqWhat(e));
  }
  return Status::Ok();
}

StatusOr<bool> ZmqSocket::WaitReadable(std::chrono::milliseconds timeout, int also_fd) {
  zmq::pollitem_t items[2] = {{impl_->socket.handle(), 0, ZMQ_POLLIN, 0},
                              {nullptr, also_fd, ZMQ_POLLIN, 0}};
  try {
    zmq::poll(items, also_fd >= 0 ? 2 : 1, std::max(std::chrono::milliseconds(0), timeout));
  } catch (const zmq::error_t& e) {
    if (e.num() == EINTR) return false;
    return UnavailableError("polling " + bound_endpoint_ + ": " + ZmqWhat(e));
  }
  return ((items[0].revents | items[1].revents) & ZMQ_POLLIN) != 0;
}

StatusOr<bool> ZmqSocket::TryReceive(size_t max_kept, std::vector<std::string>* frames,
                                     size_t* total, std::string* key_owner) {
  frames->clear();
  *total = 0;
  if (key_owner != nullptr) key_owner->clear();
  try {
    bool more = true;
    while (more) {
      zmq::message_t part;
      if (!impl_->socket.recv(part, zmq::recv_flags::dontwait)) return *total > 0;
      more = part.more();
      if (key_owner != nullptr && key_owner->empty() && impl_->options.curve) {
        // Set by the ZAP handler's reply, on every frame the peer sent (not on the routing-id
        // frame a ROUTER adds itself).
        if (const char* owner = zmq_msg_gets(part.handle(), "User-Id")) *key_owner = owner;
      }
      ++*total;
      if (frames->size() < max_kept) frames->emplace_back(part.data<char>(), part.size());
    }
  } catch (const zmq::error_t& e) {
    return UnavailableError("receiving on " + bound_endpoint_ + ": " + ZmqWhat(e));
  }
  return true;
}

}  // namespace neuropart::worker
