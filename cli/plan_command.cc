// neuropart plan: the Neuron Distributor's answer for a job, as a table, JSON or the plan itself.
#include <cstdio>
#include <fstream>
#include <sstream>

#include "commands.h"
#include "neuropart/app/flags.h"
#include "neuropart/job/job_file.h"
#include "neuropart/job/job_memory.h"
#include "neuropart/plan/plan_io.h"
#include "neuropart/plan/plan_stats.h"

namespace neuropart::cli {
namespace {

const char* kAbout = R"(Runs the Neuron Distributor on the job's model and distribution and shows,
per partition, the neurons it owns per layer, its parameters, the inputs it reads locally and
remotely, the bytes and messages it exchanges per training step, and the memory it needs: its
state (weights, gradients, optimizer state, the step's buffers) plus dataset and process. With
spec.worker.resources.limits.memory set, a plan in which a partition needs more is refused.)";

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
  Flags flags("neuropart plan", kAbout);
  flags.Positional("JOB.yaml", &job_path, "the job file");
  flags.Int("--partitions", &partitions, "override spec.distribution.partitions");
  flags.String("--format", &format, "text (a table), json (plan + statistics) or yaml (the plan)");
  flags.Int("--batch-size", &batch_size,
            "batch size for the traffic estimate (default: the job's)");
  flags.String("-o,--output", &output, "write to this file instead of stdout");
  if (std::optional<int> exit = flags.ParseOrExit(args)) return *exit;
  StatusOr<ParsedJob> job = LoadJobFile(job_path);
  if (!job.ok()) return ReportError(job.status());
  if (flags.IsSet("--partitions")) job->spec.distribution.partitions = static_cast<int>(partitions);
  StatusOr<Plan> plan = PlanJob(*job);
  if (!plan.ok()) return ReportError(plan.status());
  TrafficOptions traffic{job->spec.training.batch_size, job->spec.training.micro_batches, 4};
  if (flags.IsSet("--batch-size")) traffic.batch_size = batch_size;
  const std::vector<PartitionStats> stats = ComputePlanStats(*plan, traffic);
  std::string out;
  if (format == "text") {
    out = Table(job->spec, *plan, stats, traffic);
  } else if (format == "json") {
    Json report = PlanReport(*plan, stats, traffic);
    for (int p = 0; p < plan->num_partitions(); ++p) {
      const PartitionMemory m = EstimatePartitionMemory(job->spec, *plan, p);
      report["partitions"][p]["memory"] = Json::object({{"weightBytes", m.weight_bytes},
                                                        {"gradientBytes", m.gradient_bytes},
                                                        {"optimizerBytes", m.optimizer_bytes},
                                                        {"exchangeBytes", m.exchange_bytes},
                                                        {"stateBytes", m.state()},
                                                        {"datasetBytes", m.dataset_bytes},
                                                        {"totalBytes", m.total()}});
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
