// One ReferenceTrainer::TrainStep (forward, backward, SGD with momentum) of the MLP
// 784-1024-1024-10 (relu, relu, softmax) at batch 256, on 1 and 2 threads. The PyTorch peer is
// bench/torch_mlp_step.py; run both on an idle machine and compare ms/step.
#include <benchmark/benchmark.h>

#include <Eigen/Core>
#include <cstdint>
#include <vector>

#include "neuropart/engine/math_threads.h"
#include "neuropart/engine/reference_trainer.h"
#include "neuropart/model/init.h"
#include "neuropart/model/parameters.h"

namespace neuropart {
namespace {

constexpr int kBatch = 256;

Architecture Mlp() {
  Architecture a;
  a.input_size = 784;
  a.layers = {{"h1", 1024, Activation::kRelu, {}},
              {"h2", 1024, Activation::kRelu, {}},
              {"out", 10, Activation::kSoftmax, {}}};
  return a;
}

void BM_ReferenceTrainStep(benchmark::State& state) {
  neuropart::SetMathThreads(static_cast<int>(state.range(0)));
  const Architecture arch = Mlp();
  ReferenceTrainer trainer(arch, InitModel(arch, 1), {.learning_rate = 0.01f, .momentum = 0.9f});
  MatrixF x(kBatch, arch.input_size);
  for (int64_t i = 0; i < x.size(); ++i) {
    x.data()[i] = static_cast<float>(HashMix(2, i) % 256) / 255.0f;
  }
  std::vector<int32_t> labels(kBatch);
  for (int i = 0; i < kBatch; ++i) labels[i] = static_cast<int32_t>(HashMix(3, i) % 10);
  for (int i = 0; i < 3; ++i) trainer.TrainStep(x, labels.data(), 1);  // warm up: buffers, pages
  for (auto _ : state) {
    benchmark::DoNotOptimize(trainer.TrainStep(x, labels.data(), 1));
  }
  state.SetItemsProcessed(state.iterations() * kBatch);
  state.SetLabel("OpenBLAS " + neuropart::GemmKernels() + " kernels");
}
BENCHMARK(BM_ReferenceTrainStep)
    ->ArgName("threads")
    ->Arg(1)
    ->Arg(2)
    ->Unit(benchmark::kMillisecond)
    ->UseRealTime()
    ->MinTime(3.0);

}  // namespace
}  // namespace neuropart

BENCHMARK_MAIN();
