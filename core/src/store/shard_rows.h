// ShardRows: rows of one layer's tensors, read from whichever shards of a checkpoint hold them.
//
// A checkpoint written under one plan is read under any other, and by the export, in pieces no
// larger than the caller's buffer: each shard's header is read once (on first use) and kept, and
// each request is one pread per overlapping shard range, straight into the caller's memory.
// Nothing of a shard's data is held here. Not thread-safe: one reader per thread.
#ifndef NEUROPART_STORE_SHARD_ROWS_H_
#define NEUROPART_STORE_SHARD_ROWS_H_

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "neuropart/model/architecture.h"
#include "neuropart/status.h"
#include "neuropart/store/checkpoint.h"
#include "neuropart/store/safetensors.h"

namespace neuropart {

// The tensors a shard keeps per owned range (see WriteShard).
enum class ShardTensor { kWeight, kBias, kIndex, kMomentumWeight, kMomentumBias };

class ShardRows {
 public:
  // REQUIRES: ref and arch outlive the reader; arch.Validate() is OK.
  ShardRows(const CheckpointRef& ref, const Architecture& arch);

  // Rows [begin, end) of `tensor` of `layer` into `dst`, which holds (end - begin) rows of
  // Width(layer, tensor) elements of 4 bytes. Corruption if the checkpoint does not cover every
  // row or a tensor is missing or does not match the layer; InvalidArgument for rows outside it.
  Status Read(int layer, ShardTensor tensor, int64_t begin, int64_t end, void* dst);
  // Whether every shard range that overlaps [begin, end) of `layer` holds momentum.
  StatusOr<bool> HasMomentum(int layer, int64_t begin, int64_t end);
  // The optimizer step count recorded with the ranges overlapping [begin, end) of `layer`
  // (0 when none is recorded). They are equal in a checkpoint of one training run.
  StatusOr<int64_t> OptimizerSteps(int layer, int64_t begin, int64_t end);

  // Elements per row: the fan-in for weights and the index, 1 for biases.
  int64_t Width(int layer, ShardTensor tensor) const;

 private:
  struct Overlap {
    size_t shard;
    ShardRange range;
    int64_t lo, hi;  // rows of the layer both cover
  };
  // Every shard range that overlaps [begin, end) of `layer`; InvalidArgument outside the layer.
  StatusOr<std::vector<Overlap>> Overlaps(int layer, int64_t begin, int64_t end) const;
  StatusOr<const SafetensorsReader*> Shard(size_t p);

  const CheckpointRef& ref_;
  const Architecture& arch_;
  std::vector<std::optional<SafetensorsReader>> shards_;
};

// "1/0-128": the name prefix of one owned range's tensors in a shard.
std::string ShardRangeKey(int layer, int64_t begin, int64_t end);
// "weight", "momentum.bias", ...
const char* ShardTensorName(ShardTensor tensor);
// checkpoints/<step>/part-<partition>.safetensors
std::string ShardPath(const std::string& checkpoint_dir, int partition);

}  // namespace neuropart

#endif  // NEUROPART_STORE_SHARD_ROWS_H_
