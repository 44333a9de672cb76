// neuropart run: trains (or serves) a job. --reference uses the single-process trainer.
#include <cstdio>
#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <sstream>
#include <thread>

#include "calibration.h"
#include "cpu_cgroup.h"
#include "commands.h"
#include "neuropart/engine/math_threads.h"
#include "neuropart/app/flags.h"
#include "neuropart/engine/reference_trainer.h"
#include "neuropart/job/batch_schedule.h"
#include "neuropart/job/job_data.h"
#include "neuropart/job/job_file.h"
#include "neuropart/job/job_memory.h"
#include "neuropart/job/job_paths.h"
#include "neuropart/store/checkpoint.h"
#include "neuropart/store/file_util.h"
#include "neuropart/store/model_io.h"
#include "launcher.h"
#include "ipc_links.h"
#include "progress.h"

namespace neuropart::cli {
namespace {

const char* kAbout = R"(Trains the job's model on its dataset, one worker process per partition on
127.0.0.1 (or, with --reference, in this process with the single-process trainer), and writes
the final weights, in safetensors (PyTorch's nn.Linear layout), to
<store>/jobs/<name>/export/model.safetensors. Progress goes to stderr; the final metrics go to
stdout as `key: value` lines, with each partition's peak memory beside the plan's estimate
(memory_p<q>). With spec.worker.resources.limits.memory every worker runs in a memory cgroup of
that limit where this process may create one (root, or a delegated cgroup), as a pod would. A
job that stops (a worker dies) restarts from its last checkpoint, up to spec.backoffLimit times.

The partitions' links are Unix-domain sockets in a fresh directory only this user can enter
(--links ipc): the kernel's access check guards them, so they skip spec.transport.encryption's
CURVE and its cost. --links shm, the default for training, adds a shared-memory ring per pair of
partitions, which only the launched workers hold: a message that fits skips the socket and the
kernel's copies (rings are sized from the plan, at most 8 MiB each). --links tcp gives every partition a TCP socket
on 127.0.0.1, CURVE-encrypted as the job says, as between machines.

With spec.mode: serve the partitions load the job's last checkpoint (else spec.model.weights,
else the seed) and answer `neuropart infer` requests until Ctrl-C; their links are TCP, since
clients connect to the coordinator over TCP.)";

struct RunOptions {
  std::string store;
  int threads = 1;
  int64_t max_steps = -1;  // -1: the job's own
};

StatusOr<ModelParams> InitialWeights(const JobSpec& spec, const std::string& store) {
  if (spec.weights.empty()) return InitModel(spec.model, spec.init_seed);
  StatusOr<ModelParams> params = ReadModelWeights(WeightsPath(spec, store), spec.model);
  if (!params.ok()) return params.status().WithContext("spec.model.weights");
  return params;
}

std::string Absolute(const std::string& path) {
  if (!path.empty() && path[0] == '/') return path;
  char cwd[4096];
  return std::string(getcwd(cwd, sizeof(cwd)) ? cwd : ".") + "/" + path;
}

int RunReference(const JobSpec& spec, const RunOptions& options) {
  SetMathThreads(options.threads);
  StatusOr<JobData> data = LoadJobData(spec);
  if (!data.ok()) return ReportError(data.status());
  StatusOr<ModelParams> params = InitialWeights(spec, options.store);
  if (!params.ok()) return ReportError(params.status());
  const OptimizerSpec& o = spec.training.optimizer;
  ReferenceTrainer trainer(spec.model, std::move(params).value(),
                           {static_cast<float>(o.learning_rate), static_cast<float>(o.momentum),
                            static_cast<float>(o.weight_decay)});
  const TrainingSpec& t = spec.training;
  BatchSchedule schedule(data->train.size(), t.batch_size, t.epochs,
                         options.max_steps >= 0 ? options.max_steps : t.max_steps, t.shuffle,
                         t.seed);
  std::fprintf(stderr, "Training %s with the reference trainer: %lld samples, %lld steps, %d thread(s)\n",
               spec.name.c_str(), static_cast<long long>(data->train.size()),
               static_cast<long long>(schedule.TotalSteps()), options.threads);
  Progress progress(stderr, schedule.TotalSteps());
  double loss = 0;
  MatrixF x;
  std::vector<int32_t> labels;
  for (int64_t step = 0; step < schedule.TotalSteps(); ++step) {
    const std::vector<int64_t> rows = schedule.Batch(step);
    GatherBatch(data->train, rows, &x, &labels);
    const int micro = static_cast<int>(std::min<int64_t>(t.micro_batches, rows.size()));
    loss = trainer.TrainStep(x, labels.data(), micro);
    progress.Step(step + 1, schedule.EpochOf(step), loss, rows.size());
  }
  progress.Finish();
  std::printf("steps: %lld\nfinal_loss: %.6f\nsamples_per_second: %.1f\n",
              static_cast<long long>(schedule.TotalSteps()), loss,
              progress.samples_per_second());
  if (data->test.size() > 0) {
    EvalResult eval = trainer.Evaluate(data->test.x, data->test.labels, 1024);
    std::printf("test_loss: %.6f\ntest_accuracy: %.4f\ntest_samples: %lld\n", eval.loss,
                eval.accuracy, static_cast<long long>(eval.samples));
  }
  const std::string path = ExportPath(spec, options.store);
  if (Status s = MakeDirs(path.substr(0, path.rfind('/'))); !s.ok()) return ReportError(s);
  if (Status s = WriteModelWeights(path, spec.model, trainer.params()); !s.ok()) {
    return ReportError(s);
  }
  std::printf("export: %s\n", path.c_str());
  return kExitOk;
}

}  // namespace

