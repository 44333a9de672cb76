#include "neuropart/store/model_io.h"

#include <vector>

#include "neuropart/model/init.h"

namespace neuropart {
namespace {

std::string ShapeString(const std::vector<int64_t>& shape) {
  std::string s = "[";
  for (size_t i = 0; i < shape.size(); ++i) s += (i ? ", " : "") + std::to_string(shape[i]);
  return s + "]";
}

std::string TensorName(const Architecture& arch, int layer, std::string_view suffix) {
  return arch.layers[layer].name + "." + std::string(suffix);
}

Status CheckParamsMatch(const Architecture& arch, const ModelParams& params) {
  if (static_cast<int>(params.size()) != arch.num_layers()) {
    return InvalidArgumentError("model has " + std::to_string(arch.num_layers()) +
                                " layers but params hold " + std::to_string(params.size()));
  }
  for (int l = 0; l < arch.num_layers(); ++l) {
    const LayerParams& p = params[l];
    const int64_t n = arch.layers[l].neurons;
    const int64_t k = arch.FanIn(l);
    const bool index_ok =
        arch.IsSparse(l) ? (p.index.rows() == n && p.index.cols() == k) : p.index.size() == 0;
    if (p.first_neuron != 0 || p.weight.rows() != n || p.weight.cols() != k || p.bias.size() != n ||
        !index_ok) {
      return InvalidArgumentError("layer " + arch.layers[l].name + ": params are not the whole [" +
                                  std::to_string(n) + ", " + std::to_string(k) + "] layer");
    }
  }
  return Status::Ok();
}

// The tensor must exist with `dtype` and `shape`.
Status CheckTensor(const SafetensorsReader& reader, const std::string& name, Dtype dtype,
                   const std::vector<int64_t>& shape) {
  const TensorInfo* t = reader.Find(name);
  if (t == nullptr) {
    return CorruptionError(reader.path() + ": missing tensor \"" + name + "\" (expected " +
                           std::string(DtypeName(dtype)) + " " + ShapeString(shape) + ")");
  }
  if (t->dtype != dtype || t->shape != shape) {
    return CorruptionError(reader.path() + ": tensor \"" + name + "\" at file byte " +
                           std::to_string(t->file_offset) + ": expected " +
                           std::string(DtypeName(dtype)) + " " + ShapeString(shape) + ", got " +
                           std::string(DtypeName(t->dtype)) + " " + ShapeString(t->shape));
  }
  return Status::Ok();
}

// Each row of a sparse index must be strictly ascending inputs of the previous layer.
Status CheckIndexRows(const SafetensorsReader& reader, const std::string& name,
                      const LayerParams& p, int64_t inputs) {
  const TensorInfo* t = reader.Find(name);
  for (int64_t r = 0; r < p.index.rows(); ++r) {
    for (int64_t j = 0; j < p.index.cols(); ++j) {
      const int32_t v = p.index(r, j);
      const bool in_range = v >= 0 && v < inputs;
      const bool ascending = j == 0 || v > p.index(r, j - 1);
      if (in_range && ascending) continue;
      const uint64_t byte =
          t->file_offset +
          static_cast<uint64_t>((p.first_neuron + r) * p.index.cols() + j) * sizeof(int32_t);
      return CorruptionError(reader.path() + ": tensor \"" + name + "\" row " +
                             std::to_string(p.first_neuron + r) + " position " + std::to_string(j) +
                             " at file byte " + std::to_string(byte) + ": index " +
                             std::to_string(v) +
                             (in_range ? " is not greater than the previous one"
                                       : " is outside [0, " + std::to_string(inputs) + ")"));
    }
  }
  return Status::Ok();
}

// The plan exchanges the inputs the job's connectivity seeds (plan.h NeededInputs), so an index
// that differs would have a distributed run read other inputs than the weights were made for.
Status CheckIndexIsSeeded(const SafetensorsReader& reader, const std::string& name,
                          const Architecture& arch, int layer, const LayerParams& p) {
  std::vector<int32_t> seeded(p.index.cols());
  for (int64_t r = 0; r < p.index.rows(); ++r) {
    SparseInputs(arch, layer, p.first_neuron + r, seeded.data());
    for (int64_t j = 0; j < p.index.cols(); ++j) {
      if (p.index(r, j) == seeded[j]) continue;
      return InvalidArgumentError(
          reader.path() + ": tensor \"" + name + "\" row " + std::to_string(p.first_neuron + r) +
          " position " + std::to_string(j) + ": input " + std::to_string(p.index(r, j)) +
          " differs from the job's sparse connectivity (seed " +
          std::to_string(arch.layers[layer].connectivity.seed) + "), which reads input " +
          std::to_string(seeded[j]));
    }
  }
  return Status::Ok();
}

}  // namespace

StatusOr<SafetensorsWriter> ModelWeightsLayout(const Architecture& arch,
                                               const ModelParams* params) {
  SafetensorsWriter writer;
  writer.SetMetadata("format", "pt");  // what safetensors.torch writes; loaders look for it
  for (int l = 0; l < arch.num_layers(); ++l) {
    const LayerParams* p = params != nullptr ? &(*params)[l] : nullptr;
    const int64_t n = arch.layers[l].neurons;
    const int64_t k = arch.FanIn(l);
    RETURN_IF_ERROR(writer.Add(TensorName(arch, l, "weight"), Dtype::kF32, {n, k},
                               p != nullptr ? p->weight.data() : nullptr));
    RETURN_IF_ERROR(writer.Add(TensorName(arch, l, "bias"), Dtype::kF32, {n},
                               p != nullptr ? p->bias.data() : nullptr));
    if (arch.IsSparse(l)) {
      RETURN_IF_ERROR(writer.Add(TensorName(arch, l, "index"), Dtype::kI32, {n, k},
                                 p != nullptr ? p->index.data() : nullptr));
    }
  }
  return writer;
}

Status WriteModelWeights(const std::string& path, const Architecture& arch,
                         const ModelParams& params) {
  RETURN_IF_ERROR(arch.Validate().WithContext("architecture"));
  RETURN_IF_ERROR(CheckParamsMatch(arch, params));
  ASSIGN_OR_RETURN(const SafetensorsWriter writer, ModelWeightsLayout(arch, &params));
  return writer.WriteAtomic(path);
}

StatusOr<LayerParams> ReadLayerRows(const SafetensorsReader& reader, const Architecture& arch,
                                    int layer, int64_t begin, int64_t end) {
  if (layer < 0 || layer >= arch.num_layers()) {
    return InvalidArgumentError("layer " + std::to_string(layer) + " outside the model's " +
                                std::to_string(arch.num_layers()) + " layers");
  }
  const int64_t n = arch.layers[layer].neurons;
  const int64_t k = arch.FanIn(layer);
  if (begin < 0 || begin > end || end > n) {
    return InvalidArgumentError("layer " + arch.layers[layer].name + ": rows [" +
                                std::to_string(begin) + ", " + std::to_string(end) +
                                ") outside [0, " + std::to_string(n) + ")");
  }
  const std::string weight = TensorName(arch, layer, "weight");
  const std::string bias = TensorName(arch, layer, "bias");
  RETURN_IF_ERROR(CheckTensor(reader, weight, Dtype::kF32, {n, k}));
  RETURN_IF_ERROR(CheckTensor(reader, bias, Dtype::kF32, {n}));

  LayerParams p;
  p.first_neuron = begin;
  const int64_t rows = end - begin;
  p.weight.resize(rows, k);
  p.bias.resize(rows);
  RETURN_IF_ERROR(
      reader.ReadRows(weight, begin, end, p.weight.data(), p.weight.size() * sizeof(float)));
  RETURN_IF_ERROR(reader.ReadRows(bias, begin, end, p.bias.data(), p.bias.size() * sizeof(float)));
  if (arch.IsSparse(layer)) {
    const std::string index = TensorName(arch, layer, "index");
    RETURN_IF_ERROR(CheckTensor(reader, index, Dtype::kI32, {n, k}));
    p.index.resize(rows, k);
    RETURN_IF_ERROR(
        reader.ReadRows(index, begin, end, p.index.data(), p.index.size() * sizeof(int32_t)));
    RETURN_IF_ERROR(CheckIndexRows(reader, index, p, arch.InputsOf(layer)));
    RETURN_IF_ERROR(CheckIndexIsSeeded(reader, index, arch, layer, p));
  }
  return p;
}

StatusOr<ModelParams> ReadModelWeights(const std::string& path, const Architecture& arch) {
  RETURN_IF_ERROR(arch.Validate().WithContext("architecture"));
  ASSIGN_OR_RETURN(SafetensorsReader reader, SafetensorsReader::Open(path));
  ModelParams params;
  for (int l = 0; l < arch.num_layers(); ++l) {
    ASSIGN_OR_RETURN(LayerParams p, ReadLayerRows(reader, arch, l, 0, arch.layers[l].neurons));
    params.push_back(std::move(p));
  }
  return params;
}

}  // namespace neuropart
