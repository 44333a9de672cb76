// ExportModel: the consolidated model streamed from a checkpoint's shards (checkpoint.h).
#include <algorithm>
#include <filesystem>
#include <memory>

#include "neuropart/store/checkpoint.h"
#include "neuropart/store/file_util.h"
#include "neuropart/store/model_io.h"
#include "shard_rows.h"

namespace neuropart {

Status ExportModel(const CheckpointRef& ref, const Architecture& arch, const std::string& path,
                   size_t block_bytes) {
  RETURN_IF_ERROR(arch.Validate().WithContext("architecture"));
  ASSIGN_OR_RETURN(const SafetensorsWriter layout, ModelWeightsLayout(arch));
  RETURN_IF_ERROR(MakeDirs(std::filesystem::path(path).parent_path().string()));
  ASSIGN_OR_RETURN(AtomicFileWriter out, AtomicFileWriter::Create(path));
  RETURN_IF_ERROR(out.Append(layout.EncodeHeader()));
  ShardRows rows(ref, arch);
  std::unique_ptr<char[]> block;
  size_t block_capacity = 0;
  // In the order ModelWeightsLayout lays the tensors out.
  for (int l = 0; l < arch.num_layers(); ++l) {
    std::vector<ShardTensor> tensors = {ShardTensor::kWeight, ShardTensor::kBias};
    if (arch.IsSparse(l)) tensors.push_back(ShardTensor::kIndex);
    for (ShardTensor t : tensors) {
      const size_t row_bytes = static_cast<size_t>(rows.Width(l, t)) * sizeof(float);
      const int64_t per_block = static_cast<int64_t>(std::max<size_t>(1, block_bytes / row_bytes));
      const size_t need = static_cast<size_t>(per_block) * row_bytes;
      if (need > block_capacity) {
        block.reset();  // one block at a time, never two
        block.reset(new char[need]);
        block_capacity = need;
      }
      const int64_t n = arch.layers[l].neurons;
      for (int64_t begin = 0; begin < n; begin += per_block) {
        const int64_t end = std::min(n, begin + per_block);
        RETURN_IF_ERROR(rows.Read(l, t, begin, end, block.get()));
        RETURN_IF_ERROR(out.Append({block.get(), static_cast<size_t>(end - begin) * row_bytes}));
      }
    }
  }
  return out.Commit();
}

}  // namespace neuropart
