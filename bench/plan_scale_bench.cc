// Planning a billion-neuron model: 1000 dense layers of 10^6 neurons, 64 partitions, with the
// count and the percentage (global and per layer) strategies. Prints the time of Distribute and
// how much the process's peak resident memory grew while planning (the Plan stores ranges, so
// it should not grow with the neuron count). Goal from the issue: < 1 s and < 64 MiB each.
//
// Usage: plan_scale_bench
#include <sys/resource.h>

#include <chrono>
#include <cstdio>

#include "neuropart/plan/distributor.h"

namespace neuropart {
namespace {

constexpr int kLayers = 1000;
constexpr int64_t kNeurons = 1000000;
constexpr int kPartitions = 64;

double PeakMiB() {
  rusage u{};
  getrusage(RUSAGE_SELF, &u);
  return u.ru_maxrss / 1024.0;  // Linux reports KiB
}

void Measure(const char* name, const Architecture& arch, const DistributionSpec& spec) {
  const double before = PeakMiB();
  const auto start = std::chrono::steady_clock::now();
  StatusOr<Plan> plan = Distribute(arch, spec);
  const double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  if (!plan.ok()) {
    std::printf("%s: %s\n", name, plan.status().ToString().c_str());
    return;
  }
  std::printf("plan_scale %-20s %d layers x %lld neurons, %d partitions: %.2f ms, peak RSS +%.1f MiB, "
              "owner(last neuron) = %d\n",
              name, kLayers, static_cast<long long>(kNeurons), kPartitions, seconds * 1000,
              PeakMiB() - before, plan->Owner(kLayers - 1, kNeurons - 1));
}

}  // namespace
}  // namespace neuropart

int main() {
  using namespace neuropart;
  Architecture arch;
  arch.input_size = 1024;
  for (int l = 0; l < kLayers; ++l) {
    arch.layers.push_back({"l" + std::to_string(l), kNeurons,
                           l + 1 == kLayers ? Activation::kSoftmax : Activation::kRelu, {}});
  }
  DistributionSpec count;
  count.partitions = kPartitions;
  count.strategy = Strategy::kCount;
  count.counts.assign(kPartitions, arch.TotalNeurons() / kPartitions);
  count.counts.back() += arch.TotalNeurons() - count.counts.back() * kPartitions;
  Measure("count", arch, count);
  DistributionSpec percentage;
  percentage.partitions = kPartitions;
  percentage.strategy = Strategy::kPercentage;
  percentage.percentages.assign(kPartitions, 100.0 / kPartitions);
  Measure("percentage-global", arch, percentage);
  percentage.scope = Scope::kPerLayer;
  Measure("percentage-perLayer", arch, percentage);
  return 0;
}
