#include "serve_client.h"

#include <random>
#include <vector>
#include <zmq.hpp>

#include "neuropart/wire/codec.h"
#include "neuropart/wire/payloads.h"
#include "neuropart/wire/values.h"

namespace neuropart::worker {

struct ServeClient::Impl {
  zmq::context_t context;  // declared first: destroyed after the socket
  zmq::socket_t socket{context, zmq::socket_type::dealer};
  uint64_t plan_hash = 0;
  uint64_t next_id = 0;
};

ServeClient::ServeClient(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
ServeClient::~ServeClient() = default;

StatusOr<std::unique_ptr<ServeClient>> ServeClient::Connect(const std::string& endpoint,
                                                            uint64_t plan_hash) {
  auto impl = std::make_unique<Impl>();
  impl->plan_hash = plan_hash;
  // Ids only need to differ among this client's requests in flight; a random start keeps two
  // clients' logs apart.
  impl->next_id = std::random_device{}() & 0xffffff;
  try {
    impl->socket.set(zmq::sockopt::linger, 0);
    impl->socket.set(zmq::sockopt::maxmsgsize,
                     static_cast<int64_t>(wire::kHeaderBytes + wire::kMaxPayloadBytes));
    impl->socket.connect(endpoint);
  } catch (const zmq::error_t& e) {
    return InvalidArgumentError("cannot connect to \"" + endpoint + "\": " + e.what());
  }
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
  try {
    impl_->socket.send(zmq::buffer(wire::EncodeHeader(h)), zmq::send_flags::sndmore);
    impl_->socket.send(zmq::buffer(payload), zmq::send_flags::none);
    while (true) {
      const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
          deadline - std::chrono::steady_clock::now());
      zmq::pollitem_t item{impl_->socket.handle(), 0, ZMQ_POLLIN, 0};
      if (left.count() <= 0 || zmq::poll(&item, 1, left) == 0) {
        return UnavailableError("no answer within " + std::to_string(timeout.count()) + " ms");
      }
      std::vector<zmq::message_t> frames;
      do {
        frames.emplace_back();
        (void)impl_->socket.recv(frames.back());
      } while (frames.back().more());
      std::vector<std::string_view> views;
      for (const zmq::message_t& f : frames) views.emplace_back(f.data<char>(), f.size());
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
  } catch (const zmq::error_t& e) {
    return UnavailableError(std::string("inference request failed: ") + e.what());
  }
}

}  // namespace neuropart::worker
