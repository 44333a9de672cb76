// neuropart-worker: one partition of a job (see worker_config.h for its settings).
#include <Eigen/Core>
#include <cstdio>
#include <cstdlib>

#include "neuropart/exec/report_line.h"
#include "neuropart/exec/training_session.h"
#include "neuropart/job/job_file.h"
#include "neuropart/plan/plan_io.h"
#include "neuropart/store/file_util.h"
#include "neuropart/wire/codec.h"
#include "neuropart/wire/payloads.h"
#include "worker_config.h"
#include "zmq_transport.h"

namespace neuropart::worker {
namespace {

std::string Fixed(double v, int digits = 6) {
  char buf[64];
  std::snprintf(buf, sizeof(buf), "%.*f", digits, v);
  return buf;
}

void PrintProgress(const StepReport& r) {
  std::puts(FormatReportLine("progress", {{"step", std::to_string(r.step)},
                                          {"total", std::to_string(r.total_steps)},
                                          {"epoch", std::to_string(r.epoch)},
                                          {"loss", Fixed(r.loss)},
                                          {"samples", std::to_string(r.samples)},
                                          {"step_s", Fixed(r.step_seconds)},
                                          {"wait_s", Fixed(r.wait_seconds)}})
                .c_str());
  std::fflush(stdout);
}

void PrintResult(const TrainingOutcome& o, double samples_per_second) {
  std::vector<std::pair<std::string, std::string>> f = {
      {"start_step", std::to_string(o.start_step)},
      {"steps", std::to_string(o.steps)},
      {"final_loss", Fixed(o.final_loss)},
      {"samples_per_second", Fixed(samples_per_second, 1)},
      {"export", o.export_path}};
  if (o.test.samples > 0) {
    f.push_back({"test_loss", Fixed(o.test.loss_sum / o.test.samples)});
    f.push_back({"test_accuracy", Fixed(static_cast<double>(o.test.correct) / o.test.samples, 4)});
    f.push_back({"test_samples", std::to_string(o.test.samples)});
  }
  std::puts(FormatReportLine("result", f).c_str());
  std::fflush(stdout);
}

// Tells every peer that this partition gives up, so they fail fast instead of timing out.
void BroadcastAbort(Transport* transport, const Plan& plan, int self, const Status& why) {
  for (int p = 0; p < plan.num_partitions(); ++p) {
    if (p == self) continue;
    Message m;
    m.header.type = wire::MsgType::kAbort;
    m.header.plan_hash = plan.hash();
    m.header.source = self;
    m.header.destination = p;
    m.payload = wire::EncodeAbort({static_cast<uint32_t>(why.code()), why.message()});
    m.header.payload_length = m.payload.size();
    (void)transport->Send(std::move(m));
  }
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
  ASSIGN_OR_RETURN(JobData data, LoadJobData(job.spec));
  Eigen::setNbThreads(config.threads);

  ZmqTransportOptions t;
  t.self = config.partition;
  t.num_partitions = plan.num_partitions();
  t.plan_hash = plan.hash();
  t.listen_endpoint = config.listen;
  t.peer_endpoints = config.peers;
  ASSIGN_OR_RETURN(std::unique_ptr<ZmqTransport> transport, ZmqTransport::Create(t));

  SessionConfig s;
  s.spec = &job.spec;
  s.plan = &plan;
  s.data = &data;
  s.store = config.store;
  s.exec.partition = config.partition;
  const int timeout = config.timeout_seconds > 0 ? config.timeout_seconds
                                                 : job.spec.transport.timeout_seconds;
  s.exec.timeout = std::chrono::seconds(timeout);
  const OptimizerSpec& o = job.spec.training.optimizer;
  s.exec.sgd = {static_cast<float>(o.learning_rate), static_cast<float>(o.momentum),
                static_cast<float>(o.weight_decay)};
  const std::string& dtype = job.spec.transport.dtype;
  s.exec.dtype = dtype == "fp16" ? wire::DType::kF16
                 : dtype == "bf16" ? wire::DType::kBF16
                                   : wire::DType::kF32;
  s.max_steps = config.max_steps;
  double samples = 0, seconds = 0;
  s.on_step = [&](const StepReport& r) {
    samples += r.samples;
    seconds += r.step_seconds;
    transport->SetMinStep(r.step);
    PrintProgress(r);
  };
  StatusOr<TrainingOutcome> outcome = RunTrainingSession(s, transport.get());
  if (!outcome.ok()) {
    BroadcastAbort(transport.get(), plan, config.partition, outcome.status());
    return outcome.status();
  }
  if (config.partition == 0) PrintResult(*outcome, seconds > 0 ? samples / seconds : 0);
  return Status::Ok();
}

}  // namespace
}  // namespace neuropart::worker

int main(int argc, char** argv) {
  using namespace neuropart::worker;
  std::vector<std::string> args(argv + 1, argv + argc);
  if (!args.empty() && (args[0] == "--help" || args[0] == "-h")) {
    std::fputs(kWorkerUsage, stdout);
    return 0;
  }
  neuropart::StatusOr<WorkerConfig> config = ParseWorkerConfig(args, [](const char* n) { return std::getenv(n); });
  if (!config.ok()) {
    std::fprintf(stderr, "neuropart-worker: %s\n\n%s", config.status().message().c_str(), kWorkerUsage);
    return 2;
  }
  neuropart::Status s = Run(*config);
  if (!s.ok()) {
    std::fprintf(stderr, "neuropart-worker: partition %d: %s\n", config->partition, s.ToString().c_str());
    return s.code() == neuropart::StatusCode::kInvalidArgument ? 2 : 1;
  }
  return 0;
}
