// Math threads: how many threads the engine's kernels use: OpenBLAS's GEMM (its own threads) and
// the sparse loops and Eigen's element-wise work (OpenMP). The engine is the only code compiled with OpenMP, so callers set the count here rather than
// through Eigen::setNbThreads, which is a no-op in a translation unit built without -fopenmp.
// Process-wide; set it once at start, before any kernel runs.
#ifndef NEUROPART_ENGINE_MATH_THREADS_H_
#define NEUROPART_ENGINE_MATH_THREADS_H_

#include <string>

namespace neuropart {

// REQUIRES: n >= 1.
void SetMathThreads(int n);
int MathThreads();

// The GEMM kernels in use, as OpenBLAS names them ("SkylakeX", "Haswell"): chosen for the
// processor when OpenBLAS loads, unless OPENBLAS_CORETYPE names others. Shown by `neuropart
// --version` and the benchmarks, because the choice moves the step time by up to 1.8x.
std::string GemmKernels();

}  // namespace neuropart

#endif  // NEUROPART_ENGINE_MATH_THREADS_H_
