#include "neuropart/plan/cost_model.h"

#include <algorithm>
#include <cassert>
#include <cmath>
#include <limits>
#include <map>
#include <tuple>

namespace neuropart {
namespace {

// A message in flight: (kind, from, to, micro-batch, layer). Within one step each is unique.
enum Kind { kActivations, kGradients, kSoftmaxStats, kMetrics };
using Key = std::tuple<int, int, int, int, int>;

struct Op {
  enum Type { kCompute, kSend, kReceive } type;
  // kCompute: at full speed; kSend: delivery delay; kReceive: the cold start after waiting
  double seconds = 0;
  Key key{};
};

constexpr double kHeaderBytes = 64;  // wire header and framing per message

// Builds each partition's program in the order PartitionExecutor::TrainStep runs it.
class ProgramBuilder {
 public:
  ProgramBuilder(const Plan& plan, const StepCostOptions& o, int self)
      : plan_(plan), arch_(plan.architecture()), o_(o), self_(self), P_(plan.num_partitions()) {
    const double capacity =
        o.capacities.empty()
            ? 1.0
            : o.capacities[self] / *std::max_element(o.capacities.begin(), o.capacities.end());
    gemm_rate_ = o.machine.gemm_flops_per_second * capacity;
    elementwise_rate_ = o.machine.elementwise_per_second * capacity;
    const int64_t parts = std::max<int64_t>(1, std::min<int64_t>(o.micro_batches, o.batch_size));
    for (int64_t k = 0; k < parts; ++k) {
      rows_.push_back(o.batch_size / parts + (k < o.batch_size % parts ? 1 : 0));
    }
    for (int p = 0; p < P_; ++p) {
      if (plan.OwnsAny(p, arch_.num_layers() - 1)) output_owners_.push_back(p);
    }
    // On a host with more partitions than it runs at once, a partition that receives has mostly
    // been switched out for another (it blocked, or its time slice ended) and finds its caches
    // cold: it reads its weights, gradients and momentum back in before it computes on.
    const double h = o.machine.host_parallelism;
    if (h > 0 && P_ > std::round(h)) {
      int64_t parameters = 0;
      for (int l = 0; l < arch_.num_layers(); ++l) {
        parameters += plan.OwnedCount(self, l) * (arch_.FanIn(l) + 1);
      }
      cold_start_ = 3.0 * static_cast<double>(parameters) / elementwise_rate_;
    }
  }

  std::vector<Op> Build() {
    Forward();
    Backward();
    Loss();
    return std::move(ops_);
  }

 private:
  void Gemm(double flops) { Compute(flops / gemm_rate_); }
  void Elementwise(double values) { Compute(values / elementwise_rate_); }
  void Compute(double seconds) {
    if (!ops_.empty() && ops_.back().type == Op::kCompute) {
      ops_.back().seconds += seconds;
    } else {
      ops_.push_back({Op::kCompute, seconds, {}});
    }
  }
  void Send(Kind kind, int to, int m, int layer, double values, int bytes_per_value) {
    Elementwise(values);  // packing
    Compute(o_.machine.message_cpu_seconds / 2);
    const double bytes = values * bytes_per_value + kHeaderBytes;
    ops_.push_back({Op::kSend,
                    o_.machine.message_seconds + bytes / o_.machine.link_bytes_per_second,
                    {kind, self_, to, m, layer}});
  }
  void Receive(Kind kind, int from, int m, int layer, double values) {
    ops_.push_back({Op::kReceive, cold_start_, {kind, from, self_, m, layer}});
    Compute(o_.machine.message_cpu_seconds / 2);
    Elementwise(values);  // unpacking
  }
  // Multiply-adds of `rows` samples through `neurons` owned neurons of layer l, as flops.
  void Product(int l, int64_t rows, int64_t neurons) {
    const double madds = static_cast<double>(rows) * neurons * arch_.FanIn(l);
    if (arch_.IsSparse(l)) {
      Elementwise(2 * madds);
    } else {
      Gemm(2 * madds);
    }
  }
  double Count(const std::vector<IndexRange>& r) const { return static_cast<double>(TotalSize(r)); }

