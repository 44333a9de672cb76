// The training step's eight dense products (MLP 784-1024-1024-10 at batch 256: forward
// a_in W^T, weight gradient dz^T a_in, input gradient dz W), each timed through the engine's
// Gemm (OpenBLAS) and through Eigen's own product in the same run, on 1 and 2 threads. The ratio
// engine/Eigen per shape is the figure; it is why gemm.h uses OpenBLAS.
#include <benchmark/benchmark.h>

#include <Eigen/Core>
#include <cstdint>

#include "gemm.h"  // core/src/engine: internal, not installed
#include "neuropart/engine/math_threads.h"
#include "neuropart/model/parameters.h"

namespace neuropart {
namespace {

using internal::Op;

struct Shape {
  const char* name;
  int64_t m, n, k;
  Op op_a, op_b;
};

constexpr Shape kShapes[] = {
    {"fwd_h1", 256, 1024, 784, Op::kNone, Op::kTranspose},
    {"fwd_h2", 256, 1024, 1024, Op::kNone, Op::kTranspose},
    {"fwd_out", 256, 10, 1024, Op::kNone, Op::kTranspose},
    {"dW_h1", 1024, 784, 256, Op::kTranspose, Op::kNone},
    {"dW_h2", 1024, 1024, 256, Op::kTranspose, Op::kNone},
    {"dW_out", 10, 1024, 256, Op::kTranspose, Op::kNone},
    {"dA_h2", 256, 1024, 1024, Op::kNone, Op::kNone},
    {"dA_out", 256, 1024, 10, Op::kNone, Op::kNone},
};

struct Operands {
  MatrixF a, b, c;
  explicit Operands(const Shape& s)
      : a(s.op_a == Op::kNone ? MatrixF::Random(s.m, s.k) : MatrixF::Random(s.k, s.m)),
        b(s.op_b == Op::kNone ? MatrixF::Random(s.k, s.n) : MatrixF::Random(s.n, s.k)),
        c(s.m, s.n) {}
};

void Report(benchmark::State& state, const Shape& s) {
  state.SetItemsProcessed(state.iterations() * 2 * s.m * s.n * s.k);  // flops
  state.SetLabel(s.name);
}

void BM_EngineGemm(benchmark::State& state) {
  SetMathThreads(static_cast<int>(state.range(1)));
  const Shape& s = kShapes[state.range(0)];
  Operands o(s);
  for (auto _ : state) {
    internal::Gemm(o.a, s.op_a, o.b, s.op_b, 0.0f, o.c);
    benchmark::ClobberMemory();
  }
  Report(state, s);
}

void BM_EigenGemm(benchmark::State& state) {
  SetMathThreads(static_cast<int>(state.range(1)));
  const Shape& s = kShapes[state.range(0)];
  Operands o(s);
  for (auto _ : state) {
    if (s.op_a == Op::kTranspose) {
      o.c.noalias() = o.a.transpose() * o.b;
    } else if (s.op_b == Op::kTranspose) {
      o.c.noalias() = o.a * o.b.transpose();
    } else {
      o.c.noalias() = o.a * o.b;
    }
    benchmark::ClobberMemory();
  }
  Report(state, s);
}

void Shapes(benchmark::internal::Benchmark* b) {
  b->ArgNames({"shape", "threads"});
  for (int threads : {1, 2}) {
    for (int i = 0; i < static_cast<int>(std::size(kShapes)); ++i) b->Args({i, threads});
  }
  b->Unit(benchmark::kMillisecond)->UseRealTime()->MinTime(0.5);
}
BENCHMARK(BM_EngineGemm)->Apply(Shapes);
BENCHMARK(BM_EigenGemm)->Apply(Shapes);

}  // namespace
}  // namespace neuropart

BENCHMARK_MAIN();
