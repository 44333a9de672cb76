#include "controller/observed.h"

#include <gtest/gtest.h>

namespace neuropart::op {
namespace {

TEST(ObservedTest, PodFromApiJson) {
  StatusOr<Json> j = ParseJson(R"({
    "metadata": {"name": "np-1", "labels": {"neuropart.io/partition": "1"},
                 "annotations": {"neuropart.io/attempt": "0"}},
    "status": {"phase": "Failed", "podIP": "10.0.0.7",
               "conditions": [{"type": "Ready", "status": "False"}],
               "containerStatuses": [{"name": "worker", "state": {"terminated":
                   {"exitCode": 137, "reason": "OOMKilled", "message": "@np result steps=3"}}}]}})");
  ASSERT_TRUE(j.ok());
  ObservedPod pod = PodFromJson(*j);
  EXPECT_EQ(pod.name, "np-1");
  EXPECT_EQ(pod.phase, "Failed");
  EXPECT_EQ(pod.pod_ip, "10.0.0.7");
  EXPECT_FALSE(pod.ready);
  EXPECT_FALSE(pod.deleting);
  EXPECT_EQ(pod.labels.at("neuropart.io/partition"), "1");
  EXPECT_EQ(pod.message, "worker exited with code 137 (OOMKilled)");
  EXPECT_EQ(pod.termination_message, "@np result steps=3");
  EXPECT_EQ(pod.exit_code, 137);
  EXPECT_EQ(pod.terminated_reason, "OOMKilled");
}

TEST(ObservedTest, ControllerUidAndCreationTime) {
  ObservedPod pod = PodFromJson(*ParseJson(R"({"metadata": {"name": "p",
      "creationTimestamp": "2026-11-27T10:00:00Z",
      "ownerReferences": [{"uid": "other", "controller": false}, {"uid": "mine", "controller": true}]}})"));
  EXPECT_EQ(pod.owner_uid, "mine");
  EXPECT_EQ(pod.created, "2026-11-27T10:00:00Z");
}

TEST(ObservedTest, ImagePullBackOffIsAStuckReason) {
  ObservedPod pod = PodFromJson(*ParseJson(R"({"metadata": {"name": "p"}, "status": {
      "phase": "Pending", "containerStatuses": [{"name": "worker", "state": {"waiting":
          {"reason": "ImagePullBackOff", "message": "Back-off pulling image \"x\""}}}]}})"));
  EXPECT_EQ(pod.stuck_reason, "ImagePullBackOff");
  EXPECT_EQ(pod.stuck_message, "Back-off pulling image \"x\"");
}

TEST(ObservedTest, ContainerCreatingIsNotStuck) {
  ObservedPod pod = PodFromJson(*ParseJson(R"({"metadata": {"name": "p"}, "status": {
      "phase": "Pending", "containerStatuses": [{"name": "worker", "state": {"waiting":
          {"reason": "ContainerCreating"}}}]}})"));
  EXPECT_EQ(pod.stuck_reason, "");
}

TEST(ObservedTest, SchedulingGatedIsHeldNotStuck) {
  ObservedPod pod = PodFromJson(*ParseJson(R"({"metadata": {"name": "p"}, "status": {
      "phase": "Pending", "conditions": [{"type": "PodScheduled", "status": "False",
          "reason": "SchedulingGated"}]}})"));
  EXPECT_TRUE(pod.gated);
  EXPECT_EQ(pod.stuck_reason, "");
}

TEST(ObservedTest, UnschedulableComesFromPodScheduled) {
  ObservedPod pod = PodFromJson(*ParseJson(R"({"metadata": {"name": "p"}, "status": {
      "phase": "Pending", "conditions": [{"type": "PodScheduled", "status": "False",
          "reason": "Unschedulable", "message": "0/1 nodes are available"}]}})"));
  EXPECT_EQ(pod.stuck_reason, "Unschedulable");
  EXPECT_EQ(pod.stuck_message, "0/1 nodes are available");
}

TEST(ObservedTest, DisruptionTargetNamesTheDisruption) {
  ObservedPod pod = PodFromJson(*ParseJson(R"({"metadata": {"name": "p"}, "status": {
      "phase": "Failed", "conditions": [{"type": "DisruptionTarget", "status": "True",
          "reason": "EvictionByEvictionAPI"}]}})"));
  EXPECT_EQ(pod.disruption_reason, "EvictionByEvictionAPI");
  ObservedPod not_yet = PodFromJson(*ParseJson(R"({"metadata": {"name": "p"}, "status": {
      "conditions": [{"type": "DisruptionTarget", "status": "False", "reason": "x"}]}})"));
  EXPECT_EQ(not_yet.disruption_reason, "");
}

TEST(ObservedTest, PodWithoutStatusIsPending) {
  ObservedPod pod =
      PodFromJson(*ParseJson(R"({"metadata": {"name": "p", "deletionTimestamp": "x"}})"));
  EXPECT_EQ(pod.phase, "Pending");
  EXPECT_TRUE(pod.deleting);
}

TEST(ObservedTest, ReadyCondition) {
  ObservedPod pod = PodFromJson(*ParseJson(
      R"({"metadata": {"name": "p"}, "status": {"phase": "Running", "conditions": [{"type": "Ready", "status": "True"}]}})"));
  EXPECT_TRUE(pod.ready);
}

TEST(ObservedTest, CoordinatorReportToleratesNulls) {
  CoordinatorReport r = ReadJobStatus(*ParseJson(
      R"({"job": "np", "phase": "Training", "step": 12, "epoch": 1, "loss": 0.5, "accuracy": null})"));
  EXPECT_EQ(r.phase, JobPhase::kTraining);
  EXPECT_EQ(r.step, 12);
  EXPECT_EQ(r.epoch, 1);
  EXPECT_EQ(r.loss, 0.5);
  EXPECT_FALSE(r.accuracy.has_value());
}

TEST(ObservedTest, ConfigMapData) {
  ObservedObject cm = ObjectFromJson(*ParseJson(
      R"({"metadata": {"name": "np-job", "annotations": {"a": "b"}}, "data": {"plan.hash": "h"}})"));
  EXPECT_EQ(cm.name, "np-job");
  EXPECT_EQ(cm.annotations.at("a"), "b");
  EXPECT_EQ(GetString(cm.data, "plan.hash"), "h");
}

}  // namespace
}  // namespace neuropart::op