  void Forward() {
    const int L = arch_.num_layers();
    for (int l = 0; l < L; ++l) {
      const int64_t owned = plan_.OwnedCount(self_, l);
      if (owned == 0) continue;
      std::vector<std::vector<IndexRange>> inbound;
      if (l >= 1) inbound = plan_.Inbound(self_, l);
      for (int m = 0; m < static_cast<int>(rows_.size()); ++m) {
        const int64_t rows = rows_[m];
        for (int p = 0; p < P_ && l >= 1; ++p) {
          if (p != self_ && !inbound[p].empty()) {
            Receive(kActivations, p, m, l, rows * Count(inbound[p]));
          }
        }
        Product(l, rows, owned);
        Elementwise(3.0 * rows * owned);  // bias, activation, copy into the layer's values
        if (l + 1 == L) {
          if (output_owners_.size() > 1) SoftmaxStats(m);
          continue;
        }
        for (int r = 0; r < P_; ++r) {
          if (r == self_) continue;
          const std::vector<IndexRange> out = plan_.Exchange(self_, r, l + 1);
          if (!out.empty()) Send(kActivations, r, m, l + 1, rows * Count(out), o_.bytes_per_value);
        }
      }
    }
  }

  // The executor exchanges the statistics at the start of backward; the cost is the same.
  void SoftmaxStats(int m) {
    const int last = arch_.num_layers() - 1;
    for (int p : output_owners_) {
      if (p != self_) Send(kSoftmaxStats, p, m, last, 2.0 * rows_[m], 4);
    }
    for (int p : output_owners_) {
      if (p != self_) Receive(kSoftmaxStats, p, m, last, 2.0 * rows_[m]);
    }
  }

  void Backward() {
    const int last = arch_.num_layers() - 1;
    for (int l = last; l >= 0; --l) {
      const int64_t owned = plan_.OwnedCount(self_, l);
      if (owned == 0) continue;
      std::vector<std::vector<IndexRange>> inbound, readers(P_);
      if (l >= 1) inbound = plan_.Inbound(self_, l);
      for (int p = 0; p < P_ && l < last; ++p) {
        if (p != self_) readers[p] = plan_.Exchange(self_, p, l + 1);
      }
      for (int m = 0; m < static_cast<int>(rows_.size()); ++m) {
        const int64_t rows = rows_[m];
        if (l == last) {
          Elementwise(4.0 * rows * owned);  // loss and dL/dz
        } else {
          const double width = static_cast<double>(rows) * arch_.layers[l].neurons;
          Elementwise(width * (plan_.OwnsAny(self_, l + 1) ? 2 : 1));  // zero, own partials
          for (int p = 0; p < P_; ++p) {
            if (p != self_ && !readers[p].empty()) {
              Receive(kGradients, p, m, l + 1, rows * Count(readers[p]));
            }
          }
          Elementwise(2.0 * rows * owned);  // activation backward
        }
        if (l > 0) {
          Product(l, rows, owned);  // dA
          for (int p = 0; p < P_; ++p) {
            if (p != self_ && !inbound[p].empty()) {
              Send(kGradients, p, m, l, rows * Count(inbound[p]), o_.bytes_per_value);
            }
          }
        }
        Product(l, rows, owned);  // dW
        Elementwise(static_cast<double>(rows) * owned);  // bias gradient
      }
      Elementwise(3.0 * owned * (arch_.FanIn(l) + 1));  // SGD with momentum
    }
  }

  void Loss() {
    const int last = arch_.num_layers() - 1;
    if (self_ != 0 && plan_.OwnsAny(self_, last)) Send(kMetrics, 0, 0, 0, 3, 8);
    if (self_ != 0) return;
    for (int p : output_owners_) {
      if (p != 0) Receive(kMetrics, p, 0, 0, 3);
    }
  }

