// neuropart-worker: one partition of a job (see worker_config.h for its settings).
//
// Trains (spec.mode: train) or serves (spec.mode: serve) its share of the model with its peers
// over ZeroMQ. Every worker exposes Prometheus metrics when given a metrics port (or socket);
// the coordinator (partition 0) also serves GET /status when given a status port (or socket).
// Report lines on stdout tell the launcher what happened (report.h); errors go to stderr. Exit
// codes (lifecycle/exit_codes.h): 0 ok, 1 runtime failure, 2 bad input, 130 stopped by SIGINT,
// 143 stopped by SIGTERM or by a peer that was stopped.
#include <malloc.h>
#include <sys/prctl.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <csignal>
#include <cstdio>
#include <cstdlib>

#include "neuropart/engine/math_threads.h"
#include "neuropart/lifecycle/exit_codes.h"
#include "neuropart/lifecycle/report_line.h"
#include "neuropart/exec/serve_session.h"
#include "neuropart/exec/training_session.h"
#include "neuropart/job/job_file.h"
#include "neuropart/job/job_paths.h"
#include "neuropart/plan/plan_io.h"
#include "neuropart/store/checkpoint.h"
#include "neuropart/store/file_util.h"
#include "neuropart/wire/payloads.h"
#include "job_keys.h"
#include "report.h"
#include "status_server.h"
#include "worker_config.h"
#include "worker_metrics.h"
#include "zmq_transport.h"

namespace neuropart::worker {
namespace {


volatile std::sig_atomic_t g_stop = 0;  // the signal that asked to stop, or 0
void OnStop(int signal) { g_stop = signal; }

// A pod's HTTP endpoints listen on every interface (the kubelet and Prometheus reach them there).
std::string AnyInterface(int port) { return ":" + std::to_string(port); }

// Tells every peer that this partition gives up, so they fail fast instead of timing out. Best
// effort, never waiting: a peer that aborted first, or has gone, cannot take it, and waiting for
// it would hold this process for the transport's send timeout.
void BroadcastAbort(ZmqTransport* transport, const Plan& plan, int self, const Status& why) {
  for (int p = 0; p < plan.num_partitions(); ++p) {
    if (p == self || transport->aborted(p)) continue;
    Message m;
    m.header.type = wire::MsgType::kAbort;
    m.header.plan_hash = plan.hash();
    m.header.source = self;
    m.header.destination = p;
    m.payload = wire::EncodeAbort({static_cast<uint32_t>(why.code()), why.message()});
    m.header.payload_length = m.payload.size();
    (void)transport->SendNow(std::move(m));
  }
}

ExecutorOptions ExecutorFor(const WorkerConfig& config, const JobSpec& spec) {
  ExecutorOptions e;
  e.partition = config.partition;
  const int timeout =
      config.timeout_seconds > 0 ? config.timeout_seconds : spec.transport.timeout_seconds;
  e.timeout = std::chrono::seconds(timeout);
  e.rendezvous_timeout = std::chrono::seconds(spec.transport.rendezvous_timeout_seconds);
  const OptimizerSpec& o = spec.training.optimizer;
  e.sgd = {static_cast<float>(o.learning_rate), static_cast<float>(o.momentum),
           static_cast<float>(o.weight_decay)};
  const std::string& dtype = spec.transport.dtype;
  e.dtype = dtype == "fp16"   ? wire::DType::kF16
            : dtype == "bf16" ? wire::DType::kBF16
                              : wire::DType::kF32;
  return e;
}

// What one worker runs on: its job, plan, sockets, metrics and (coordinator) status board.
struct Runtime {
  const WorkerConfig& config;
  const JobSpec& spec;
  const Plan& plan;
  ZmqTransport* transport;
  WorkerMetrics* metrics;
  StatusBoard* board;

