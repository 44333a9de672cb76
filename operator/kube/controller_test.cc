#include "kube/controller.h"

#include <gtest/gtest.h>

#include <cstdio>

#include "testing/fixtures.h"
#include "testing/fake_transport.h"

namespace neuropart::op {
namespace {

using testing::FakeCall;
using testing::FakeStream;
using testing::FakeTransport;

std::string List(const std::string& kind, const std::vector<Json>& items) {
  Json list = Json::object({{"apiVersion", kind == "NeuralPartitionList" ? kApiVersion : "v1"},
                            {"kind", kind},
                            {"metadata", Json::object({{"resourceVersion", "5"}})},
                            {"items", Json::array()}});
  for (const Json& item : items) list["items"].push_back(item);
  return DumpJson(list);
}

// A pod of `job` as the API server would list it.
Json RunningPod(const std::string& name, const std::string& job, const std::string& ip) {
  return Json::object(
      {{"metadata", Json::object({{"name", name},
                                  {"namespace", "ml"},
                                  {"labels", Json::object({{"neuropart.io/job", job}})}})},
       {"status", Json::object({{"phase", "Running"}, {"podIP", ip}})}});
}

// The keys Secret of `job`, as the API server lists it (data is base64).
Json KeysSecret(const std::string& job, const std::string& token_base64) {
  return Json::object(
      {{"metadata", Json::object({{"name", job + "-keys"},
                                  {"namespace", "ml"},
                                  {"labels", Json::object({{"neuropart.io/job", job}})}})},
       {"data", Json::object({{"status.token", token_base64}})}});
}

class ControllerTest : public ::testing::Test {
 protected:
  ControllerTest()
      : log_(0, std::fopen("/dev/null", "w")),
        client_(&transport_),
        clock_(std::chrono::system_clock::now()) {
    NeuralPartition np = testing::MakeNeuralPartition("np").Partitions(2).Obj();
    np.metadata.resource_version = "3";
    transport_.on_request = [this, np](const FakeCall& c) -> StatusOr<HttpResponse> {
      if (c.method != "GET") return HttpResponse{201, "{}"};
      if (c.path.find("neuralpartitions") != std::string::npos) {
        return HttpResponse{200, List("NeuralPartitionList", {NeuralPartitionToJson(np)})};
      }
      if (c.path.find("/pods") != std::string::npos)
        return HttpResponse{200, List("PodList", pods_)};
      if (c.path.find("/secrets") != std::string::npos)
        return HttpResponse{200, List("SecretList", secrets_)};
      return HttpResponse{200, List("List", {})};
    };
    transport_.on_stream = [](const std::string&) -> StatusOr<FakeStream> { return FakeStream{}; };
  }

  std::vector<FakeCall> Writes() const {
    std::vector<FakeCall> out;
    for (const FakeCall& c : transport_.calls()) {
      if (c.method != "GET" && c.method != "WATCH") out.push_back(c);
    }
    return out;
  }

  Logger log_;
  FakeTransport transport_;
  KubeClient client_;
  FakeClock clock_;
  static ControllerOptions Options() {
    ControllerOptions o;
    o.reconcile.make_keys = testing::FakeKeys;
    return o;
  }

  std::vector<Json> pods_;
  std::vector<Json> secrets_;
};

TEST_F(ControllerTest, ReconcilesAListedResourceIntoCreatesAndAStatusWrite) {
  Controller c(&client_, Options(), &clock_, &log_, nullptr, nullptr);
  ASSERT_TRUE(c.SyncOnce().ok());
  EXPECT_TRUE(c.Synced());
  EXPECT_EQ(c.queue().Len(), 1u);  // the listed NeuralPartition was queued
  ASSERT_TRUE(c.ReconcileKey("ml/np").ok());
  std::vector<std::string> writes;
  for (const FakeCall& w : Writes()) writes.push_back(w.method + " " + w.path);
  EXPECT_EQ(writes, (std::vector<std::string>{
                        "POST /api/v1/namespaces/ml/configmaps",
                        "POST /api/v1/namespaces/ml/secrets",
                        "POST /api/v1/namespaces/ml/services",
                        "POST /apis/networking.k8s.io/v1/namespaces/ml/networkpolicies",
                        "POST /api/v1/namespaces/ml/pods",
                        "POST /api/v1/namespaces/ml/pods",
                        "POST /api/v1/namespaces/ml/events",  // the gang started
                        "PUT /apis/neuropart.io/v1alpha1/namespaces/ml/neuralpartitions/np/status",
                    }));
  EXPECT_EQ(c.queue().Len(), 1u);  // requeued to poll the coordinator
}

TEST_F(ControllerTest, PollsTheCoordinatorOfARunningJobAndIgnoresOtherJobsPods) {
  pods_ = {RunningPod("np-0", "np", "10.1.2.3"), RunningPod("other-0", "other", "10.9.9.9")};
  secrets_ = {KeysSecret("np", "dG9rZW4tb2YtbnAK")};  // base64 of "token-of-np\n"
  std::vector<std::string> polled;
  Controller c(&client_, Options(), &clock_, &log_, nullptr,
               [&](const std::string& url,
                   const std::string& token) -> std::optional<CoordinatorReport> {
                 polled.push_back(url + " " + token);
                 return std::nullopt;
               });
  ASSERT_TRUE(c.SyncOnce().ok());
  ASSERT_TRUE(c.ReconcileKey("ml/np").ok());
  EXPECT_EQ(polled, (std::vector<std::string>{"http://10.1.2.3:8080/status token-of-np"}));
  // Reconciles within the poll interval (e.g. after its own status write) reuse the answer.
  ASSERT_TRUE(c.ReconcileKey("ml/np").ok());
  EXPECT_EQ(polled.size(), 1u);
}

TEST_F(ControllerTest, DeletedResourceNeedsNoAction) {
  Controller c(&client_, Options(), &clock_, &log_, nullptr, nullptr);
  ASSERT_TRUE(c.SyncOnce().ok());
  EXPECT_TRUE(c.ReconcileKey("ml/gone").ok());
  EXPECT_TRUE(Writes().empty());
}

}  // namespace
}  // namespace neuropart::op
