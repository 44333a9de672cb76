// The keys Secret: made before the pods, for the plan's partition count, never in status or
// events.
#include <gtest/gtest.h>

#include "controller/naming.h"
#include "controller/reconcile.h"
#include "controller/reconcile_test_base.h"

namespace neuropart::op {
namespace {

using testing::Count;
using testing::FakeCluster;
using testing::MakeNeuralPartition;

class ReconcileKeysTest : public testing::ReconcileTestBase {};

TEST_F(ReconcileKeysTest, KeysSecretIsCreatedBeforeThePodsThatMountIt) {
  FakeCluster c(MakeNeuralPartition("np").Partitions(3).Obj());
  ReconcileResult r = Step(c);
  ASSERT_EQ(Count(r, Action::Type::kCreate, "Secret"), 1);
  size_t secret_at = 0, first_pod_at = r.actions.size();
  for (size_t i = 0; i < r.actions.size(); ++i) {
    if (r.actions[i].kind == "Secret") secret_at = i;
    if (r.actions[i].kind == "Pod") first_pod_at = std::min(first_pod_at, i);
  }
  EXPECT_LT(secret_at, first_pod_at);
  const Json* secret = c.Created("Secret", "np-keys");
  ASSERT_NE(secret, nullptr);
  EXPECT_EQ(GetString(*AtPath(*secret, {"metadata", "annotations"}), kAnnotationPartitions), "3");
  EXPECT_EQ(GetString(*FindMember(*secret, "stringData"), "partition-2.secret"), "secret2\n");
  EXPECT_EQ(GetString(Elements(*AtPath(*secret, {"metadata", "ownerReferences"}))[0], "kind"),
            "NeuralPartition");
}

TEST_F(ReconcileKeysTest, NoKeyMakerMeansNoPods) {
  options_.make_keys = nullptr;
  FakeCluster c(MakeNeuralPartition("np").Partitions(2).Obj());
  ReconcileResult r = Step(c);
  EXPECT_EQ(Count(r, Action::Type::kCreate, "Secret"), 0);
  EXPECT_EQ(Count(r, Action::Type::kCreate, "Pod"), 0);
}

TEST_F(ReconcileKeysTest, FailingKeyMakerIsAWarningAndNoPods) {
  options_.make_keys = [](int) -> StatusOr<std::map<std::string, std::string>> {
    return InternalError("no randomness");
  };
  FakeCluster c(MakeNeuralPartition("np").Partitions(2).Obj());
  ReconcileResult r = Step(c);
  EXPECT_EQ(Count(r, Action::Type::kCreate, "Pod"), 0);
  EXPECT_EQ(c.events().back(), "Warning KeysFailed");
}

TEST_F(ReconcileKeysTest, NewPartitionCountReplacesTheKeysBeforeTheNewGangStarts) {
  FakeCluster c(MakeNeuralPartition("np").Partitions(2).Obj());
  RunToReady(c);
  c.resource().spec["distribution"]["partitions"] = 3;
  c.resource().metadata.generation = 2;
  ReconcileResult r = Step(c);  // re-plan: the old gang and the old keys go
  EXPECT_EQ(Count(r, Action::Type::kDelete, "Secret"), 1);
  EXPECT_EQ(Count(r, Action::Type::kCreate, "Pod"), 0);
  for (int i = 0; i < 3 && c.state().pods.size() < 3; ++i) r = Step(c);
  ASSERT_EQ(c.state().secrets.size(), 1u);
  EXPECT_EQ(c.state().secrets[0].annotations.at(kAnnotationPartitions), "3");
  EXPECT_EQ(c.state().pods.size(), 3u);
}

TEST_F(ReconcileKeysTest, KeysNeverAppearInStatusOrEvents) {
  FakeCluster c(MakeNeuralPartition("np").Partitions(2).Obj());
  RunToReady(c);
  const std::string status = DumpJson(NeuralPartitionToJson(c.resource()));
  EXPECT_EQ(status.find("secret0"), std::string::npos);
  EXPECT_EQ(status.find("token"), std::string::npos);
  for (const std::string& e : c.events()) EXPECT_EQ(e.find("secret"), std::string::npos) << e;
}

}  // namespace
}  // namespace neuropart::op
