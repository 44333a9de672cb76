// ParallelFor: a static OpenMP split of [0, n) over Eigen::nbThreads() threads, used by the
// hand-written sparse loops so that they honour the same thread setting as Eigen's GEMM. Each index
// runs on exactly one thread; with a static schedule the result does not depend on timing.
#ifndef NEUROPART_ENGINE_PARALLEL_FOR_H_
#define NEUROPART_ENGINE_PARALLEL_FOR_H_

#include <Eigen/Core>
#include <cstdint>

namespace neuropart::internal {

// Runs fn(i) for i in [0, n). `work_per_index` (flops or so) decides whether threads pay off.
template <typename Fn>
void ParallelFor(int64_t n, int64_t work_per_index, const Fn& fn) {
  constexpr int64_t kMinParallelWork = 1 << 15;
  const int threads = Eigen::nbThreads();
  const bool parallel = threads > 1 && n > 1 && n * work_per_index >= kMinParallelWork;
#pragma omp parallel for num_threads(threads) schedule(static) if (parallel)
  for (int64_t i = 0; i < n; ++i) fn(i);
}

}  // namespace neuropart::internal

#endif  // NEUROPART_ENGINE_PARALLEL_FOR_H_
