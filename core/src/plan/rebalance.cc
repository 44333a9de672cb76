#include "neuropart/plan/rebalance.h"

#include <algorithm>
#include <cmath>

#include "neuropart/plan/cost_model.h"

namespace neuropart {
namespace {

double Median(std::vector<double> v) {
  std::nth_element(v.begin(), v.begin() + v.size() / 2, v.end());
  return v[v.size() / 2];
}

std::vector<double> RelativeToFastest(const std::vector<double>& v) {
  const double fastest = *std::max_element(v.begin(), v.end());
  std::vector<double> out;
  for (double x : v) out.push_back(fastest > 0 ? x / fastest : 1);
  return out;
}

std::vector<double> Rounded(std::vector<double> capacities) {
  for (double& c : capacities) c = std::max(0.01, std::round(100 * c) / 100);
  return capacities;
}

std::vector<double> Normalized(const std::vector<double>& capacities, size_t partitions) {
  return capacities.empty() ? std::vector<double>(partitions, 1.0) : RelativeToFastest(capacities);
}

}  // namespace

std::vector<double> PartitionWork(const Plan& plan, const StepCostOptions& options) {
  StepCostOptions equal = options;
  equal.machine = MachineCosts{};
  equal.capacities.clear();
  return PredictStep(plan, equal).compute_seconds;
}

CapacityMeter::CapacityMeter(std::vector<double> work, std::vector<double> cpu_allowance,
                             int warmup_steps, int window)
    : work_(std::move(work)),
      cpu_allowance_(std::move(cpu_allowance)),
      warmup_steps_(warmup_steps),
      window_(std::max(1, window)),
      seen_(work_.size(), 0),
      recent_(work_.size()) {}

void CapacityMeter::Observe(int q, double compute_seconds, double cpu_seconds) {
  if (q < 0 || q >= static_cast<int>(work_.size())) return;
  if (seen_[q]++ < warmup_steps_) return;
  const double allowance = q < static_cast<int>(cpu_allowance_.size()) ? cpu_allowance_[q] : 0;
  std::vector<double>& r = recent_[q];
  r.push_back(allowance > 0 ? std::max(compute_seconds, cpu_seconds / allowance)
                            : compute_seconds);
  if (static_cast<int>(r.size()) > window_) r.erase(r.begin());
}

std::optional<std::vector<std::pair<double, double>>> CapacityMeter::TimesAndSpeeds() const {
  std::vector<std::pair<double, double>> out;
  for (size_t q = 0; q < work_.size(); ++q) {
    if (static_cast<int>(recent_[q].size()) < window_) return std::nullopt;
    const double seconds = Median(recent_[q]);
    out.push_back({seconds, seconds > 0 && work_[q] > 0 ? work_[q] / seconds : 0});
  }
  return out;
}

std::optional<std::vector<double>> CapacityMeter::Capacities() const {
  std::optional<std::vector<std::pair<double, double>>> measured = TimesAndSpeeds();
  if (!measured) return std::nullopt;
  std::vector<double> speeds;
  for (const auto& [seconds, speed] : *measured) speeds.push_back(speed);
  // A partition with no work (allowEmpty) or an unmeasurably short step is not the bottleneck.
  const double fastest = *std::max_element(speeds.begin(), speeds.end());
  for (double& s : speeds) {
    if (s == 0) s = fastest;
  }
  return Rounded(RelativeToFastest(speeds));
}

std::optional<double> CapacityMeter::SecondsSavedPerStep() const {
  std::optional<std::vector<std::pair<double, double>>> measured = TimesAndSpeeds();
  if (!measured) return std::nullopt;
  double slowest = 0, work = 0, speed = 0;
  for (size_t q = 0; q < work_.size(); ++q) {
    slowest = std::max(slowest, (*measured)[q].first);
    work += work_[q];
    speed += (*measured)[q].second;
  }
  return speed > 0 ? std::max(0.0, slowest - work / speed) : 0.0;
}

bool RebalanceWanted(const std::vector<double>& current, const std::vector<double>& measured,
                     double tolerance) {
  const std::vector<double> now = Normalized(current, measured.size());
  const std::vector<double> then = RelativeToFastest(measured);
  for (size_t q = 0; q < std::min(now.size(), then.size()); ++q) {
    if (std::abs(now[q] - then[q]) > tolerance) return true;
  }
  return false;
}

std::optional<RebalanceVerdict> JudgeRebalance(const CapacityMeter& meter,
                                               const std::vector<double>& current,
                                               double tolerance, double remaining_steps,
                                               double restart_seconds) {
  std::optional<std::vector<double>> measured = meter.Capacities();
  if (!measured) return std::nullopt;
  RebalanceVerdict v;
  v.measured = std::move(*measured);
  v.differ = RebalanceWanted(current, v.measured, tolerance);
  v.seconds_saved = *meter.SecondsSavedPerStep() * std::max(0.0, remaining_steps);
  v.pays = v.differ && v.seconds_saved > restart_seconds;
  return v;
}

std::vector<double> MoveCapacities(const std::vector<double>& current,
                                   const std::vector<double>& measured, double fraction) {
  const std::vector<double> from = Normalized(current, measured.size());
  const std::vector<double> to = RelativeToFastest(measured);
  std::vector<double> moved;
  for (size_t q = 0; q < to.size(); ++q) moved.push_back(from[q] + fraction * (to[q] - from[q]));
  return Rounded(RelativeToFastest(moved));
}

}  // namespace neuropart
