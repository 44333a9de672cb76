#include "neuropart/exec/partition_executor.h"

#include <cmath>

#include "neuropart/exec/blocks.h"
#include "neuropart/job/batch_schedule.h"
#include "neuropart/wire/codec.h"
#include "neuropart/wire/payloads.h"

namespace neuropart {
namespace {

using wire::MsgType;
using wire::Phase;
constexpr int kCoordinator = 0;

void ResizeKeep(MatrixF* m, int64_t rows, int64_t cols) {
  if (m->rows() != rows || m->cols() != cols) m->setZero(rows, cols);
}

}  // namespace

PartitionExecutor::PartitionExecutor(const Plan& plan, std::vector<LayerParams> params,
                                     ExecutorOptions options, Transport* transport)
    : plan_(plan),
      arch_(plan.architecture()),
      options_(options),
      self_(options.partition),
      P_(plan.num_partitions()),
      transport_(transport),
      mailbox_(transport),
      slices_of_layer_(arch_.num_layers()),
      owns_(arch_.num_layers()),
      boundaries_(arch_.num_layers()),
      acts_(arch_.num_layers()),
      partial_(arch_.num_layers()) {
  size_t k = 0;
  for (int l = 0; l < arch_.num_layers(); ++l) {
    owns_[l] = plan.OwnsAny(self_, l);
    for (size_t i = 0; i < plan.Owned(self_, l).size(); ++i) {
      slices_of_layer_[l].push_back(static_cast<int>(slices_.size()));
      slices_.push_back(Slice{l, std::move(params[k++]), SgdState(options.sgd), {}, {}, {}, {}});
    }
    if (l == 0) continue;
    Boundary& b = boundaries_[l];
    b.inbound = plan.Inbound(self_, l);
    b.outbound.resize(P_);
    for (int r = 0; r < P_; ++r) {
      if (r != self_) b.outbound[r] = plan.Exchange(self_, r, l);
    }
  }
  for (int p = 0; p < P_; ++p) {
    if (plan.OwnsAny(p, arch_.num_layers() - 1)) output_owners_.push_back(p);
  }
}

ConstMatrixRef PartitionExecutor::LayerInput(const ConstMatrixRef& x, int layer) const {
  return layer == 0 ? x : ConstMatrixRef(acts_[layer - 1]);
}

Status PartitionExecutor::SendBlock(MsgType type, int to, uint64_t step, uint32_t micro, int layer,
                                    Phase phase, const ConstMatrixRef& m,
                                    const std::vector<IndexRange>& ranges) {
  // Softmax statistics travel in fp32 whatever the wire dtype: they feed exp() and log().
  const wire::DType dtype = type == MsgType::kSoftmaxStats ? wire::DType::kF32 : options_.dtype;
  Message msg;
  wire::MessageHeader& h = msg.header;
  h.type = type;
  h.plan_hash = plan_.hash();
  h.source = self_;
  h.destination = to;
  h.step = step;
  h.micro_batch = micro;
  h.layer = layer;
  h.phase = phase;
  RETURN_IF_ERROR(wire::SetTensorShape(m.rows(), TotalSize(ranges), dtype, &h));
  msg.payload = PackColumns(m, ranges, dtype);
  return transport_->Send(std::move(msg));
}

StatusOr<Message> PartitionExecutor::Await(MsgType type, int from, uint64_t step, uint32_t micro,
                                           int layer, Phase phase) {
  const auto start = std::chrono::steady_clock::now();
  MessageKey key{type, static_cast<uint32_t>(from), step, micro, static_cast<uint32_t>(layer),
                 phase};
  StatusOr<Message> m = mailbox_.Await(key, options_.timeout);
  wait_seconds_ += std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  if (!m.ok()) return m.status().WithContext("partition " + std::to_string(self_));
  return m;
}

Status PartitionExecutor::Forward(uint64_t step, uint32_t micro, Phase phase,
                                  const ConstMatrixRef& x) {
  const int64_t rows = x.rows();
  const int L = arch_.num_layers();
  for (int l = 0; l < L; ++l) ResizeKeep(&acts_[l], rows, arch_.layers[l].neurons);
  for (int l = 0; l < L; ++l) {
    if (!Owns(l)) continue;
    if (l >= 1) {
      const Boundary& b = boundaries_[l];
      for (int p = 0; p < P_; ++p) {
        if (p == self_ || b.inbound[p].empty()) continue;
        ASSIGN_OR_RETURN(Message m, Await(MsgType::kActivations, p, step, micro, l, phase));
        RETURN_IF_ERROR(UnpackColumns(m.payload, m.header.dtype, b.inbound[p], Unpack::kAssign,
                                      &acts_[l - 1]));
      }
    }
    const ConstMatrixRef input = LayerInput(x, l);
    for (int i : slices_of_layer_[l]) {
      Slice& s = slices_[i];
      ForwardPreactivation(input, s.params, arch_, l, &s.z);
      ApplyActivation(arch_.layers[l].activation, s.z, &s.a);
      acts_[l].middleCols(s.params.first_neuron, s.params.rows()) = s.a;
    }
    if (l + 1 == L) continue;
    for (int r = 0; r < P_; ++r) {
      const std::vector<IndexRange>& ranges = boundaries_[l + 1].outbound[r];
      if (ranges.empty()) continue;
      RETURN_IF_ERROR(SendBlock(MsgType::kActivations, r, step, micro, l + 1, phase, acts_[l], ranges));
    }
  }
  return Status::Ok();
}

Status PartitionExecutor::ExchangeSoftmaxStats(uint64_t step, uint32_t micro, Phase phase,
                                               SoftmaxStats* stats) {
  const int last = arch_.num_layers() - 1;
  SoftmaxStats local;
  bool first = true;
  for (int i : slices_of_layer_[last]) {
    SoftmaxStats part;
    SoftmaxSliceStats(slices_[i].z, &part);
    if (first) {
      local = std::move(part);
      first = false;
    } else {
      CombineSoftmaxStats(part, &local);
    }
  }
  if (output_owners_.size() == 1) {
    *stats = std::move(local);
    return Status::Ok();
  }
  MatrixF packed(local.max.size(), 2);
  packed.col(0) = local.max;
  packed.col(1) = local.sum_exp;
  for (int p : output_owners_) {
    if (p == self_) continue;
    RETURN_IF_ERROR(SendBlock(MsgType::kSoftmaxStats, p, step, micro, last, phase, packed, {{0, 2}}));
  }
  // Every owner merges the same parts in partition order, so all get identical stats.
  first = true;
  for (int p : output_owners_) {
    SoftmaxStats part;
    if (p == self_) {
      part = local;
    } else {
      ASSIGN_OR_RETURN(Message m, Await(MsgType::kSoftmaxStats, p, step, micro, last, phase));
      MatrixF got(packed.rows(), 2);
      RETURN_IF_ERROR(UnpackColumns(m.payload, m.header.dtype, {{0, 2}}, Unpack::kAssign, &got));
      part.max = got.col(0);
      part.sum_exp = got.col(1);
    }
    if (first) {
      *stats = std::move(part);
      first = false;
    } else {
      CombineSoftmaxStats(part, stats);
    }
  }
  return Status::Ok();
}

Status PartitionExecutor::Backward(uint64_t step, uint32_t micro, const ConstMatrixRef& x,
                                   const int32_t* labels, float scale, bool first_micro,
                                   double* loss_sum) {
  const int last = arch_.num_layers() - 1;
  const int64_t rows = x.rows();
  if (Owns(last)) {
    SoftmaxStats stats;
    RETURN_IF_ERROR(ExchangeSoftmaxStats(step, micro, Phase::kBackward, &stats));
    for (int i : slices_of_layer_[last]) {
      Slice& s = slices_[i];
      *loss_sum += CrossEntropySliceLoss(s.z, s.params.first_neuron, labels, stats);
      SoftmaxCrossEntropyGrad(s.z, s.params.first_neuron, labels, stats, scale, &s.dz);
    }
  }
  for (int l = last; l >= 0; --l) {
    if (!Owns(l)) continue;
    if (l < last) {
      // dL/dA of this layer's owned neurons: the partials of every reader, in partition order.
      da_.setZero(rows, arch_.layers[l].neurons);
      for (int p = 0; p < P_; ++p) {
        if (p == self_) {
          if (Owns(l + 1)) da_ += partial_[l + 1];
          continue;
        }
        const std::vector<IndexRange>& ranges = boundaries_[l + 1].outbound[p];
        if (ranges.empty()) continue;
        ASSIGN_OR_RETURN(Message m, Await(MsgType::kGradients, p, step, micro, l + 1, Phase::kBackward));
        RETURN_IF_ERROR(UnpackColumns(m.payload, m.header.dtype, ranges, Unpack::kAdd, &da_));
      }
      for (int i : slices_of_layer_[l]) {
        Slice& s = slices_[i];
        ActivationBackward(arch_.layers[l].activation, s.z, s.a,
                           da_.middleCols(s.params.first_neuron, s.params.rows()), &s.dz);
      }
    }
    const ConstMatrixRef input = LayerInput(x, l);
    for (int i : slices_of_layer_[l]) {
      Slice& s = slices_[i];
      if (first_micro) {
        WeightGradients(input, s.dz, s.params, arch_, l, &s.grad);
      } else {
        AccumulateWeightGradients(input, s.dz, s.params, arch_, l, &s.grad);
      }
    }
    if (l == 0) continue;
    bool first = true;
    MatrixF part;
    for (int i : slices_of_layer_[l]) {
      const Slice& s = slices_[i];
      InputGradients(s.dz, s.params, arch_, l, first ? &partial_[l] : &part);
      if (!first) partial_[l] += part;
      first = false;
    }
    for (int p = 0; p < P_; ++p) {
      const std::vector<IndexRange>& ranges = boundaries_[l].inbound[p];
      if (p == self_ || ranges.empty()) continue;
      RETURN_IF_ERROR(SendBlock(MsgType::kGradients, p, step, micro, l, Phase::kBackward,
                                partial_[l], ranges));
    }
  }
  return Status::Ok();
}

StatusOr<StepResult> PartitionExecutor::TrainStep(uint64_t step, const MatrixF& x,
                                                  const int32_t* labels, int micro_batches) {
  const int64_t B = x.rows();
  const float scale = 1.0f / static_cast<float>(B);
  double loss_sum = 0;
  uint32_t micro = 0;
  for (const auto& [begin, end] : SplitRows(B, micro_batches)) {
    const ConstMatrixRef xm = x.middleRows(begin, end - begin);
    RETURN_IF_ERROR(Forward(step, micro, Phase::kForward, xm));
    RETURN_IF_ERROR(Backward(step, micro, xm, labels + begin, scale, micro == 0, &loss_sum));
    ++micro;
  }
  for (Slice& s : slices_) s.sgd.Apply(&s.params, s.grad);

  // The coordinator learns the step's loss: each output owner sends its partial sum.
  const int last = arch_.num_layers() - 1;
  if (Owns(last) && self_ != kCoordinator) {
    Message msg;
    msg.header.type = MsgType::kMetrics;
    msg.header.plan_hash = plan_.hash();
    msg.header.source = self_;
    msg.header.destination = kCoordinator;
    msg.header.step = step;
    msg.payload = wire::EncodeMetrics({loss_sum, 0, static_cast<double>(B)});
    msg.header.payload_length = msg.payload.size();
    RETURN_IF_ERROR(transport_->Send(std::move(msg)));
  }
  StepResult result;
  if (self_ != kCoordinator) return result;
  double total = 0;
  for (int p : output_owners_) {
    if (p == self_) {
      total += loss_sum;
      continue;
    }
    ASSIGN_OR_RETURN(Message m, Await(MsgType::kMetrics, p, step, 0, 0, Phase::kForward));
    ASSIGN_OR_RETURN(wire::MetricsPayload metrics, wire::DecodeMetrics(m.payload));
    total += metrics.loss_sum;
  }
  result.loss = total / static_cast<double>(B);
  return result;
}

Status PartitionExecutor::GatherLogits(uint64_t id, uint32_t micro, Phase phase, MatrixF* logits) {
  const int last = arch_.num_layers() - 1;
  const int L = arch_.num_layers();
  if (self_ != kCoordinator) {
    if (!Owns(last)) return Status::Ok();
    return SendBlock(MsgType::kActivations, kCoordinator, id, micro, L, phase, acts_[last],
                     plan_.Owned(self_, last));
  }
  *logits = acts_[last];  // the coordinator's own columns (if any) are already in place
  for (int p : output_owners_) {
    if (p == self_) continue;
    ASSIGN_OR_RETURN(Message m, Await(MsgType::kActivations, p, id, micro, L, phase));
    RETURN_IF_ERROR(UnpackColumns(m.payload, m.header.dtype, plan_.Owned(p, last), Unpack::kAssign,
                                  logits));
  }
  return Status::Ok();
}

StatusOr<EvalTotals> PartitionExecutor::EvalBatch(uint64_t id, const MatrixF& x,
                                                  const int32_t* labels) {
  RETURN_IF_ERROR(Forward(id, 0, Phase::kEval, x));
  MatrixF logits;
  RETURN_IF_ERROR(GatherLogits(id, 0, Phase::kEval, &logits));
  EvalTotals totals;
  if (self_ != kCoordinator) return totals;
  for (int64_t i = 0; i < logits.rows(); ++i) {
    Eigen::Index best;
    const float max = logits.row(i).maxCoeff(&best);
    const double lse = max + std::log((logits.row(i).array() - max).exp().sum());
    totals.loss_sum += lse - logits(i, labels[i]);
    totals.correct += best == labels[i];
  }
  totals.samples = logits.rows();
  return totals;
}

StatusOr<MatrixF> PartitionExecutor::Infer(uint64_t id, Phase phase, const MatrixF& x) {
  RETURN_IF_ERROR(Forward(id, 0, phase, x));
  MatrixF out;
  RETURN_IF_ERROR(GatherLogits(id, 0, phase, &out));
  if (self_ != kCoordinator) return MatrixF();
  if (arch_.layers.back().activation == Activation::kSoftmax) {
    for (int64_t i = 0; i < out.rows(); ++i) {
      const float max = out.row(i).maxCoeff();
      out.row(i) = (out.row(i).array() - max).exp();
      out.row(i) /= out.row(i).sum();
    }
  }
  return out;
}

}  // namespace neuropart
