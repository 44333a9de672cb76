#include "neuropart/exec/training_session.h"

#include <sys/resource.h>

#include <chrono>

#include "neuropart/job/batch_schedule.h"
#include "neuropart/job/job_paths.h"
#include "neuropart/store/checkpoint.h"
#include "neuropart/store/model_io.h"
#include "neuropart/wire/payloads.h"

namespace neuropart {
namespace {

using Clock = std::chrono::steady_clock;

double Seconds(Clock::time_point since) {
  return std::chrono::duration<double>(Clock::now() - since).count();
}

// User and system CPU time of this process so far.
double ProcessCpuSeconds() {
  rusage u{};
  getrusage(RUSAGE_SELF, &u);
  auto seconds = [](const timeval& t) { return t.tv_sec + t.tv_usec / 1e6; };
  return seconds(u.ru_utime) + seconds(u.ru_stime);
}

class Session {
 public:
  Session(const SessionConfig& c, Transport* transport)
      : c_(c), spec_(*c.spec), plan_(*c.plan), self_(c.exec.partition), transport_(transport) {}

  StatusOr<TrainingOutcome> Run() {
    ASSIGN_OR_RETURN(InitialSlices init, LoadInitialSlices(spec_, plan_, self_, c_.store));
    if (init.start_step > 0) resumed_from_ = init.start_step;
    PartitionExecutor exec(plan_, std::move(init.params), c_.exec, transport_);
    for (size_t i = 0; i < exec.slices().size(); ++i) {
      if (init.momentum[i]) exec.slices()[i].sgd.Restore(std::move(*init.momentum[i]), init.optimizer_steps[i]);
    }
    const TrainingSpec& t = spec_.training;
    BatchSchedule schedule(c_.data->train.size(), t.batch_size, t.epochs,
                           c_.max_steps >= 0 ? c_.max_steps : t.max_steps, t.shuffle, t.seed);
    TrainingOutcome out;
    out.start_step = init.start_step;
    const int64_t total = schedule.TotalSteps();
    MatrixF x;
    std::vector<int32_t> labels;
    Phase(JobPhase::kTraining);
    for (int64_t step = init.start_step; step < total; ++step) {
      const auto start = Clock::now();
      const double wait_before = exec.wait_seconds(), cpu_before = ProcessCpuSeconds();
      GatherBatch(c_.data->train, schedule.Batch(step), &x, &labels);
      const int micro = static_cast<int>(std::min<int64_t>(t.micro_batches, x.rows()));
      ASSIGN_OR_RETURN(StepResult r, exec.TrainStep(step, x, labels.data(), micro));
      out.final_loss = r.loss;
      if (c_.on_step) {
        c_.on_step({step + 1, total, schedule.EpochOf(step), x.rows(), r.loss, Seconds(start),
                    exec.wait_seconds() - wait_before, ProcessCpuSeconds() - cpu_before});
      }
      if (c_.after_step) RETURN_IF_ERROR(c_.after_step(step + 1));
      const bool periodic = t.checkpoint_every > 0 && (step + 1) % t.checkpoint_every == 0;
      if (periodic || step + 1 == total) {
        const auto began = Clock::now();
        RETURN_IF_ERROR(Checkpoint(exec, step + 1));
        if (c_.on_checkpoint) c_.on_checkpoint(step + 1, Seconds(began));
      }
    }
    out.steps = total;
    Phase(JobPhase::kEvaluating);
    ASSIGN_OR_RETURN(out.test, Evaluate(exec));
    if (self_ == wire::kCoordinator) {
      Phase(JobPhase::kExporting);
      ASSIGN_OR_RETURN(out.export_path, Export());
    }
    return out;
  }

 private:
  void Phase(JobPhase phase) {
    if (c_.on_phase) c_.on_phase(phase);
  }

