// ZmqTransport: a partition's Transport over ZeroMQ sockets (zmq_socket.h, which sets every
// socket option named below).
//
// Sockets: one ROUTER bound on listen_endpoint receives from every peer partition and from
// clients; one DEALER per peer partition sends to that peer's ROUTER (connected when the transport
// is created, or when SetPeerEndpoint names the peer). The first message on each outbound link is
// a HELLO (plan hash, partition, partition count, start step), sent just before the first Send to
// that peer. Every socket sets ZMQ_MAXMSGSIZE (header + max payload), a bounded ZMQ_LINGER,
// ZMTP heartbeats (IVL/TIMEOUT/TTL), send/receive high-water marks and a send timeout; DEALERs
// set ZMQ_IMMEDIATE (a Send to a peer that is not connected waits at most send_timeout, then
// fails with Unavailable instead of queueing forever) and a stable routing id so a reconnect
// keeps its HELLO; the ROUTER sets ZMQ_ROUTER_MANDATORY and ZMQ_ROUTER_HANDOVER.
//
// Security: with options.keys, links use CURVE (encrypted, and authenticated by the job's keys
// through the context's ZAP handler); see the option below.
//
// Admission (see inbound_filter.h): a bad, foreign, stale or oversized message, or one from a
// link that has not said HELLO for its source, is dropped, counted by wire::DropReason (here and
// in the optional WorkerMetrics) and remembered in last_drop() for logs; Receive keeps waiting
// until its timeout. HELLOs are consumed here and never returned.
//
// Serving: a client (any process that is not a partition) connects a DEALER to the coordinator's
// ROUTER and sends INFER_REQUEST with source = kClientSource, destination = the coordinator,
// step = a request id unique among its requests in flight, and this plan's hash; no HELLO. Receive
// returns it like any message (header.source == kClientSource) and the transport remembers the
// client's link; SendReply(request header, reply) answers on that link, once.
//
// Shared memory: with options.shm (shm_links.h), a message to a peer goes through its ring when it
// fits, and over the DEALER otherwise; Receive takes from the rings, round robin, and from the
// ROUTER, and sleeps on both (the doorbell and the socket) when there is nothing.
//
// Payloads are zero-copy on send (the Message's string is moved into the ZeroMQ frame) and copied
// once on receive (Message owns a std::string). No exception leaves this class: every
// zmq::error_t becomes a Status. Not thread-safe: Create, Send, Receive, SendReply and the setters
// run on one thread (the executor's); dropped() and dropped_total() may be read from any
// thread.
#ifndef NEUROPART_WORKER_ZMQ_TRANSPORT_H_
#define NEUROPART_WORKER_ZMQ_TRANSPORT_H_

#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "inbound_filter.h"
#include "job_keys.h"
#include "shm_links.h"
#include "neuropart/exec/transport.h"
#include "neuropart/status.h"
#include "neuropart/wire/codec.h"
#include "worker_metrics.h"

