#include "launcher.h"

#include <poll.h>
#include <signal.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <map>
#include <memory>
#include <optional>
#include <thread>

#include "child_process.h"
#include "link_sockets.h"
#include "cpu_cgroup.h"
#include "memory_cgroup.h"
#include "neuropart/job/job_memory.h"
#include "lease_keeper.h"
#include "neuropart/lifecycle/exit_codes.h"
#include "neuropart/lifecycle/report_line.h"
#include "neuropart/lifecycle/gang_lifecycle.h"
#include "neuropart/lifecycle/reasons.h"
#include "neuropart/plan/plan_io.h"
#include "neuropart/plan/plan_stats.h"
#include "neuropart/plan/rebalance.h"
#include "neuropart/store/checkpoint.h"
#include "neuropart/store/file_util.h"
#include "neuropart/store/job_lease.h"
#include "neuropart/wire/protocol.h"
#include "neuropart/http/tcp_listener.h"
#include "job_keys.h"
#include "neuropart/wire/codec.h"
#include "shm_links.h"
#include "progress.h"

namespace neuropart::cli {
namespace {

using Clock = std::chrono::steady_clock;

volatile sig_atomic_t g_interrupted = 0;
void OnInterrupt(int) { g_interrupted = 1; }

void InstallInterruptHandler() {
  struct sigaction sa {};
  sa.sa_handler = OnInterrupt;
  sigemptyset(&sa.sa_mask);
  sigaction(SIGINT, &sa, nullptr);
  sigaction(SIGTERM, &sa, nullptr);
  // A closed terminal (or ssh session) stops the job as cleanly as Ctrl-C.
  sigaction(SIGHUP, &sa, nullptr);
}

// Ports the kernel hands out for port 0, held open together so they are distinct.
// Local restarts wait 1 s, doubling up to 30 s: a local crash rarely heals by waiting long.
constexpr BackoffPolicy kLocalBackoff{std::chrono::seconds(1), std::chrono::seconds(30)};

// A killed launcher keeps its job locked this long; renewing every third of it leaves two more
// chances before it expires.
constexpr std::chrono::seconds kLeaseTtl{30};

// How a worker process ended, in the lifecycle's words.
PartitionObservation Ended(int q, int status, const std::string& last_error) {
  PartitionObservation p;
  p.index = q;
  p.state = PartitionState::kFailed;
  p.message = ChildProcess::DescribeStatus(status) + (last_error.empty() ? "" : ": " + last_error);
  const int code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  if (code == kExitBadInput) {
    p.failure = FailureKind::kRefusedInput;
  } else if (code == kExitStopped || code == kExitInterrupted ||
             (WIFSIGNALED(status) && WTERMSIG(status) == SIGTERM)) {
    p.failure = FailureKind::kDisrupted;
  }
  return p;
}

struct Attempt {
  enum class Outcome {
    kSucceeded,
    kFailed,
    kInterrupted,
    kLeaseLost,
    kRebalance,  // stopped at a committed checkpoint to re-plan with `rebalance_to`
  } outcome = Outcome::kFailed;
  std::optional<PartitionObservation> failed;  // the partition whose end stopped the attempt
  std::optional<ReportLine> result;
  std::map<int, ReportLine> traffic;  // per partition
  std::optional<std::vector<double>> rebalance_to;  // measured capacities
};

// " p0 1.00 p1 0.52"
std::string FormatCapacities(const std::vector<double>& capacities) {
  std::string out;
  for (size_t q = 0; q < capacities.size(); ++q) {
    char part[32];
    std::snprintf(part, sizeof(part), " p%zu %.2f", q, capacities[q]);
    out += part;
  }
  return out;
}

// The largest block of values a partition sends in a step: its share of a layer for a batch.
size_t LargestBlockBytes(const Plan& plan, const JobSpec& spec) {
  int64_t widest = 0;
  for (int p = 0; p < plan.num_partitions(); ++p) {
    for (int l = 0; l < plan.num_layers(); ++l) widest = std::max(widest, plan.OwnedCount(p, l));
  }
  return static_cast<size_t>(widest * spec.training.batch_size) * sizeof(float) +
         wire::kHeaderBytes;
}

// One gang's measurement for --rebalance.
struct Rebalancing {
  CapacityMeter meter;
  std::vector<double> capacities;  // the plan's
  double tolerance;
  // What a restart costs: this gang's time from its start to its first step.
  double restart_seconds = 0;
  bool said_not_worth_it = false;
};

// What the workers' memory came to over every attempt of a run, for the summary.
struct MemoryLedger {
  std::map<int, int64_t> peak_rss;  // per partition, the largest of its processes
  bool limit_unenforced = false;    // said once: no memory cgroup could be made
};

class Gang {
 public:
  // `rebalancing` (nullptr: none) outlives the gang.
  Gang(const ParsedJob& job, const Plan& plan, const LaunchOptions& options, std::string plan_path,
       const LeaseKeeper& lease, MemoryLedger* memory, Rebalancing* rebalancing)
      : job_(job),
        plan_(plan),
        options_(options),
        plan_path_(std::move(plan_path)),
        lease_(lease),
        memory_(*memory),
        rebalancing_(rebalancing) {}

