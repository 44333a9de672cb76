#include "testing/distributed_test_util.h"

#include <algorithm>
#include <cmath>
#include <thread>

#include "neuropart/engine/reference_trainer.h"
#include "neuropart/exec/partition_executor.h"
#include "neuropart/model/init.h"

namespace neuropart {

void FillData(const Architecture& arch, TrainSetup* s) {
  const int64_t rows = int64_t{s->steps} * s->batch;
  s->x.resize(rows, arch.input_size);
  s->labels.resize(rows);
  for (int64_t i = 0; i < rows; ++i) {
    for (int64_t j = 0; j < arch.input_size; ++j) {
      s->x(i, j) = static_cast<float>(HashMix(s->seed + 17, i * 7919 + j) % 2001) / 1000.0f - 1.0f;
    }
    s->labels[i] = static_cast<int32_t>(HashMix(s->seed + 29, i) % arch.output_size());
  }
}

StatusOr<RunResult> RunReference(const Architecture& arch, const TrainSetup& s) {
  ReferenceTrainer trainer(arch, InitModel(arch, s.seed), s.sgd);
  RunResult r;
  for (int step = 0; step < s.steps; ++step) {
    const MatrixF x = s.x.middleRows(int64_t{step} * s.batch, s.batch);
    r.losses.push_back(trainer.TrainStep(x, s.labels.data() + step * s.batch, s.micro_batches));
  }
  r.params = trainer.params();
  return r;
}

StatusOr<RunResult> RunInProcess(const Plan& plan, const TrainSetup& s) {
  const Architecture& arch = plan.architecture();
  const int P = plan.num_partitions();
  InProcessNetwork net(P);
  std::vector<Status> status(P);
  std::vector<std::vector<LayerParams>> finals(P);
  RunResult r;
  std::vector<std::thread> threads;
  for (int p = 0; p < P; ++p) {
    threads.emplace_back([&, p] {
      std::vector<LayerParams> params;
      for (int l = 0; l < arch.num_layers(); ++l) {
        for (const IndexRange& range : plan.Owned(p, l)) {
          params.push_back(InitLayerRows(arch, s.seed, l, range.begin, range.end));
        }
      }
      ExecutorOptions options;
      options.partition = p;
      options.sgd = s.sgd;
      options.timeout = std::chrono::milliseconds(20000);
      PartitionExecutor exec(plan, std::move(params), options, net.Endpoint(p));
      for (int step = 0; step < s.steps; ++step) {
        const MatrixF x = s.x.middleRows(int64_t{step} * s.batch, s.batch);
        StatusOr<StepResult> res =
            exec.TrainStep(step, x, s.labels.data() + step * s.batch, s.micro_batches);
        if (!res.ok()) {
          status[p] = res.status();
          return;
        }
        if (p == 0) r.losses.push_back(res->loss);
      }
      for (Slice& slice : exec.slices()) finals[p].push_back(slice.params);
    });
  }
  for (std::thread& t : threads) t.join();
  for (const Status& st : status) RETURN_IF_ERROR(st);
  // Reassemble whole layers from the slices.
  r.params = InitModel(arch, s.seed);
  std::vector<int> layer_of;
  for (int p = 0; p < P; ++p) {
    size_t k = 0;
    for (int l = 0; l < arch.num_layers(); ++l) {
      for (const IndexRange& range : plan.Owned(p, l)) {
        const LayerParams& slice = finals[p][k++];
        r.params[l].weight.middleRows(range.begin, range.size()) = slice.weight;
        r.params[l].bias.segment(range.begin, range.size()) = slice.bias;
      }
    }
  }
  return r;
}

double MaxRelativeDifference(const ModelParams& a, const ModelParams& b, std::string* where) {
  double worst = 0;
  for (size_t l = 0; l < a.size(); ++l) {
    auto check = [&](const float* x, const float* y, int64_t n, const char* what) {
      for (int64_t i = 0; i < n; ++i) {
        const double d = std::fabs(double{x[i]} - y[i]) / std::max(1.0, std::fabs(double{y[i]}));
        if (d > worst) {
          worst = d;
          *where = "layer " + std::to_string(l) + " " + what + "[" + std::to_string(i) + "]";
        }
      }
    };
    check(a[l].weight.data(), b[l].weight.data(), a[l].weight.size(), "weight");
    check(a[l].bias.data(), b[l].bias.data(), a[l].bias.size(), "bias");
  }
  return worst;
}

}  // namespace neuropart
