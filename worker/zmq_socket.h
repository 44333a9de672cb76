// ZmqSocket: the one ZeroMQ socket set-up every neuropart link uses — a partition's ROUTER and
// DEALERs (zmq_transport.cc), `neuropart infer`'s client (serve_client.cc) and the test peers.
//
// zmq_socket.cc is the only file that includes zmq.hpp; no zmq::error_t leaves it. Every socket
// sets ZMQ_MAXMSGSIZE, a bounded ZMQ_LINGER, ZMTP heartbeats (IVL/TIMEOUT/TTL), connect timeout,
// reconnect back-off, send/receive high-water marks and a send timeout. A ROUTER also sets
// ZMQ_ROUTER_MANDATORY (a reply to a vanished client fails instead of vanishing) and
// ZMQ_ROUTER_HANDOVER (a reconnecting peer keeps its routing id); a DEALER sets ZMQ_IMMEDIATE
// unless told otherwise (a send to a peer that is not connected waits at most the send timeout,
// then fails) and a routing id of its caller's choosing. Frames are strings: a sent frame's buffer is handed to ZeroMQ
// without a copy, a received frame is copied once. A socket, and its context, are used from one
// thread.
#ifndef NEUROPART_WORKER_ZMQ_SOCKET_H_
#define NEUROPART_WORKER_ZMQ_SOCKET_H_

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "neuropart/status.h"

namespace neuropart::worker {

// A CURVE key pair, both halves Z85-encoded (40 characters).
struct CurveKeyPair {
  std::string public_key;
  std::string secret_key;
};
// A fresh key pair from libzmq (libsodium's random source).
StatusOr<CurveKeyPair> MakeCurveKeyPair();

struct CurveOptions {
  CurveKeyPair own;
  std::string server_public_key;  // DEALER only: the ROUTER it connects to
};

struct ZmqSocketOptions {
  size_t max_frame_bytes = 64 << 20;  // ZMQ_MAXMSGSIZE: a longer frame closes the connection
  std::chrono::milliseconds linger{1000};
  std::chrono::milliseconds heartbeat_interval{1000};
  std::chrono::milliseconds heartbeat_timeout{10'000};
  std::chrono::milliseconds connect_timeout{5000};
  std::chrono::milliseconds reconnect_interval{100};
  std::chrono::milliseconds reconnect_interval_max{2000};
  std::chrono::milliseconds send_timeout{10'000};
  int high_water_mark = 1000;
  // DEALER only: a send to a peer not connected yet waits at most send_timeout, then fails
  // (ZMQ_IMMEDIATE). Off, the message waits in the queue until the connection is up, and the
  // caller bounds the whole exchange itself (a client with a request deadline).
  bool immediate = true;
  // CURVE (ZMTP's encryption and authentication). With `curve`, a ROUTER is a CURVE server that
  // only admits peers the context's ZAP handler knows (ZmqContext::Authenticate); a DEALER is a
  // CURVE client of the server whose public key is curve->server_public_key.
  std::optional<CurveOptions> curve;
};

// The ZeroMQ context (its I/O thread) that a group of sockets share. Outlives its sockets.
class ZmqContext {
 public:
  ZmqContext();
  ~ZmqContext();
  ZmqContext(const ZmqContext&) = delete;
  ZmqContext& operator=(const ZmqContext&) = delete;

  // Starts this context's ZAP handler (a thread answering libzmq's authentication requests):
  // a CURVE peer whose public key (Z85) is a key of `known` is admitted, and its messages carry
  // the value as their key owner (TryReceive); any other peer is refused during the handshake,
  // before it can send a message, and counted in refused(). Call once, before binding a CURVE
  // ROUTER.
  // `on_refused` (may be empty) is called on the ZAP thread for each refusal.
  Status Authenticate(std::map<std::string, std::string> known,
                      std::function<void()> on_refused = {});
  // Handshakes refused by the ZAP handler (unknown keys). Any thread.
  int64_t refused() const;

 private:
  friend class ZmqSocket;
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

class ZmqSocket {
 public:
  enum class Role { kRouter, kDealer };

  static StatusOr<std::unique_ptr<ZmqSocket>> Create(ZmqContext* context, Role role,
                                                     const ZmqSocketOptions& options);
  ~ZmqSocket();
  ZmqSocket(const ZmqSocket&) = delete;
  ZmqSocket& operator=(const ZmqSocket&) = delete;

  // Binds `endpoint` ("tcp://host:port", port * for any). With listen_fd >= 0, adopts that bound,
  // listening TCP socket (ZMQ_USE_FD), which a launcher created so the port is never free for
  // another process to take; `endpoint` must name its address.
  Status Bind(const std::string& endpoint, int listen_fd = -1);
  // The endpoint actually bound (the port chosen for *).
  const std::string& bound_endpoint() const { return bound_endpoint_; }
  // REQUIRES: a DEALER. `routing_id` is kept across reconnects.
  Status Connect(const std::string& endpoint, const std::string& routing_id);

  // Sends `frames` as one message. Unavailable when the first frame is not taken within the send
  // timeout (peer not connected, queue full), or at once with `no_wait`, or when the peer is
  // unknown to a ROUTER.
  Status Send(std::vector<std::string> frames, bool no_wait = false);
  // Waits up to `timeout` for an incoming message, or for descriptor `also_fd` (if >= 0) to be
  // readable: true if either is (false on a signal).
  StatusOr<bool> WaitReadable(std::chrono::milliseconds timeout, int also_fd = -1);
  // Reads one whole waiting message without blocking. Keeps its first `max_kept` frames in
  // *frames (the rest are read and dropped, so memory stays bounded) and counts all of them in
  // *total. False when no message is waiting.
  // *key_owner (if given) is the authenticated peer's name from ZmqContext::Authenticate, empty
  // on a socket without CURVE.
  StatusOr<bool> TryReceive(size_t max_kept, std::vector<std::string>* frames, size_t* total,
                            std::string* key_owner = nullptr);

 private:
  struct Impl;
  explicit ZmqSocket(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
  std::string bound_endpoint_;
};

}  // namespace neuropart::worker

#endif  // NEUROPART_WORKER_ZMQ_SOCKET_H_
