// Math threads: how many OpenMP threads the engine's kernels (Eigen's GEMM and the sparse loops)
// use. The engine is the only code compiled with OpenMP, so callers set the count here rather than
// through Eigen::setNbThreads, which is a no-op in a translation unit built without -fopenmp.
// Process-wide; set it once at start, before any kernel runs.
#ifndef NEUROPART_ENGINE_MATH_THREADS_H_
#define NEUROPART_ENGINE_MATH_THREADS_H_

namespace neuropart {

// REQUIRES: n >= 1.
void SetMathThreads(int n);
int MathThreads();

}  // namespace neuropart

#endif  // NEUROPART_ENGINE_MATH_THREADS_H_