  // Every worker has ended by now (Run stops them all before it returns).
  ~Gang() {
    for (size_t q = 0; q < children_.size(); ++q) {
      children_[q]->Stop(0);
      int64_t& peak = memory_.peak_rss[static_cast<int>(q)];
      peak = std::max(peak, children_[q]->peak_rss_bytes());
    }
  }

  Attempt Run() {
    started_ = Clock::now();
    const int P = plan_.num_partitions();
    if (Status s = BindSockets(P); !s.ok()) return SetupFailed(s);
    std::string peers;
    for (int q = 0; q < P; ++q) peers += (peers.empty() ? "" : ",") + LinkEndpoint(q);
    const TcpListener& status = http_sockets_[P];
    for (int q = 0; q < P; ++q) {
      const TcpListener& metrics = http_sockets_[q];
      std::vector<int> inherit = {LinkFd(q), metrics.fd()};
      if (q == wire::kCoordinator) inherit.push_back(status.fd());
      if (shm_links_) {
        for (int fd : shm_links_->For(q).all()) inherit.push_back(fd);
      }
      std::unique_ptr<MemoryCgroup> limit = MemoryLimit(q);
      StatusOr<std::unique_ptr<ChildProcess>> child =
          ChildProcess::Spawn(Argv(q, peers, metrics, status), inherit);
      if (!child.ok()) return SetupFailed(child.status());
      if (limit) {
        // Moved before it has done more than start: the limit holds for its whole life.
        if (Status s = limit->Add((*child)->pid()); !s.ok()) return SetupFailed(s);
      }
      cgroups_.push_back(std::move(limit));
      if (Status s = LimitCpu(q, (*child)->pid()); !s.ok()) return SetupFailed(s);
      const std::string status_url =
          q == wire::kCoordinator
              ? ", status http://127.0.0.1:" + std::to_string(status.port()) + "/status"
              : "";
      std::fprintf(stderr, "Partition %d: pid %d, %s, metrics http://127.0.0.1:%d/metrics%s\n", q,
                   static_cast<int>((*child)->pid()), LinkEndpoint(q).c_str(),
                   metrics.port(), status_url.c_str());
      children_.push_back(std::move(child).value());
      last_error_.push_back("");
    }
    return Supervise();
  }

 private:
  static Attempt SetupFailed(const Status& why) {
    Attempt a;
    a.failed = PartitionObservation{0, PartitionState::kFailed, FailureKind::kCrashed, "",
                                    why.message()};
    return a;
  }

