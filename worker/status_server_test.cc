#include "status_server.h"
#include "worker_metrics.h"

#include <gtest/gtest.h>

#include <cmath>
#include <limits>

#include "neuropart/base/json.h"
#include "testing/http_client.h"

namespace neuropart::worker {
namespace {

JobStatus Sample() {
  JobStatus s;
  s.job = "fashion";
  s.phase = JobPhase::kTraining;
  s.step = 120;
  s.total_steps = 4690;
  s.epoch = 1;
  s.loss = 0.625;
  s.accuracy = 0.8125;
  s.samples_per_second = 15360;
  s.last_checkpoint = 96;
  s.partitions = {{0, PartitionPhase::kRunning},
                  {1, PartitionPhase::kRunning},
                  {2, PartitionPhase::kStarting}};
  return s;
}

std::unique_ptr<StatusServer> Start(const StatusBoard* board) {
  StatusOr<std::unique_ptr<StatusServer>> s = StatusServer::Start({"127.0.0.1:0", -1, board, {}});
  EXPECT_TRUE(s.ok()) << s.status().ToString();
  return s.ok() ? std::move(s).value() : nullptr;
}

Json GetStatus(int port) {
  StatusOr<httptest::HttpReply> r = httptest::HttpGet(port, "/status");
  EXPECT_TRUE(r.ok()) << r.status().ToString();
  if (!r.ok()) return {};
  EXPECT_EQ(r->status, 200);
  StatusOr<Json> doc = ParseJson(r->body);
  EXPECT_TRUE(doc.ok()) << doc.status().ToString() << ": " << r->body;
  return doc.ok() ? *doc : Json();
}

TEST(StatusServer, StatusReportsTheBoard) {
  StatusBoard board;
  board.Set(Sample());
  auto server = Start(&board);
  ASSERT_GT(server->port(), 0);
  Json doc = GetStatus(server->port());
  EXPECT_EQ(GetString(doc, "job"), "fashion");
  EXPECT_EQ(GetString(doc, "phase"), "Training");
  EXPECT_EQ(GetInt(doc, "step", -1), 120);
  EXPECT_EQ(GetInt(doc, "totalSteps", -1), 4690);
  EXPECT_EQ(GetInt(doc, "epoch", -1), 1);
  EXPECT_EQ(GetNumber(doc, "loss", -1), 0.625);
  EXPECT_EQ(GetNumber(doc, "accuracy", -1), 0.8125);
  EXPECT_EQ(GetNumber(doc, "samplesPerSecond", -1), 15360);
  EXPECT_EQ(GetInt(doc, "lastCheckpoint", -1), 96);
  ASSERT_NE(FindMember(doc, "partitions"), nullptr);
  const Json::array_t& parts = Elements(*FindMember(doc, "partitions"));
  ASSERT_EQ(parts.size(), 3u);
  EXPECT_EQ(GetInt(parts[2], "partition", -1), 2);
  EXPECT_EQ(GetString(parts[2], "state"), "Starting");
}

TEST(StatusServer, StatusWithATokenNeedsTheBearerAndMetricsStayOpen) {
  StatusBoard board;
  board.Set(Sample());
  StatusOr<std::unique_ptr<StatusServer>> server = StatusServer::Start(
      {"127.0.0.1:0", -1, &board, [] { return std::string("m 1\n"); }, "s3cret-token"});
  ASSERT_TRUE(server.ok()) << server.status().ToString();
  const int port = (*server)->port();
  auto get = [port](const std::string& path, const std::string& auth) {
    StatusOr<httptest::HttpReply> r = httptest::HttpExchange(
        port, "GET " + path + " HTTP/1.0\r\n" + auth + "\r\n");
    EXPECT_TRUE(r.ok()) << r.status().ToString();
    return r.ok() ? *r : httptest::HttpReply{};
  };
  EXPECT_EQ(get("/status", "").status, 401);
  EXPECT_EQ(get("/status", "Authorization: Bearer wrong-token\r\n").status, 401);
  EXPECT_EQ(get("/status", "Authorization: Bearer s3cret-toke\r\n").status, 401);
  EXPECT_EQ(get("/status", "Authorization: s3cret-token\r\n").status, 401);
  const httptest::HttpReply ok = get("/status", "Authorization: Bearer s3cret-token\r\n");
  EXPECT_EQ(ok.status, 200);
  EXPECT_NE(ok.body.find("\"fashion\""), std::string::npos);
  EXPECT_EQ(get("/metrics", "").status, 200);
  EXPECT_EQ(get("/healthz", "").status, 200);
  EXPECT_EQ(get("/status", "").body.find("fashion"), std::string::npos);
}

TEST(StatusServer, StatusFollowsBoardUpdates) {
  StatusBoard board;
  board.Set(Sample());
  auto server = Start(&board);
  board.Update([](JobStatus& s) {
    s.step = 121;
    s.phase = JobPhase::kEvaluating;
  });
  Json doc = GetStatus(server->port());
  EXPECT_EQ(GetInt(doc, "step", -1), 121);
  EXPECT_EQ(GetString(doc, "phase"), "Evaluating");
}

TEST(StatusServer, NonFiniteNumbersAreNull) {
  JobStatus s = Sample();
  s.loss = std::numeric_limits<double>::quiet_NaN();
  s.samples_per_second = std::numeric_limits<double>::infinity();
  StatusOr<Json> doc = ParseJson(JobStatusToJson(s));
  ASSERT_TRUE(doc.ok()) << doc.status().ToString() << ": " << JobStatusToJson(s);
  ASSERT_NE(FindMember(*doc, "loss"), nullptr);
  EXPECT_TRUE(FindMember(*doc, "loss")->is_null());
  ASSERT_NE(FindMember(*doc, "samplesPerSecond"), nullptr);
  EXPECT_TRUE(FindMember(*doc, "samplesPerSecond")->is_null());
  EXPECT_EQ(GetNumber(*doc, "accuracy", -1), 0.8125);
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
  starting.phase = JobPhase::kStarting;
  board.Set(starting);
  auto server = Start(&board);
  StatusOr<httptest::HttpReply> r = httptest::HttpGet(server->port(), "/readyz");
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->status, 503);
  EXPECT_EQ(r->body, "not ready: Starting");
  board.Update([](JobStatus& j) { j.phase = JobPhase::kServing; });
  r = httptest::HttpGet(server->port(), "/readyz");
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->status, 200);
  board.Update([](JobStatus& j) { j.phase = JobPhase::kFailed; });
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
