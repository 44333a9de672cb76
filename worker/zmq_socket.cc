// The ZeroMQ adapter: the only file that includes zmq.hpp; every zmq::error_t becomes a Status.
#include "zmq_socket.h"

#include <cerrno>
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

}  // namespace

struct ZmqContext::Impl {
  zmq::context_t context;
};

ZmqContext::ZmqContext() : impl_(std::make_unique<Impl>()) {}
ZmqContext::~ZmqContext() = default;

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

Status ZmqSocket::Send(std::vector<std::string> frames) {
  try {
    for (size_t i = 0; i < frames.size(); ++i) {
      const bool last = i + 1 == frames.size();
      zmq::message_t frame = Frame(std::move(frames[i]));
      if (!impl_->socket.send(frame, last ? zmq::send_flags::none : zmq::send_flags::sndmore)) {
        // Only the first frame can block: ZeroMQ admits a multipart message as a whole.
        return UnavailableError("not taken within " +
                                std::to_string(impl_->options.send_timeout.count()) +
                                " ms (peer not connected, or its queue is full)");
      }
    }
  } catch (const zmq::error_t& e) {
    // EHOSTUNREACH (ROUTER_MANDATORY): the addressed peer is gone.
    return UnavailableError(ZmqWhat(e));
  }
  return Status::Ok();
}

StatusOr<bool> ZmqSocket::WaitReadable(std::chrono::milliseconds timeout) {
  zmq::pollitem_t item{impl_->socket.handle(), 0, ZMQ_POLLIN, 0};
  try {
    zmq::poll(&item, 1, std::max(std::chrono::milliseconds(0), timeout));
  } catch (const zmq::error_t& e) {
    if (e.num() == EINTR) return false;
    return UnavailableError("polling " + bound_endpoint_ + ": " + ZmqWhat(e));
  }
  return (item.revents & ZMQ_POLLIN) != 0;
}

StatusOr<bool> ZmqSocket::TryReceive(size_t max_kept, std::vector<std::string>* frames,
                                     size_t* total) {
  frames->clear();
  *total = 0;
  try {
    bool more = true;
    while (more) {
      zmq::message_t part;
      if (!impl_->socket.recv(part, zmq::recv_flags::dontwait)) return *total > 0;
      more = part.more();
      ++*total;
      if (frames->size() < max_kept) frames->emplace_back(part.data<char>(), part.size());
    }
  } catch (const zmq::error_t& e) {
    return UnavailableError("receiving on " + bound_endpoint_ + ": " + ZmqWhat(e));
  }
  return true;
}

}  // namespace neuropart::worker