std::string StoreDir(const std::string& store_flag, const JobSpec& spec) {
  if (!store_flag.empty()) return store_flag;
  if (!spec.storage.directory.empty()) return spec.storage.directory;
  return "neuropart-store";
}

std::string JobKeysDir(const std::string& store, const JobSpec& spec) {
  return JobDir(store, spec.name) + "/keys";
}

namespace {

// Configuration every attempt would trip over, refused before training starts (exit 2).
Status CheckBeforeStart(const ParsedJob& job, const std::string& store_flag,
                        const std::string& store) {
  const std::string field = !store_flag.empty()                        ? "--store"
                            : !job.spec.storage.directory.empty() ? "spec.storage.directory"
                                                                   : "store " + store;
  RETURN_IF_ERROR(CheckDatasetFiles(job));
  return CheckJobStore(job, store, field);
}

// Every partition of a local run shares this machine: together they must fit in its memory.
Status CheckFitsThisMachine(const ParsedJob& job, const Plan& plan) {
  const double memory = static_cast<double>(sysconf(_SC_PHYS_PAGES)) * sysconf(_SC_PAGESIZE);
  int64_t need = 0;
  for (int p = 0; p < plan.num_partitions(); ++p) {
    need += EstimatePartitionMemory(job.spec, plan, p).total();
  }
  if (need <= memory) return Status::Ok();
  return Locate(InvalidArgumentError("spec.model: the " + std::to_string(plan.num_partitions()) +
                                     " partitions need at least " + std::to_string(need) +
                                     " bytes together, more than this machine's " +
                                     std::to_string(static_cast<int64_t>(memory)) +
                                     " bytes of memory"),
                job.source);
}

}  // namespace

