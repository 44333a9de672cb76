#include "gemm.h"

#include <cblas.h>

#include <cassert>

namespace neuropart::internal {
namespace {

// The leading dimension BLAS wants: the row stride, and never 0 (BLAS rejects ld < 1 even for an
// empty operand).
blasint Ld(Eigen::Index outer_stride) {
  return static_cast<blasint>(outer_stride > 0 ? outer_stride : 1);
}

CBLAS_TRANSPOSE Trans(Op op) { return op == Op::kTranspose ? CblasTrans : CblasNoTrans; }

}  // namespace

void Gemm(const Eigen::Ref<const MatrixF>& a, Op op_a, const Eigen::Ref<const MatrixF>& b, Op op_b,
          float beta, Eigen::Ref<MatrixF> c) {
  const Eigen::Index m = op_a == Op::kNone ? a.rows() : a.cols();
  const Eigen::Index k = op_a == Op::kNone ? a.cols() : a.rows();
  const Eigen::Index n = op_b == Op::kNone ? b.cols() : b.rows();
  assert((op_b == Op::kNone ? b.rows() : b.cols()) == k);
  assert(c.rows() == m && c.cols() == n);
  if (m == 0 || n == 0) return;
  if (k == 0) {  // an empty sum: BLAS implementations differ on whether they still apply beta
    if (beta == 0.0f) {
      c.setZero();
    } else {
      c *= beta;
    }
    return;
  }
  cblas_sgemm(CblasRowMajor, Trans(op_a), Trans(op_b), static_cast<blasint>(m),
              static_cast<blasint>(n), static_cast<blasint>(k), 1.0f, a.data(), Ld(a.outerStride()),
              b.data(), Ld(b.outerStride()), beta, c.data(), Ld(c.outerStride()));
}

void SetGemmThreads(int n) { openblas_set_num_threads(n); }

std::string GemmKernels() { return openblas_get_corename(); }

}  // namespace neuropart::internal
