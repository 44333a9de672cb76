#include "serve_client.h"

#include <random>
#include <vector>

#include "neuropart/wire/codec.h"
#include "neuropart/wire/payloads.h"
#include "neuropart/wire/values.h"
#include "zmq_socket.h"

namespace neuropart::worker {

struct ServeClient::Impl {
  ZmqContext context;  // declared first: destroyed after the socket
  std::unique_ptr<ZmqSocket> socket;
  uint64_t plan_hash = 0;
  uint64_t next_id = 0;
};

ServeClient::ServeClient(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
ServeClient::~ServeClient() = default;

StatusOr<std::unique_ptr<ServeClient>> ServeClient::Connect(const std::string& endpoint,
                                                            uint64_t plan_hash,
                                                            const std::optional<JobKeys>& keys) {
  auto impl = std::make_unique<Impl>();
  impl->plan_hash = plan_hash;
  // Ids only need to differ among this client's requests in flight; a random start keeps two
  // clients' logs apart.
  impl->next_id = std::random_device{}() & 0xffffff;
  ZmqSocketOptions options;
  options.max_frame_bytes = wire::kHeaderBytes + wire::kMaxPayloadBytes;
  options.linger = std::chrono::milliseconds(0);
  // The request waits in the queue until the coordinator is reachable; Infer's deadline bounds
  // the whole exchange, so an unreachable coordinator is "no answer within" that deadline.
  options.immediate = false;
  if (keys) options.curve = CurveOptions{keys->own, keys->partition_public_keys[wire::kCoordinator]};
  ASSIGN_OR_RETURN(impl->socket,
                   ZmqSocket::Create(&impl->context, ZmqSocket::Role::kDealer, options));
  const std::string id = "np-client-" + std::to_string(std::random_device{}());
  RETURN_IF_ERROR(impl->socket->Connect(endpoint, id));
  return std::unique_ptr<ServeClient>(new ServeClient(std::move(impl)));
}

StatusOr<MatrixF> ServeClient::Infer(const MatrixF& x, std::chrono::milliseconds timeout) {
  wire::MessageHeader h;
  h.type = wire::MsgType::kInferRequest;
  h.plan_hash = impl_->plan_hash;
  h.source = wire::kClientSource;
  h.destination = 0;
  h.step = impl_->next_id++;
  h.phase = wire::Phase::kServe;
  RETURN_IF_ERROR(wire::SetTensorShape(x.rows(), x.cols(), wire::DType::kF32, &h));
  const std::string payload = wire::EncodeValues(x.data(), x.size(), wire::DType::kF32);
  const wire::Expectation expect{impl_->plan_hash, wire::kClientSource, 1, 0};
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  if (Status sent = impl_->socket->Send({wire::EncodeHeader(h), payload}); !sent.ok()) {
    return UnavailableError("inference request to the coordinator: " + sent.message());
  }
  std::vector<std::string> frames;
  size_t total = 0;
  while (true) {
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
        deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0) {
      return UnavailableError("no answer within " + std::to_string(timeout.count()) + " ms");
    }
    ASSIGN_OR_RETURN(bool readable, impl_->socket->WaitReadable(left));
    if (!readable) continue;
    ASSIGN_OR_RETURN(bool got, impl_->socket->TryReceive(3, &frames, &total));
    if (!got || total != frames.size()) continue;
    std::vector<std::string_view> views(frames.begin(), frames.end());
    StatusOr<wire::MessageHeader> reply = wire::CheckMessage(views, {}, expect);
    if (!reply.ok() || reply->step != h.step) continue;
    const std::string_view body = views.size() > 1 ? views[1] : std::string_view();
    if (reply->type == wire::MsgType::kAbort) {
      StatusOr<wire::AbortPayload> why = wire::DecodeAbort(body);
      return InvalidArgumentError("the job refused the request: " +
                                  (why.ok() ? why->message : std::string("(no reason)")));
    }
    if (reply->type != wire::MsgType::kInferResponse || reply->rows != x.rows()) continue;
    MatrixF y(reply->rows, reply->cols);
    RETURN_IF_ERROR(wire::DecodeValues(body, reply->dtype, y.data(), y.size()));
    return y;
  }
}

}  // namespace neuropart::worker
