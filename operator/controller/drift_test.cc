#include "controller/drift.h"

#include <gtest/gtest.h>

#include "testing/fixtures.h"
#include "controller/naming.h"

namespace neuropart::op {
namespace {

using testing::FakeCluster;
using testing::MakeNeuralPartition;

Json Parse(const char* text) {
  StatusOr<Json> j = ParseJson(text);
  EXPECT_TRUE(j.ok()) << text;
  return j.ok() ? *j : Json();
}

TEST(DriftTest, CoversIgnoresFieldsTheApiServerDefaults) {
  const Json desired = Parse(R"({"clusterIP":"None","ports":[{"name":"worker","port":7000}]})");
  const Json observed = Parse(
      R"({"clusterIP":"None","type":"ClusterIP","sessionAffinity":"None",
          "ports":[{"name":"worker","port":7000,"protocol":"TCP","targetPort":7000}]})");
  EXPECT_TRUE(Covers(observed, desired));
}

TEST(DriftTest, CoversSeesAChangedValueAMissingFieldAndAnExtraElement) {
  const Json desired = Parse(R"({"ports":[{"port":7000}],"selector":{"job":"np"}})");
  EXPECT_FALSE(Covers(Parse(R"({"ports":[{"port":7001}],"selector":{"job":"np"}})"), desired));
  EXPECT_FALSE(Covers(Parse(R"({"ports":[{"port":7000}]})"), desired));
  EXPECT_FALSE(Covers(Parse(R"({"ports":[{"port":7000},{"port":9}],"selector":{"job":"np"}})"),
                      desired));
  EXPECT_FALSE(Covers(Parse(R"({"ports":[{"port":7000}],"selector":{"job":"x"}})"), desired));
}

TEST(DriftTest, PatchRestoresLabelsAndSpecButNothingElse) {
  const Json desired = Parse(
      R"({"kind":"Service","metadata":{"name":"np-workers","labels":{"a":"1","b":"2"}},
          "spec":{"ports":[{"port":7000}]}})");
  ObservedObject o;
  o.name = "np-workers";
  o.labels = {{"a", "1"}, {"b", "changed"}, {"theirs", "x"}};
  o.spec = Parse(R"({"ports":[{"port":7001,"protocol":"TCP"}],"clusterIP":"None"})");
  std::optional<Json> patch = DriftPatch(o, desired);
  ASSERT_TRUE(patch.has_value());
  EXPECT_EQ(DumpJson(*patch), R"({"metadata":{"labels":{"b":"2"}},"spec":{"ports":[{"port":7000}]}})");
  o.labels["b"] = "2";
  o.spec = Parse(R"({"ports":[{"port":7000,"protocol":"TCP"}],"clusterIP":"None"})");
  EXPECT_FALSE(DriftPatch(o, desired).has_value());
}

TEST(DriftTest, ConfigMapDataMustMatchExactly) {
  const Json desired = Parse(R"({"kind":"ConfigMap","metadata":{"name":"p"},"data":{"job.yaml":"x"}})");
  ObservedObject o;
  o.data = Parse(R"({"job.yaml":"x","stale":"y"})");
  std::optional<Json> patch = DriftPatch(o, desired);
  ASSERT_TRUE(patch.has_value());
  EXPECT_EQ(DumpJson(*patch), R"({"data":{"job.yaml":"x","stale":null}})");
}

// A user (or a tool) edits the worker Service's port and the NetworkPolicy's selector: the next
// reconcile patches both back, and then leaves them alone.
TEST(DriftTest, ReconcileRepairsAChangedServiceAndNetworkPolicy) {
  FakeCluster c(MakeNeuralPartition("np").Partitions(2).Obj());
  ReconcileOptions options;
  FakeClock clock(std::chrono::system_clock::from_time_t(1795000000));
  c.Reconcile(options, clock);
  ASSERT_EQ(c.state().services.size(), 1u);
  ASSERT_EQ(c.state().network_policies.size(), 1u);
  const Json good_service = c.state().services[0].spec;
  const Json good_policy = c.state().network_policies[0].spec;
  EXPECT_EQ(c.patches(), 0);
  c.Reconcile(options, clock);
  EXPECT_EQ(c.patches(), 0);  // nothing drifted

  c.state().services[0].spec = Parse(R"({"clusterIP":"None","ports":[{"name":"worker","port":1}]})");
  c.state().network_policies[0].spec["podSelector"] = Parse(R"({"matchLabels":{"x":"y"}})");
  ReconcileResult r = c.Reconcile(options, clock);
  int patched = 0;
  for (const Action& a : r.actions) {
    if (a.type != Action::Type::kPatch) continue;
    ++patched;
    EXPECT_EQ(a.reason.rfind("repair drift: ", 0), 0u) << a.reason;
  }
  EXPECT_EQ(patched, 2);
  EXPECT_TRUE(Covers(c.state().services[0].spec, good_service));
  EXPECT_TRUE(Covers(c.state().network_policies[0].spec, good_policy));
  const int before = c.patches();
  c.Reconcile(options, clock);
  EXPECT_EQ(c.patches(), before);
}

}  // namespace
}  // namespace neuropart::op
