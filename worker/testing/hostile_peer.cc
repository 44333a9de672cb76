#include "testing/hostile_peer.h"

#include <unistd.h>

#include <cerrno>
#include <cstdint>
#include <cstring>

#include "neuropart/wire/payloads.h"
#include "neuropart/wire/values.h"

namespace neuropart::worker {
namespace {

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
                                                    std::chrono::milliseconds linger,
                                                    std::optional<CurveOptions> curve) {
  auto peer = std::unique_ptr<RawPeer>(new RawPeer());
  ZmqSocketOptions options;
  options.curve = std::move(curve);
  options.linger = linger;
  options.max_frame_bytes = wire::kHeaderBytes + wire::kMaxPayloadBytes;
  ASSIGN_OR_RETURN(peer->socket_,
                   ZmqSocket::Create(&peer->context_, ZmqSocket::Role::kDealer, options));
  static int next = 0;
  RETURN_IF_ERROR(peer->socket_->Connect(endpoint, "raw-peer-" + std::to_string(getpid()) + "-" +
                                                       std::to_string(next++)));
  return peer;
}

RawPeer::~RawPeer() = default;

Status RawPeer::SendFrames(const std::vector<std::string>& frames) {
  return socket_->Send(frames);
}

StatusOr<std::optional<std::vector<std::string>>> RawPeer::ReceiveFrames(
    std::chrono::milliseconds timeout) {
  ASSIGN_OR_RETURN(bool readable, socket_->WaitReadable(timeout));
  if (!readable) return std::optional<std::vector<std::string>>();
  std::vector<std::string> frames;
  size_t total = 0;
  ASSIGN_OR_RETURN(bool got, socket_->TryReceive(SIZE_MAX, &frames, &total));
  if (!got) return std::optional<std::vector<std::string>>();
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
    case Attack::kHello:
      return "hello";
    case Attack::kAbort:
      return "abort";
  }
  return "unknown";
}

StatusOr<Attack> ParseAttack(std::string_view name) {
  for (Attack a : kAllAttacks) {
    if (AttackName(a) == name) return a;
  }
  for (Attack a : {Attack::kHello, Attack::kAbort}) {
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
    case Attack::kHello:
    case Attack::kAbort:
      return wire::DropReason::kNone;
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
    case Attack::kHello:
    case Attack::kAbort: {
      Message control;  // a structured payload: no tensor shape in the header
      control.header.plan_hash = t.plan_hash;
      control.header.source = t.impersonate;
      control.header.destination = t.target;
      if (attack == Attack::kHello) {
        control.header.type = wire::MsgType::kHello;
        control.header.step = t.stale_step;
        control.payload = wire::EncodeHello({wire::kProtocolVersion, t.impersonate,
                                             t.num_partitions, t.plan_hash, t.stale_step});
      } else {
        control.header.type = wire::MsgType::kAbort;
        control.header.step = t.step;
        control.payload = wire::EncodeAbort({1, "stopped by neuropart-hostile-peer"});
      }
      control.header.payload_length = control.payload.size();
      return MessageFrames(control);
    }
  }
  return MessageFrames(m);
}

}  // namespace neuropart::worker
