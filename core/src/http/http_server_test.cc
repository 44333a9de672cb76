#include "neuropart/http/http_server.h"

#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <thread>

#include "testing/http_client.h"

namespace neuropart {
namespace {

using httptest::HttpExchange;
using httptest::HttpGet;

HttpResponse Echo(const HttpRequest& r) {
  if (r.path == "/fail") throw std::runtime_error("boom");
  if (r.path != "/echo") return {404, "text/plain", "not found\n"};
  return {200, "text/plain", r.method + " " + r.path + " ? " + r.query};
}

std::unique_ptr<HttpServer> StartEcho(HttpServerOptions options = {}) {
  StatusOr<std::unique_ptr<HttpServer>> server = HttpServer::Start(options, Echo);
  EXPECT_TRUE(server.ok()) << server.status().ToString();
  return server.ok() ? std::move(server).value() : nullptr;
}

TEST(HttpServerTest, PortZeroBindsAFreePortAndReportsIt) {
  auto server = StartEcho();
  ASSERT_NE(server, nullptr);
  EXPECT_GT(server->port(), 0);
  StatusOr<httptest::HttpReply> r = HttpGet(server->port(), "/echo?x=1");
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->status, 200);
  EXPECT_EQ(r->body, "GET /echo ? x=1");
  EXPECT_NE(r->head.find("Content-Length: 15"), std::string::npos) << r->head;
  EXPECT_NE(r->head.find("Connection: close"), std::string::npos);
}

TEST(HttpServerTest, APortInUseIsUnavailable) {
  auto first = StartEcho();
  ASSERT_NE(first, nullptr);
  HttpServerOptions options;
  options.address = "127.0.0.1:" + std::to_string(first->port());
  StatusOr<std::unique_ptr<HttpServer>> second = HttpServer::Start(options, Echo);
  EXPECT_EQ(second.status().code(), StatusCode::kUnavailable);
}

TEST(HttpServerTest, HeadHasNoBodyAndUnknownPathsAreTheHandlers) {
  auto server = StartEcho();
  ASSERT_NE(server, nullptr);
  StatusOr<httptest::HttpReply> head = HttpExchange(server->port(), "HEAD /echo HTTP/1.1\r\n\r\n");
  ASSERT_TRUE(head.ok());
  EXPECT_EQ(head->status, 200);
  EXPECT_EQ(head->body, "");
  StatusOr<httptest::HttpReply> missing = HttpGet(server->port(), "/nope");
  ASSERT_TRUE(missing.ok());
  EXPECT_EQ(missing->status, 404);
}

TEST(HttpServerTest, RefusesBodiesOtherMethodsAndGarbage) {
  auto server = StartEcho();
  ASSERT_NE(server, nullptr);
  const std::vector<std::pair<std::string, int>> cases = {
      {"POST /echo HTTP/1.1\r\nContent-Length: 300000000\r\n\r\n", 413},
      {"GET /echo HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n", 413},
      {"PUT /echo HTTP/1.1\r\n\r\n", 405},
      {"hello\r\n\r\n", 400},
      {"GET echo HTTP/1.1\r\n\r\n", 400},
  };
  for (const auto& [request, status] : cases) {
    StatusOr<httptest::HttpReply> r = HttpExchange(server->port(), request);
    ASSERT_TRUE(r.ok()) << request;
    EXPECT_EQ(r->status, status) << request;
  }
}

TEST(HttpServerTest, AHeadBeyondTheLimitIs431) {
  HttpServerOptions options;
  options.max_header_bytes = 1024;
  auto server = StartEcho(options);
  ASSERT_NE(server, nullptr);
  const std::string big = "GET /echo HTTP/1.1\r\nX-Pad: " + std::string(4000, 'a') + "\r\n\r\n";
  StatusOr<httptest::HttpReply> r = HttpExchange(server->port(), big);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->status, 431);
}

TEST(HttpServerTest, AHandlerExceptionIs500) {
  auto server = StartEcho();
  ASSERT_NE(server, nullptr);
  StatusOr<httptest::HttpReply> r = HttpGet(server->port(), "/fail");
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->status, 500);
  EXPECT_EQ(r->body, "boom\n");
}

TEST(HttpServerTest, ASlowClientIsCutOffAndDoesNotBlockOthers) {
  HttpServerOptions options;
  options.request_timeout = std::chrono::milliseconds(300);
  options.max_connections = 2;
  auto server = StartEcho(options);
  ASSERT_NE(server, nullptr);
  // A client that sends half a request and waits.
  StatusOr<int> connected = httptest::ConnectLoopback(server->port());
  ASSERT_TRUE(connected.ok()) << connected.status().ToString();
  const int slow = *connected;
  ASSERT_GT(send(slow, "GET /echo HT", 12, 0), 0);
  StatusOr<httptest::HttpReply> other = HttpGet(server->port(), "/echo");
  ASSERT_TRUE(other.ok());
  EXPECT_EQ(other->status, 200);
  std::string reply(256, '\0');
  const ssize_t n = recv(slow, reply.data(), reply.size(), 0);  // the server answers at 300 ms
  ASSERT_GT(n, 0);
  EXPECT_EQ(reply.rfind("HTTP/1.1 408", 0), 0u) << reply;
  close(slow);
}

TEST(HttpServerTest, StopsWhileAConnectionIsIdle) {
  auto server = StartEcho();
  ASSERT_NE(server, nullptr);
  StatusOr<int> connected = httptest::ConnectLoopback(server->port());
  ASSERT_TRUE(connected.ok()) << connected.status().ToString();
  const int idle = *connected;
  const auto start = std::chrono::steady_clock::now();
  server.reset();  // must not wait for the 10 s request timeout
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(5));
  close(idle);
}

TEST(HttpServerTest, AdoptsAListeningSocket) {
  const int fd = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ASSERT_EQ(bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)), 0);
  ASSERT_EQ(listen(fd, 8), 0);
  socklen_t len = sizeof(addr);
  getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len);
  HttpServerOptions options;
  options.listen_fd = fd;
  auto server = StartEcho(options);
  ASSERT_NE(server, nullptr);
  EXPECT_EQ(server->port(), ntohs(addr.sin_port));
  StatusOr<httptest::HttpReply> r = HttpGet(server->port(), "/echo");
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->status, 200);
}

TEST(HttpServerTest, AddressesAreCheckedAndNamed) {
  EXPECT_EQ(SplitHostPort(":8080").value(), std::make_pair(std::string(), 8080));
  EXPECT_EQ(SplitHostPort("[::1]:0").value(), std::make_pair(std::string("::1"), 0));
  EXPECT_EQ(SplitHostPort("host").status().message(),
            "address \"host\": want host:port or :port");
  EXPECT_EQ(SplitHostPort("h:99999").status().message(),
            "address \"h:99999\": port must be 0..65535");
  HttpServerOptions options;
  options.address = "no.such.host.invalid:0";
  EXPECT_FALSE(HttpServer::Start(options, Echo).ok());
}

}  // namespace
}  // namespace neuropart