  bool coordinator() const { return config.partition == wire::kCoordinator; }
  int64_t SentBytes() const {
    int64_t n = 0;
    for (int p = 0; p < plan.num_partitions(); ++p) n += metrics->bytes_sent(p);
    return n;
  }
  int64_t SentMessages() const {
    int64_t n = 0;
    for (int p = 0; p < plan.num_partitions(); ++p) n += metrics->messages_sent(p);
    return n;
  }
  int64_t SentThroughRings() const {
    int64_t n = 0;
    for (int p = 0; p < plan.num_partitions(); ++p) n += metrics->ring_messages_sent(p);
    return n;
  }
  // Partitions whose HELLO arrived (and this one) are in `connected`; the rest still Starting.
  void MarkPartitions(PartitionPhase connected) {
    board->Update([&](JobStatus& s) {
      for (PartitionReport& p : s.partitions) {
        const bool up = p.partition == config.partition || transport->greeted(p.partition);
        p.phase = up ? connected : PartitionPhase::kStarting;
      }
    });
  }
};

Status Train(Runtime& rt) {
  ASSIGN_OR_RETURN(JobData data, LoadJobData(rt.spec));
  SessionConfig s;
  s.spec = &rt.spec;
  s.plan = &rt.plan;
  s.data = &data;
  s.store = rt.config.store;
  s.exec = ExecutorFor(rt.config, rt.spec);
  s.max_steps = rt.config.max_steps;
  double samples = 0, seconds = 0;
  // Traffic of training steps only: the mark moves past each checkpoint's messages.
  TrafficReport traffic{.partition = rt.config.partition};
  std::vector<double> step_seconds;
  int64_t bytes_mark = 0, messages_mark = 0, rings_mark = 0;
  auto mark = [&] {
    bytes_mark = rt.SentBytes();
    messages_mark = rt.SentMessages();
    rings_mark = rt.SentThroughRings();
  };
  s.on_phase = [&](JobPhase phase) { rt.board->Update([&](JobStatus& j) { j.phase = phase; }); };
  // In a container the worker is PID 1, which the kernel never kills with a signal it does not
  // handle: without this, `kubectl delete pod` would wait out the grace period while the gang
  // trains on. A stop ends the session after the step's update as Cancelled, which stops the
  // peers too; the store keeps the last committed checkpoint.
  std::signal(SIGTERM, OnStop);
  std::signal(SIGHUP, OnStop);  // a closed terminal: as SIGTERM
  std::signal(SIGINT, OnStop);
  s.after_step = [](int64_t step) {
    if (g_stop == 0) return Status::Ok();
    return CancelledError("SIG" + std::string(sigabbrev_np(g_stop)) + " after step " +
                          std::to_string(step));
  };
  s.on_checkpoint = [&](int64_t step, double took) {
    rt.metrics->ObserveCheckpoint(took);
    rt.board->Update([&](JobStatus& j) { j.last_checkpoint = step; });
    // The coordinator's checkpoint is committed once this runs (a resumable step for --rebalance).
    if (rt.coordinator()) PrintCheckpointCommitted(step);
    mark();
  };
  s.on_step = [&](const StepReport& r) {
    samples += r.samples;
    seconds += r.step_seconds;
    ++traffic.steps;
    traffic.bytes_sent += rt.SentBytes() - bytes_mark;
    traffic.messages_sent += rt.SentMessages() - messages_mark;
    traffic.ring_messages_sent += rt.SentThroughRings() - rings_mark;
    mark();
    step_seconds.push_back(r.step_seconds);
    rt.transport->SetMinStep(r.step);
    rt.metrics->ObserveStep(r.step_seconds, r.step_seconds - r.wait_seconds, r.wait_seconds);
    rt.board->Update([&](JobStatus& j) {
      j.step = r.step;
      j.total_steps = r.total_steps;
      j.epoch = r.epoch;
      j.loss = r.loss;
      j.samples_per_second = seconds > 0 ? samples / seconds : 0;
    });
    rt.MarkPartitions(PartitionPhase::kRunning);
    PrintProgress(r);
  };
  StatusOr<TrainingOutcome> outcome = RunTrainingSession(s, rt.transport);
  if (!outcome.ok()) return outcome.status();
  rt.board->Update([&](JobStatus& j) {
    j.phase = JobPhase::kSucceeded;
    if (outcome->test.samples > 0) {
      j.accuracy = static_cast<double>(outcome->test.correct) / outcome->test.samples;
    }
  });
  rt.MarkPartitions(PartitionPhase::kDone);
  if (!step_seconds.empty()) {
    std::nth_element(step_seconds.begin(), step_seconds.begin() + step_seconds.size() / 2,
                     step_seconds.end());
    traffic.median_step_seconds = step_seconds[step_seconds.size() / 2];
  }
  PrintTraffic(traffic);
  if (rt.coordinator()) {
    WriteTerminationMessage(PrintResult(*outcome, seconds > 0 ? samples / seconds : 0));
  }
  return Status::Ok();
}

Status Serve(Runtime& rt) {
  std::signal(SIGTERM, OnStop);
  std::signal(SIGHUP, OnStop);  // a closed terminal: as SIGTERM
  std::signal(SIGINT, OnStop);
  ServeConfig s;
  s.spec = &rt.spec;
  s.plan = &rt.plan;
  s.store = rt.config.store;
  s.exec = ExecutorFor(rt.config, rt.spec);
  s.stop = [] { return g_stop != 0; };
  s.reply = [&](const wire::MessageHeader& request, Message reply) {
    return rt.transport->SendReply(request, std::move(reply));
  };
  s.on_ready = [&](int64_t start_step) {
    rt.board->Update([&](JobStatus& j) {
      j.phase = JobPhase::kServing;
      j.step = start_step;
    });
    if (rt.coordinator()) PrintServing(rt.transport->endpoint(), start_step);
  };
  s.on_request = [&](int64_t rows, double took) {
    rt.metrics->ObserveStep(took, took, 0);
    rt.MarkPartitions(PartitionPhase::kServing);
  };
  StatusOr<ServeOutcome> out = RunServeSession(s, rt.transport);
  if (!out.ok()) return out.status();
  std::fprintf(stderr, "Stopped serving after %lld request(s)\n",
               static_cast<long long>(out->requests));
  return Status::Ok();
}

Status Run(const WorkerConfig& config) {
  ASSIGN_OR_RETURN(ParsedJob job, LoadJobFile(config.job_path));
  ASSIGN_OR_RETURN(std::string plan_text, ReadFile(config.plan_path));
  ASSIGN_OR_RETURN(Plan plan, PlanFromText(plan_text, config.plan_path));
  if (plan.num_partitions() != static_cast<int>(config.peers.size())) {
    return InvalidArgumentError("--peers: the plan has " + std::to_string(plan.num_partitions()) +
                                " partitions, got " + std::to_string(config.peers.size()) +
                                " endpoints");
  }
  SetMathThreads(config.threads);
  // A dataset that is not there is configuration, not a transient failure: exit 2, not retried.
  RETURN_IF_ERROR(CheckDatasetFiles(job));
  // A store this uid cannot write fails every attempt the same way: say so once, as bad input
  // (exit 2), which the launcher and the operator do not retry.
  if (Status s = CheckWritableDirectory(JobDir(config.store, job.spec.name)); !s.ok()) {
    if (s.code() != StatusCode::kInvalidArgument) return s;
    return InvalidArgumentError("store: " + s.message() +
                                " (on NFS, export it with all_squash,anonuid=65532,"
                                "anongid=65532, or chown it to the worker's uid)");
  }

  ASSIGN_OR_RETURN(std::unique_ptr<WorkerMetrics> metrics,
                   WorkerMetrics::Create({.partition = config.partition}));
  std::unique_ptr<StatusServer> metrics_server;
  if (config.metrics_port != 0 || config.metrics_fd >= 0) {
    WorkerMetrics* m = metrics.get();
    ASSIGN_OR_RETURN(metrics_server,
                     StatusServer::Start({.address = AnyInterface(config.metrics_port),
                                          .listen_fd = config.metrics_fd,
                                          .metrics = [m] { return m->Render(); }}));
  }
  ZmqTransportOptions t;
  t.self = config.partition;
  t.num_partitions = plan.num_partitions();
  t.plan_hash = plan.hash();
  t.listen_endpoint = config.listen;
  t.listen_fd = config.listen_fd;
  t.peer_endpoints = config.peers;
  t.metrics = metrics.get();
  if (!config.shm_links.empty()) {
    ASSIGN_OR_RETURN(t.shm, ParseShmLinks(config.shm_links, plan.num_partitions(),
                                          config.partition));
  }
  // Unix-domain links are guarded by their directory's permissions, not by CURVE
  // (cli/ipc_links.h): spec.transport.encryption is for TCP links.
  const bool ipc_links = config.listen.rfind("ipc://", 0) == 0;
  if (job.spec.transport.encrypted() && !ipc_links) {
    if (config.keys_dir.empty()) {
      return InvalidArgumentError(
          "--keys: spec.transport.encryption is curve, so the worker needs the job's key "
          "directory (NEUROPART_KEYS)");
    }
    ASSIGN_OR_RETURN(t.keys, ReadJobKeys(config.keys_dir, plan.num_partitions(),
                                         PartitionKeyOwner(config.partition)));
  }
  ASSIGN_OR_RETURN(std::unique_ptr<ZmqTransport> transport, ZmqTransport::Create(t));

  StatusBoard board;
  JobStatus initial;
  initial.job = job.spec.name;
  initial.phase = JobPhase::kStarting;
  for (int p = 0; p < plan.num_partitions(); ++p) {
    initial.partitions.push_back({p, PartitionPhase::kStarting});
  }
  board.Set(initial);
  std::unique_ptr<StatusServer> status_server;
  const bool serves_status = config.status_port != 0 || config.status_fd >= 0;
  if (config.partition == wire::kCoordinator && serves_status) {
    std::string token;
    if (!config.status_token_file.empty()) {
      ASSIGN_OR_RETURN(token, ReadFile(config.status_token_file));
      while (!token.empty() && std::isspace(static_cast<unsigned char>(token.back()))) {
        token.pop_back();
      }
      if (token.empty()) {
        return InvalidArgumentError("--status-token-file: " + config.status_token_file +
                                    " is empty");
      }
    }
    ASSIGN_OR_RETURN(status_server,
                     StatusServer::Start({.address = AnyInterface(config.status_port),
                                          .listen_fd = config.status_fd,
                                          .board = &board,
                                          .status_token = token}));
  }

  Runtime rt{config, job.spec, plan, transport.get(), metrics.get(), &board};
  Status s = job.spec.mode == JobMode::kServe ? Serve(rt) : Train(rt);
  if (!s.ok()) {
    board.Update([](JobStatus& j) { j.phase = JobPhase::kFailed; });
    BroadcastAbort(transport.get(), plan, config.partition, s);
  }
  return s;
}

}  // namespace
}  // namespace neuropart::worker

