// Blocks: the columns one partition sends another, packed into one dense payload.
//
// An exchange list is a set of neuron ranges of one layer (plan.h). Forward, the sender packs
// those columns of its activations [rows, layer width] into one row-major block [rows, n] and
// the receiver unpacks them into the same columns of its own full-width buffer; backward, the
// same ranges carry partial input-gradients the other way and are added, not copied.
// Pure functions; thread-safe on distinct buffers.
#ifndef NEUROPART_EXEC_BLOCKS_H_
#define NEUROPART_EXEC_BLOCKS_H_

#include <string>
#include <vector>

#include "neuropart/engine/layer_ops.h"
#include "neuropart/plan/plan.h"
#include "neuropart/status.h"
#include "neuropart/wire/protocol.h"

namespace neuropart {

// Columns `ranges` of `m` as payload bytes of `dtype`: one block [m.rows(), TotalSize(ranges)].
std::string PackColumns(const ConstMatrixRef& m, const std::vector<IndexRange>& ranges,
                        wire::DType dtype);

// How a received block lands in the destination columns.
enum class Unpack { kAssign, kAdd };

// Writes (or adds) a block received for `ranges` into those columns of *m. Corruption if the
// payload is not exactly m->rows() x TotalSize(ranges) values of dtype.
Status UnpackColumns(const std::string& payload, wire::DType dtype,
                     const std::vector<IndexRange>& ranges, Unpack mode, MatrixF* m);

}  // namespace neuropart

#endif  // NEUROPART_EXEC_BLOCKS_H_
