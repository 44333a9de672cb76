// Limits: the largest sizes a job may ask for, in one place.
//
// Every size that comes from a user's file is checked against one of these before anything of
// that size is allocated, so a typo or a hostile file is refused with the field's name (exit 2)
// instead of aborting a process with bad_alloc. Where the CRD has a maximum for the same field,
// the limit here is the same number, so a job that `neuropart run` accepts is one `kubectl
// apply` accepts. Constants only.
#ifndef NEUROPART_BASE_LIMITS_H_
#define NEUROPART_BASE_LIMITS_H_

#include <cstdint>

namespace neuropart {

// A job file is read whole into memory: 1 MiB is far more than any NeuralPartition needs (the
// API server refuses objects over 1.5 MiB anyway), and a file that never ends stops here.
inline constexpr int64_t kMaxJobFileBytes = int64_t{1} << 20;

// A pod and a ZeroMQ link to every peer per partition; the CRD's maximum.
inline constexpr int kMaxPartitions = 256;

// The CRD's maxima for spec.model.layers, a layer's neurons and spec.model.inputSize.
inline constexpr int kMaxLayers = 256;
inline constexpr int64_t kMaxLayerNeurons = int64_t{1} << 30;
inline constexpr int64_t kMaxInputSize = int64_t{1} << 30;

// 2^40 parameters are 4 TiB of fp32 weights, beyond any one job; the bound also keeps every sum
// and product of sizes (a layer's at most 2^60) far inside int64.
inline constexpr int64_t kMaxModelParameters = int64_t{1} << 40;

// Synthetic samples (training and test), each generated in full by every partition: 2^24 rows is
// beyond what a generated test problem needs, and 64 GiB at the largest inputSize it allows of
// 1024 features.
inline constexpr int64_t kMaxSamples = int64_t{1} << 24;

}  // namespace neuropart

#endif  // NEUROPART_BASE_LIMITS_H_