namespace neuropart::worker {

struct ZmqTransportOptions {
  uint32_t self = 0;
  uint32_t num_partitions = 1;
  uint64_t plan_hash = 0;
  // "tcp://*:5555", "tcp://127.0.0.1:5555"; port "*" binds any free port (see endpoint()).
  std::string listen_endpoint = "tcp://127.0.0.1:*";
  int listen_fd = -1;  // a listening socket for listen_endpoint, bound by the launcher (or -1)
  // One per partition (own entry ignored); may be empty or hold "" for peers named later with
  // SetPeerEndpoint. "tcp://host:port".
  std::vector<std::string> peer_endpoints;
  uint64_t max_payload_bytes = wire::kMaxPayloadBytes;
  std::chrono::milliseconds heartbeat_interval{1000};
  std::chrono::milliseconds heartbeat_timeout{10000};
  // A TCP connect that hangs (a peer's old address after its pod moved) is abandoned after this
  // and retried, re-resolving the peer's name, every reconnect interval up to its maximum.
  std::chrono::milliseconds connect_timeout{5000};
  std::chrono::milliseconds reconnect_interval{100};
  std::chrono::milliseconds reconnect_interval_max{2000};
  std::chrono::milliseconds linger{2000};         // how long close waits for unsent messages
  std::chrono::milliseconds send_timeout{30000};  // a Send blocked longer fails (Unavailable)
  int high_water_mark = 10000;                    // messages queued per link and direction
  uint64_t start_step = 0;                        // sent in HELLO; peers must agree
  size_t max_pending_requests = 1024;             // client requests awaiting SendReply
  WorkerMetrics* metrics = nullptr;               // may be null; must outlive the transport
  // CURVE: with keys, every link is encrypted; the ROUTER admits only the job's keys (a refused
  // handshake is counted in handshakes_refused() and on metrics), and each message must come
  // with its source's own key (inbound_filter.h, rule 6). Without, links are plain TCP.
  std::optional<JobKeys> keys;
  // Shared-memory rings to and from every peer, and the doorbells (a local attempt's workers).
  std::optional<ShmLinkFds> shm;
};

class ZmqTransport : public Transport {
 public:
  // Binds the ROUTER and connects the DEALERs of the peers named in options. InvalidArgument for
  // inconsistent options; Unavailable if the endpoint cannot be bound.
  static StatusOr<std::unique_ptr<ZmqTransport>> Create(const ZmqTransportOptions& options);
  // Closes the sockets; waits at most options.linger for unsent messages.
  ~ZmqTransport() override;
  ZmqTransport(const ZmqTransport&) = delete;
  ZmqTransport& operator=(const ZmqTransport&) = delete;

  // REQUIRES of message.header (else InvalidArgument): source == self, plan_hash == the plan's,
  // destination < num_partitions, payload.size() == payload_length, payload empty for types
  // without one. A message to self is queued locally. Unavailable if the peer has no endpoint or
  // did not take the message within send_timeout.
  Status Send(Message message) override;
  // As Send, but never waits: Unavailable at once when the peer is not connected or its queue is
  // full. For best-effort notices such as ABORT, which a peer that is gone cannot take.
  Status SendNow(Message message);
  StatusOr<std::optional<Message>> Receive(std::chrono::milliseconds timeout) override;

  // Answers client request `request` (a header Receive returned, source == kClientSource) on the
  // link it came from. Fills reply.header's plan_hash, source (self), destination
  // (kClientSource) and step (the request id); the caller sets type (INFER_RESPONSE, or ABORT to
  // refuse), shape and payload. NotFound if the request is unknown or already answered;
  // Unavailable if the client is gone.
  Status SendReply(const wire::MessageHeader& request, Message reply);

  // Names (or renames) a peer's endpoint and connects to it. REQUIRES: partition != self.
  Status SetPeerEndpoint(uint32_t partition, const std::string& endpoint);
  // Step-bound partition messages (wire::IsStepBound; evaluation and serving ids included) of
  // steps below `step` are dropped as kStale from now on. Starts at options.start_step. Client
  // requests are never stale.
  void SetMinStep(uint64_t step);
  uint64_t min_step() const;

  // The bound endpoint with its actual port, e.g. "tcp://127.0.0.1:41234".
  const std::string& endpoint() const;
  // True once `partition`'s HELLO arrived.
  bool greeted(uint32_t partition) const;
  // True once an ABORT from `partition` was received: it has stopped, and would not take one.
  bool aborted(uint32_t partition) const;
  int64_t dropped(wire::DropReason reason) const;
  int64_t dropped_total() const;
  // Messages sent through shared-memory rings (the rest went over sockets); owner thread only.
  int64_t shm_messages_sent() const;
  // Inbound connections refused during the CURVE handshake (key not in the job); any thread.
  int64_t handshakes_refused() const;
  // Why the most recent message was dropped (OK if none was); owner thread only.
  Status last_drop() const;

 private:
  Status Send(Message message, bool no_wait);
  struct Impl;
  explicit ZmqTransport(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace neuropart::worker

#endif  // NEUROPART_WORKER_ZMQ_TRANSPORT_H_
