#include "shard_rows.h"

#include <algorithm>
#include <cstdlib>

namespace neuropart {

std::string ShardRangeKey(int layer, int64_t begin, int64_t end) {
  return std::to_string(layer) + "/" + std::to_string(begin) + "-" + std::to_string(end);
}

const char* ShardTensorName(ShardTensor tensor) {
  switch (tensor) {
    case ShardTensor::kWeight: return "weight";
    case ShardTensor::kBias: return "bias";
    case ShardTensor::kIndex: return "index";
    case ShardTensor::kMomentumWeight: return "momentum.weight";
    case ShardTensor::kMomentumBias: return "momentum.bias";
  }
  return "?";
}

std::string ShardPath(const std::string& checkpoint_dir, int partition) {
  return checkpoint_dir + "/part-" + std::to_string(partition) + ".safetensors";
}

ShardRows::ShardRows(const CheckpointRef& ref, const Architecture& arch)
    : ref_(ref), arch_(arch), shards_(ref.shard_ranges.size()) {}

int64_t ShardRows::Width(int layer, ShardTensor tensor) const {
  const bool bias = tensor == ShardTensor::kBias || tensor == ShardTensor::kMomentumBias;
  return bias ? 1 : arch_.FanIn(layer);
}

StatusOr<std::vector<ShardRows::Overlap>> ShardRows::Overlaps(int layer, int64_t begin,
                                                              int64_t end) const {
  if (layer < 0 || layer >= arch_.num_layers() || begin < 0 || begin > end ||
      end > arch_.layers[layer].neurons) {
    return InvalidArgumentError("checkpoint read: layer " + std::to_string(layer) + " rows [" +
                                std::to_string(begin) + ", " + std::to_string(end) +
                                ") outside the model");
  }
  std::vector<Overlap> out;
  for (size_t p = 0; p < ref_.shard_ranges.size(); ++p) {
    for (const ShardRange& r : ref_.shard_ranges[p]) {
      const int64_t lo = std::max(begin, r.begin), hi = std::min(end, r.end);
      if (r.layer == layer && lo < hi) out.push_back({p, r, lo, hi});
    }
  }
  return out;
}

StatusOr<const SafetensorsReader*> ShardRows::Shard(size_t p) {
  if (!shards_[p]) {
    ASSIGN_OR_RETURN(SafetensorsReader opened,
                     SafetensorsReader::Open(ShardPath(ref_.dir, static_cast<int>(p))));
    shards_[p] = std::move(opened);
  }
  return &*shards_[p];
}

Status ShardRows::Read(int layer, ShardTensor tensor, int64_t begin, int64_t end, void* dst) {
  ASSIGN_OR_RETURN(std::vector<Overlap> overlaps, Overlaps(layer, begin, end));
  const int64_t width = Width(layer, tensor);
  const size_t row_bytes = static_cast<size_t>(width) * sizeof(float);  // F32 and I32 alike
  int64_t covered = 0;
  for (const Overlap& o : overlaps) {
    ASSIGN_OR_RETURN(const SafetensorsReader* shard, Shard(o.shard));
    const std::string name = ShardRangeKey(layer, o.range.begin, o.range.end) + "/" +
                             ShardTensorName(tensor);
    const TensorInfo* t = shard->Find(name);
    const int64_t rows = o.range.end - o.range.begin;
    if (t == nullptr || t->shape.empty() || t->shape[0] != rows ||
        t->num_elements() != rows * width || DtypeSize(t->dtype) != sizeof(float)) {
      return CorruptionError(shard->path() + ": tensor \"" + name +
                             "\" is missing or does not match layer " + arch_.layers[layer].name);
    }
    const int64_t n = o.hi - o.lo;
    char* at = static_cast<char*>(dst) + static_cast<size_t>(o.lo - begin) * row_bytes;
    RETURN_IF_ERROR(shard->ReadRows(name, o.lo - o.range.begin, o.hi - o.range.begin, at,
                                    static_cast<size_t>(n) * row_bytes));
    covered += n;
  }
  if (covered != end - begin) {
    return CorruptionError(ref_.dir + ": checkpoint covers " + std::to_string(covered) +
                           " of the " + std::to_string(end - begin) + " neurons " +
                           arch_.layers[layer].name + "/" + std::to_string(begin) + "-" +
                           std::to_string(end) + " asked for");
  }
  return Status::Ok();
}

StatusOr<bool> ShardRows::HasMomentum(int layer, int64_t begin, int64_t end) {
  ASSIGN_OR_RETURN(std::vector<Overlap> overlaps, Overlaps(layer, begin, end));
  for (const Overlap& o : overlaps) {
    ASSIGN_OR_RETURN(const SafetensorsReader* shard, Shard(o.shard));
    const std::string name = ShardRangeKey(layer, o.range.begin, o.range.end) + "/" +
                             ShardTensorName(ShardTensor::kMomentumWeight);
    if (shard->Find(name) == nullptr) return false;
  }
  return !overlaps.empty();
}

StatusOr<int64_t> ShardRows::OptimizerSteps(int layer, int64_t begin, int64_t end) {
  ASSIGN_OR_RETURN(std::vector<Overlap> overlaps, Overlaps(layer, begin, end));
  int64_t steps = 0;
  for (const Overlap& o : overlaps) {
    ASSIGN_OR_RETURN(const SafetensorsReader* shard, Shard(o.shard));
    const auto it = shard->metadata().find(ShardRangeKey(layer, o.range.begin, o.range.end) +
                                           "/optimizer_steps");
    if (it != shard->metadata().end()) steps = std::strtoll(it->second.c_str(), nullptr, 10);
  }
  return steps;
}

}  // namespace neuropart