namespace {

const char* kAbout = R"(One partition of a neuropart job: loads its rows of the model, trains them
with its peers over ZeroMQ, checkpoints its shard to the store. Usually started by `neuropart
run` or the operator. Every flag may instead come from the environment variable shown beside it.)";

// glibc serves an allocation of 128 KiB or more with its own mmap, and raises that threshold
// (up to 32 MiB) only when such a block is freed. A worker whose training set was loaded in
// blocks larger than 32 MiB never has it raised, so every step's activation and gradient buffers
// were mapped, faulted in page by page and unmapped again: a 96 MB set made each step of the
// 784-1024-1024-10 neuron split 12% slower than a 32 MB one (329k page faults against 110k,
// docs/benchmarks.md). Fixing the thresholds where glibc's own adjustment would put them keeps
// those buffers on the heap; peak memory is unchanged. A MALLOC_*_ variable the user set wins.
void KeepStepBuffersOnTheHeap() {
  if (std::getenv("MALLOC_MMAP_THRESHOLD_") == nullptr) mallopt(M_MMAP_THRESHOLD, 32 << 20);
  if (std::getenv("MALLOC_TRIM_THRESHOLD_") == nullptr) mallopt(M_TRIM_THRESHOLD, 64 << 20);
}

}  // namespace

