// neuropart plan: the Neuron Distributor's answer for a job, as a table, JSON or the plan itself.
#include <algorithm>
#include <cstdio>
#include <thread>
#include <fstream>
#include <sstream>

#include "calibration.h"
#include "commands.h"
#include "neuropart/app/flags.h"
#include "neuropart/job/job_file.h"
#include "neuropart/job/job_memory.h"
#include "neuropart/plan/plan_io.h"
#include "neuropart/plan/auto_strategy.h"
#include "neuropart/plan/cost_model.h"
#include "neuropart/plan/plan_stats.h"

namespace neuropart::cli {
namespace {

const char* kAbout = R"(Runs the Neuron Distributor on the job's model and distribution and shows,
per partition, the neurons it owns per layer, its parameters, the inputs it reads locally and
remotely, the bytes and messages it exchanges per training step, and the memory it needs: its
state (weights, gradients, optimizer state, the step's buffers) plus dataset and process. With
spec.worker.resources.limits.memory set, a plan in which a partition needs more is refused.

It also predicts the training step time (the cost model of docs/plan.md) from this machine's
speeds, measured in under a second for a local run with --threads and --links as
`neuropart run` would use them; --costs defaults uses the built-in speeds instead, as the
operator does. With strategy auto, the plan is the candidate split predicted fastest, and every
candidate is listed with its prediction.)";

std::string Bytes(int64_t b) {
  char buf[32];
  if (b < 1024) {
    std::snprintf(buf, sizeof(buf), "%lld B", static_cast<long long>(b));
  } else if (b < 1024 * 1024) {
    std::snprintf(buf, sizeof(buf), "%.1f KiB", b / 1024.0);
  } else {
    std::snprintf(buf, sizeof(buf), "%.1f MiB", b / (1024.0 * 1024.0));
  }
  return buf;
}

std::string Millis(double seconds) {
  char buf[32];
  std::snprintf(buf, sizeof(buf), "%.2f ms", seconds * 1e3);
  return buf;
}

std::string Fixed(double v) {
  char buf[32];
  std::snprintf(buf, sizeof(buf), "%.2f", v);
  return buf;
}

std::string DescribeCosts(const MachineCosts& m, bool measured) {
  char buf[256];
  std::snprintf(buf, sizeof(buf),
                "GEMM %.1f GFLOP/s per partition with %d thread(s)%s, messages %.0f us in flight + "
                "%.0f us of CPU, links %.2f GB/s (%s)",
                m.gemm_flops_per_second / 1e9, m.threads_per_partition,
                m.host_parallelism > 0
                    ? (", host as fast as " + Fixed(m.host_parallelism) + " partitions alone").c_str()
                    : "",
                m.message_seconds * 1e6, m.message_cpu_seconds * 1e6,
                m.link_bytes_per_second / 1e9,
                measured ? "measured here" : "defaults");
  return buf;
}

std::string Table(const JobSpec& spec, const Plan& plan, const std::vector<PartitionStats>& s,
                  const TrafficOptions& traffic) {
  const std::string& job = spec.name;
  const Architecture& a = plan.architecture();
  std::ostringstream o;
  o << "plan for " << job << ": " << plan.num_partitions() << " partitions, strategy "
    << StrategyName(plan.strategy()) << ", hash " << plan.HashHex() << "\n";
  o << "model: " << a.input_size << " inputs, " << a.num_layers() << " layers, "
    << a.TotalNeurons() << " neurons, " << a.TotalParameters() << " parameters\n";
  o << "traffic per training step at batch " << traffic.batch_size << ", "
    << traffic.micro_batches << " micro-batch(es), fp32\n";
  o << "memory per partition: state (weights, gradients, optimizer, step buffers) and the process's "
       "total with dataset and "
    << kWorkerProcessBytes / (1024 * 1024) << " MiB allowance";
  if (spec.worker_memory_limit > 0) {
    o << "; worker limit " << Bytes(static_cast<int64_t>(spec.worker_memory_limit));
  }
  o << "\n\n";
  char line[512];
  std::snprintf(line, sizeof(line), "%-9s", "partition");
  o << line;
  for (const LayerSpec& l : a.layers) {
    std::snprintf(line, sizeof(line), " %8s", l.name.c_str());
    o << line;
  }
  std::snprintf(line, sizeof(line), " %11s %9s %9s %11s %11s %5s %11s %11s\n", "parameters",
                "local in", "remote in", "sent", "received", "msgs", "state", "memory");
  o << line;
  for (int p = 0; p < plan.num_partitions(); ++p) {
    std::snprintf(line, sizeof(line), "%-9d", p);
    o << line;
    for (int64_t n : s[p].neurons_per_layer) {
      std::snprintf(line, sizeof(line), " %8lld", static_cast<long long>(n));
      o << line;
    }
    const PartitionMemory m = EstimatePartitionMemory(spec, plan, p);
    std::snprintf(line, sizeof(line), " %11lld %9lld %9lld %11s %11s %5lld %11s %11s\n",
                  static_cast<long long>(s[p].parameters),
                  static_cast<long long>(s[p].local_inputs),
                  static_cast<long long>(s[p].remote_inputs), Bytes(s[p].bytes_sent).c_str(),
                  Bytes(s[p].bytes_received).c_str(),
                  static_cast<long long>(s[p].messages_sent), Bytes(m.state()).c_str(),
                  Bytes(m.total()).c_str());
    o << line;
  }
  return o.str();
}

}  // namespace

int PlanCommand(const std::vector<std::string>& args) {
  std::string job_path, format = "text", output;
  int64_t partitions = 0, batch_size = 0;
  int64_t threads = std::max(1u, std::thread::hardware_concurrency());
  std::string links = "auto", costs = "measure";
  Flags flags("neuropart plan", kAbout);
  flags.Positional("JOB.yaml", &job_path, "the job file");
  flags.Int("--partitions", &partitions, "override spec.distribution.partitions");
  flags.String("--format", &format, "text (a table), json (plan + statistics) or yaml (the plan)");
  flags.Int("--batch-size", &batch_size,
            "batch size for the traffic estimate (default: the job's)");
  flags.String("-o,--output", &output, "write to this file instead of stdout");
  flags.Int("--threads", &threads,
            "math threads in all for the prediction, as for neuropart run (default: all cores)");
  flags.String("--links", &links, "auto | shm | ipc | tcp: the links to measure, as for neuropart run");
  flags.String("--costs", &costs,
               "measure (this machine, for a local run) or defaults (the operator's speeds)");
  if (std::optional<int> exit = flags.ParseOrExit(args)) return *exit;
  StatusOr<ParsedJob> job = LoadJobFile(job_path);
  if (!job.ok()) return ReportError(job.status());
  if (flags.IsSet("--partitions")) job->spec.distribution.partitions = static_cast<int>(partitions);
  if (costs != "measure" && costs != "defaults") {
    return ReportError(
        InvalidArgumentError("--costs: want measure or defaults, got \"" + costs + "\""));
  }
  StatusOr<LocalLinks> local_links = ParseLinks(links, job->spec);
  if (!local_links.ok()) return ReportError(local_links.status());
  if (threads < 1) return ReportError(InvalidArgumentError("--threads: must be >= 1"));
  if (costs == "measure") {
    StatusOr<MachineCosts> measured =
        MeasureForLocalRun(job->spec, static_cast<int>(threads), local_links->kind());
    if (!measured.ok()) return ReportError(measured.status());
    job->spec.distribution.costs.machine = *measured;
  }
  StatusOr<Plan> plan = PlanJob(*job);
  if (!plan.ok()) return ReportError(plan.status());
  TrafficOptions traffic{job->spec.training.batch_size, job->spec.training.micro_batches, 4};
  if (flags.IsSet("--batch-size")) traffic.batch_size = batch_size;
  const std::vector<PartitionStats> stats = ComputePlanStats(*plan, traffic);
  StepCostOptions step_costs = StepCostsOf(job->spec);
  step_costs.batch_size = traffic.batch_size;
  const StepPrediction predicted = PredictStep(*plan, step_costs);
  std::vector<AutoCandidate> candidates;
  if (plan->strategy() == Strategy::kAuto) {
    DistributionSpec d = job->spec.distribution;
    d.costs = step_costs;
    StatusOr<std::vector<AutoCandidate>> ranked = RankAutoCandidates(job->spec.model, d);
    if (!ranked.ok()) return ReportError(ranked.status());
    candidates = std::move(ranked).value();
  }
  const bool measured = costs == "measure";
  std::string out;
  if (format == "text") {
    out = Table(job->spec, *plan, stats, traffic);
    out += "\npredicted step: " + Millis(predicted.step_seconds) + " on " +
           DescribeCosts(step_costs.machine, measured) + "\n";
    if (!candidates.empty()) {
      out += "strategy auto chose \"" + candidates.front().split + "\" among:\n";
      for (const AutoCandidate& c : candidates) {
        char line[256];
        std::snprintf(line, sizeof(line), "  %-48s %10s\n", c.split.c_str(),
                      Millis(c.prediction.step_seconds).c_str());
        out += line;
      }
    }
  } else if (format == "json") {
    Json report = PlanReport(*plan, stats, traffic);
    const MachineCosts& m = step_costs.machine;
    report["prediction"] = Json::object(
        {{"stepSeconds", predicted.step_seconds},
         {"costs", measured ? "measured" : "defaults"},
         {"gemmFlopsPerSecond", m.gemm_flops_per_second},
         {"elementwisePerSecond", m.elementwise_per_second},
         {"messageSeconds", m.message_seconds},
         {"messageCpuSeconds", m.message_cpu_seconds},
         {"linkBytesPerSecond", m.link_bytes_per_second},
         {"hostParallelism", m.host_parallelism},
         {"threadsPerPartition", m.threads_per_partition}});
    if (!candidates.empty()) {
      Json list = Json::array();
      for (const AutoCandidate& c : candidates) {
        list.push_back(Json::object({{"split", c.split},
                                     {"hash", c.plan.HashHex()},
                                     {"stepSeconds", c.prediction.step_seconds}}));
      }
      report["prediction"]["autoCandidates"] = std::move(list);
    }
    for (int p = 0; p < plan->num_partitions(); ++p) {
      const PartitionMemory m = EstimatePartitionMemory(job->spec, *plan, p);
      report["partitions"][p]["memory"] = Json::object({{"weightBytes", m.weight_bytes},
                                                        {"gradientBytes", m.gradient_bytes},
                                                        {"optimizerBytes", m.optimizer_bytes},
                                                        {"exchangeBytes", m.exchange_bytes},
                                                        {"stateBytes", m.state()},
                                                        {"datasetBytes", m.dataset_bytes},
                                                        {"totalBytes", m.total()}});
      report["partitions"][p]["predictedComputeSeconds"] = predicted.compute_seconds[p];
      report["partitions"][p]["predictedWaitSeconds"] = predicted.wait_seconds[p];
    }
    out = DumpJson(report) + "\n";
  } else if (format == "yaml") {
    out = PlanToYaml(*plan);
  } else {
    return ReportError(InvalidArgumentError("flag --format: want text, json or yaml, got \"" +
                                            format + "\""));
  }
  if (output.empty()) {
    std::fputs(out.c_str(), stdout);
    return kExitOk;
  }
  std::ofstream file(output, std::ios::binary);
  file << out;
  if (!file.flush()) {
    return ReportError(InternalError("cannot write " + output));
  }
  return kExitOk;
}

}  // namespace neuropart::cli
