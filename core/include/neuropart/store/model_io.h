// Model weights <-> safetensors, in the layout PyTorch's nn.Linear uses.
//
// For layer L the file holds "L.weight" F32 [neurons, fan_in], "L.bias" F32 [neurons] and, for
// sparse layers, "L.index" I32 [neurons, fan_in] (the input of each weight, ascending per row).
// A worker reads only its own rows of each layer (ReadLayerRows, one pread per tensor). Tensors
// are checked against the architecture: a file that does not match it is Corruption, with the
// tensor name and the expected and actual shapes. Free functions; thread-safe.
#ifndef NEUROPART_STORE_MODEL_IO_H_
#define NEUROPART_STORE_MODEL_IO_H_

#include <cstdint>
#include <string>

#include "neuropart/model/architecture.h"
#include "neuropart/model/parameters.h"
#include "neuropart/status.h"
#include "neuropart/store/safetensors.h"

namespace neuropart {

// Writes every layer of `params` atomically to `path`. InvalidArgument if `params` does not hold
// exactly the whole layers `arch` describes.
Status WriteModelWeights(const std::string& path, const Architecture& arch,
                         const ModelParams& params);

// The file WriteModelWeights writes, as a writer referring to `params`; with params == nullptr,
// only its layout (EncodeHeader), for writers that stream the data (ExportModel).
// REQUIRES: arch.Validate() is OK; params, when given, match arch.
StatusOr<SafetensorsWriter> ModelWeightsLayout(const Architecture& arch,
                                               const ModelParams* params = nullptr);

// Neurons [begin, end) of `layer`. InvalidArgument for a layer or range outside `arch`;
// Corruption if a tensor is missing, has the wrong dtype or shape, or (sparse) an index row is
// out of range [0, InputsOf(layer)) or not strictly ascending; InvalidArgument naming the row and
// position if a well-formed index differs from the seeded connectivity (SparseInputs), which
// the plan's exchanges follow. REQUIRES: arch.Validate() is OK.
StatusOr<LayerParams> ReadLayerRows(const SafetensorsReader& reader, const Architecture& arch,
                                    int layer, int64_t begin, int64_t end);

// Every layer, whole; `arch` is validated first (InvalidArgument).
StatusOr<ModelParams> ReadModelWeights(const std::string& path, const Architecture& arch);

}  // namespace neuropart

#endif  // NEUROPART_STORE_MODEL_IO_H_
