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
      mailbox_(transport, options.rendezvous_timeout),
      slices_of_layer_(arch_.num_layers()),
      owns_(arch_.num_layers()),
      boundaries_(arch_.num_layers()) {
  size_t k = 0;
  for (int l = 0; l < arch_.num_layers(); ++l) {
    owns_[l] = plan.OwnsAny(self_, l);
    for (size_t i = 0; i < plan.Owned(self_, l).size(); ++i) {
      slices_of_layer_[l].push_back(static_cast<int>(slices_.size()));
      slices_.push_back(Slice{l, std::move(params[k++]), SgdState(options.sgd), {}, {}});
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

ConstMatrixRef PartitionExecutor::LayerInput(const ConstMatrixRef& x, const MicroState& st,
                                             int layer) const {
  return layer == 0 ? ConstMatrixRef(x.middleRows(st.begin, st.rows))
                    : ConstMatrixRef(st.acts[layer - 1]);
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

Status PartitionExecutor::Forward(uint64_t step, Phase phase, const ConstMatrixRef& x,
                                  const std::vector<std::pair<int64_t, int64_t>>& split) {
  const int L = arch_.num_layers();
  micro_.resize(split.size());
  for (size_t m = 0; m < split.size(); ++m) {
    MicroState& st = micro_[m];
    st.begin = split[m].first;
    st.rows = split[m].second - split[m].first;
    st.acts.resize(L);
    st.partial.resize(L);
    st.z.resize(slices_.size());
    st.a.resize(slices_.size());
    for (int l = 0; l < L; ++l) ResizeKeep(&st.acts[l], st.rows, arch_.layers[l].neurons);
  }
  for (int l = 0; l < L; ++l) {
    if (!Owns(l)) continue;
    for (uint32_t m = 0; m < micro_.size(); ++m) {
      MicroState& st = micro_[m];
      if (l >= 1) {
        const Boundary& b = boundaries_[l];
        for (int p = 0; p < P_; ++p) {
          if (p == self_ || b.inbound[p].empty()) continue;
          ASSIGN_OR_RETURN(Message msg, Await(MsgType::kActivations, p, step, m, l, phase));
          RETURN_IF_ERROR(UnpackColumns(msg.payload, msg.header.dtype, b.inbound[p],
                                        Unpack::kAssign, &st.acts[l - 1]));
        }
      }
      const ConstMatrixRef input = LayerInput(x, st, l);
      for (int i : slices_of_layer_[l]) {
        const Slice& s = slices_[i];
        ForwardPreactivation(input, s.params, arch_, l, &st.z[i]);
        ApplyActivation(arch_.layers[l].activation, st.z[i], &st.a[i]);
        st.acts[l].middleCols(s.params.first_neuron, s.params.rows()) = st.a[i];
      }
      if (l + 1 == L) continue;
      for (int r = 0; r < P_; ++r) {
        const std::vector<IndexRange>& ranges = boundaries_[l + 1].outbound[r];
        if (ranges.empty()) continue;
        RETURN_IF_ERROR(
            SendBlock(MsgType::kActivations, r, step, m, l + 1, phase, st.acts[l], ranges));
      }
    }
  }
  return Status::Ok();
}

Status PartitionExecutor::ExchangeSoftmaxStats(uint64_t step, uint32_t micro, Phase phase,
                                               const std::vector<MatrixF>& z,
                                               SoftmaxStats* stats) {
  const int last = arch_.num_layers() - 1;
  SoftmaxStats local;
  bool first = true;
  for (int i : slices_of_layer_[last]) {
    SoftmaxStats part;
    SoftmaxSliceStats(z[i], &part);
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

Status PartitionExecutor::OutputGradients(uint64_t step, uint32_t m, const int32_t* labels,
                                          float scale, double* loss_sum) {
  MicroState& st = micro_[m];
  SoftmaxStats stats;
  RETURN_IF_ERROR(ExchangeSoftmaxStats(step, m, Phase::kBackward, st.z, &stats));
  for (int i : slices_of_layer_[arch_.num_layers() - 1]) {
    Slice& s = slices_[i];
    const int32_t* micro_labels = labels + st.begin;
    *loss_sum += CrossEntropySliceLoss(st.z[i], s.params.first_neuron, micro_labels, stats);
    SoftmaxCrossEntropyGrad(st.z[i], s.params.first_neuron, micro_labels, stats, scale, &s.dz);
  }
  return Status::Ok();
}

Status PartitionExecutor::HiddenGradients(uint64_t step, int l, uint32_t m) {
  MicroState& st = micro_[m];
  da_.setZero(st.rows, arch_.layers[l].neurons);
  for (int p = 0; p < P_; ++p) {
    if (p == self_) {
      if (Owns(l + 1)) da_ += st.partial[l + 1];
      continue;
    }
    const std::vector<IndexRange>& ranges = boundaries_[l + 1].outbound[p];
    if (ranges.empty()) continue;
    ASSIGN_OR_RETURN(Message msg, Await(MsgType::kGradients, p, step, m, l + 1, Phase::kBackward));
    RETURN_IF_ERROR(UnpackColumns(msg.payload, msg.header.dtype, ranges, Unpack::kAdd, &da_));
  }
  for (int i : slices_of_layer_[l]) {
    Slice& s = slices_[i];
    ActivationBackward(arch_.layers[l].activation, st.z[i], st.a[i],
                       da_.middleCols(s.params.first_neuron, s.params.rows()), &s.dz);
  }
  return Status::Ok();
}

// Per layer and micro-batch, the input gradient is computed and sent before the weight gradient:
// the peers waiting for it start their own layer while this partition does its dW GEMM, which
// nobody waits for. Likewise each layer's update runs as soon as its gradient is complete, while
// the gradients of the layer below are on their way. Neither changes a single value.
Status PartitionExecutor::BackwardAndUpdate(uint64_t step, const ConstMatrixRef& x,
                                            const int32_t* labels, float scale, double* loss_sum) {
  const int last = arch_.num_layers() - 1;
  for (int l = last; l >= 0; --l) {
    if (!Owns(l)) continue;
    for (uint32_t m = 0; m < micro_.size(); ++m) {
      MicroState& st = micro_[m];
      if (l == last) {
        RETURN_IF_ERROR(OutputGradients(step, m, labels, scale, loss_sum));
      } else {
        RETURN_IF_ERROR(HiddenGradients(step, l, m));
      }
      if (l > 0) {
        bool first = true;
        MatrixF part;
        for (int i : slices_of_layer_[l]) {
          const Slice& s = slices_[i];
          InputGradients(s.dz, s.params, arch_, l, first ? &st.partial[l] : &part);
          if (!first) st.partial[l] += part;
          first = false;
        }
        for (int p = 0; p < P_; ++p) {
          const std::vector<IndexRange>& ranges = boundaries_[l].inbound[p];
          if (p == self_ || ranges.empty()) continue;
          RETURN_IF_ERROR(SendBlock(MsgType::kGradients, p, step, m, l, Phase::kBackward,
                                    st.partial[l], ranges));
        }
      }
      const ConstMatrixRef input = LayerInput(x, st, l);
      for (int i : slices_of_layer_[l]) {
        Slice& s = slices_[i];
        if (m == 0) {
          WeightGradients(input, s.dz, s.params, arch_, l, &s.grad);
        } else {
          AccumulateWeightGradients(input, s.dz, s.params, arch_, l, &s.grad);
        }
      }
    }
    // Every micro-batch's input gradient through these weights is computed: update them.
    for (int i : slices_of_layer_[l]) slices_[i].sgd.Apply(&slices_[i].params, slices_[i].grad);
  }
  return Status::Ok();
}

StatusOr<StepResult> PartitionExecutor::TrainStep(uint64_t step, const MatrixF& x,
                                                  const int32_t* labels, int micro_batches) {
  const int64_t B = x.rows();
  const float scale = 1.0f / static_cast<float>(B);
  double loss_sum = 0;
  const std::vector<std::pair<int64_t, int64_t>> split = SplitRows(B, micro_batches);
  RETURN_IF_ERROR(Forward(step, Phase::kForward, x, split));
  RETURN_IF_ERROR(BackwardAndUpdate(step, x, labels, scale, &loss_sum));

  // The coordinator learns the step's loss: each output owner sends its partial sum.
  const int last = arch_.num_layers() - 1;
  if (Owns(last) && self_ != wire::kCoordinator) {
    Message msg;
    msg.header.type = MsgType::kMetrics;
    msg.header.plan_hash = plan_.hash();
    msg.header.source = self_;
    msg.header.destination = wire::kCoordinator;
    msg.header.step = step;
    msg.payload = wire::EncodeMetrics({loss_sum, 0, static_cast<double>(B)});
    msg.header.payload_length = msg.payload.size();
    RETURN_IF_ERROR(transport_->Send(std::move(msg)));
  }
  StepResult result;
  if (self_ != wire::kCoordinator) return result;
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
  if (self_ != wire::kCoordinator) {
    if (!Owns(last)) return Status::Ok();
    return SendBlock(MsgType::kActivations, wire::kCoordinator, id, micro, L, phase, micro_[0].acts[last],
                     plan_.Owned(self_, last));
  }
  *logits = micro_[0].acts[last];  // the coordinator's own columns (if any) are in place
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
  RETURN_IF_ERROR(Forward(id, Phase::kEval, x, {{0, x.rows()}}));
  MatrixF logits;
  RETURN_IF_ERROR(GatherLogits(id, 0, Phase::kEval, &logits));
  EvalTotals totals;
  if (self_ != wire::kCoordinator) return totals;
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
  RETURN_IF_ERROR(Forward(id, phase, x, {{0, x.rows()}}));
  MatrixF out;
  RETURN_IF_ERROR(GatherLogits(id, 0, phase, &out));
  if (self_ != wire::kCoordinator) return MatrixF();
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