  // Per partition a link socket (Unix-domain with options_.ipc_links, else TCP) and a metrics
  // socket, plus the coordinator's status socket, all bound here (TCP on 127.0.0.1) and inherited
  // by the workers: a port or path is never free between being chosen and being served. They stay
  // open for this attempt.
  Status BindSockets(int P) {
    http_sockets_.clear();
    links_.reset();
    shm_links_.reset();
    if (options_.shm_links) {
      ASSIGN_OR_RETURN(worker::ShmLinkSet set,
                       worker::ShmLinkSet::Create(P, worker::ShmRingCapacityFor(
                                                         LargestBlockBytes(plan_, job_.spec))));
      shm_links_.emplace(std::move(set));
    }
    for (int i = 0; i < P + 1; ++i) {
      ASSIGN_OR_RETURN(TcpListener s, TcpListener::Listen("127.0.0.1:0"));
      http_sockets_.push_back(std::move(s));
    }
    ASSIGN_OR_RETURN(LinkSockets links, LinkSockets::Create(P, options_.ipc_links));
    links_.emplace(std::move(links));
    return Status::Ok();
  }

  std::string LinkEndpoint(int q) const { return links_->endpoint(q); }
  int LinkFd(int q) const { return links_->fd(q); }

  // Puts partition q's worker under its --cpu-limit, if it has one.
  Status LimitCpu(int q, pid_t pid) {
    if (q >= static_cast<int>(options_.cpu_limits.size()) || options_.cpu_limits[q] <= 0) {
      return Status::Ok();
    }
    ASSIGN_OR_RETURN(std::unique_ptr<CpuCgroup> group,
                     CpuCgroup::Create(CpuCgroupName(job_.spec, q), options_.cpu_limits[q]));
    RETURN_IF_ERROR(group->Add(pid));
    cpu_cgroups_.push_back(std::move(group));
    return Status::Ok();
  }

  // Partition q's memory cgroup with the job's worker limit, or nullptr without a limit or where
  // none can be made (said once per run: the limit then holds only on Kubernetes).
  std::unique_ptr<MemoryCgroup> MemoryLimit(int q) {
    const double limit = job_.spec.worker_memory_limit;
    if (limit <= 0 || memory_.limit_unenforced) return nullptr;
    StatusOr<std::unique_ptr<MemoryCgroup>> group = MemoryCgroup::Create(
        "neuropart-" + job_.spec.name + "-" + std::to_string(getpid()) + "-" + std::to_string(q),
        static_cast<int64_t>(limit));
    if (group.ok()) return std::move(group).value();
    memory_.limit_unenforced = true;
    std::fprintf(stderr,
                 "Warning: spec.worker.resources.limits.memory (%lld bytes) is not enforced on "
                 "this machine: %s; each partition's peak memory is still reported\n",
                 static_cast<long long>(limit), group.status().message().c_str());
    return nullptr;
  }

  // Why partition q ended, for the lifecycle's message: its last error line, or the kernel's
  // kill at its memory limit.
  std::string EndReason(int q) const {
    if (cgroups_[q] && cgroups_[q]->OomKills()) {
      return "it exceeded its memory limit of " +
             std::to_string(static_cast<int64_t>(job_.spec.worker_memory_limit)) +
             " bytes (spec.worker.resources.limits.memory) and the kernel killed it";
    }
    return last_error_[q];
  }

