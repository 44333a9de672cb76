#include "report.h"

#include <unistd.h>

#include <cstdio>
#include <cstdlib>

#include "neuropart/lifecycle/report_line.h"

namespace neuropart::worker {
namespace {

std::string Fixed(double v, int digits = 6) {
  char buf[64];
  std::snprintf(buf, sizeof(buf), "%.*f", digits, v);
  return buf;
}

std::string Emit(const std::string& kind,
                 const std::vector<std::pair<std::string, std::string>>& fields) {
  std::string line = FormatReportLine(kind, fields);
  std::puts(line.c_str());
  std::fflush(stdout);
  return line;
}

}  // namespace

void PrintProgress(const StepReport& r) {
  Emit("progress", {{"step", std::to_string(r.step)},
                    {"total", std::to_string(r.total_steps)},
                    {"epoch", std::to_string(r.epoch)},
                    {"loss", Fixed(r.loss)},
                    {"samples", std::to_string(r.samples)},
                    {"step_s", Fixed(r.step_seconds)},
                    {"wait_s", Fixed(r.wait_seconds)},
                    {"cpu_s", Fixed(r.cpu_seconds)}});
}

void PrintCheckpointCommitted(int64_t step) {
  Emit("checkpoint", {{"step", std::to_string(step)}});
}

std::string PrintResult(const TrainingOutcome& o, double samples_per_second) {
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
  return Emit("result", f);
}

void WriteTerminationMessage(const std::string& text) {
  const char* override_path = std::getenv("NEUROPART_TERMINATION_LOG");
  const std::string path = override_path != nullptr ? override_path : "/dev/termination-log";
  if (override_path == nullptr && ::access(path.c_str(), W_OK) != 0) return;
  if (std::FILE* f = std::fopen(path.c_str(), "w")) {
    std::fputs((text + "\n").c_str(), f);
    std::fclose(f);
  }
}

void PrintServing(const std::string& endpoint, int64_t start_step) {
  Emit("serving", {{"endpoint", endpoint}, {"start_step", std::to_string(start_step)}});
}

void PrintTraffic(const TrafficReport& t) {
  Emit("traffic", {{"partition", std::to_string(t.partition)},
                   {"steps", std::to_string(t.steps)},
                   {"bytes_sent", std::to_string(t.bytes_sent)},
                   {"messages_sent", std::to_string(t.messages_sent)},
                   {"ring_messages_sent", std::to_string(t.ring_messages_sent)},
                   {"median_step_s", Fixed(t.median_step_seconds)}});
}

}  // namespace neuropart::worker
