#include "kube/informer.h"

#include <gtest/gtest.h>

#include <cstdio>

#include "testing/fake_transport.h"

namespace neuropart::op {
namespace {

using testing::FakeStream;
using testing::FakeTransport;

std::string Pod(const std::string& name, const std::string& rv) {
  return R"({"metadata":{"name":")" + name + R"(","namespace":"ml","resourceVersion":")" + rv +
         R"("}})";
}

std::string Event(const std::string& type, const std::string& object) {
  return R"({"type":")" + type + R"(","object":)" + object + "}";
}

class InformerTest : public ::testing::Test {
 protected:
  InformerTest() : log_(0, std::fopen("/dev/null", "w")), client_(&transport_) {}

  std::unique_ptr<Informer> Make() {
    InformerOptions o;
    o.kind = "Pod";
    o.namespace_name = "ml";
    o.label_selector = "app.kubernetes.io/managed-by=neuropart-operator";
    return std::make_unique<Informer>(
        &client_, o,
        [this](const std::string& t, const Json& obj) {
          events_.push_back(t + " " + AsString(*AtPath(obj, {"metadata", "name"})));
        },
        &log_);
  }

  int Lists() const {
    int n = 0;
    for (const auto& c : transport_.calls()) n += c.method == "GET";
    return n;
  }

  Logger log_;
  FakeTransport transport_;
  KubeClient client_;
  std::vector<std::string> events_;
};

TEST_F(InformerTest, ListsThenWatchesFromTheListsVersion) {
  transport_.on_request = [](const testing::FakeCall&) -> StatusOr<HttpResponse> {
    return HttpResponse{
        200,
        R"({"kind":"PodList","apiVersion":"v1","metadata":{"resourceVersion":"10"},"items":[)" +
            Pod("a", "7") + "," + Pod("c", "8") + "]}"};
  };
  transport_.on_stream = [](const std::string&) -> StatusOr<FakeStream> {
    return FakeStream{200,
                      {Event("ADDED", Pod("b", "11")), Event("MODIFIED", Pod("a", "12")),
                       Event("DELETED", Pod("b", "13"))},
                      ""};
  };
  auto inf = Make();
  ASSERT_TRUE(inf->SyncOnce().ok());
  EXPECT_TRUE(inf->HasSynced());
  const auto calls = transport_.calls();
  ASSERT_EQ(calls.size(), 2u);
  EXPECT_EQ(calls[0].path,
            "/api/v1/namespaces/ml/"
            "pods?labelSelector=app.kubernetes.io%2Fmanaged-by%3Dneuropart-operator");
  EXPECT_NE(calls[1].path.find(
                "watch=true&allowWatchBookmarks=true&resourceVersion=10&timeoutSeconds=240"),
            std::string::npos)
      << calls[1].path;
  EXPECT_EQ(events_,
            (std::vector<std::string>{"ADDED a", "ADDED c", "ADDED b", "MODIFIED a", "DELETED b"}));
  EXPECT_EQ(inf->resource_version(), "13");
  ASSERT_EQ(inf->Items().size(), 2u);
  const std::optional<Json> a = inf->Get("ml", "a");
  ASSERT_TRUE(a.has_value());
  EXPECT_EQ(AsString(*AtPath(*a, {"metadata", "resourceVersion"})), "12");
  // List items get their kind back.
  EXPECT_EQ(GetString(*inf->Get("ml", "c"), "kind"), "Pod");
}

TEST_F(InformerTest, BookmarksMoveTheVersionAndReconnectDoesNotRelist) {
  transport_.on_request = [](const testing::FakeCall&) -> StatusOr<HttpResponse> {
    return HttpResponse{200, R"({"metadata":{"resourceVersion":"10"},"items":[]})"};
  };
  int watches = 0;
  transport_.on_stream = [&](const std::string& path) -> StatusOr<FakeStream> {
    ++watches;
    if (watches == 2) {
      EXPECT_NE(path.find("resourceVersion=20&"), std::string::npos) << path;
    }
    return FakeStream{200, {Event("BOOKMARK", R"({"metadata":{"resourceVersion":"20"}})")}, ""};
  };
  auto inf = Make();
  ASSERT_TRUE(inf->SyncOnce().ok());
  ASSERT_TRUE(inf->SyncOnce().ok());  // the watch timed out; resume from the bookmark
  EXPECT_EQ(watches, 2);
  EXPECT_EQ(Lists(), 1);
  EXPECT_TRUE(events_.empty());
}

TEST_F(InformerTest, GoneErrorEventForcesARelistThatReportsDeletions) {
  int lists = 0;
  transport_.on_request = [&](const testing::FakeCall&) -> StatusOr<HttpResponse> {
    ++lists;
    if (lists == 1) {
      return HttpResponse{200, R"({"metadata":{"resourceVersion":"10"},"items":[)" + Pod("a", "5") +
                                   "," + Pod("b", "6") + "]}"};
    }
    return HttpResponse{
        200, R"({"metadata":{"resourceVersion":"50"},"items":[)" + Pod("a", "40") + "]}"};
  };
  transport_.on_stream = [&](const std::string&) -> StatusOr<FakeStream> {
    return FakeStream{200,
                      {Event("ERROR", R"({"kind":"Status","code":410,"reason":"Expired"})"),
                       Event("ADDED", Pod("never", "99"))},
                      ""};
  };
  auto inf = Make();
  ASSERT_TRUE(inf->SyncOnce().ok());
  events_.clear();
  ASSERT_TRUE(inf->SyncOnce().ok());
  EXPECT_EQ(lists, 2);
  EXPECT_EQ(events_, (std::vector<std::string>{"DELETED b", "ADDED a"}));
  EXPECT_EQ(inf->resource_version(), "50");
  EXPECT_FALSE(inf->Get("ml", "never").has_value());  // events after ERROR are not applied
}

TEST_F(InformerTest, HttpErrorOnWatchFailsAndRelistsNextTime) {
  transport_.on_request = [](const testing::FakeCall&) -> StatusOr<HttpResponse> {
    return HttpResponse{200, R"({"metadata":{"resourceVersion":"10"},"items":[]})"};
  };
  transport_.on_stream = [](const std::string&) -> StatusOr<FakeStream> {
    return FakeStream{410, {}, R"({"code":410})"};
  };
  auto inf = Make();
  EXPECT_FALSE(inf->SyncOnce().ok());
  EXPECT_FALSE(inf->SyncOnce().ok());
  EXPECT_EQ(Lists(), 2);
}

TEST_F(InformerTest, UnreachableServerIsAnErrorNotACrash) {
  transport_.on_request = [](const testing::FakeCall&) -> StatusOr<HttpResponse> {
    return UnavailableError("connection refused");
  };
  auto inf = Make();
  Status s = inf->SyncOnce();
  EXPECT_EQ(s.code(), StatusCode::kUnavailable);
  EXPECT_FALSE(inf->HasSynced());
}

TEST_F(InformerTest, MalformedEventsAreDropped) {
  transport_.on_request = [](const testing::FakeCall&) -> StatusOr<HttpResponse> {
    return HttpResponse{200, R"({"metadata":{"resourceVersion":"1"},"items":[]})"};
  };
  transport_.on_stream = [](const std::string&) -> StatusOr<FakeStream> {
    return FakeStream{
        200, {"{not json", R"({"type":"ADDED"})", Event("ADDED", Pod("ok", "2"))}, ""};
  };
  auto inf = Make();
  ASSERT_TRUE(inf->SyncOnce().ok());
  EXPECT_EQ(events_, (std::vector<std::string>{"ADDED ok"}));
}

}  // namespace
}  // namespace neuropart::op