  std::vector<std::string> Argv(int q, const std::string& peers, const TcpListener& metrics,
                                const TcpListener& status) const {
    std::vector<std::string> argv = {options_.worker_binary, "--job", options_.job_path,
                                     "--plan", plan_path_, "--partition", std::to_string(q),
                                     "--store", options_.store,
                                     "--listen", LinkEndpoint(q),
                                     "--listen-fd", std::to_string(LinkFd(q)),
                                     "--peers", peers, "--threads",
                                     std::to_string(options_.threads_per_worker),
                                     "--metrics-fd", std::to_string(metrics.fd()),
                                     "--parent-pid", std::to_string(getpid())};
    if (q == wire::kCoordinator) {
      argv.insert(argv.end(), {"--status-fd", std::to_string(status.fd())});
    }
    if (shm_links_) {
      argv.insert(argv.end(), {"--shm-links", worker::FormatShmLinks(shm_links_->For(q))});
    }
    if (options_.max_steps >= 0) {
      argv.insert(argv.end(), {"--max-steps", std::to_string(options_.max_steps)});
    }
    if (!options_.keys_dir.empty()) {
      argv.insert(argv.end(), {"--keys", options_.keys_dir});
    }
    if (options_.timeout_seconds > 0) {
      argv.insert(argv.end(), {"--timeout-seconds", std::to_string(options_.timeout_seconds)});
    }
    return argv;
  }

  // Signals every partition first, so their grace periods run side by side.
  void StopAll() {
    for (auto& c : children_) c->Terminate();
    for (auto& c : children_) c->Stop(2000);
  }

  void HandleLine(int q, const std::string& line, bool from_stdout, Attempt* out) {
    std::optional<ReportLine> r = from_stdout ? ParseReportLine(line) : std::nullopt;
    if (!r) {
      std::fprintf(stderr, "[partition %d] %s\n", q, line.c_str());
      if (!from_stdout) last_error_[q] = line;
      return;
    }
    if (r->kind == "progress") {
      const double step_s = r->Number("step_s");
      wait_share_[q] = step_s > 0 ? r->Number("wait_s") / step_s : 0;
      total_steps_ = r->Number("total");
      if (rebalancing_ && rebalancing_->restart_seconds == 0 && q == 0) {
        rebalancing_->restart_seconds = std::chrono::duration<double>(Clock::now() - started_).count();
      }
      if (rebalancing_) {
        rebalancing_->meter.Observe(q, step_s - r->Number("wait_s"), r->Number("cpu_s"));
      }
      if (q != 0) return;
      // The rate counts from this gang's first report: the step before it began when this
      // process did not yet know (a resumed gang's first step would look instantaneous).
      const bool first = !progress_;
      if (first) progress_ = std::make_unique<Progress>(stderr, r->Number("total"));
      std::string waits = "wait";
      for (const auto& [p, share] : wait_share_) {
        char buf[32];
        std::snprintf(buf, sizeof(buf), " p%d %.0f%%", p, 100 * share);
        waits += buf;
      }
      progress_->Step(r->Number("step"), r->Number("epoch"), r->Number("loss"),
                      first ? 0 : r->Number("samples"), waits);
    } else if (r->kind == "checkpoint" && q == 0) {
      if (rebalancing_) ConsiderRebalancing(r->Number("step"), out);
    } else if (r->kind == "result" && q == 0) {
      out->result = r;
    } else if (r->kind == "traffic") {
      out->traffic[q] = *r;
    } else if (r->kind == "serving" && q == 0) {
      // The client key is in the store, so the command names it.
      std::fprintf(stderr,
                   "Serving %s at %s (weights of step %s); ask with `neuropart infer %s --connect "
                   "%s --store %s`; Ctrl-C stops\n",
                   job_.spec.name.c_str(), r->Text("endpoint").c_str(),
                   r->Text("start_step").c_str(), options_.job_path.c_str(),
                   r->Text("endpoint").c_str(), options_.store.c_str());
    }
  }

