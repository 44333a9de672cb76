#include "kube/executor.h"

#include <gtest/gtest.h>

#include <cstdio>

#include "testing/fixtures.h"
#include "testing/fake_transport.h"

namespace neuropart::op {
namespace {

using testing::FakeCall;
using testing::FakeTransport;

class ExecutorTest : public ::testing::Test {
 protected:
  ExecutorTest() : log_(0, std::fopen("/dev/null", "w")), client_(&transport_) {
    np_ = testing::MakeNeuralPartition("np").Partitions(2).Obj();
    np_.metadata.resource_version = "41";
  }
  Logger log_;
  FakeTransport transport_;
  KubeClient client_;
  NeuralPartition np_;
};

TEST_F(ExecutorTest, AlreadyExistingAndAlreadyGoneAreSuccess) {
  transport_.on_request = [](const FakeCall& c) -> StatusOr<HttpResponse> {
    if (c.method == "POST") return HttpResponse{409, R"({"reason":"AlreadyExists"})"};
    return HttpResponse{404, R"({"reason":"NotFound"})"};
  };
  std::vector<std::string> outcomes;
  Status s = ApplyActions(
      &client_, np_,
      {Action{Action::Type::kCreate, "Pod", "np-0", Json::object({{"kind", "Pod"}}), {}, ""},
       Action{Action::Type::kDelete, "Pod", "np-1", Json(), {}, ""}},
      &log_, [&](const Action&, const char* o) { outcomes.push_back(o); });
  EXPECT_TRUE(s.ok()) << s.ToString();
  EXPECT_EQ(outcomes, (std::vector<std::string>{"exists", "gone"}));
  const auto calls = transport_.calls();
  EXPECT_EQ(calls[0].path, "/api/v1/namespaces/ml/pods");
  EXPECT_EQ(calls[1].method, "DELETE");
  EXPECT_EQ(calls[1].path, "/api/v1/namespaces/ml/pods/np-1");
  EXPECT_NE(calls[1].body.find(R"("propagationPolicy":"Background")"), std::string::npos);
}

TEST_F(ExecutorTest, StatusUpdateIsAPutWithTheObservedVersionAndConflictIsRetryable) {
  transport_.on_request = [](const FakeCall&) -> StatusOr<HttpResponse> {
    return HttpResponse{409, R"({"reason":"Conflict","message":"the object has been modified"})"};
  };
  Action a{Action::Type::kUpdateStatus, "NeuralPartition", "np", Json(), {}, ""};
  a.status.phase = "Running";
  a.status.restarts = 2;
  Status s = ApplyActions(&client_, np_, {a}, &log_);
  EXPECT_EQ(s.code(), StatusCode::kUnavailable);
  EXPECT_TRUE(IsConflict(s));
  EXPECT_NE(s.message().find("409 Conflict"), std::string::npos) << s.message();
  const FakeCall call = transport_.calls()[0];
  EXPECT_EQ(call.method, "PUT");
  EXPECT_EQ(call.path, "/apis/neuropart.io/v1alpha1/namespaces/ml/neuralpartitions/np/status");
  StatusOr<Json> body = ParseJson(call.body);
  ASSERT_TRUE(body.ok());
  EXPECT_EQ(AsString(*AtPath(*body, {"metadata", "resourceVersion"})), "41");
  EXPECT_EQ(AsString(*AtPath(*body, {"status", "phase"})), "Running");
  EXPECT_EQ(AsInt(*AtPath(*body, {"status", "restarts"})), 2);
}

TEST_F(ExecutorTest, PatchIsAMergePatchAndErrorsDoNotStopTheRest) {
  int n = 0;
  transport_.on_request = [&](const FakeCall&) -> StatusOr<HttpResponse> {
    return ++n == 1 ? HttpResponse{500, R"({"reason":"InternalError"})"} : HttpResponse{200, "{}"};
  };
  Status s =
      ApplyActions(&client_, np_,
                   {Action{Action::Type::kCreate, "Service", "np-workers", Json::object(), {}, ""},
                    Action{Action::Type::kPatch,
                           "ConfigMap",
                           "np-job",
                           Json::object({{"data", Json::object({{"k", "v"}})}}),
                           {},
                           ""}},
                   &log_);
  EXPECT_FALSE(s.ok());
  EXPECT_FALSE(IsConflict(s));
  EXPECT_NE(s.message().find("500 InternalError"), std::string::npos) << s.message();
  const auto calls = transport_.calls();
  ASSERT_EQ(calls.size(), 2u);
  EXPECT_EQ(calls[1].method, "PATCH");
  EXPECT_EQ(calls[1].content_type, "application/merge-patch+json");
  EXPECT_EQ(calls[1].path, "/api/v1/namespaces/ml/configmaps/np-job");
}

}  // namespace
}  // namespace neuropart::op
