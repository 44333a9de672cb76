// Checkpoints in the store: per-partition shards, a manifest written last, and LATEST.
//
//   jobs/<job>/checkpoints/<step>/part-<q>.safetensors   one per partition, written by it alone
//   jobs/<job>/checkpoints/<step>/manifest.json          the coordinator's commit record
//   jobs/<job>/LATEST                                    the step of the newest commit
//
// A shard holds the rows (weights, bias, sparse index, momentum) of every neuron range its
// partition owns, named by layer index and neuron range ("1/0-128/weight"), so any plan can load any
// checkpoint. The coordinator writes the manifest (plan hash, shard sizes and CRC-32 checksums,
// the ranges of each shard) only after every shard is durable, then replaces LATEST. A reader
// trusts a checkpoint only when its manifest parses and every shard's size and checksum match;
// when LATEST names one that does not, the newest older one that does is used. Every write is a
// WriteFileAtomic (temp file, fsync, rename, directory fsync), safe on NFS as long as each file
// has one writer. Free functions; thread-safe for distinct files.
#ifndef NEUROPART_STORE_CHECKPOINT_H_
#define NEUROPART_STORE_CHECKPOINT_H_

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "neuropart/model/architecture.h"
#include "neuropart/model/parameters.h"
#include "neuropart/status.h"

namespace neuropart {

// One owned range of one layer as checkpointed: rows, momentum buffer and optimizer step count.
struct OwnedSlice {
  int layer = 0;
  LayerParams params;                   // params.first_neuron is the range's first neuron
  std::optional<LayerParams> momentum;  // weight and bias only; absent before the first step
  int64_t optimizer_steps = 0;
};

// One owned range as a shard writes it: views of the partition's own rows and optimizer state,
// so that a checkpoint costs no copy of them.
struct ShardSlice {
  int layer = 0;
  const LayerParams* params = nullptr;    // params->first_neuron is the range's first neuron
  const LayerParams* momentum = nullptr;  // weight and bias; nullptr before the first step
  int64_t optimizer_steps = 0;
};

// What a partition reports to the coordinator once its shard is durable.
struct ShardInfo {
  uint64_t bytes = 0;
  uint64_t checksum = 0;  // CRC-32 of the whole file
};

// A neuron range of one layer held by one shard.
struct ShardRange {
  int layer = 0;
  int64_t begin = 0;
  int64_t end = 0;
};

// A committed, verified checkpoint.
struct CheckpointRef {
  std::string dir;  // .../checkpoints/<step>
  int64_t step = 0;
  uint64_t plan_hash = 0;  // of the plan that wrote it (any plan may read it)
  std::vector<std::vector<ShardRange>> shard_ranges;  // [partition] -> ranges in that shard
  // Why this is not the checkpoint LATEST names (LATEST missing, malformed, or naming one that
  // does not verify), for the launcher to print; empty when it is.
  std::string warning;
};

std::string JobDir(const std::string& store, const std::string& job);
std::string CheckpointDir(const std::string& store, const std::string& job, int64_t step);

// Writes part-<partition>.safetensors of checkpoint `step` durably and returns its size and
// checksum (read back in bounded blocks). Creates the checkpoint directory if needed.
// REQUIRES: every slice's pointers are valid for the call.
StatusOr<ShardInfo> WriteShard(const std::string& store, const std::string& job, int64_t step,
                               int partition, uint64_t plan_hash,
                               const std::vector<ShardSlice>& slices);

// The commit: writes the manifest for `shards` (one per partition, in order, holding
// `shard_ranges[partition]`), then replaces LATEST, then removes older checkpoints: every one
// up to `step` except the newest two that verify and `resumed_from` (the step this run started
// from, if it resumed), so a corrupt checkpoint never displaces a good one.
// REQUIRES: every shard is durable; shards.size() == shard_ranges.size().
Status CommitCheckpoint(const std::string& store, const std::string& job, int64_t step,
                        uint64_t plan_hash, const std::vector<std::vector<ShardRange>>& shard_ranges,
                        const std::vector<ShardInfo>& shards, std::optional<int64_t> resumed_from);

// The newest trustworthy checkpoint of `job`, or nullopt when none was ever committed.
// Corruption when LATEST exists but neither it nor any older checkpoint verifies.
StatusOr<std::optional<CheckpointRef>> LatestCheckpoint(const std::string& store,
                                                        const std::string& job);

// Neurons [begin, end) of `layer`, read from whichever shards hold them straight into the slice's
// own memory; the momentum too when `with_momentum` and the checkpoint has it (serving needs
// none). Corruption if the checkpoint does not cover the range or a tensor does not match `arch`.
StatusOr<OwnedSlice> LoadSlice(const CheckpointRef& ref, const Architecture& arch, int layer,
                               int64_t begin, int64_t end, bool with_momentum = true);

// How much of the model ExportModel holds at once (rounded up to whole rows).
inline constexpr size_t kExportBlockBytes = size_t{8} << 20;

// Writes the checkpoint's whole model as one plan-independent safetensors file (nn.Linear layout,
// byte for byte what WriteModelWeights writes) without gathering it: the header first (every
// shape and offset follows from `arch`), then each tensor's rows copied from the shards in blocks
// of about `block_bytes`, into a temp file renamed over `path` at the end.
Status ExportModel(const CheckpointRef& ref, const Architecture& arch, const std::string& path,
                   size_t block_bytes = kExportBlockBytes);

}  // namespace neuropart

#endif  // NEUROPART_STORE_CHECKPOINT_H_
