#include "calibration.h"

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <functional>
#include <numeric>
#include <limits>
#include <memory>
#include <optional>
#include <string>
#include <vector>
#include <thread>

#include "child_process.h"
#include "cpu_cgroup.h"
#include "launcher.h"
#include "link_calibration.h"
#include "neuropart/lifecycle/exit_codes.h"
#include "neuropart/engine/layer_ops.h"
#include "neuropart/engine/math_threads.h"
#include "neuropart/engine/sgd.h"

namespace neuropart::cli {
namespace {

using Clock = std::chrono::steady_clock;
constexpr auto kWindow = std::chrono::milliseconds(15);
constexpr auto kProbeLead = std::chrono::milliseconds(150);    // spawn and warm-up before it
constexpr auto kProbeWindow = std::chrono::milliseconds(150);  // the timed window

// Seconds per call of `fn` after one warm-up call: the fastest of five windows of at least
// kWindow each. Another process can only slow a window down, so the fastest is the machine's.
template <typename Fn>
double SecondsPerCall(Fn fn) {
  fn();
  double best = std::numeric_limits<double>::infinity();
  for (int window = 0; window < 5; ++window) {
    int calls = 0;
    const Clock::time_point start = Clock::now();
    Clock::duration elapsed{};
    do {
      fn();
      ++calls;
      elapsed = Clock::now() - start;
    } while (elapsed < kWindow);
    best = std::min(best, std::chrono::duration<double>(elapsed).count() / calls);
  }
  return best;
}

Architecture CalibrationLayer(const CalibrationOptions& o) {
  Architecture arch;
  arch.input_size = o.inputs;
  arch.layers.push_back({"calibration", o.neurons, Activation::kRelu, {}});
  arch.layers.push_back({"next", 1, Activation::kSoftmax, {}});
  return arch;
}

// The three products of a dense layer's step, as one call.
class LayerProducts {
 public:
  explicit LayerProducts(const CalibrationOptions& o)
      : arch_(CalibrationLayer(o)),
        input_(MatrixF::Random(o.rows, o.inputs)),
        dz_(MatrixF::Random(o.rows, o.neurons)),
        flops_(3 * 2.0 * o.rows * o.inputs * o.neurons) {
    params_.weight = MatrixF::Random(o.neurons, o.inputs);
    params_.bias = VectorF::Zero(o.neurons);
  }
  void operator()() {
    ForwardPreactivation(input_, params_, arch_, 0, &z_);
    InputGradients(dz_, params_, arch_, 0, &da_in_);
    WeightGradients(input_, dz_, params_, arch_, 0, &grad_);
  }
  double flops() const { return flops_; }

