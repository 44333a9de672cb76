#include "neuropart/exec/transport.h"

namespace neuropart {

class InProcessNetwork::Endpoint_ : public Transport {
 public:
  Endpoint_(InProcessNetwork* net, int self) : net_(net), self_(self) {}

  Status Send(Message message) override {
    const uint32_t to = message.header.destination;
    if (to >= net_->queues_.size()) {
      return InvalidArgumentError("no partition " + std::to_string(to));
    }
    Queue& q = *net_->queues_[to];
    {
      std::lock_guard<std::mutex> lock(q.mu);
      q.messages.push_back(std::move(message));
    }
    q.cv.notify_one();
    return Status::Ok();
  }

  StatusOr<std::optional<Message>> Receive(std::chrono::milliseconds timeout) override {
    Queue& q = *net_->queues_[self_];
    std::unique_lock<std::mutex> lock(q.mu);
    if (!q.cv.wait_for(lock, timeout, [&] { return !q.messages.empty(); })) {
      return std::optional<Message>();
    }
    Message m = std::move(q.messages.front());
    q.messages.pop_front();
    return std::optional<Message>(std::move(m));
  }

 private:
  InProcessNetwork* net_;
  int self_;
};

InProcessNetwork::InProcessNetwork(int partitions) {
  for (int p = 0; p < partitions; ++p) {
    queues_.push_back(std::make_unique<Queue>());
    endpoints_.push_back(std::make_unique<Endpoint_>(this, p));
  }
}

InProcessNetwork::~InProcessNetwork() = default;

Transport* InProcessNetwork::Endpoint(int partition) { return endpoints_[partition].get(); }

}  // namespace neuropart
