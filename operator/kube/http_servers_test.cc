// The operator's HTTP endpoints on real local sockets: /healthz, /readyz and /metrics.
#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <string>
#include <vector>

#include "kube/health_server.h"
#include "kube/metrics.h"
#include "kube/transport.h"
#include "kube/work_queue.h"

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

// Whether `text` has `line` as a whole line.
bool HasLine(const std::string& text, const std::string& line) {
  return ("\n" + text).find("\n" + line + "\n") != std::string::npos;
}

void ExpectLines(const std::string& text, const std::vector<std::string>& lines) {
  for (const std::string& line : lines) EXPECT_TRUE(HasLine(text, line)) << line << "\n" << text;
}

constexpr char kQueue[] = R"({controller="neuralpartition",name="neuralpartition"})";
constexpr char kCtrl[] = R"({controller="neuralpartition"})";

std::string Series(const char* name, const char* labels, const char* value) {
  return std::string(name) + labels + " " + value;
}

TEST(MetricsTest, ControllerRuntimeSeriesStartAtZeroAndCountByResult) {
  OperatorMetrics m;
  const std::string total = "controller_runtime_reconcile_total";
  auto result = [&](const char* r, int n) {
    return total + R"({controller="neuralpartition",result=")" + r + "\"} " + std::to_string(n);
  };
  ExpectLines(m.Text(), {result("success", 0), result("error", 0), result("requeue", 0),
                         result("requeue_after", 0),
                         Series("controller_runtime_reconcile_errors_total", kCtrl, "0")});
  // Durations exact in binary, so that their sum prints exactly.
  m.ReconcileDone(ReconcileOutcome::kSuccess, 0.001953125);
  m.ReconcileDone(ReconcileOutcome::kError, 0.25);
  m.ReconcileDone(ReconcileOutcome::kRequeueAfter, 0.00390625);
  m.ReconcileDone(ReconcileOutcome::kRequeueAfter, 7);
  m.ReconcileDone(ReconcileOutcome::kRequeue, 0.015625);
  auto bucket = [](const char* le, const char* n) {
    return std::string(R"(controller_runtime_reconcile_time_seconds_bucket{controller=")") +
           kControllerName + "\",le=\"" + le + "\"} " + n;
  };
  const std::string text = m.Text();
  ExpectLines(text,
              {result("success", 1), result("error", 1), result("requeue", 1),
               result("requeue_after", 2),
               Series("controller_runtime_reconcile_errors_total", kCtrl, "1"),
               Series("controller_runtime_reconcile_time_seconds_count", kCtrl, "5"),
               Series("controller_runtime_reconcile_time_seconds_sum", kCtrl, "7.271484375"),
               bucket("0.005", "2"), bucket("0.025", "3"), bucket("6", "4"), bucket("60", "5"),
               bucket("+Inf", "5")});
  // Replaced by the names above.
  for (const char* gone : {"neuropart_operator_reconcile_total",
                           "neuropart_operator_reconcile_duration_seconds",
                           "neuropart_operator_queue_depth"}) {
    EXPECT_EQ(text.find(gone), std::string::npos) << gone;
  }
}

TEST(MetricsTest, WorkQueueSeriesFollowTheQueueObserver) {
  OperatorMetrics m;
  ExpectLines(m.Text(), {Series("workqueue_depth", kQueue, "0"),
                         Series("workqueue_adds_total", kQueue, "0"),
                         Series("workqueue_retries_total", kQueue, "0"),
                         Series("workqueue_queue_duration_seconds_count", kQueue, "0"),
                         Series("workqueue_work_duration_seconds_count", kQueue, "0"),
                         Series("workqueue_unfinished_work_seconds", kQueue, "0"),
                         Series("workqueue_longest_running_processor_seconds", kQueue, "0")});
  WorkQueueObserver& q = m;
  q.QueueAdded(1);
  q.QueueAdded(2);
  q.QueueTaken(1, std::chrono::milliseconds(1500));
  q.QueueDone(std::chrono::milliseconds(250));
  q.QueueRetried();
  q.QueueRetried();
  q.QueueRetried();
  q.QueueUnfinishedWork(std::chrono::seconds(5), std::chrono::seconds(3));
  ExpectLines(m.Text(), {Series("workqueue_depth", kQueue, "1"),
                         Series("workqueue_adds_total", kQueue, "2"),
                         Series("workqueue_retries_total", kQueue, "3"),
                         Series("workqueue_queue_duration_seconds_count", kQueue, "1"),
                         Series("workqueue_queue_duration_seconds_sum", kQueue, "1.5"),
                         Series("workqueue_work_duration_seconds_count", kQueue, "1"),
                         Series("workqueue_work_duration_seconds_sum", kQueue, "0.25"),
                         Series("workqueue_unfinished_work_seconds", kQueue, "5"),
                         Series("workqueue_longest_running_processor_seconds", kQueue, "3")});
}

// The queue and the adapter together: a key's life through a real WorkQueue reaches /metrics.
TEST(MetricsTest, AWorkQueueWithTheMetricsAsObserverFeedsTheSeries) {
  OperatorMetrics m;
  WorkQueue queue(WorkQueueOptions{.observer = &m});
  queue.Add("ml/np");
  ASSERT_EQ(queue.Get(), "ml/np");
  queue.AddRateLimited("ml/np");
  queue.Done("ml/np");
  ExpectLines(m.Text(), {Series("workqueue_adds_total", kQueue, "1"),
                         Series("workqueue_retries_total", kQueue, "1"),
                         Series("workqueue_depth", kQueue, "0"),
                         Series("workqueue_queue_duration_seconds_count", kQueue, "1"),
                         Series("workqueue_work_duration_seconds_count", kQueue, "1")});
}

TEST(MetricsTest, OperatorSeriesAppearInTheExpositionAndOnTheEndpoint) {
  OperatorMetrics m;
  m.ActionApplied("Pod", "create", "ok");
  m.Relisted("Pod");
  m.SetLeader(true);
  m.ReconcileDone(ReconcileOutcome::kSuccess, 0.002);
  ExpectLines(m.Text(),
              {R"(neuropart_operator_actions_total{action="create",kind="Pod",outcome="ok"} 1)",
               R"(neuropart_operator_relists_total{kind="Pod"} 1)", "neuropart_operator_leader 1"});
  const int port = FreePort();
  ASSERT_TRUE(m.Serve("127.0.0.1:" + std::to_string(port)).ok());
  StatusOr<HttpResponse> r = HttpGet("http://127.0.0.1:" + std::to_string(port) + "/metrics",
                                     std::chrono::milliseconds(5000));
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->status, 200);
  ExpectLines(r->body, {"neuropart_operator_leader 1", "controller_runtime_reconcile_total"
                                                       R"({controller="neuralpartition",)"
                                                       R"(result="success"} 1)"});
}

}  // namespace
}  // namespace neuropart::op