 private:
  Architecture arch_;
  LayerParams params_, grad_;
  MatrixF input_, dz_, z_, da_in_;
  double flops_;
};

// The three products of a dense layer's step (forward, input gradient, weight gradient) and its
// elementwise work (activation both ways, the SGD update), timed on one layer of the job's size.
void MeasureCompute(const CalibrationOptions& o, MachineCosts* costs) {
  LayerProducts products(o);
  costs->gemm_flops_per_second = products.flops() / SecondsPerCall(products);
  LayerParams params, grad;
  params.weight = MatrixF::Random(o.neurons, o.inputs);
  params.bias = VectorF::Zero(o.neurons);
  grad.weight = MatrixF::Random(o.neurons, o.inputs) * 1e-6f;
  grad.bias = VectorF::Zero(o.neurons);
  const MatrixF z = MatrixF::Random(o.rows, o.neurons);
  const MatrixF dz = MatrixF::Random(o.rows, o.neurons);
  MatrixF a, dz_out;
  SgdState sgd(SgdOptions{0.01f, 0.9f, 0.0f});
  const double elementwise_seconds = SecondsPerCall([&] {
    ApplyActivation(Activation::kRelu, z, &a);
    ActivationBackward(Activation::kRelu, z, a, dz, &dz_out);
    sgd.Apply(&params, grad);
  });
  // As the cost model counts them: 1 per activation, 2 per activation gradient, 3 per parameter.
  const double values = 3.0 * o.rows * o.neurons + 3.0 * o.neurons * (o.inputs + 1);
  costs->elementwise_per_second = values / elementwise_seconds;
}

using PlaceProbe = std::function<Status(int probe, pid_t pid)>;

// The GEMM rate of each of `count` processes computing at once: each is this program's
// `__probe-compute` command, timing the same products over the same window. `place(i, pid)`
// runs right after probe i starts, before it computes (to move it into a cgroup).
StatusOr<std::vector<double>> ProbeTogether(const CalibrationOptions& o, int count,
                                            const PlaceProbe& place) {
  const auto start = Clock::now() + kProbeLead;
  const int64_t start_ns =
      std::chrono::duration_cast<std::chrono::nanoseconds>(start.time_since_epoch()).count();
  std::vector<std::unique_ptr<ChildProcess>> probes;
  for (int i = 0; i < count; ++i) {
    ASSIGN_OR_RETURN(std::unique_ptr<ChildProcess> child,
                     ChildProcess::Spawn({"/proc/self/exe", kProbeCommand, std::to_string(o.rows),
                                          std::to_string(o.inputs), std::to_string(o.neurons),
                                          std::to_string(o.threads_per_partition),
                                          std::to_string(start_ns)}));
    if (place) RETURN_IF_ERROR(place(i, child->pid()));
    probes.push_back(std::move(child));
  }
  std::vector<double> rates;
  for (std::unique_ptr<ChildProcess>& probe : probes) {
    std::vector<std::string> lines;
    std::optional<int> status;
    while (!(status = probe->Poll())) {
      for (std::string& line : probe->ReadLines(probe->stdout_fd())) lines.push_back(line);
      std::this_thread::sleep_for(std::chrono::milliseconds(5));
    }
    for (std::string& line : probe->ReadLines(probe->stdout_fd())) lines.push_back(line);
    if (*status != 0 || lines.empty()) {
      return UnavailableError("calibration: a compute probe " +
                              ChildProcess::DescribeStatus(*status));
    }
    rates.push_back(std::stod(lines.back()));
  }
  return rates;
}

double Sum(const std::vector<double>& v) { return std::accumulate(v.begin(), v.end(), 0.0); }

// The faster of two rounds, whole: like any window, a round can only be slowed down by other
// processes. Not each probe's best of the two, which could pair windows that did not overlap.
StatusOr<std::vector<double>> ProbeTwice(const CalibrationOptions& o, int count,
                                         const PlaceProbe& place = nullptr) {
  ASSIGN_OR_RETURN(std::vector<double> first, ProbeTogether(o, count, place));
  ASSIGN_OR_RETURN(std::vector<double> second, ProbeTogether(o, count, place));
  return Sum(first) >= Sum(second) ? first : second;
}

CalibrationOptions ForLocalRun(const JobSpec& spec, int threads) {
  const int P = std::max(1, spec.distribution.partitions);
  CalibrationOptions o;
  o.rows = std::max<int64_t>(1, spec.training.batch_size / std::max(1, spec.training.micro_batches));
  o.inputs = 1;
  o.neurons = 1;
  for (int l = 0; l < spec.model.num_layers(); ++l) {
    o.inputs = std::max(o.inputs, spec.model.FanIn(l));
    o.neurons = std::max(o.neurons, spec.model.layers[l].neurons / P);
  }
  o.threads_per_partition = std::max(1, threads / P);
  o.partitions = P;
  return o;
}

}  // namespace

int ProbeComputeCommand(const std::vector<std::string>& args) {
  if (args.size() != 5) {
    std::fprintf(stderr, "usage: neuropart %s ROWS INPUTS NEURONS THREADS START_NS\n",
                 kProbeCommand);
    return kExitBadInput;
  }
  CalibrationOptions o;
  Clock::time_point start;
  try {
    o.rows = std::stoll(args[0]);
    o.inputs = std::stoll(args[1]);
    o.neurons = std::stoll(args[2]);
    o.threads_per_partition = std::stoi(args[3]);
    start = Clock::time_point(std::chrono::nanoseconds(std::stoll(args[4])));
  } catch (const std::exception&) {
    std::fprintf(stderr, "neuropart %s: arguments must be integers\n", kProbeCommand);
    return kExitBadInput;
  }
  SetMathThreads(o.threads_per_partition);
  LayerProducts products(o);
  products();  // warm-up: page faults, BLAS buffers
  std::this_thread::sleep_until(start);
  int calls = 0;
  Clock::time_point now;
  do {
    products();
    ++calls;
    now = Clock::now();
  } while (now - start < kProbeWindow);
  std::printf("%.6g\n", calls * products.flops() / std::chrono::duration<double>(now - start).count());
  return kExitOk;
}

StatusOr<MachineCosts> MeasureMachine(const CalibrationOptions& options) {
  MachineCosts costs;
  costs.threads_per_partition = options.threads_per_partition;
  SetMathThreads(options.threads_per_partition);
  MeasureCompute(options, &costs);
  costs.host_parallelism = 1;
  if (options.partitions > 1) {
    ASSIGN_OR_RETURN(const std::vector<double> rates, ProbeTwice(options, options.partitions));
    const double together = Sum(rates);
    costs.host_parallelism = std::clamp(together / costs.gemm_flops_per_second, 0.5,
                                        static_cast<double>(options.partitions));
  }
  RETURN_IF_ERROR(MeasureLinks(options.links, &costs).WithContext("calibrating the links"));
  return costs;
}

StatusOr<MachineCosts> MeasureForLocalRun(const JobSpec& spec, int threads, LinkKind links) {
  CalibrationOptions o = ForLocalRun(spec, threads);
  o.links = links;
  return MeasureMachine(o);
}

StatusOr<std::vector<double>> MeasurePartitionSpeeds(const JobSpec& spec, int threads,
                                                     const std::vector<double>& cpu_limits) {
  const CalibrationOptions o = ForLocalRun(spec, threads);
  std::vector<std::unique_ptr<CpuCgroup>> groups(o.partitions);  // the probes', made once
  auto place = [&](int q, pid_t pid) -> Status {
    if (q >= static_cast<int>(cpu_limits.size()) || cpu_limits[q] <= 0) return Status::Ok();
    if (!groups[q]) {
      ASSIGN_OR_RETURN(groups[q],
                       CpuCgroup::Create(CpuCgroupName(spec, q) + "-probe", cpu_limits[q]));
    }
    return groups[q]->Add(pid);
  };
  return ProbeTwice(o, o.partitions, place);
}

}  // namespace neuropart::cli
