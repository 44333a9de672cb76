// The operator's HTTP endpoints on real local sockets: /healthz, /readyz and /metrics.
#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>

#include "kube/health_server.h"
#include "kube/metrics.h"
#include "kube/transport.h"

namespace neuropart::op {
namespace {

int FreePort() {
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr));
  socklen_t len = sizeof(addr);
  getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len);
  close(fd);
  return ntohs(addr.sin_port);
}

TEST(HealthServerTest, HealthzAlwaysReadyzFollowsTheCallback) {
  std::atomic<bool> ready{false};
  const int port = FreePort();
  StatusOr<std::unique_ptr<HealthServer>> server =
      HealthServer::Start("127.0.0.1:" + std::to_string(port), [&] { return ready.load(); });
  ASSERT_TRUE(server.ok()) << server.status().ToString();
  const std::string base = "http://127.0.0.1:" + std::to_string(port);
  auto get = [&](const std::string& path) {
    StatusOr<HttpResponse> r = HttpGet(base + path, std::chrono::milliseconds(5000));
    EXPECT_TRUE(r.ok()) << r.status().ToString();
    return r.ok() ? r->status : -1;
  };
  EXPECT_EQ(get("/healthz"), 200);
  EXPECT_EQ(get("/readyz"), 503);
  ready = true;
  EXPECT_EQ(get("/readyz"), 200);
  EXPECT_EQ(get("/other"), 404);
}

TEST(HealthServerTest, PortInUseIsUnavailable) {
  const int port = FreePort();
  auto first = HealthServer::Start("127.0.0.1:" + std::to_string(port), [] { return true; });
  ASSERT_TRUE(first.ok());
  auto second = HealthServer::Start("127.0.0.1:" + std::to_string(port), [] { return true; });
  ASSERT_FALSE(second.ok());
  EXPECT_EQ(second.status().code(), StatusCode::kUnavailable);
}

TEST(MetricsTest, SeriesAppearInTheExpositionAndOnTheEndpoint) {
  OperatorMetrics m;
  m.ReconcileDone(true, 0.002);
  m.ReconcileDone(false, 0.2);
  m.ActionApplied("Pod", "create", "ok");
  m.Relisted("Pod");
  m.SetLeader(true);
  m.SetQueueDepth(3);
  const std::string text = m.Text();
  for (const char* series :
       {"neuropart_operator_reconcile_total{result=\"ok\"} 1",
        "neuropart_operator_reconcile_total{result=\"error\"} 1",
        "neuropart_operator_actions_total{action=\"create\",kind=\"Pod\",outcome=\"ok\"} 1",
        "neuropart_operator_relists_total{kind=\"Pod\"} 1", "neuropart_operator_leader 1",
        "neuropart_operator_queue_depth 3",
        "neuropart_operator_reconcile_duration_seconds_count 2"}) {
    EXPECT_NE(text.find(series), std::string::npos) << series << "\n" << text;
  }
  const int port = FreePort();
  ASSERT_TRUE(m.Serve("127.0.0.1:" + std::to_string(port)).ok());
  StatusOr<HttpResponse> r = HttpGet("http://127.0.0.1:" + std::to_string(port) + "/metrics",
                                     std::chrono::milliseconds(5000));
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->status, 200);
  EXPECT_NE(r->body.find("neuropart_operator_leader 1"), std::string::npos);
}

}  // namespace
}  // namespace neuropart::op