  // At a committed checkpoint: re-plan with the measured capacities when they differ from the
  // plan's and the time they save over the remaining steps pays for the restart.
  void ConsiderRebalancing(double step, Attempt* out) {
    if (step >= total_steps_) return;
    std::optional<RebalanceVerdict> v =
        JudgeRebalance(rebalancing_->meter, rebalancing_->capacities, rebalancing_->tolerance,
                       total_steps_ - step, rebalancing_->restart_seconds);
    if (!v || !v->differ) return;
    if (v->pays) {
      out->rebalance_to = v->measured;
    } else if (!rebalancing_->said_not_worth_it) {
      rebalancing_->said_not_worth_it = true;
      std::fprintf(stderr,
                   "Not rebalancing to the measured capacities%s: over the remaining %.0f steps "
                   "they would save %.2f s, less than a restart takes (%.2f s)\n",
                   FormatCapacities(v->measured).c_str(), total_steps_ - step, v->seconds_saved,
                   rebalancing_->restart_seconds);
    }
  }

  Attempt Supervise() {
    Attempt out;
    const int P = static_cast<int>(children_.size());
    std::vector<bool> done(P, false);
    int remaining = P;
    while (remaining > 0) {
      if (g_interrupted) {
        StopAll();
        Attempt interrupted;
        interrupted.outcome = Attempt::Outcome::kInterrupted;
        return interrupted;
      }
      if (lease_.lost()) {  // another run may be writing the job's checkpoints now
        StopAll();
        Attempt lost;
        lost.outcome = Attempt::Outcome::kLeaseLost;
        return lost;
      }
      std::vector<pollfd> fds;
      for (auto& c : children_) {
        fds.push_back({c->stdout_fd(), POLLIN, 0});
        fds.push_back({c->stderr_fd(), POLLIN, 0});
      }
      poll(fds.data(), fds.size(), 100);
      for (int q = 0; q < P; ++q) {
        for (const std::string& l : children_[q]->ReadLines(children_[q]->stdout_fd())) HandleLine(q, l, true, &out);
        for (const std::string& l : children_[q]->ReadLines(children_[q]->stderr_fd())) HandleLine(q, l, false, &out);
        if (out.rebalance_to) {
          StopAll();
          if (progress_) progress_->Finish();
          out.outcome = Attempt::Outcome::kRebalance;
          return out;
        }
        if (done[q]) continue;
        std::optional<int> status = children_[q]->Poll();
        if (!status) continue;
        for (const std::string& l : children_[q]->ReadLines(children_[q]->stdout_fd())) HandleLine(q, l, true, &out);
        for (const std::string& l : children_[q]->ReadLines(children_[q]->stderr_fd())) HandleLine(q, l, false, &out);
        done[q] = true;
        --remaining;
        if (WIFEXITED(*status) && WEXITSTATUS(*status) == 0) continue;
        StopAll();
        if (progress_) progress_->Finish();
        out.outcome = Attempt::Outcome::kFailed;
        out.failed = Ended(q, *status, EndReason(q));
        return out;
      }
    }
    if (progress_) progress_->Finish();
    out.outcome = out.result ? Attempt::Outcome::kSucceeded : Attempt::Outcome::kFailed;
    if (!out.result) {
      out.failed = PartitionObservation{0, PartitionState::kFailed, FailureKind::kCrashed, "",
                                        "the coordinator ended without a result"};
    }
    return out;
  }

