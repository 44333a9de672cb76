#include "neuropart/engine/math_threads.h"

#include <Eigen/Core>

#include "gemm.h"

#ifndef _OPENMP
#error "the engine is built with OpenMP (see core/src/engine/CMakeLists.txt)"
#endif

namespace neuropart {

void SetMathThreads(int n) {
  Eigen::setNbThreads(n);
  internal::SetGemmThreads(n);
}

int MathThreads() { return Eigen::nbThreads(); }

std::string GemmKernels() { return internal::GemmKernels(); }

}  // namespace neuropart
