#include "neuropart/exec/serve_session.h"

#include <chrono>

#include "neuropart/exec/training_session.h"
#include "neuropart/wire/payloads.h"
#include "neuropart/wire/values.h"

namespace neuropart {
namespace {

using Clock = std::chrono::steady_clock;
// Serving ids sit above training steps and evaluation ids (1 << 48) alike.
constexpr std::chrono::milliseconds kPoll{100};

class Server {
 public:
  Server(const ServeConfig& c, Transport* transport, PartitionExecutor* exec)
      : c_(c), self_(c.exec.partition), transport_(transport), exec_(exec) {}

  StatusOr<ServeOutcome> Run() {
    const uint32_t source = self_ == wire::kCoordinator ? wire::kClientSource : wire::kCoordinator;
    while (!c_.stop || !c_.stop()) {
      ASSIGN_OR_RETURN(std::optional<Message> request,
                       exec_->mailbox().Next(wire::MsgType::kInferRequest, source, kPoll));
      if (!request) continue;
      if (self_ == wire::kCoordinator) {
        RETURN_IF_ERROR(Answer(*request));
      } else {
        ASSIGN_OR_RETURN(MatrixF x, Rows(*request));
        RETURN_IF_ERROR(exec_->Infer(request->header.step, wire::Phase::kServe, x).status());
        ++out_.requests;
      }
    }
    return out_;
  }

 private:
  // The request's input rows; InvalidArgument (told to the client) if they cannot be used.
  StatusOr<MatrixF> Rows(const Message& m) const {
    const wire::MessageHeader& h = m.header;
    const int64_t inputs = c_.spec->model.input_size;
    if (h.cols != inputs || h.rows == 0) {
      return InvalidArgumentError("INFER_REQUEST: want rows x " + std::to_string(inputs) +
                                  " inputs, got " + std::to_string(h.rows) + " x " +
                                  std::to_string(h.cols));
    }
    MatrixF x(h.rows, h.cols);
    RETURN_IF_ERROR(wire::DecodeValues(m.payload, h.dtype, x.data(), x.size()));
    return x;
  }

  Status Answer(const Message& request) {
    const auto began = Clock::now();
    StatusOr<MatrixF> x = Rows(request);
    if (!x.ok()) {
      ++out_.refused;
      Message refusal;
      refusal.header.type = wire::MsgType::kAbort;
      refusal.payload = wire::EncodeAbort(
          {static_cast<uint32_t>(x.status().code()), x.status().message()});
      refusal.header.payload_length = refusal.payload.size();
      // A client that is gone is its own problem, not the job's.
      (void)c_.reply(request.header, std::move(refusal));
      return Status::Ok();
    }
    const uint64_t id = wire::kServeStepBase + static_cast<uint64_t>(out_.requests);
    for (int p = 0; p < c_.plan->num_partitions(); ++p) {
      if (p == wire::kCoordinator) continue;
      Message forward;
      forward.header = request.header;
      forward.header.source = wire::kCoordinator;
      forward.header.destination = p;
      forward.header.step = id;
      forward.payload = request.payload;
      RETURN_IF_ERROR(transport_->Send(std::move(forward)));
    }
    ASSIGN_OR_RETURN(MatrixF y, exec_->Infer(id, wire::Phase::kServe, *x));
    Message response;
    response.header.type = wire::MsgType::kInferResponse;
    response.header.dtype = wire::DType::kF32;
    response.header.rows = static_cast<uint32_t>(y.rows());
    response.header.cols = static_cast<uint32_t>(y.cols());
    response.payload = wire::EncodeValues(y.data(), y.size(), wire::DType::kF32);
    response.header.payload_length = response.payload.size();
    (void)c_.reply(request.header, std::move(response));
    ++out_.requests;
    if (c_.on_request) {
      c_.on_request(y.rows(), std::chrono::duration<double>(Clock::now() - began).count());
    }
    return Status::Ok();
  }

  const ServeConfig& c_;
  int self_;
  Transport* transport_;
  PartitionExecutor* exec_;
  ServeOutcome out_;
};

}  // namespace

StatusOr<ServeOutcome> RunServeSession(const ServeConfig& config, Transport* transport) {
  ASSIGN_OR_RETURN(InitialSlices init,
                   LoadInitialSlices(*config.spec, *config.plan, config.exec.partition, config.store,
                                     /*with_optimizer_state=*/false));
  PartitionExecutor exec(*config.plan, std::move(init.params), config.exec, transport);
  if (config.on_ready) config.on_ready(init.start_step);
  return Server(config, transport, &exec).Run();
}

}  // namespace neuropart
