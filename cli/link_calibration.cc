#include "link_calibration.h"

#include <fcntl.h>
#include <sched.h>
#include <time.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <memory>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "child_process.h"
#include "link_sockets.h"
#include "neuropart/lifecycle/exit_codes.h"
#include "neuropart/wire/codec.h"
#include "shm_links.h"
#include "zmq_transport.h"

namespace neuropart::cli {
namespace {

using Clock = std::chrono::steady_clock;
constexpr uint64_t kPlanHash = 0x63616c6962726174ull;  // any value both ends agree on
constexpr auto kReceiveTimeout = std::chrono::seconds(10);

// The two block sizes: the small one's round trip is the per-message cost, the big one's extra
// time the bandwidth. Each series starts with one untimed trip (connect and HELLO, first use of
// a buffer that size).
constexpr int64_t kSmallValues = 16;
constexpr int kSmallTrips = 200;
constexpr int64_t kBigValues = 256 * 1024;  // 1 MiB
constexpr int kBigTrips = 20;
constexpr int kEchoes = (kSmallTrips + 1) + (kBigTrips + 1);

Message Block(uint32_t from, int64_t values) {
  Message m;
  m.header.type = wire::MsgType::kActivations;
  m.header.plan_hash = kPlanHash;
  m.header.source = from;
  m.header.destination = 1 - from;
  m.header.step = 1;
  m.header.layer = 1;
  (void)wire::SetTensorShape(1, values, wire::DType::kF32, &m.header);
  m.payload.assign(static_cast<size_t>(values) * 4, '\0');
  return m;
}

StatusOr<Message> ReceiveOne(worker::ZmqTransport& t) {
  ASSIGN_OR_RETURN(std::optional<Message> m, t.Receive(kReceiveTimeout));
  if (!m) return UnavailableError("calibration: no message from the other end of the link");
  return std::move(*m);
}

double CpuSeconds(clockid_t clock) {
  timespec t{};
  clock_gettime(clock, &t);
  return t.tv_sec + 1e-9 * t.tv_nsec;
}

struct Trip {
  double seconds = 0;      // wall time of one round trip
  double cpu_seconds = 0;  // CPU time of both processes (every thread) per round trip
};

// The mean round trip of a `values`-float block to the echo process, whose CPU-time clock is
// `echo_clock`, over `trips` timed trips after an untimed one.
StatusOr<Trip> RoundTrip(worker::ZmqTransport& t, clockid_t echo_clock, int64_t values,
                         int trips) {
  Clock::time_point start;
  double cpu_start = 0;
  for (int i = 0; i < trips + 1; ++i) {
    if (i == 1) {
      start = Clock::now();
      cpu_start = CpuSeconds(CLOCK_PROCESS_CPUTIME_ID) + CpuSeconds(echo_clock);
    }
    RETURN_IF_ERROR(t.Send(Block(0, values)));
    RETURN_IF_ERROR(ReceiveOne(t).status());
  }
  const double seconds = std::chrono::duration<double>(Clock::now() - start).count();
  const double cpu = CpuSeconds(CLOCK_PROCESS_CPUTIME_ID) + CpuSeconds(echo_clock) - cpu_start;
  return Trip{seconds / trips, cpu / trips};
}

// The listening sockets of both ends and, for kShm, the rings; held until both ends are done.
struct LinkPair {
  LinkSockets sockets;
  std::optional<worker::ShmLinkSet> shm;
};

StatusOr<LinkPair> MakeLinks(LinkKind kind) {
  ASSIGN_OR_RETURN(LinkSockets sockets, LinkSockets::Create(2, kind != LinkKind::kTcp));
  LinkPair links{std::move(sockets), std::nullopt};
  if (kind == LinkKind::kShm) {
    ASSIGN_OR_RETURN(worker::ShmLinkSet set,
                     worker::ShmLinkSet::Create(
                         2, worker::ShmRingCapacityFor(kBigValues * 4 + wire::kHeaderBytes)));
    links.shm.emplace(std::move(set));
  }
  return links;
}

worker::ZmqTransportOptions EndOptions(uint32_t self, const std::string& listen_endpoint,
                                       int listen_fd, std::vector<std::string> peers) {
  worker::ZmqTransportOptions o;
  o.self = self;
  o.num_partitions = 2;
  o.plan_hash = kPlanHash;
  o.listen_endpoint = listen_endpoint;
  o.listen_fd = listen_fd;
  o.peer_endpoints = std::move(peers);
  o.linger = std::chrono::milliseconds(1000);
  return o;
}

// Waits for the echo process to end; an exit other than 0 is an error with its stderr.
Status AwaitEcho(ChildProcess& echo) {
  std::vector<std::string> errors;
  std::optional<int> status;
  const Clock::time_point deadline = Clock::now() + kReceiveTimeout;
  while (!(status = echo.Poll())) {
    for (std::string& line : echo.ReadLines(echo.stderr_fd())) errors.push_back(line);
    if (Clock::now() > deadline) {
      echo.Stop(100);
      return UnavailableError("calibration: the echo process did not end");
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(2));
  }
  for (std::string& line : echo.ReadLines(echo.stderr_fd())) errors.push_back(line);
  if (*status == 0) return Status::Ok();
  return UnavailableError("calibration: the echo process " + ChildProcess::DescribeStatus(*status) +
                          (errors.empty() ? "" : ": " + errors.back()));
}

// Pins the calling thread (and the threads it starts, which inherit it) to one CPU; undone on
// destruction.
class PinnedThread {
 public:
  explicit PinnedThread(int cpu) {
    pinned_ = sched_getaffinity(0, sizeof(saved_), &saved_) == 0 && PinTo(cpu);
  }
  ~PinnedThread() {
    if (pinned_) sched_setaffinity(0, sizeof(saved_), &saved_);
  }
  PinnedThread(const PinnedThread&) = delete;
  PinnedThread& operator=(const PinnedThread&) = delete;

