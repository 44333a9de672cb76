#include "serve_client.h"

#include <gtest/gtest.h>

#include <chrono>

#include "neuropart/http/tcp_listener.h"

namespace neuropart::worker {
namespace {

using std::chrono::milliseconds;

// A coordinator that never answers (a NetworkPolicy that drops the packets looks the same to
// the client): the request's own deadline bounds the wait, whatever the socket's send timeout.
TEST(ServeClientTest, AnUnreachableCoordinatorIsNoAnswerWithinTheRequestsDeadline) {
  // A port that refuses connections: bound, then closed.
  int port = 0;
  {
    StatusOr<TcpListener> l = TcpListener::Listen("127.0.0.1:0");
    ASSERT_TRUE(l.ok());
    port = l->port();
  }
  StatusOr<std::unique_ptr<ServeClient>> client =
      ServeClient::Connect("tcp://127.0.0.1:" + std::to_string(port), 42);
  ASSERT_TRUE(client.ok()) << client.status().ToString();
  MatrixF x = MatrixF::Zero(1, 4);
  const auto start = std::chrono::steady_clock::now();
  StatusOr<MatrixF> y = (*client)->Infer(x, milliseconds(300));
  const auto took = std::chrono::steady_clock::now() - start;
  EXPECT_EQ(y.status().code(), StatusCode::kUnavailable);
  EXPECT_EQ(y.status().message(), "no answer within 300 ms");
  EXPECT_LT(took, std::chrono::seconds(5));
}

}  // namespace
}  // namespace neuropart::worker
