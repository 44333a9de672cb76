#include "neuropart/wire/protocol.h"

namespace neuropart::wire {

std::string_view MsgTypeName(MsgType type) {
  switch (type) {
    case MsgType::kHello:
      return "HELLO";
    case MsgType::kActivations:
      return "ACTIVATIONS";
    case MsgType::kGradients:
      return "GRADIENTS";
    case MsgType::kSoftmaxStats:
      return "SOFTMAX_STATS";
    case MsgType::kMetrics:
      return "METRICS";
    case MsgType::kCheckpointDurable:
      return "CHECKPOINT_DURABLE";
    case MsgType::kCheckpointCommit:
      return "CHECKPOINT_COMMIT";
    case MsgType::kHeartbeat:
      return "HEARTBEAT";
    case MsgType::kAbort:
      return "ABORT";
    case MsgType::kInferRequest:
      return "INFER_REQUEST";
    case MsgType::kInferResponse:
      return "INFER_RESPONSE";
    case MsgType::kStepBegin:
      return "STEP_BEGIN";
  }
  return "unknown";
}

std::string_view DTypeName(DType dtype) {
  switch (dtype) {
    case DType::kF32:
      return "f32";
    case DType::kF16:
      return "f16";
    case DType::kBF16:
      return "bf16";
  }
  return "unknown";
}

std::string_view PhaseName(Phase phase) {
  switch (phase) {
    case Phase::kForward:
      return "forward";
    case Phase::kBackward:
      return "backward";
    case Phase::kEval:
      return "eval";
    case Phase::kServe:
      return "serve";
  }
  return "unknown";
}

}  // namespace neuropart::wire