  static bool PinTo(int cpu) {
    cpu_set_t one;
    CPU_ZERO(&one);
    CPU_SET(cpu, &one);
    return sched_setaffinity(0, sizeof(one), &one) == 0;
  }

 private:
  cpu_set_t saved_;
  bool pinned_ = false;
};

// Two CPUs this thread may use, or {-1, -1} (anywhere) with fewer.
std::pair<int, int> TwoCpus() {
  cpu_set_t set;
  CPU_ZERO(&set);
  std::vector<int> cpus;
  if (sched_getaffinity(0, sizeof(set), &set) == 0) {
    for (int c = 0; c < CPU_SETSIZE && cpus.size() < 2; ++c) {
      if (CPU_ISSET(c, &set)) cpus.push_back(c);
    }
  }
  if (cpus.size() < 2) return {-1, -1};
  return {cpus[0], cpus[1]};
}

struct LinkTimes {
  Trip small, big;
};

// Both series of round trips to one echo process on `echo_cpu`, this thread (and the transport
// threads it starts) on `own_cpu`; -1 is any CPU.
StatusOr<LinkTimes> TimeWithEcho(LinkKind kind, int own_cpu, int echo_cpu) {
  ASSIGN_OR_RETURN(LinkPair links, MakeLinks(kind));
  const std::vector<std::string> peers = {links.sockets.endpoint(0), links.sockets.endpoint(1)};
  std::vector<std::string> argv = {"/proc/self/exe",          kEchoCommand,
                                   peers[0],                  peers[1],
                                   std::to_string(links.sockets.fd(1)), std::to_string(kEchoes),
                                   std::to_string(echo_cpu)};
  std::vector<int> inherit = {links.sockets.fd(1)};
  worker::ZmqTransportOptions o = EndOptions(0, peers[0], links.sockets.fd(0), peers);
  if (links.shm) {
    argv.push_back(worker::FormatShmLinks(links.shm->For(1)));
    for (int fd : links.shm->For(1).all()) inherit.push_back(fd);
    o.shm = links.shm->For(0);
  }
  ASSIGN_OR_RETURN(std::unique_ptr<ChildProcess> echo, ChildProcess::Spawn(argv, inherit));
  clockid_t echo_clock;
  if (clock_getcpuclockid(echo->pid(), &echo_clock) != 0) {
    return UnavailableError("calibration: cannot read the echo process's CPU time");
  }
  StatusOr<Trip> small = UnavailableError("calibration: not run");
  StatusOr<Trip> big = small;
  {
    std::optional<PinnedThread> pinned;
    if (own_cpu >= 0) pinned.emplace(own_cpu);
    ASSIGN_OR_RETURN(std::unique_ptr<worker::ZmqTransport> t, worker::ZmqTransport::Create(o));
    small = RoundTrip(*t, echo_clock, kSmallValues, kSmallTrips);
    if (small.ok()) big = RoundTrip(*t, echo_clock, kBigValues, kBigTrips);
  }
  if (!small.ok() || !big.ok()) {
    // An echo that ended says why it stopped answering better than our timeout does.
    if (echo->Poll()) RETURN_IF_ERROR(AwaitEcho(*echo));
    echo->Stop(100);
    return small.ok() ? big.status() : small.status();
  }
  RETURN_IF_ERROR(AwaitEcho(*echo));
  return LinkTimes{*small, *big};
}

Trip Mean(const Trip& a, const Trip& b) {
  return Trip{(a.seconds + b.seconds) / 2, (a.cpu_seconds + b.cpu_seconds) / 2};
}

}  // namespace

Status MeasureLinks(LinkKind kind, MachineCosts* costs) {
  // A message between two local workers wakes its receiver on the sender's core or on another,
  // as the scheduler places it, and the two cost very differently (the rings here: 7 us of CPU
  // a message on one core, 15-18 us across two). Left to the scheduler, one calibration lands
  // in either case, about half the time each, which moved the main job's prediction by 30%.
  // So both are timed, pinned, and the model takes their mean.
  const auto [cpu_a, cpu_b] = TwoCpus();
  ASSIGN_OR_RETURN(LinkTimes t, TimeWithEcho(kind, cpu_a, cpu_b));
  if (cpu_a >= 0) {
    ASSIGN_OR_RETURN(const LinkTimes shared, TimeWithEcho(kind, cpu_a, cpu_a));
    t = LinkTimes{Mean(t.small, shared.small), Mean(t.big, shared.big)};
  }
  // A trip is two messages; what is not CPU time is the delay in flight.
  costs->message_cpu_seconds = t.small.cpu_seconds / 2;
  costs->message_seconds = std::max(0.0, t.small.seconds / 2 - costs->message_cpu_seconds);
  costs->link_bytes_per_second =
      2.0 * kBigValues * 4 / std::max(t.big.seconds - t.small.seconds, 1e-9);
  return Status::Ok();
}

int ProbeEchoCommand(const std::vector<std::string>& args) {
  if (args.size() != 5 && args.size() != 6) {
    std::fprintf(stderr,
                 "usage: neuropart %s ENDPOINT0 ENDPOINT1 LISTEN_FD MESSAGES CPU [SHM_LINKS]\n",
                 kEchoCommand);
    return kExitBadInput;
  }
  int listen_fd = -1, messages = 0, cpu = -1;
  try {
    listen_fd = std::stoi(args[2]);
    messages = std::stoi(args[3]);
    cpu = std::stoi(args[4]);
  } catch (const std::exception&) {
    std::fprintf(stderr, "neuropart %s: LISTEN_FD, MESSAGES and CPU must be integers\n",
                 kEchoCommand);
    return kExitBadInput;
  }
  if (cpu >= 0 && !PinnedThread::PinTo(cpu)) {
    std::fprintf(stderr, "neuropart %s: cannot run on CPU %d\n", kEchoCommand, cpu);
    return kExitBadInput;
  }
  if (fcntl(listen_fd, F_GETFD) < 0) {  // ZeroMQ aborts on a descriptor that is not open
    std::fprintf(stderr, "neuropart %s: LISTEN_FD %d is not open\n", kEchoCommand, listen_fd);
    return kExitBadInput;
  }
  worker::ZmqTransportOptions o = EndOptions(1, args[1], listen_fd, {args[0], args[1]});
  if (args.size() == 6) {
    StatusOr<worker::ShmLinkFds> shm = worker::ParseShmLinks(args[5], 2, 1);
    if (!shm.ok()) {
      std::fprintf(stderr, "neuropart %s: %s\n", kEchoCommand, shm.status().ToString().c_str());
      return kExitBadInput;
    }
    o.shm = *shm;
  }
  Status status = [&]() -> Status {
    ASSIGN_OR_RETURN(std::unique_ptr<worker::ZmqTransport> t, worker::ZmqTransport::Create(o));
    for (int i = 0; i < messages; ++i) {
      ASSIGN_OR_RETURN(Message m, ReceiveOne(*t));
      RETURN_IF_ERROR(t->Send(Block(1, static_cast<int64_t>(m.payload.size() / 4))));
    }
    return Status::Ok();
  }();
  if (!status.ok()) {
    std::fprintf(stderr, "neuropart %s: %s\n", kEchoCommand, status.ToString().c_str());
    return kExitFailure;
  }
  return kExitOk;
}

}  // namespace neuropart::cli