  const ParsedJob& job_;
  const Plan& plan_;
  const LaunchOptions& options_;
  std::string plan_path_;
  const LeaseKeeper& lease_;
  MemoryLedger& memory_;
  Rebalancing* rebalancing_;
  Clock::time_point started_;
  double total_steps_ = 0;  // of the training, from the progress reports
  std::vector<std::unique_ptr<CpuCgroup>> cpu_cgroups_;  // of the partitions with --cpu-limit
  std::vector<std::unique_ptr<MemoryCgroup>> cgroups_;  // [q], nullptr when unlimited; outlive
                                                        // the children, which must end first
  std::vector<std::unique_ptr<ChildProcess>> children_;
  // This attempt's sockets, inherited by its workers (BindSockets).
  std::vector<TcpListener> http_sockets_;  // [q] partition q's metrics, [P] the status server
  std::optional<LinkSockets> links_;       // [q] partition q's ZeroMQ socket
  std::optional<worker::ShmLinkSet> shm_links_;  // with options_.shm_links
  std::vector<std::string> last_error_;
  std::map<int, double> wait_share_;
  std::unique_ptr<Progress> progress_;
};

void PrintResult(const ReportLine& r) {
  for (const char* key : {"start_step", "steps", "final_loss", "samples_per_second", "test_loss",
                          "test_accuracy", "test_samples", "export"}) {
    auto it = r.fields.find(key);
    if (it != r.fields.end()) std::printf("%s: %s\n", key, it->second.c_str());
  }
}

// Per partition: what it sent per training step, beside the plan's prediction (payload only;
// the measurement adds wire headers and the loss report to the coordinator).
void PrintTraffic(const JobSpec& spec, const Plan& plan, const std::map<int, ReportLine>& traffic) {
  const std::vector<PartitionStats> predicted = ComputePlanStats(
      plan, {.batch_size = spec.training.batch_size,
             .micro_batches = spec.training.micro_batches,
             .bytes_per_value = spec.transport.dtype == "fp32" ? 4 : 2});
  for (const auto& [q, t] : traffic) {
    if (q == 0) std::printf("median_step_seconds: %s\n", t.Text("median_step_s").c_str());
    const double steps = std::max(1.0, t.Number("steps"));
    const double messages = std::max(1.0, t.Number("messages_sent"));
    std::printf("traffic_p%d: %.0f bytes/step in %.1f messages/step (plan: %lld bytes in %lld), "
                "%.0f%% of them by shared memory\n",
                q, t.Number("bytes_sent") / steps, t.Number("messages_sent") / steps,
                static_cast<long long>(predicted[q].bytes_sent),
                static_cast<long long>(predicted[q].messages_sent),
                100 * t.Number("ring_messages_sent") / messages);
  }
}

// Per partition: the peak resident memory of its worker processes beside the plan's estimate.
void PrintMemory(const JobSpec& spec, const Plan& plan, const MemoryLedger& memory) {
  for (const auto& [q, peak] : memory.peak_rss) {
    const PartitionMemory m = EstimatePartitionMemory(spec, plan, q);
    std::printf("memory_p%d: peak %lld bytes resident (plan: state %lld, total %lld", q,
                static_cast<long long>(peak), static_cast<long long>(m.state()),
                static_cast<long long>(m.total()));
    if (spec.worker_memory_limit > 0) {
      std::printf("; limit %lld%s", static_cast<long long>(spec.worker_memory_limit),
                  memory.limit_unenforced ? ", not enforced" : "");
    }
    std::printf(")\n");
  }
}

// False when Ctrl-C came first.
bool SleepUnlessInterrupted(std::chrono::seconds delay) {
  const auto until = std::chrono::steady_clock::now() + delay;
  while (!g_interrupted && std::chrono::steady_clock::now() < until) {
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  return !g_interrupted;
}

// Takes the job's lease, held until the keeper is destroyed, and removes the temp files a stopped
// run left: with the lease held, no worker started and no renewal yet, no live process writes
// there. nullptr, after saying why, when it cannot; *exit_code is then the exit code.
std::unique_ptr<LeaseKeeper> LockJob(const std::string& job_dir, const LeaseClock& clock,
                                     int* exit_code) {
  StatusOr<JobLease> lease = JobLease::Acquire(job_dir, ThisProcess(), kLeaseTtl, clock);
  if (!lease.ok()) {
    std::fprintf(stderr, "neuropart: store: %s\n", lease.status().message().c_str());
    *exit_code =
        lease.status().code() == StatusCode::kInvalidArgument ? kExitBadInput : kExitFailure;
    return nullptr;
  }
  if (lease->taken_over()) {
    std::fprintf(stderr, "Took over %s from a run that stopped renewing it: %s\n",
                 lease->path().c_str(), DescribeLease(*lease->taken_over()).c_str());
  }
  StatusOr<int> removed = RemoveTempFiles(job_dir);
  if (!removed.ok()) {
    std::fprintf(stderr, "neuropart: store: %s\n", removed.status().message().c_str());
    *exit_code = kExitFailure;
    return nullptr;
  }
  if (*removed > 0) {
    std::fprintf(stderr, "Removed %d temp file(s) that a stopped run left in %s\n", *removed,
                 job_dir.c_str());
  }
  return std::make_unique<LeaseKeeper>(std::move(lease).value(), kLeaseTtl / 3);
}

}  // namespace

std::string CpuCgroupName(const JobSpec& spec, int q) {
  return "neuropart-" + spec.name + "-" + std::to_string(getpid()) + "-cpu" + std::to_string(q);
}

std::string FindWorkerBinary() {
  if (const char* env = std::getenv("NEUROPART_WORKER")) return env;
  char self[4096];
  const ssize_t n = readlink("/proc/self/exe", self, sizeof(self) - 1);
  if (n <= 0) return "neuropart-worker";
  std::string dir(self, n);
  return dir.substr(0, dir.rfind('/')) + "/neuropart-worker";
}

int Launch(const ParsedJob& job, const Plan& plan, const LaunchOptions& options) {
  const std::string job_dir = options.store + "/jobs/" + job.spec.name;
  const std::string plan_path = job_dir + "/plan.yaml";
  // Before anything is written: a second run must not even replace the first one's plan or keys.
  const SystemLeaseClock clock;
  int exit_code = kExitOk;
  const std::unique_ptr<LeaseKeeper> lease = LockJob(job_dir, clock, &exit_code);
  if (!lease) return exit_code;
  if (!options.keys_dir.empty()) {
    // Fresh keys for every run: keys an earlier run left behind open nothing now.
    if (Status s = worker::WriteJobKeys(options.keys_dir, plan.num_partitions()); !s.ok()) {
      std::fprintf(stderr, "neuropart: %s\n", s.message().c_str());
      return kExitFailure;
    }
  }
  if (Status s = WriteFileAtomic(plan_path, PlanToYaml(plan)); !s.ok()) {
    std::fprintf(stderr, "neuropart: %s\n", s.message().c_str());
    return 1;
  }
  InstallInterruptHandler();
  std::fprintf(stderr, "Started %s: %d partitions (strategy %s, plan %s), store %s\n",
               job.spec.name.c_str(), plan.num_partitions(),
               std::string(StrategyName(plan.strategy())).c_str(), plan.HashHex().c_str(),
               options.store.c_str());
  if (options.ipc_links) {
    std::fprintf(stderr,
                 "Links: %sUnix-domain sockets in a directory only this user can enter%s "
                 "(--links tcp for TCP)\n",
                 options.shm_links ? "shared-memory rings between the workers, and " : "",
                 job.spec.transport.encrypted() ? "; spec.transport.encryption applies to TCP links"
                                                : "");
  }
  // A job's store remembers it: a second run continues (or, finished, only re-evaluates).
  if (StatusOr<std::optional<CheckpointRef>> latest = LatestCheckpoint(options.store, job.spec.name);
      latest.ok() && *latest) {
    if (!(*latest)->warning.empty()) {
      std::fprintf(stderr, "Warning: %s\n", (*latest)->warning.c_str());
    }
    std::fprintf(stderr,
                 "Continuing from the checkpoint of step %lld in %s (remove that directory to "
                 "start over)\n",
                 static_cast<long long>((*latest)->step), JobDir(options.store, job.spec.name).c_str());
  }
  int restarts = 0;  // counted against backoffLimit
  int rebalances = 0;
  Plan current = plan;
  std::vector<double> capacities = options.rebalance ? options.rebalance->capacities
                                                     : std::vector<double>{};
  MemoryLedger memory;
  // Said on every way out once a gang has run, so that a failed or stopped run shows it too.
  struct PrintMemoryOnReturn {
    const ParsedJob& job;
    const Plan& plan;
    const MemoryLedger& memory;
    ~PrintMemoryOnReturn() { PrintMemory(job.spec, plan, memory); }
  } print_memory{job, current, memory};
  for (int attempt = 0;; ++attempt) {
    Attempt a;
    {
      std::optional<Rebalancing> rebalancing;
      if (const std::optional<RebalanceOptions>& r = options.rebalance) {
        rebalancing.emplace(Rebalancing{
            CapacityMeter(PartitionWork(current, StepCostsOf(job.spec)), options.cpu_limits,
                          r->warmup_steps, r->window),
            capacities, r->tolerance});
      }
      Gang gang(job, current, options, plan_path, *lease, &memory,
                rebalancing ? &*rebalancing : nullptr);
      a = gang.Run();
    }
    if (a.outcome == Attempt::Outcome::kSucceeded) {
      PrintResult(*a.result);
      PrintTraffic(job.spec, current, a.traffic);
      if (attempt > rebalances) std::printf("restarts: %d\n", attempt - rebalances);
      if (rebalances > 0) std::printf("rebalances: %d\n", rebalances);
      return 0;
    }
    if (a.outcome == Attempt::Outcome::kRebalance) {
      const std::vector<double> to = MoveCapacities(
          capacities, *a.rebalance_to, rebalances == 0 ? 1 : options.rebalance->later_fraction);
      StatusOr<Plan> next = options.rebalance->replan(to);
      Status written = next.ok() ? WriteFileAtomic(plan_path, PlanToYaml(*next)) : next.status();
      if (!written.ok()) {
        std::fprintf(stderr, "neuropart: --rebalance: %s\n", written.message().c_str());
        return kExitFailure;
      }
      std::fprintf(stderr,
                   "Rebalanced: measured capacities%s against the plan's%s; resuming from the "
                   "last checkpoint with%s (plan %s)\n",
                   FormatCapacities(*a.rebalance_to).c_str(),
                   FormatCapacities(MoveCapacities(capacities, *a.rebalance_to, 0)).c_str(),
                   FormatCapacities(to).c_str(), next->HashHex().c_str());
      current = std::move(next).value();
      capacities = to;
      ++rebalances;
      continue;
    }
    if (a.outcome == Attempt::Outcome::kInterrupted) {
      if (job.spec.mode == JobMode::kServe) {
        std::fprintf(stderr, "Stopped serving.\n");
        return 0;
      }
      std::fprintf(stderr, "Stopped all partitions; the store keeps the last committed checkpoint.\n");
      return 130;
    }
    if (a.outcome == Attempt::Outcome::kLeaseLost) {
      std::fprintf(stderr, "neuropart: stopped all partitions: %s\n", lease->why_lost().c_str());
      return kExitFailure;
    }
    GangObservation observed;
    observed.partitions.push_back(*a.failed);
    observed.serve = job.spec.mode == JobMode::kServe;
    observed.restarts = restarts;
    observed.backoff_limit = job.spec.backoff_limit;
    observed.backoff = kLocalBackoff;
    const GangDecision d = DecideGang(observed);
    if (d.action == GangDecision::Action::kFail) {
      std::fprintf(stderr, "neuropart: job %s failed (%s): %s\n", job.spec.name.c_str(),
                   d.reason.c_str(), d.message.c_str());
      return d.reason == kReasonWorkerConfigError ? 2 : 1;
    }
    std::fprintf(stderr, "Restarting all partitions: %s\n", d.message.c_str());
    restarts += d.counted;
    if (!SleepUnlessInterrupted(d.delay)) {
      std::fprintf(stderr, "Stopped; the store keeps the last committed checkpoint.\n");
      return 130;
    }
  }
}

}  // namespace neuropart::cli