  Status Checkpoint(PartitionExecutor& exec, int64_t step) {
    std::vector<ShardSlice> slices;
    for (const Slice& s : exec.slices()) {
      slices.push_back({s.layer, &s.params, s.sgd.momentum_buffer(), s.sgd.steps()});
    }
    ASSIGN_OR_RETURN(ShardInfo mine,
                     WriteShard(c_.store, spec_.name, step, self_, plan_.hash(), slices));
    if (self_ != wire::kCoordinator) {
      Message msg;
      msg.header.type = wire::MsgType::kCheckpointDurable;
      msg.header.plan_hash = plan_.hash();
      msg.header.source = self_;
      msg.header.destination = wire::kCoordinator;
      msg.header.step = static_cast<uint64_t>(step);
      msg.payload = wire::EncodeCheckpointDurable({mine.bytes, mine.checksum});
      msg.header.payload_length = msg.payload.size();
      return transport_->Send(std::move(msg));
    }
    // The coordinator commits only after every partition reported its shard durable.
    std::vector<ShardInfo> shards(plan_.num_partitions());
    shards[wire::kCoordinator] = mine;
    for (int p = 1; p < plan_.num_partitions(); ++p) {
      MessageKey key{wire::MsgType::kCheckpointDurable, static_cast<uint32_t>(p),
                     static_cast<uint64_t>(step), 0, 0, wire::Phase::kForward};
      StatusOr<Message> m = exec.mailbox().Await(key, c_.exec.timeout);
      if (!m.ok()) return m.status().WithContext("checkpoint " + std::to_string(step));
      ASSIGN_OR_RETURN(wire::CheckpointDurablePayload d, wire::DecodeCheckpointDurable(m->payload));
      shards[p] = ShardInfo{d.shard_bytes, d.checksum};
    }
    std::vector<std::vector<ShardRange>> ranges(plan_.num_partitions());
    for (int p = 0; p < plan_.num_partitions(); ++p) {
      for (int l = 0; l < plan_.num_layers(); ++l) {
        for (const IndexRange& r : plan_.Owned(p, l)) ranges[p].push_back({l, r.begin, r.end});
      }
    }
    return CommitCheckpoint(c_.store, spec_.name, step, plan_.hash(), ranges, shards,
                            resumed_from_);
  }

  StatusOr<EvalTotals> Evaluate(PartitionExecutor& exec) {
    EvalTotals totals;
    const Dataset& test = c_.data->test;
    MatrixF x;
    std::vector<int32_t> labels;
    const int64_t per_batch = EvaluationBatchRows(spec_.training.batch_size);
    for (int64_t begin = 0, batch = 0; begin < test.size(); begin += per_batch, ++batch) {
      std::vector<int64_t> rows;
      for (int64_t i = begin; i < std::min(begin + per_batch, test.size()); ++i) rows.push_back(i);
      GatherBatch(test, rows, &x, &labels);
      ASSIGN_OR_RETURN(EvalTotals part, exec.EvalBatch(wire::kEvalStepBase + batch, x, labels.data()));
      totals.loss_sum += part.loss_sum;
      totals.correct += part.correct;
      totals.samples += part.samples;
    }
    return totals;
  }

  StatusOr<std::string> Export() {
    ASSIGN_OR_RETURN(std::optional<CheckpointRef> latest, LatestCheckpoint(c_.store, spec_.name));
    if (!latest) return InternalError("no committed checkpoint to export");
    const std::string path = ExportPath(spec_, c_.store);
    RETURN_IF_ERROR(ExportModel(*latest, spec_.model, path));
    return path;
  }

  const SessionConfig& c_;
  const JobSpec& spec_;
  const Plan& plan_;
  int self_;
  Transport* transport_;
  std::optional<int64_t> resumed_from_;  // the checkpoint's step, kept while this run lasts
};

}  // namespace

StatusOr<InitialSlices> LoadInitialSlices(const JobSpec& spec, const Plan& plan, int partition,
                                          const std::string& store, bool with_optimizer_state) {
  InitialSlices init;
  ASSIGN_OR_RETURN(std::optional<CheckpointRef> latest, LatestCheckpoint(store, spec.name));
  std::optional<SafetensorsReader> weights;
  if (!latest && !spec.weights.empty()) {
    const std::string path = WeightsPath(spec, store);
    StatusOr<SafetensorsReader> reader = SafetensorsReader::Open(path);
    if (!reader.ok()) return reader.status().WithContext("spec.model.weights");
    weights = std::move(reader).value();
  }
  for (int l = 0; l < plan.num_layers(); ++l) {
    for (const IndexRange& r : plan.Owned(partition, l)) {
      if (latest) {
        ASSIGN_OR_RETURN(OwnedSlice s, LoadSlice(*latest, spec.model, l, r.begin, r.end,
                                                     with_optimizer_state));
        init.params.push_back(std::move(s.params));
        init.momentum.push_back(std::move(s.momentum));
        init.optimizer_steps.push_back(s.optimizer_steps);
      } else {
        if (weights) {
          ASSIGN_OR_RETURN(LayerParams p, ReadLayerRows(*weights, spec.model, l, r.begin, r.end));
          init.params.push_back(std::move(p));
        } else {
          init.params.push_back(InitLayerRows(spec.model, spec.init_seed, l, r.begin, r.end));
        }
        init.momentum.emplace_back();
        init.optimizer_steps.push_back(0);
      }
    }
  }
  if (latest) init.start_step = latest->step;
  return init;
}

StatusOr<TrainingOutcome> RunTrainingSession(const SessionConfig& config, Transport* transport) {
  return Session(config, transport).Run();
}

}  // namespace neuropart