int main(int argc, char** argv) {
  KeepStepBuffersOnTheHeap();
  using namespace neuropart::worker;
  WorkerConfig config;
  neuropart::Flags flags("neuropart-worker", kAbout);
  AddWorkerFlags(&flags, &config);
  if (std::optional<int> exit = flags.ParseOrExit(std::vector<std::string>(argv + 1, argv + argc)))
    return *exit;
  if (neuropart::Status s = CheckWorkerConfig(&config); !s.ok()) {
    std::fprintf(stderr, "neuropart-worker: %s\n\nRun neuropart-worker --help for its flags.\n",
                 s.message().c_str());
    return neuropart::kExitBadInput;
  }
  if (config.parent_pid > 0) {
    // SIGKILL: the launcher is gone, so nobody is left to restart or report; the store keeps the
    // last committed checkpoint. Checked after setting it, in case the launcher died before.
    prctl(PR_SET_PDEATHSIG, SIGKILL);
    if (getppid() != config.parent_pid) {
      std::fprintf(stderr, "neuropart-worker: launcher %d is gone\n", config.parent_pid);
      return neuropart::kExitFailure;
    }
  }
  neuropart::Status s = Run(config);
  if (!s.ok()) {
    std::fprintf(stderr, "neuropart-worker: partition %d: %s\n", config.partition,
                 s.ToString().c_str());
    switch (s.code()) {
      case neuropart::StatusCode::kInvalidArgument:
        return neuropart::kExitBadInput;
      case neuropart::StatusCode::kCancelled:
        return g_stop == SIGINT ? neuropart::kExitInterrupted : neuropart::kExitStopped;
      default:
        return neuropart::kExitFailure;
    }
  }
  return neuropart::kExitOk;
}
