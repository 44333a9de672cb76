// PartitionExecutor: one partition's share of training and inference (owner computes).
//
// The executor holds the weight rows of the neurons its partition owns (one Slice per owned
// range) with their optimizer state, and runs forward, backward and update for them. Remote
// inputs arrive from their owners through a Transport as one block per (peer, layer boundary,
// micro-batch); partial input-gradients go back the same way and are summed in partition order,
// so results are deterministic. Both passes run layer by layer, and within a layer micro-batch
// by micro-batch: a block is sent as soon as its micro-batch is computed, so a peer works on
// micro-batch m while this partition computes m + 1 (a pipeline for a layer split, overlapped
// all-gathers for a neuron split). Gradients accumulate over micro-batches in order, so the
// update equals the full-batch one. A split softmax layer exchanges per-sample (max, sum-exp) among
// its owners. Each partition updates only its own rows: no parameter synchronisation.
// Partition 0 (the coordinator) additionally receives every output owner's loss (METRICS) and,
// for evaluation, their output logits.
// Every partition must be given the same plan, steps and batches. Not thread-safe: one thread.
#ifndef NEUROPART_EXEC_PARTITION_EXECUTOR_H_
#define NEUROPART_EXEC_PARTITION_EXECUTOR_H_

#include <chrono>
#include <utility>
#include <vector>

#include "neuropart/engine/layer_ops.h"
#include "neuropart/engine/sgd.h"
#include "neuropart/exec/mailbox.h"
#include "neuropart/exec/transport.h"
#include "neuropart/plan/plan.h"

namespace neuropart {

struct ExecutorOptions {
  int partition = 0;
  std::chrono::milliseconds timeout{60000};  // a silent peer fails the step after this
  // A peer not heard from yet (pods start minutes apart) gets this long instead, when longer.
  std::chrono::milliseconds rendezvous_timeout{0};
  wire::DType dtype = wire::DType::kF32;
  SgdOptions sgd;
};

// The rows of one owned range of one layer, and what training keeps for them.
struct Slice {
  int layer = 0;
  LayerParams params;
  SgdState sgd;
  LayerParams grad;
  MatrixF dz;  // dL/dz of the (layer, micro-batch) being back-propagated
};

struct StepResult {
  double loss = 0;  // mean cross-entropy of the batch; valid on the coordinator only
};

struct EvalTotals {
  double loss_sum = 0;
  int64_t correct = 0;
  int64_t samples = 0;
};

class PartitionExecutor {
 public:
  // `params` holds one LayerParams per owned range, in the order of plan.Owned(partition, l)
  // for l = 0..L-1 (see OwnedRanges). REQUIRES: transport outlives the executor.
  PartitionExecutor(const Plan& plan, std::vector<LayerParams> params, ExecutorOptions options,
                    Transport* transport);

  // One optimizer step on the batch x [B, input_size], labels[0..B), as `micro_batches` pieces.
  StatusOr<StepResult> TrainStep(uint64_t step, const MatrixF& x, const int32_t* labels,
                                 int micro_batches);
  // Forward only, `id` distinguishes evaluation batches. The coordinator gets the totals
  // (loss sum, correct, samples) of the batch; other partitions get zeros.
  StatusOr<EvalTotals> EvalBatch(uint64_t id, const MatrixF& x, const int32_t* labels);
  // Forward only; the coordinator returns the output (probabilities for softmax) [B, outputs],
  // the others an empty matrix.
  StatusOr<MatrixF> Infer(uint64_t id, wire::Phase phase, const MatrixF& x);

  std::vector<Slice>& slices() { return slices_; }
  int partition() const { return self_; }
  Mailbox& mailbox() { return mailbox_; }
  // Seconds spent waiting for peers since construction (for the wait share in progress lines).
  double wait_seconds() const { return wait_seconds_; }

 private:
  struct Boundary {
    // inbound[p]: ranges of layer l-1 that p sends here (p == self: local inputs).
    std::vector<std::vector<IndexRange>> inbound;
    // outbound[r]: ranges of this partition's layer l-1 neurons that r reads.
    std::vector<std::vector<IndexRange>> outbound;
  };
  // One micro-batch's forward state, kept until its backward pass.
  struct MicroState {
    int64_t begin = 0, rows = 0;   // rows of the batch
    std::vector<MatrixF> acts;     // [layer] full width: owned and received columns
    std::vector<MatrixF> z, a;     // [slice] pre-activations and activations
    std::vector<MatrixF> partial;  // [layer] own partial input-gradients into layer - 1
  };
  // Forward through every layer for the micro-batches `split` of x; fills micro_.
  Status Forward(uint64_t step, wire::Phase phase, const ConstMatrixRef& x,
                 const std::vector<std::pair<int64_t, int64_t>>& split);
  // Combined softmax stats over all output owners (exchanged when the output layer is split).
  Status ExchangeSoftmaxStats(uint64_t step, uint32_t micro, wire::Phase phase,
                              const std::vector<MatrixF>& z, SoftmaxStats* stats);
  // Backward through every layer for micro_, each layer's SGD update as soon as its gradient is
  // complete; the micro-batches' losses added to *loss_sum.
  Status BackwardAndUpdate(uint64_t step, const ConstMatrixRef& x, const int32_t* labels,
                           float scale, double* loss_sum);
  // dL/dz of the output slices for micro-batch m (softmax statistics exchanged with the other
  // output owners), and the micro-batch's loss added to *loss_sum.
  Status OutputGradients(uint64_t step, uint32_t m, const int32_t* labels, float scale,
                         double* loss_sum);
  // dL/dA of layer l's owned neurons for micro-batch m: the partials of every reader, summed in
  // partition order; then dL/dz of its slices.
  Status HiddenGradients(uint64_t step, int l, uint32_t m);
  // Sends the output logits to the coordinator; on it, assembles them into *logits.
  Status GatherLogits(uint64_t id, uint32_t micro, wire::Phase phase, MatrixF* logits);
  Status SendBlock(wire::MsgType type, int to, uint64_t step, uint32_t micro, int layer,
                   wire::Phase phase, const ConstMatrixRef& m, const std::vector<IndexRange>& r);
  StatusOr<Message> Await(wire::MsgType type, int from, uint64_t step, uint32_t micro, int layer,
                          wire::Phase phase);
  ConstMatrixRef LayerInput(const ConstMatrixRef& x, const MicroState& st, int layer) const;
  bool Owns(int layer) const { return owns_[layer]; }

  const Plan& plan_;
  const Architecture& arch_;
  ExecutorOptions options_;
  int self_;
  int P_;
  Transport* transport_;
  Mailbox mailbox_;
  std::vector<Slice> slices_;
  std::vector<std::vector<int>> slices_of_layer_;
  std::vector<bool> owns_;
  std::vector<Boundary> boundaries_;  // index l >= 1: the boundary into layer l
  std::vector<int> output_owners_;
  std::vector<MicroState> micro_;
  MatrixF da_;
  double wait_seconds_ = 0;
};

}  // namespace neuropart

#endif  // NEUROPART_EXEC_PARTITION_EXECUTOR_H_