namespace {

// "1=0.5,3=2" -> per partition CPUs (0: unlimited). Each limit is tried once here, so that a
// machine without a writable cpu controller is the user's error before any worker starts.
StatusOr<std::vector<double>> ParseCpuLimits(const std::string& text, int partitions) {
  std::vector<double> limits;
  if (text.empty()) return limits;
  limits.assign(partitions, 0);
  std::stringstream items(text);
  for (std::string item; std::getline(items, item, ',');) {
    const size_t eq = item.find('=');
    int q = -1;
    double cores = 0;
    try {
      size_t used = 0;
      if (eq != std::string::npos) q = std::stoi(item.substr(0, eq), &used);
      if (used != eq) q = -1;
      cores = std::stod(item.substr(eq + 1), &used);
      if (used != item.size() - eq - 1) cores = 0;
    } catch (const std::exception&) {
      q = -1;
    }
    if (q < 0 || !(cores > 0)) {
      return InvalidArgumentError("--cpu-limit: want PARTITION=CORES with CORES > 0, got \"" +
                                  item + "\"");
    }
    if (q >= partitions) {
      return InvalidArgumentError("--cpu-limit: partition " + std::to_string(q) +
                                  " does not exist (the job has " + std::to_string(partitions) +
                                  ")");
    }
    limits[q] = cores;
  }
  StatusOr<std::unique_ptr<CpuCgroup>> probe =
      CpuCgroup::Create("neuropart-cpu-check-" + std::to_string(getpid()), 1.0);
  if (!probe.ok()) {
    return InvalidArgumentError("--cpu-limit: " + probe.status().message());
  }
  return limits;
}

// Capacities, measured by `flag`, apply to strategies balanced and auto.
Status CheckCapacitiesApply(const std::string& flag, const JobSpec& spec) {
  const Strategy s = spec.distribution.strategy;
  if (s == Strategy::kBalanced || s == Strategy::kAuto) return Status::Ok();
  return InvalidArgumentError(flag + ": spec.distribution.strategy is " +
                              std::string(StrategyName(s)) +
                              "; capacities apply to balanced and auto");
}

// --measure-capacities: the partitions' measured speeds become the job's capacities.
Status MeasureCapacities(int threads, const std::vector<double>& cpu_limits, JobSpec* spec) {
  RETURN_IF_ERROR(CheckCapacitiesApply("--measure-capacities", *spec));
  ASSIGN_OR_RETURN(std::vector<double> speeds, MeasurePartitionSpeeds(*spec, threads, cpu_limits));
  const double fastest = *std::max_element(speeds.begin(), speeds.end());
  std::string line = "Measured capacities:";
  spec->distribution.capacities.clear();
  for (size_t q = 0; q < speeds.size(); ++q) {
    // Rounded so that one run's noise does not make each plan a new one.
    const double capacity = std::max(0.01, std::round(100 * speeds[q] / fastest) / 100);
    spec->distribution.capacities.push_back(capacity);
    char part[96];
    std::snprintf(part, sizeof(part), " p%zu %.1f GFLOP/s (%.2f)", q, speeds[q] / 1e9, capacity);
    line += part;
  }
  std::fprintf(stderr, "%s\n", line.c_str());
  return Status::Ok();
}

// --rebalance: the launcher re-plans the job with the capacities it measures.
StatusOr<RebalanceOptions> RebalanceFor(const ParsedJob& job) {
  RETURN_IF_ERROR(CheckCapacitiesApply("--rebalance", job.spec));
  if (job.spec.mode != JobMode::kTrain) {
    return InvalidArgumentError("--rebalance: this job has spec.mode: serve; rebalancing times "
                                "training steps");
  }
  if (job.spec.training.checkpoint_every <= 0) {
    return InvalidArgumentError(
        "--rebalance: spec.training.checkpointEvery is 0, and a rebalanced plan resumes from a "
        "checkpoint; set it (every 10-50 steps is usual)");
  }
  RebalanceOptions r;
  r.capacities = job.spec.distribution.capacities;
  r.replan = [job](const std::vector<double>& capacities) {
    ParsedJob with = job;
    with.spec.distribution.capacities = capacities;
    return PlanJob(with);
  };
  return r;
}

}  // namespace

StatusOr<LocalLinks> ParseLinks(const std::string& links, const JobSpec& spec) {
  if (links != "auto" && links != "shm" && links != "ipc" && links != "tcp") {
    return InvalidArgumentError("--links: want auto, shm, ipc or tcp, got \"" + links + "\"");
  }
  const bool serve = spec.mode == JobMode::kServe;
  if (serve && (links == "ipc" || links == "shm")) {
    return InvalidArgumentError(
        "--links " + links + ": this job has spec.mode: serve, whose clients reach the "
        "coordinator over TCP (use --links tcp or auto)");
  }
  if (links == "tcp" || (links == "auto" && serve)) return LocalLinks{};
  return LocalLinks{.ipc = true, .shm = links != "ipc"};
}

