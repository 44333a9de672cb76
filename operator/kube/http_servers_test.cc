// The operator's HTTP endpoints on real local sockets: /healthz, /readyz and /metrics.
#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <string>
#include <vector>

#include "kube/endpoints.h"
#include "kube/metrics.h"
#include "testing/http_client.h"
#include "kube/work_queue.h"

namespace neuropart::op {
namespace {

// An HttpServer on a free loopback port.
std::unique_ptr<HttpServer> Serve(HttpHandler handler) {
  StatusOr<std::unique_ptr<HttpServer>> server = HttpServer::Start({}, std::move(handler));
  EXPECT_TRUE(server.ok()) << server.status().ToString();
  return server.ok() ? std::move(server).value() : nullptr;
}

TEST(HealthHandlerTest, HealthzAlwaysReadyzFollowsTheCallback) {
  std::atomic<bool> ready{false};
  std::unique_ptr<HttpServer> server = Serve(HealthHandler([&] { return ready.load(); }));
  ASSERT_NE(server, nullptr);
  auto get = [&](const std::string& path) {
    StatusOr<httptest::HttpReply> r = httptest::HttpGet(server->port(), path);
    EXPECT_TRUE(r.ok()) << r.status().ToString();
    return r.ok() ? r->status : -1;
  };
  EXPECT_EQ(get("/healthz"), 200);
  EXPECT_EQ(get("/readyz"), 503);
  ready = true;
  EXPECT_EQ(get("/readyz"), 200);
  EXPECT_EQ(get("/other"), 404);
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
  std::unique_ptr<HttpServer> server = Serve(MetricsHandler(&m));
  ASSERT_NE(server, nullptr);
  StatusOr<httptest::HttpReply> r = httptest::HttpGet(server->port(), "/metrics");
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->status, 200);
  ExpectLines(r->body, {"neuropart_operator_leader 1", "controller_runtime_reconcile_total"
                                                       R"({controller="neuralpartition",)"
                                                       R"(result="success"} 1)"});
}

}  // namespace
}  // namespace neuropart::op
