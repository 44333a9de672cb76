#include "neuropart/engine/math_threads.h"

#include <Eigen/Core>

#ifndef _OPENMP
#error "the engine is built with OpenMP (see core/src/engine/CMakeLists.txt)"
#endif

namespace neuropart {

void SetMathThreads(int n) { Eigen::setNbThreads(n); }

int MathThreads() { return Eigen::nbThreads(); }

}  // namespace neuropart
