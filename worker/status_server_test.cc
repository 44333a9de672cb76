#include "status_server.h"
#include "worker_metrics.h"

#include <cpprest/json.h>
#include <gtest/gtest.h>

#include <cmath>
#include <limits>

#include "testing/http_client.h"

namespace neuropart::worker {
namespace {

JobStatus Sample() {
  JobStatus s;
  s.job = "fashion";
  s.phase = "Training";
  s.step = 120;
  s.total_steps = 4690;
  s.epoch = 1;
  s.loss = 0.625;
  s.accuracy = 0.8125;
  s.samples_per_second = 15360;
  s.last_checkpoint = 96;
  s.partitions = {{0, "Running"}, {1, "Running"}, {2, "Connected"}};
  return s;
}

std::unique_ptr<StatusServer> Start(const StatusBoard* board) {
  StatusOr<std::unique_ptr<StatusServer>> s = StatusServer::Start({"127.0.0.1:0", -1, board, {}});
  EXPECT_TRUE(s.ok()) << s.status().ToString();
  return s.ok() ? std::move(s).value() : nullptr;
}

web::json::value GetStatus(int port) {
  StatusOr<httptest::HttpReply> r = httptest::HttpGet(port, "/status");
  EXPECT_TRUE(r.ok()) << r.status().ToString();
  if (!r.ok()) return {};
  EXPECT_EQ(r->status, 200);
  std::error_code error;
  web::json::value doc = web::json::value::parse(r->body, error);
  EXPECT_FALSE(error) << r->body;
  return doc;
}

TEST(StatusServer, StatusReportsTheBoard) {
  StatusBoard board;
  board.Set(Sample());
  auto server = Start(&board);
  ASSERT_GT(server->port(), 0);
  web::json::value doc = GetStatus(server->port());
  EXPECT_EQ(doc.at("job").as_string(), "fashion");
  EXPECT_EQ(doc.at("phase").as_string(), "Training");
  EXPECT_EQ(doc.at("step").as_number().to_int64(), 120);
  EXPECT_EQ(doc.at("totalSteps").as_number().to_int64(), 4690);
  EXPECT_EQ(doc.at("epoch").as_integer(), 1);
  EXPECT_EQ(doc.at("loss").as_double(), 0.625);
  EXPECT_EQ(doc.at("accuracy").as_double(), 0.8125);
  EXPECT_EQ(doc.at("samplesPerSecond").as_double(), 15360);
  EXPECT_EQ(doc.at("lastCheckpoint").as_integer(), 96);
  const web::json::array& parts = doc.at("partitions").as_array();
  ASSERT_EQ(parts.size(), 3u);
  EXPECT_EQ(parts.at(2).at("partition").as_integer(), 2);
  EXPECT_EQ(parts.at(2).at("state").as_string(), "Connected");
}

TEST(StatusServer, StatusFollowsBoardUpdates) {
  StatusBoard board;
  board.Set(Sample());
  auto server = Start(&board);
  board.Update([](JobStatus& s) {
    s.step = 121;
    s.phase = "Evaluating";
  });
  web::json::value doc = GetStatus(server->port());
  EXPECT_EQ(doc.at("step").as_number().to_int64(), 121);
  EXPECT_EQ(doc.at("phase").as_string(), "Evaluating");
}

TEST(StatusServer, NonFiniteNumbersAreNull) {
  JobStatus s = Sample();
  s.loss = std::numeric_limits<double>::quiet_NaN();
  s.samples_per_second = std::numeric_limits<double>::infinity();
  std::error_code error;
  web::json::value doc = web::json::value::parse(StatusJson(s), error);
  ASSERT_FALSE(error) << StatusJson(s);
  EXPECT_TRUE(doc.at("loss").is_null());
  EXPECT_TRUE(doc.at("samplesPerSecond").is_null());
  EXPECT_EQ(doc.at("accuracy").as_double(), 0.8125);
}

TEST(StatusServer, HealthzIsOk) {
  StatusBoard board;
  auto server = Start(&board);
  StatusOr<httptest::HttpReply> r = httptest::HttpGet(server->port(), "/healthz");
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->status, 200);
  EXPECT_EQ(r->body, "ok");
}

TEST(StatusServer, ReadyzTurnsReadyOnlyOnceTheSessionRuns) {
  StatusBoard board;
  JobStatus starting;
  starting.phase = "Starting";
  board.Set(starting);
  auto server = Start(&board);
  StatusOr<httptest::HttpReply> r = httptest::HttpGet(server->port(), "/readyz");
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->status, 503);
  EXPECT_EQ(r->body, "not ready: Starting");
  board.Update([](JobStatus& j) { j.phase = "Serving"; });
  r = httptest::HttpGet(server->port(), "/readyz");
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->status, 200);
  board.Update([](JobStatus& j) { j.phase = "Failed"; });
  r = httptest::HttpGet(server->port(), "/readyz");
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->status, 503);
}

TEST(StatusServer, UnknownPathIsNotFound) {
  StatusBoard board;
  auto server = Start(&board);
  StatusOr<httptest::HttpReply> r = httptest::HttpGet(server->port(), "/nope");
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->status, 404);
}

TEST(StatusServer, PortInUseIsUnavailable) {
  StatusBoard board;
  auto first = Start(&board);
  StatusOr<std::unique_ptr<StatusServer>> second =
      StatusServer::Start({"127.0.0.1:" + std::to_string(first->port()), -1, &board, {}});
  EXPECT_EQ(second.status().code(), StatusCode::kUnavailable);
}

TEST(StatusServer, MetricsAreServedWhenGivenASource) {
  StatusOr<std::unique_ptr<WorkerMetrics>> metrics = WorkerMetrics::Create({.partition = 3});
  ASSERT_TRUE(metrics.ok());
  (*metrics)->OnSent(0, 64);
  WorkerMetrics* m = metrics->get();
  StatusOr<std::unique_ptr<StatusServer>> server =
      StatusServer::Start({"127.0.0.1:0", -1, nullptr, [m] { return m->Render(); }});
  ASSERT_TRUE(server.ok()) << server.status().ToString();
  StatusOr<httptest::HttpReply> r = httptest::HttpGet((*server)->port(), "/metrics");
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->status, 200);
  EXPECT_NE(r->body.find("neuropart_bytes_sent_total{partition=\"3\",peer=\"0\"} 64\n"),
            std::string::npos)
      << r->body;
  // Without a board there is no /status.
  StatusOr<httptest::HttpReply> status = httptest::HttpGet((*server)->port(), "/status");
  ASSERT_TRUE(status.ok());
  EXPECT_EQ(status->status, 404);
}

}  // namespace
}  // namespace neuropart::worker
