#include "api/neural_partition.h"

#include <gtest/gtest.h>

#include "neuropart/lifecycle/reasons.h"

namespace neuropart::op {
namespace {

// What the API server returns for manifests/samples/layers.yaml (defaults applied).
constexpr char kObject[] = R"({
  "apiVersion": "neuropart.io/v1alpha1", "kind": "NeuralPartition",
  "metadata": {"name": "layers", "namespace": "ml", "uid": "u-1", "resourceVersion": "17",
               "generation": 2, "creationTimestamp": "2026-11-22T10:00:00Z",
               "managedFields": [{"manager": "kubectl"}], "labels": {"team": "a"}},
  "spec": {
    "mode": "train",
    "model": {"inputSize": 16, "init": {"seed": 7}, "layers": [
      {"name": "h1", "neurons": 32, "activation": "relu", "connectivity": {"type": "dense"}},
      {"name": "out", "neurons": 4, "activation": "softmax"}]},
    "distribution": {"partitions": 2, "strategy": "layers", "layers": [["h1"], ["out"]]},
    "training": {"dataset": {"format": "synthetic", "samples": 256, "seed": 11}, "epochs": 1,
                 "batchSize": 32, "optimizer": {"type": "sgd", "learningRate": 0.05}},
    "storage": {"persistentVolumeClaim": {"claimName": "store"}, "subPath": "s"},
    "worker": {"resources": {"limits": {"memory": "512Mi"}}},
    "transport": {"dtype": "fp32", "timeoutSeconds": 30},
    "backoffLimit": 3},
  "status": {"phase": "Running", "observedGeneration": 2, "planHash": "abc", "ready": "1/2",
             "readyPartitions": 1, "restarts": 1, "step": 12, "loss": 0.5,
             "conditions": [{"type": "Ready", "status": "False", "reason": "WaitingForWorkers",
                             "message": "1/2", "observedGeneration": 2,
                             "lastTransitionTime": "2026-11-22T10:00:05Z"}],
             "partitions": [{"index": 0, "pod": "layers-0", "state": "Ready", "neurons": 32}],
             "lastCheckpoint": {"step": 8, "path": "jobs/layers/checkpoints/8"}}
})";

TEST(NeuralPartitionTest, DecodesMetadataSpecAndStatus) {
  StatusOr<Json> j = ParseJson(kObject);
  ASSERT_TRUE(j.ok());
  StatusOr<NeuralPartition> np = NeuralPartitionFromJson(*j);
  ASSERT_TRUE(np.ok()) << np.status().ToString();
  EXPECT_EQ(np->metadata.name, "layers");
  EXPECT_EQ(np->metadata.namespace_name, "ml");
  EXPECT_EQ(np->metadata.uid, "u-1");
  EXPECT_EQ(np->metadata.resource_version, "17");
  EXPECT_EQ(np->metadata.generation, 2);
  EXPECT_EQ(np->metadata.labels.at("team"), "a");
  EXPECT_FALSE(np->metadata.deleting);
  EXPECT_EQ(AsInt(*AtPath(np->spec, {"distribution", "partitions"})), 2);
  const NeuralPartitionStatus& s = np->status;
  EXPECT_EQ(s.phase, kPhaseRunning);
  EXPECT_EQ(s.restarts, 1);
  EXPECT_EQ(s.step, 12);
  EXPECT_EQ(s.loss, 0.5);
  EXPECT_FALSE(s.accuracy.has_value());
  ASSERT_EQ(s.conditions.size(), 1u);
  EXPECT_EQ(s.conditions[0].reason, kReasonWaitingForWorkers);
  EXPECT_EQ(s.conditions[0].last_transition_time, "2026-11-22T10:00:05Z");
  ASSERT_EQ(s.partitions.size(), 1u);
  EXPECT_EQ(s.partitions[0].neurons, 32);
  ASSERT_TRUE(s.last_checkpoint.has_value());
  EXPECT_EQ(s.last_checkpoint->step, 8);
}

TEST(NeuralPartitionTest, StatusRoundTripIsLossless) {
  StatusOr<NeuralPartition> np = NeuralPartitionFromJson(*ParseJson(kObject));
  ASSERT_TRUE(np.ok());
  StatusOr<NeuralPartitionStatus> back =
      StatusFromJson(*ParseJson(DumpJson(StatusToJson(np->status))));
  ASSERT_TRUE(back.ok()) << back.status().ToString();
  EXPECT_EQ(*back, np->status);
}

TEST(NeuralPartitionTest, WrongStatusTypesAreInvalidArgumentNamingTheField) {
  StatusOr<NeuralPartitionStatus> s = StatusFromJson(*ParseJson(R"({"restarts": "three"})"));
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.status().code(), StatusCode::kInvalidArgument);
  EXPECT_NE(s.status().message().find("status.restarts"), std::string::npos)
      << s.status().message();
  s = StatusFromJson(*ParseJson(R"({"conditions": [{"type": 1}]})"));
  ASSERT_FALSE(s.ok());
  EXPECT_NE(s.status().message().find("status.conditions[0].type"), std::string::npos);
}

TEST(NeuralPartitionTest, RefusesOtherKinds) {
  EXPECT_FALSE(NeuralPartitionFromJson(
                   *ParseJson(R"({"apiVersion":"v1","kind":"Pod","metadata":{"name":"x"}})"))
                   .ok());
  EXPECT_FALSE(NeuralPartitionFromJson(Json("text")).ok());
}

TEST(NeuralPartitionTest, DeletionTimestampMeansDeleting) {
  Json j = *ParseJson(kObject);
  j["metadata"]["deletionTimestamp"] = "2026-11-22T11:00:00Z";
  EXPECT_TRUE(NeuralPartitionFromJson(j)->metadata.deleting);
}

TEST(NeuralPartitionTest, JobOfParsesTheSpecWithCoresParser) {
  StatusOr<NeuralPartition> np = NeuralPartitionFromJson(*ParseJson(kObject));
  ASSERT_TRUE(np.ok());
  // The job document drops server-side metadata that job files do not allow.
  const Json doc = JobDocument(*np);
  EXPECT_EQ(AtPath(doc, {"metadata", "managedFields"}), nullptr);
  EXPECT_EQ(FindMember(doc, "status"), nullptr);
  StatusOr<ParsedJob> job = JobOf(*np);
  ASSERT_TRUE(job.ok()) << job.status().ToString();
  EXPECT_EQ(job->spec.name, "layers");
  EXPECT_EQ(job->spec.namespace_name, "ml");
  EXPECT_EQ(job->spec.distribution.partitions, 2);
  EXPECT_EQ(job->spec.storage.claim_name, "store");
  EXPECT_EQ(job->spec.backoff_limit, 3);
}

TEST(NeuralPartitionTest, JobOfNamesTheBadFieldWithoutLineNoise) {
  StatusOr<NeuralPartition> np = NeuralPartitionFromJson(*ParseJson(kObject));
  ASSERT_TRUE(np.ok());
  np->spec["training"]["batchSize"] = 0;
  StatusOr<ParsedJob> job = JobOf(*np);
  ASSERT_FALSE(job.ok());
  EXPECT_EQ(job.status().code(), StatusCode::kInvalidArgument);
  EXPECT_NE(job.status().message().find("spec.training.batchSize"), std::string::npos)
      << job.status().message();
  EXPECT_EQ(job.status().message().find("neuralpartition:1"), std::string::npos)
      << job.status().message();
}

}  // namespace
}  // namespace neuropart::op
