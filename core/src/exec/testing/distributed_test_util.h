// Runs a whole distributed job inside one process (one thread per partition over an
// InProcessNetwork) and compares it with the ReferenceTrainer. Shared by the executor tests.
#ifndef NEUROPART_CORE_SRC_EXEC_DISTRIBUTED_TEST_UTIL_H_
#define NEUROPART_CORE_SRC_EXEC_DISTRIBUTED_TEST_UTIL_H_

#include <string>
#include <vector>

#include "neuropart/engine/sgd.h"
#include "neuropart/model/parameters.h"
#include "neuropart/plan/plan.h"
#include "neuropart/status.h"

namespace neuropart {

struct RunResult {
  ModelParams params;          // whole layers, reassembled from every partition's slices
  std::vector<double> losses;  // per step, from the coordinator
};

struct TrainSetup {
  uint64_t seed = 1;
  SgdOptions sgd{0.1f, 0.9f, 1e-4f};
  int steps = 3;
  int batch = 16;
  int micro_batches = 1;
  MatrixF x;  // steps * batch rows
  std::vector<int32_t> labels;
};

// Deterministic inputs and labels for `setup.steps` batches of the plan's model.
void FillData(const Architecture& arch, TrainSetup* setup);

StatusOr<RunResult> RunReference(const Architecture& arch, const TrainSetup& setup);
StatusOr<RunResult> RunInProcess(const Plan& plan, const TrainSetup& setup);

// Largest |a - b| / max(1, |b|) over every weight and bias; reports the worst tensor in *where.
double MaxRelativeDifference(const ModelParams& a, const ModelParams& b, std::string* where);

}  // namespace neuropart

#endif  // NEUROPART_CORE_SRC_EXEC_DISTRIBUTED_TEST_UTIL_H_