int RunCommand(const std::vector<std::string>& args) {
  std::string job_path, store;
  RunOptions options;
  options.threads = static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
  bool reference = false;
  std::string links = "auto", cpu_limit;
  bool measure_capacities = false, rebalance = false;
  Flags flags("neuropart run", kAbout);
  flags.Positional("JOB.yaml", &job_path, "the job file");
  flags.Bool("--reference", &reference,
             "train in this process with the single-process reference trainer");
  flags.String("--store", &store,
               "store directory (default: spec.storage.directory, else ./neuropart-store)");
  flags.Int("--threads", &options.threads,
            "math threads in all (default: all cores; split among partitions)");
  flags.Int("--max-steps", &options.max_steps,
            "stop after this many steps (overrides spec.training.maxSteps; -1: the job's)");
  flags.String("--links", &links,
               "auto | shm | ipc | tcp: the partitions' links (auto: shm to train, tcp to serve)");
  flags.String("--cpu-limit", &cpu_limit,
               "Q=CORES[,Q=CORES...]: run partition Q's worker in a cgroup limited to CORES CPUs "
               "(a slower worker on one machine)");
  flags.Bool("--measure-capacities", &measure_capacities,
             "strategy balanced or auto: time every partition's worker first, all at once, and "
             "use their speeds as spec.distribution.capacities");
  flags.Bool("--rebalance", &rebalance,
             "strategy balanced or auto: time every partition's compute from its own steps and, "
             "at a checkpoint where their speeds differ from the capacities, re-plan with the "
             "measured ones and resume (needs spec.training.checkpointEvery)");
  if (std::optional<int> exit = flags.ParseOrExit(args)) return *exit;
  if (options.threads < 1) return ReportError(InvalidArgumentError("--threads: must be >= 1"));
  StatusOr<ParsedJob> job = LoadJobFile(job_path);
  if (!job.ok()) return ReportError(job.status());
  options.store = StoreDir(store, job->spec);
  if (reference) {
    if (job->spec.mode != JobMode::kTrain) {
      return ReportError(InvalidArgumentError(
          "--reference trains; this job has spec.mode: serve (run it without --reference)"));
    }
    if (Status s = CheckBeforeStart(*job, store, options.store); !s.ok()) return ReportError(s);
    return RunReference(job->spec, options);
  }
  StatusOr<LocalLinks> local_links = ParseLinks(links, job->spec);
  if (!local_links.ok()) return ReportError(local_links.status());
  StatusOr<std::vector<double>> cpu_limits =
      ParseCpuLimits(cpu_limit, job->spec.distribution.partitions);
  if (!cpu_limits.ok()) return ReportError(cpu_limits.status());
  if (measure_capacities) {
    if (Status s = MeasureCapacities(options.threads, *cpu_limits, &job->spec); !s.ok()) {
      return ReportError(s);
    }
  }
  if (job->spec.distribution.strategy == Strategy::kAuto) {
    // Chosen for this machine, as `neuropart plan` shows it with the same --threads and --links.
    StatusOr<MachineCosts> measured = MeasureForLocalRun(job->spec, options.threads, local_links->kind());
    if (!measured.ok()) return ReportError(measured.status());
    job->spec.distribution.costs.machine = *measured;
  }
  StatusOr<Plan> plan = PlanJob(*job);
  if (!plan.ok()) return ReportError(plan.status());
  LaunchOptions launch;
  if (rebalance) {
    StatusOr<RebalanceOptions> r = RebalanceFor(*job);
    if (!r.ok()) return ReportError(r.status());
    launch.rebalance = std::move(r).value();
  }
  if (Status s = CheckFitsThisMachine(*job, *plan); !s.ok()) return ReportError(s);
  if (Status s = CheckBeforeStart(*job, store, options.store); !s.ok()) return ReportError(s);
  launch.job_path = Absolute(job_path);
  launch.store = Absolute(options.store);
  launch.worker_binary = FindWorkerBinary();
  launch.max_steps = options.max_steps;
  // The cores are shared by the partitions; each gets its share of math threads.
  launch.threads_per_worker = std::max(1, options.threads / plan->num_partitions());
  launch.ipc_links = local_links->ipc;
  launch.shm_links = local_links->shm;
  launch.cpu_limits = *cpu_limits;
  if (launch.ipc_links) {
    // Made and removed once before any worker starts: a directory that cannot hold the sockets
    // is the user's setting to fix, not a partition failure to restart.
    if (StatusOr<IpcLinks> probe = IpcLinks::Create(plan->num_partitions()); !probe.ok()) {
      return ReportError(InvalidArgumentError(probe.status().message() +
                                              " (set TMPDIR to a writable directory, or use "
                                              "--links tcp)"));
    }
  }
  if (job->spec.transport.encrypted() && !launch.ipc_links) {
    launch.keys_dir = JobKeysDir(launch.store, job->spec);
  }
  return Launch(*job, *plan, launch);
}

}  // namespace neuropart::cli
