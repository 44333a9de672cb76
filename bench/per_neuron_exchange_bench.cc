// The paper's literal reading as a baseline: one request per remote neuron, against neuropart's
// one block per (peer, layer boundary, micro-batch).
//
// Partition 0 owns the 256 neurons of a hidden layer, partition 1 needs all of their values for a
// micro-batch of 32 samples. Both run in this process, each on its own thread with its own
// ZmqTransport over 127.0.0.1 (the worker's real sockets). Block: partition 1 asks once and gets
// one [32, 256] block. Per neuron: it asks 256 times and gets one [32, 1] column each time.
// Prints ms per exchange for both and their ratio.
//
// Usage: per_neuron_exchange_bench [--neurons N] [--batch B] [--rounds R]
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <thread>

#include "neuropart/wire/codec.h"
#include "neuropart/wire/values.h"
#include "zmq_transport.h"

namespace neuropart {
namespace {

using Clock = std::chrono::steady_clock;
using worker::ZmqTransport;
constexpr uint64_t kPlan = 0x6e657572;
constexpr std::chrono::milliseconds kWait{10000};

struct Options {
  int neurons = 256;
  int batch = 32;
  int rounds = 20;
};

std::unique_ptr<ZmqTransport> Make(uint32_t self) {
  worker::ZmqTransportOptions o;
  o.self = self;
  o.num_partitions = 2;
  o.plan_hash = kPlan;
  o.listen_endpoint = "tcp://127.0.0.1:*";
  StatusOr<std::unique_ptr<ZmqTransport>> t = ZmqTransport::Create(o);
  if (!t.ok()) {
    std::fprintf(stderr, "%s\n", t.status().ToString().c_str());
    std::exit(1);
  }
  return std::move(t).value();
}

Message Tensor(uint32_t from, uint64_t id, uint32_t layer, wire::Phase phase, int rows, int cols) {
  Message m;
  m.header.type = wire::MsgType::kActivations;
  m.header.plan_hash = kPlan;
  m.header.source = from;
  m.header.destination = 1 - from;
  m.header.step = id;
  m.header.layer = layer;
  m.header.phase = phase;
  (void)wire::SetTensorShape(rows, cols, wire::DType::kF32, &m.header);
  std::vector<float> values(static_cast<size_t>(rows) * cols, 0.5f);
  m.payload = wire::EncodeValues(values.data(), values.size(), wire::DType::kF32);
  return m;
}

Message Receive(ZmqTransport& t) {
  StatusOr<std::optional<Message>> m = t.Receive(kWait);
  if (!m.ok() || !*m) {
    std::fprintf(stderr, "no message: %s\n", m.ok() ? "timeout" : m.status().ToString().c_str());
    std::exit(1);
  }
  return std::move(**m);
}

// Partition 0: answers every request (forward phase) with the values it names.
void Owner(ZmqTransport& t, const Options& o, int64_t requests) {
  for (int64_t i = 0; i < requests; ++i) {
    const Message request = Receive(t);
    const bool whole = request.header.layer == UINT32_MAX;
    (void)t.Send(Tensor(0, request.header.step, request.header.layer, wire::Phase::kBackward,
                        o.batch, whole ? o.neurons : 1));
  }
}

// Partition 1: gathers the whole layer `rounds` times; returns ms per gather.
double Reader(ZmqTransport& t, const Options& o, bool per_neuron) {
  uint64_t id = 0;
  const auto start = Clock::now();
  for (int r = 0; r < o.rounds; ++r) {
    const int asks = per_neuron ? o.neurons : 1;
    for (int n = 0; n < asks; ++n) {
      const uint32_t what = per_neuron ? static_cast<uint32_t>(n) : UINT32_MAX;
      (void)t.Send(Tensor(1, ++id, what, wire::Phase::kForward, 1, 1));
      (void)Receive(t);
    }
  }
  return std::chrono::duration<double, std::milli>(Clock::now() - start).count() / o.rounds;
}

double Measure(const Options& o, bool per_neuron) {
  auto owner = Make(0), reader = Make(1);
  (void)owner->SetPeerEndpoint(1, reader->endpoint());
  (void)reader->SetPeerEndpoint(0, owner->endpoint());
  const int64_t requests = static_cast<int64_t>(o.rounds) * (per_neuron ? o.neurons : 1);
  std::thread serve([&] { Owner(*owner, o, requests); });
  const double ms = Reader(*reader, o, per_neuron);
  serve.join();
  return ms;
}

}  // namespace
}  // namespace neuropart

int main(int argc, char** argv) {
  neuropart::Options o;
  for (int i = 1; i + 1 < argc; i += 2) {
    const int v = std::atoi(argv[i + 1]);
    if (!std::strcmp(argv[i], "--neurons")) o.neurons = v;
    else if (!std::strcmp(argv[i], "--batch")) o.batch = v;
    else if (!std::strcmp(argv[i], "--rounds")) o.rounds = v;
  }
  neuropart::Measure(o, false);  // warm up sockets and pages
  const double block = neuropart::Measure(o, false);
  const double per_neuron = neuropart::Measure(o, true);
  std::printf("per_neuron_exchange neurons=%d batch=%d: block %.3f ms, per-neuron %.3f ms, "
              "per-neuron/block %.0fx\n",
              o.neurons, o.batch, block, per_neuron, per_neuron / block);
  return 0;
}
