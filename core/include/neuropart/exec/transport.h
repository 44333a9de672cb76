// Transport: how one partition sends and receives wire messages, whatever carries them.
//
// The executor talks only to this interface; worker/ implements it over ZeroMQ (the only code
// that includes zmq.hpp) and InProcessNetwork below implements it with queues between threads, so
// the whole distributed algorithm is tested without sockets. Implementations admit only messages
// that pass wire::CheckMessage for this partition and plan, and count the rest by DropReason.
// Send and Receive are called from one thread per partition (the executor's).
#ifndef NEUROPART_EXEC_TRANSPORT_H_
#define NEUROPART_EXEC_TRANSPORT_H_

#include <chrono>
#include <condition_variable>
#include <deque>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "neuropart/status.h"
#include "neuropart/wire/protocol.h"

namespace neuropart {

struct Message {
  wire::MessageHeader header;
  std::string payload;  // the payload frame; empty for types without one
};

class Transport {
 public:
  virtual ~Transport() = default;
  // Sends `message` to partition message.header.destination. Unavailable if the link is down.
  virtual Status Send(Message message) = 0;
  // The next admitted message, or nullopt if none arrived within `timeout`.
  virtual StatusOr<std::optional<Message>> Receive(std::chrono::milliseconds timeout) = 0;
};

// P partitions in one process, connected by in-memory queues. Thread-safe; the network must
// outlive the transports it hands out.
class InProcessNetwork {
 public:
  explicit InProcessNetwork(int partitions);
  ~InProcessNetwork();
  Transport* Endpoint(int partition);

 private:
  struct Queue {
    std::mutex mu;
    std::condition_variable cv;
    std::deque<Message> messages;
  };
  class Endpoint_;
  std::vector<std::unique_ptr<Queue>> queues_;
  std::vector<std::unique_ptr<Transport>> endpoints_;
};

}  // namespace neuropart

#endif  // NEUROPART_EXEC_TRANSPORT_H_