  const Plan& plan_;
  const Architecture& arch_;
  const StepCostOptions& o_;
  int self_, P_;
  double gemm_rate_ = 0, elementwise_rate_ = 0, cold_start_ = 0;
  std::vector<int64_t> rows_;
  std::vector<int> output_owners_;
  std::vector<Op> ops_;
};

}  // namespace

StepPrediction PredictStep(const Plan& plan, const StepCostOptions& options) {
  const int P = plan.num_partitions();
  std::vector<std::vector<Op>> programs;
  for (int p = 0; p < P; ++p) programs.push_back(ProgramBuilder(plan, options, p).Build());

  StepPrediction out;
  out.compute_seconds.assign(P, 0);
  out.wait_seconds.assign(P, 0);
  for (int p = 0; p < P; ++p) {
    for (const Op& op : programs[p]) {
      if (op.type == Op::kCompute) out.compute_seconds[p] += op.seconds;
    }
  }
  // Event simulation. Each partition is computing (remaining work at full speed: a compute op,
  // or the cold start after a receive on an oversubscribed host), waiting for a message, or
  // done.
  // Sends take no time of the sender's beyond their CPU share; they stamp the delivery time.
  std::vector<size_t> pc(P, 0);
  std::vector<double> remaining(P, -1);  // >= 0: computing
  std::vector<bool> in_op(P, false);     // the computing is programs[p][pc[p]], not a cold start
  std::map<Key, double> delivered_at;
  const double parallelism = options.machine.host_parallelism;
  double now = 0;
  for (;;) {
    // Run every partition up to its next computing or a message not yet delivered, until no
    // send unblocks anyone (a partition scanned early may wait for one sent later in the scan).
    for (bool progressed = true; progressed;) {
      progressed = false;
      for (int p = 0; p < P; ++p) {
        while (remaining[p] < 0 && pc[p] < programs[p].size()) {
          const Op& op = programs[p][pc[p]];
          if (op.type == Op::kCompute) {
            remaining[p] = op.seconds;
            in_op[p] = true;
            break;
          }
          if (op.type == Op::kSend) {
            delivered_at[op.key] = now + op.seconds;
          } else {
            auto it = delivered_at.find(op.key);
            if (it == delivered_at.end() || it->second > now) break;
            if (op.seconds > 0) {
              remaining[p] = op.seconds;  // the cold start, then the op after the receive
              in_op[p] = false;
            }
          }
          ++pc[p];
          progressed = true;
        }
      }
    }
    int computing = 0, done = 0;
    double next_delivery = std::numeric_limits<double>::infinity();
    for (int p = 0; p < P; ++p) {
      if (remaining[p] >= 0) {
        ++computing;
      } else if (pc[p] == programs[p].size()) {
        ++done;
      } else if (auto it = delivered_at.find(programs[p][pc[p]].key); it != delivered_at.end()) {
        next_delivery = std::min(next_delivery, it->second);
      }
    }
    if (done == P) break;
    const double rate =
        parallelism > 0 && computing > parallelism ? parallelism / computing : 1.0;
    double dt = next_delivery - now;
    for (int p = 0; p < P; ++p) {
      if (remaining[p] >= 0) dt = std::min(dt, remaining[p] / rate);
    }
    // The executor never deadlocks, so neither does its replay: something must be pending.
    assert(dt < std::numeric_limits<double>::infinity());
    if (!(dt < std::numeric_limits<double>::infinity())) break;
    for (int p = 0; p < P; ++p) {
      if (remaining[p] >= 0) {
        remaining[p] -= dt * rate;
        if (remaining[p] <= 1e-15) {
          remaining[p] = -1;
          if (in_op[p]) ++pc[p];
        }
      } else if (pc[p] < programs[p].size()) {
        out.wait_seconds[p] += dt;
      }
    }
    now += dt;
  }
  out.step_seconds = now;
  return out;
}

}  // namespace neuropart
