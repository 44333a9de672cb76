// Gemm: the engine's dense products, C = op(A) op(B) + beta C, through OpenBLAS's sgemm.
//
// Why not Eigen's own GEMM: on the training step's shapes (784-1024-1024-10 at batch 256) OpenBLAS
// takes 0.74x Eigen's time on one thread and 0.79x on two, even with Eigen built for this
// processor (-march=native); OpenBLAS picks its kernels for the processor at run time, so the
// default build and the images get them too, where Eigen is held to SSE2 (docs/benchmarks.md,
// bench/gemm_shapes_bench.cc). The OpenMP build of OpenBLAS: see CMakeLists.txt.
// Row-major throughout; views with an outer stride are passed as they are, never copied.
#ifndef NEUROPART_ENGINE_GEMM_H_
#define NEUROPART_ENGINE_GEMM_H_

#include <string>

#include <Eigen/Core>

#include "neuropart/model/parameters.h"

namespace neuropart::internal {

enum class Op { kNone, kTranspose };

// REQUIRES: c has the product's shape (rows of op(a), columns of op(b)) and the inner dimensions
// agree. beta = 0 overwrites c without reading it (NaN in c does not leak into the result).
void Gemm(const Eigen::Ref<const MatrixF>& a, Op op_a, const Eigen::Ref<const MatrixF>& b, Op op_b,
          float beta, Eigen::Ref<MatrixF> c);

// The BLAS library's own thread count; SetMathThreads keeps it equal to the engine's.
void SetGemmThreads(int n);
// The BLAS library's kernels for this processor (GemmKernels in math_threads.h).
std::string GemmKernels();

}  // namespace neuropart::internal

#endif  // NEUROPART_ENGINE_GEMM_H_
