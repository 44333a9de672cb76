// TrainingSession: one partition's whole training run — resume, steps, checkpoints, evaluation,
// export — the same code in a worker process and in the in-process tests.
//
// Every partition walks the same BatchSchedule. It starts from the job's LATEST committed
// checkpoint when there is one (under any plan: shards carry neuron ids), otherwise from the seed
// or the weights file. Every checkpointEvery steps and at the end each partition writes its own
// shard and reports it durable to the coordinator (partition 0), which commits the manifest and
// LATEST once all have. After the last step the partitions evaluate the test set together and the
// coordinator exports the consolidated model. Not thread-safe; one session per partition.
#ifndef NEUROPART_EXEC_TRAINING_SESSION_H_
#define NEUROPART_EXEC_TRAINING_SESSION_H_

#include <functional>
#include <string>

#include "neuropart/exec/partition_executor.h"
#include "neuropart/job/job_data.h"
#include "neuropart/job/job_spec.h"
#include "neuropart/lifecycle/job_status.h"

namespace neuropart {

struct StepReport {
  int64_t step = 0;  // 1-based: steps done
  int64_t total_steps = 0;
  int epoch = 0;
  int64_t samples = 0;
  double loss = 0;          // the batch's mean loss; coordinator only
  double step_seconds = 0;  // wall time of the step
  double wait_seconds = 0;  // of which waiting for peers
  double cpu_seconds = 0;   // CPU time this process spent in it, all its threads
};

struct TrainingOutcome {
  int64_t start_step = 0;  // > 0 when resumed from a checkpoint
  int64_t steps = 0;
  double final_loss = 0;  // coordinator only
  EvalTotals test;        // coordinator only; samples == 0 without a test set
  std::string export_path;  // coordinator only
};

struct SessionConfig {
  const JobSpec* spec = nullptr;
  const Plan* plan = nullptr;
  const JobData* data = nullptr;
  std::string store;
  ExecutorOptions exec;  // exec.partition is this partition
  int64_t max_steps = -1;  // overrides spec.training.maxSteps when >= 0
  std::function<void(const StepReport&)> on_step;  // may be empty
  // Each phase as it starts: Training, Evaluating, Exporting. May be empty.
  std::function<void(JobPhase phase)> on_phase;
  // After each committed (coordinator) or durable (others) checkpoint. May be empty.
  std::function<void(int64_t step, double seconds)> on_checkpoint;
  // Called after each step's update, before its checkpoint; an error ends the session there, as a
  // crash would (a stop request, and the in-process crash tests). May be empty.
  std::function<Status(int64_t step)> after_step;
};

StatusOr<TrainingOutcome> RunTrainingSession(const SessionConfig& config, Transport* transport);

// The initial rows of every range `partition` owns under `plan`: from the LATEST checkpoint if
// any (*start_step = its step, optimizer state restored into *sgd_steps/momentum), else from the
// weights file or the seed (*start_step = 0). Serving passes with_optimizer_state = false: the
// momentum is then not read at all.
struct InitialSlices {
  std::vector<LayerParams> params;
  std::vector<std::optional<LayerParams>> momentum;
  std::vector<int64_t> optimizer_steps;
  int64_t start_step = 0;
};
StatusOr<InitialSlices> LoadInitialSlices(const JobSpec& spec, const Plan& plan, int partition,
                                          const std::string& store,
                                          bool with_optimizer_state = true);

}  // namespace neuropart

#endif  // NEUROPART_EXEC_TRAINING_SESSION_H_
