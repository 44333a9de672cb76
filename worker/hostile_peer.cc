#include "hostile_peer.h"

#include <zmq.h>

#include <cerrno>
#include <cstring>

#include "neuropart/wire/values.h"

namespace neuropart::worker {
namespace {

Status ZmqStatus(std::string_view what) {
  return UnavailableError(std::string(what) + ": " + zmq_strerror(zmq_errno()));
}

Message ValidActivations(const AttackTarget& t) {
  Message m;
  m.header.type = wire::MsgType::kActivations;
  m.header.plan_hash = t.plan_hash;
  m.header.source = t.impersonate;
  m.header.destination = t.target;
  m.header.step = t.step;
  const float values[6] = {1, 2, 3, 4, 5, 6};
  (void)wire::SetTensorShape(2, 3, wire::DType::kF32, &m.header);
  m.payload = wire::EncodeValues(values, 6, wire::DType::kF32);
  return m;
}

}  // namespace

StatusOr<std::unique_ptr<RawPeer>> RawPeer::Connect(const std::string& endpoint,
                                                    std::chrono::milliseconds linger) {
  void* context = zmq_ctx_new();
  if (context == nullptr) return ZmqStatus("zmq_ctx_new");
  void* socket = zmq_socket(context, ZMQ_DEALER);
  const int linger_ms = static_cast<int>(linger.count());
  if (socket == nullptr || zmq_setsockopt(socket, ZMQ_LINGER, &linger_ms, sizeof(int)) != 0 ||
      zmq_connect(socket, endpoint.c_str()) != 0) {
    Status error = ZmqStatus("raw peer connecting to " + endpoint);
    if (socket != nullptr) zmq_close(socket);
    zmq_ctx_term(context);
    return error;
  }
  return std::unique_ptr<RawPeer>(new RawPeer(context, socket));
}

RawPeer::~RawPeer() {
  zmq_close(socket_);
  zmq_ctx_term(context_);
}

Status RawPeer::SendFrames(const std::vector<std::string>& frames) {
  for (size_t i = 0; i < frames.size(); ++i) {
    const int flags = i + 1 < frames.size() ? ZMQ_SNDMORE : 0;
    if (zmq_send(socket_, frames[i].data(), frames[i].size(), flags) < 0) {
      return ZmqStatus("raw peer send");
    }
  }
  return Status::Ok();
}

StatusOr<std::optional<std::vector<std::string>>> RawPeer::ReceiveFrames(
    std::chrono::milliseconds timeout) {
  zmq_pollitem_t item{socket_, 0, ZMQ_POLLIN, 0};
  if (zmq_poll(&item, 1, static_cast<long>(timeout.count())) < 0) return ZmqStatus("raw poll");
  if ((item.revents & ZMQ_POLLIN) == 0) return std::optional<std::vector<std::string>>();
  std::vector<std::string> frames;
  int more = 1;
  while (more) {
    zmq_msg_t msg;
    zmq_msg_init(&msg);
    if (zmq_msg_recv(&msg, socket_, 0) < 0) {
      zmq_msg_close(&msg);
      return ZmqStatus("raw peer receive");
    }
    frames.emplace_back(static_cast<const char*>(zmq_msg_data(&msg)), zmq_msg_size(&msg));
    more = zmq_msg_more(&msg);
    zmq_msg_close(&msg);
  }
  return std::optional<std::vector<std::string>>(std::move(frames));
}

std::vector<std::string> MessageFrames(const Message& message) {
  std::vector<std::string> frames{wire::EncodeHeader(message.header)};
  if (wire::PayloadKindOf(message.header.type) != wire::PayloadKind::kNone) {
    frames.push_back(message.payload);
  }
  return frames;
}

std::string_view AttackName(Attack attack) {
  switch (attack) {
    case Attack::kGarbage:
      return "garbage";
    case Attack::kBadVersion:
      return "bad_version";
    case Attack::kUnknownType:
      return "unknown_type";
    case Attack::kHugeLength:
      return "huge_length";
    case Attack::kForeignPlan:
      return "foreign_plan";
    case Attack::kWrongDestination:
      return "wrong_destination";
    case Attack::kStale:
      return "stale";
    case Attack::kUnknownSource:
      return "unknown_source";
    case Attack::kNoHello:
      return "no_hello";
  }
  return "unknown";
}

StatusOr<Attack> ParseAttack(std::string_view name) {
  for (Attack a : kAllAttacks) {
    if (AttackName(a) == name) return a;
  }
  return InvalidArgumentError("unknown attack '" + std::string(name) + "'");
}

wire::DropReason ExpectedDrop(Attack attack) {
  switch (attack) {
    case Attack::kGarbage:
      return wire::DropReason::kMalformed;
    case Attack::kBadVersion:
      return wire::DropReason::kBadVersion;
    case Attack::kUnknownType:
      return wire::DropReason::kUnknownType;
    case Attack::kHugeLength:
      return wire::DropReason::kOversized;
    case Attack::kForeignPlan:
      return wire::DropReason::kForeignPlan;
    case Attack::kWrongDestination:
      return wire::DropReason::kWrongDestination;
    case Attack::kStale:
      return wire::DropReason::kStale;
    case Attack::kUnknownSource:
      return wire::DropReason::kUnknownSource;
    case Attack::kNoHello:
      return wire::DropReason::kUnknownSource;
  }
  return wire::DropReason::kNone;
}

std::vector<std::string> AttackFrames(Attack attack, const AttackTarget& t) {
  Message m = ValidActivations(t);
  switch (attack) {
    case Attack::kGarbage:
      return {std::string("\x00\xffnot a neuropart header\x7f", 25), "trailing junk"};
    case Attack::kBadVersion: {
      std::vector<std::string> frames = MessageFrames(m);
      frames[0][wire::kOffsetVersion] = 99;
      frames[0][wire::kOffsetVersion + 1] = 0;
      return frames;
    }
    case Attack::kUnknownType: {
      std::vector<std::string> frames = MessageFrames(m);
      frames[0][wire::kOffsetType] = static_cast<char>(200);
      return frames;
    }
    case Attack::kHugeLength:
      (void)wire::SetTensorShape(1u << 20, 1u << 20, wire::DType::kF32, &m.header);
      return MessageFrames(m);  // the payload frame stays 24 bytes
    case Attack::kForeignPlan:
      m.header.plan_hash ^= 0x5a5a5a5a5a5a5a5aull;
      break;
    case Attack::kWrongDestination:
      m.header.destination = t.target + 1;
      break;
    case Attack::kStale:
      m.header.step = t.stale_step;
      break;
    case Attack::kUnknownSource:
      m.header.source = t.num_partitions;
      break;
    case Attack::kNoHello:
      break;
  }
  return MessageFrames(m);
}

}  // namespace neuropart::worker
