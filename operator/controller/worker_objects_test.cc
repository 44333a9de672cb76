#include "controller/worker_objects.h"

#include <gtest/gtest.h>

#include "testing/fixtures.h"
#include "controller/naming.h"
#include "controller/quantity.h"
#include "neuropart/plan/plan_io.h"

namespace neuropart::op {
namespace {

using testing::MakeNeuralPartition;

struct Built {
  NeuralPartition np;
  ParsedJob job;
  Plan plan;
  PublishedPlan published;
};

Built Build(const NeuralPartition& np, const WorkerOptions& options = {}) {
  StatusOr<ParsedJob> job = JobOf(np);
  EXPECT_TRUE(job.ok()) << job.status().ToString();
  StatusOr<Plan> plan = PlanJob(*job);
  EXPECT_TRUE(plan.ok()) << plan.status().ToString();
  PublishedPlan published = PublishPlan(np, *plan, options);
  return Built{np, *job, *plan, published};
}

const Json& FirstContainer(const Json& pod) {
  return Elements(*AtPath(pod, {"spec", "containers"}))[0];
}

std::string Env(const Json& pod, const std::string& name) {
  for (const Json& e : Elements(*FindMember(FirstContainer(pod), "env"))) {
    if (GetString(e, "name") == name) return GetString(e, "value");
  }
  return "<unset>";
}

TEST(WorkerObjectsTest, ConfigMapCarriesJobPlanAndHash) {
  Built b = Build(MakeNeuralPartition("np").Partitions(2).Obj());
  const Json& cm = b.published.config_map;
  EXPECT_EQ(AsString(*AtPath(cm, {"metadata", "name"})), "np-job");
  EXPECT_EQ(AsString(*AtPath(cm, {"data", "plan.hash"})), b.plan.HashHex());
  EXPECT_EQ(AsString(*AtPath(cm, {"data", "plan.yaml"})), PlanToYaml(b.plan));
  // job.yaml is a job file the worker accepts.
  StatusOr<ParsedJob> again = ParseJob(AsString(*AtPath(cm, {"data", "job.yaml"})), "job.yaml");
  ASSERT_TRUE(again.ok()) << again.status().ToString();
  EXPECT_EQ(again->spec.name, "np");
  EXPECT_TRUE(b.published.in_config_map);
  EXPECT_EQ(b.published.worker_plan_path, "/etc/neuropart/plan.yaml");
}

TEST(WorkerObjectsTest, EveryObjectIsOwnedAndLabelled) {
  Built b = Build(MakeNeuralPartition("np").Partitions(2).Obj());
  WorkerOptions o;
  for (const Json& obj :
       {b.published.config_map, WorkersService(b.np, o), ServeService(b.np, o),
        WorkersNetworkPolicy(b.np, o), WorkerPod(b.np, b.job, b.published, 0, 0, o)}) {
    SCOPED_TRACE(GetString(obj, "kind"));
    const Json* owner = AtPath(obj, {"metadata", "ownerReferences"});
    ASSERT_NE(owner, nullptr);
    ASSERT_EQ(Elements(*owner).size(), 1u);
    EXPECT_EQ(GetString(Elements(*owner)[0], "uid"), "uid-np");
    EXPECT_EQ(GetString(Elements(*owner)[0], "kind"), "NeuralPartition");
    EXPECT_TRUE(GetBool(Elements(*owner)[0], "controller"));
    EXPECT_EQ(AsString(*AtPath(obj, {"metadata", "namespace"})), "ml");
    const Json* labels = AtPath(obj, {"metadata", "labels"});
    ASSERT_NE(labels, nullptr);
    EXPECT_EQ(GetString(*labels, kLabelManagedBy), kManagedBy);
    EXPECT_EQ(GetString(*labels, kLabelInstance), "np");
    EXPECT_EQ(GetString(*labels, kLabelPartOf), "neuropart");
  }
}

TEST(WorkerObjectsTest, PodIsRestrictedAndWiredToItsPeers) {
  Built b = Build(MakeNeuralPartition("np").Partitions(3).Claim("nfs", "team/a").Obj());
  Json pod = WorkerPod(b.np, b.job, b.published, 1, 2, WorkerOptions{});
  EXPECT_EQ(AsString(*AtPath(pod, {"metadata", "name"})), "np-1");
  EXPECT_EQ(GetString(*AtPath(pod, {"metadata", "labels"}), kLabelPartition), "1");
  EXPECT_EQ(GetString(*AtPath(pod, {"metadata", "labels"}), kLabelPlanHash), b.plan.HashHex());
  EXPECT_EQ(GetString(*AtPath(pod, {"metadata", "annotations"}), kAnnotationAttempt), "2");
  const Json& spec = *FindMember(pod, "spec");
  EXPECT_EQ(GetString(spec, "restartPolicy"), "Never");
  EXPECT_FALSE(GetBool(spec, "automountServiceAccountToken", true));
  EXPECT_EQ(GetString(spec, "hostname"), "np-1");
  EXPECT_EQ(GetString(spec, "subdomain"), "np-workers");
  EXPECT_TRUE(GetBool(*AtPath(spec, {"securityContext"}), "runAsNonRoot"));
  EXPECT_EQ(AsString(*AtPath(spec, {"securityContext", "seccompProfile", "type"})),
            "RuntimeDefault");
  const Json& c = Elements(*FindMember(spec, "containers"))[0];
  EXPECT_FALSE(GetBool(*AtPath(c, {"securityContext"}), "allowPrivilegeEscalation", true));
  EXPECT_EQ(DumpJson(*AtPath(c, {"securityContext", "capabilities", "drop"})), R"(["ALL"])");
  EXPECT_EQ(GetString(c, "image"), "neuropart-worker:latest");
  EXPECT_EQ(Env(pod, "NEUROPART_PARTITION"), "1");
  EXPECT_EQ(Env(pod, "NEUROPART_JOB"), "/etc/neuropart/job.yaml");
  EXPECT_EQ(Env(pod, "NEUROPART_PLAN"), "/etc/neuropart/plan.yaml");
  EXPECT_EQ(Env(pod, "NEUROPART_STORE"), "/var/lib/neuropart/store");
  EXPECT_EQ(Env(pod, "NEUROPART_LISTEN"), "tcp://0.0.0.0:7000");
  EXPECT_EQ(Env(pod, "NEUROPART_PEERS"),
            "tcp://np-0.np-workers.ml.svc:7000,tcp://np-1.np-workers.ml.svc:7000,"
            "tcp://np-2.np-workers.ml.svc:7000");
  EXPECT_EQ(Env(pod, "NEUROPART_STATUS_PORT"), "0");  // only the coordinator serves /status
  const std::string text = DumpJson(spec);
  EXPECT_NE(text.find(R"({"name":"store","persistentVolumeClaim":{"claimName":"nfs"}})"),
            std::string::npos);
  EXPECT_NE(text.find(R"("mountPath":"/var/lib/neuropart/store","subPath":"team/a")"),
            std::string::npos);
  EXPECT_NE(text.find(R"({"name":"job","configMap":{"name":"np-job"}})"), std::string::npos);
  Json coordinator = WorkerPod(b.np, b.job, b.published, 0, 0, WorkerOptions{});
  EXPECT_EQ(Env(coordinator, "NEUROPART_STATUS_PORT"), "8080");
}

TEST(WorkerObjectsTest, EachPodMountsOnlyItsOwnKeyAndTheCoordinatorTheToken) {
  Built b = Build(MakeNeuralPartition("np").Partitions(3).Obj());
  Json pod = WorkerPod(b.np, b.job, b.published, 2, 0, WorkerOptions{});
  EXPECT_EQ(Env(pod, "NEUROPART_KEYS"), "/var/run/secrets/neuropart");
  EXPECT_EQ(Env(pod, "NEUROPART_STATUS_TOKEN_FILE"), "<unset>");
  const std::string spec = DumpJson(*FindMember(pod, "spec"));
  EXPECT_NE(spec.find(R"({"name":"keys","secret":{"secretName":"np-keys","items":[)"
                      R"({"key":"public.keys","path":"public.keys"},)"
                      R"({"key":"partition-2.secret","path":"partition-2.secret"}],)"
                      R"("defaultMode":288}})"),
            std::string::npos)
      << spec;
  EXPECT_NE(
      spec.find(R"({"name":"keys","mountPath":"/var/run/secrets/neuropart","readOnly":true})"),
      std::string::npos);
  Json coordinator = WorkerPod(b.np, b.job, b.published, 0, 0, WorkerOptions{});
  EXPECT_EQ(Env(coordinator, "NEUROPART_STATUS_TOKEN_FILE"),
            "/var/run/secrets/neuropart/status.token");
  EXPECT_NE(DumpJson(coordinator).find(R"({"key":"status.token","path":"status.token"})"),
            std::string::npos);
}

TEST(WorkerObjectsTest, KeysSecretIsOwnedAndSaysItsPartitionCount) {
  NeuralPartition np = MakeNeuralPartition("np").Partitions(2).Obj();
  Json secret = KeysSecret(np, 2, {{"public.keys", "partition-0 k\n"}, {"status.token", "t\n"}});
  EXPECT_EQ(GetString(secret, "kind"), "Secret");
  EXPECT_EQ(GetString(secret, "type"), "Opaque");
  EXPECT_EQ(AsString(*AtPath(secret, {"metadata", "name"})), "np-keys");
  EXPECT_EQ(AsString(*AtPath(secret, {"metadata", "annotations", kAnnotationPartitions})), "2");
  EXPECT_EQ(AsString(*AtPath(secret, {"stringData", "status.token"})), "t\n");
  EXPECT_EQ(GetString(Elements(*AtPath(secret, {"metadata", "ownerReferences"}))[0], "uid"),
            np.metadata.uid);
}

TEST(WorkerObjectsTest, WorkerTemplateFieldsAreCopied) {
  NeuralPartition np = MakeNeuralPartition("np").Partitions(2).WorkerImage("reg/w:1").Obj();
  np.spec["worker"]["resources"] = Json::object({{"limits", Json::object({{"memory", "1Gi"}})}});
  np.spec["worker"]["nodeSelector"] = Json::object({{"pool", "gpu"}});
  np.spec["worker"]["tolerations"] =
      Json::array({Json::object({{"key", "k"}, {"operator", "Exists"}})});
  Built b = Build(np);
  Json pod = WorkerPod(b.np, b.job, b.published, 0, 0, WorkerOptions{});
  const Json& c = FirstContainer(pod);
  EXPECT_EQ(GetString(c, "image"), "reg/w:1");
  EXPECT_EQ(GetString(*AtPath(c, {"resources", "limits"}), "memory"), "1Gi");
  EXPECT_EQ(GetString(*AtPath(pod, {"spec", "nodeSelector"}), "pool"), "gpu");
  EXPECT_EQ(Elements(*AtPath(pod, {"spec", "tolerations"})).size(), 1u);
}

TEST(WorkerObjectsTest, NoClaimMeansAPrivateEmptyDirStore) {
  NeuralPartition np = MakeNeuralPartition("np").Partitions(2).Obj();
  EraseMember(&np.spec, "storage");
  Built b = Build(np);
  const std::string text = DumpJson(WorkerPod(b.np, b.job, b.published, 0, 0, WorkerOptions{}));
  EXPECT_NE(text.find(R"({"name":"store","emptyDir":{}})"), std::string::npos);
  EXPECT_EQ(text.find("subPath"), std::string::npos);
}

TEST(WorkerObjectsTest, HeadlessServiceAndNetworkPolicy) {
  Built b = Build(MakeNeuralPartition("np").Partitions(2).Obj());
  WorkerOptions o;
  Json svc = WorkersService(b.np, o);
  EXPECT_EQ(GetString(*AtPath(svc, {"spec"}), "clusterIP"), "None");
  EXPECT_TRUE(GetBool(*AtPath(svc, {"spec"}), "publishNotReadyAddresses"));
  EXPECT_EQ(GetString(*AtPath(svc, {"spec", "selector"}), kLabelJob), "np");
  Json netpol = WorkersNetworkPolicy(b.np, o);
  const Json& ingress = *AtPath(netpol, {"spec", "ingress"});
  ASSERT_EQ(Elements(ingress).size(), 2u);
  EXPECT_EQ(
      DumpJson(Elements(ingress)[0]),
      R"({"from":[{"podSelector":{"matchLabels":{"neuropart.io/job":"np","app.kubernetes.io/component":"worker"}}}],"ports":[{"protocol":"TCP","port":7000}]})");
  EXPECT_EQ(FindMember(Elements(ingress)[1], "from"), nullptr);
  Json serve = ServeService(b.np, o);
  EXPECT_EQ(GetString(*AtPath(serve, {"spec", "selector"}), kLabelPartition), "0");
}

// Serve mode: pods labelled neuropart.io/client=<job> may reach the coordinator's worker port
// (the job's own policy admits only its workers there).
TEST(WorkerObjectsTest, ServeNetworkPolicyAdmitsLabelledClientsToTheCoordinator) {
  Built b = Build(MakeNeuralPartition("np").Partitions(2).Mode("serve").Obj());
  Json netpol = ServeNetworkPolicy(b.np, WorkerOptions{});
  EXPECT_EQ(GetString(*AtPath(netpol, {"metadata"}), "name"), "np-serve");
  EXPECT_EQ(
      DumpJson(*AtPath(netpol, {"spec", "podSelector"})),
      R"({"matchLabels":{"neuropart.io/job":"np","app.kubernetes.io/component":"worker","neuropart.io/partition":"0"}})");
  EXPECT_EQ(
      DumpJson(*AtPath(netpol, {"spec", "ingress"})),
      R"([{"from":[{"podSelector":{"matchLabels":{"neuropart.io/client":"np"}}}],"ports":[{"protocol":"TCP","port":7000}]}])");
}

TEST(WorkerObjectsTest, ServeCoordinatorIsReadyOnlyOnceItsWeightsAreLoaded) {
  Built b = Build(MakeNeuralPartition("np").Partitions(2).Mode("serve").Obj());
  Json coordinator = WorkerPod(b.np, b.job, b.published, 0, 0, WorkerOptions{});
  const Json& c0 = FirstContainer(coordinator);
  ASSERT_NE(FindMember(c0, "readinessProbe"), nullptr);
  EXPECT_EQ(DumpJson(*FindMember(c0, "readinessProbe")),
            R"({"httpGet":{"path":"/readyz","port":"status"},"periodSeconds":2,"failureThreshold":1})");
  Json other = WorkerPod(b.np, b.job, b.published, 1, 0, WorkerOptions{});
  EXPECT_EQ(FindMember(FirstContainer(other), "readinessProbe"), nullptr);
  Built train = Build(MakeNeuralPartition("np").Partitions(2).Obj());
  Json trainer = WorkerPod(train.np, train.job, train.published, 0, 0, WorkerOptions{});
  EXPECT_EQ(FindMember(FirstContainer(trainer), "readinessProbe"), nullptr);
}

TEST(WorkerObjectsTest, SchedulingAndIdentityFieldsArePassedThrough) {
  StatusOr<Json> worker = ParseJson(R"({
      "affinity": {"nodeAffinity": {"requiredDuringSchedulingIgnoredDuringExecution": {}}},
      "priorityClassName": "high", "schedulerName": "volcano", "serviceAccountName": "trainer",
      "imagePullSecrets": [{"name": "regcred"}], "runAsUser": 1001, "fsGroup": 2002})");
  ASSERT_TRUE(worker.ok());
  Built b = Build(MakeNeuralPartition("np").Partitions(2).SpecField("worker", *worker).Obj());
  Json pod = WorkerPod(b.np, b.job, b.published, 1, 0, WorkerOptions{});
  const Json& spec = *FindMember(pod, "spec");
  EXPECT_EQ(GetString(spec, "priorityClassName"), "high");
  EXPECT_EQ(GetString(spec, "schedulerName"), "volcano");
  EXPECT_EQ(GetString(spec, "serviceAccountName"), "trainer");
  EXPECT_EQ(DumpJson(*FindMember(spec, "imagePullSecrets")), R"([{"name":"regcred"}])");
  EXPECT_NE(AtPath(spec, {"affinity", "nodeAffinity"}), nullptr);
  EXPECT_EQ(AsInt(*AtPath(spec, {"securityContext", "runAsUser"})), 1001);
  EXPECT_EQ(AsInt(*AtPath(spec, {"securityContext", "runAsGroup"})), 1001);
  EXPECT_EQ(AsInt(*AtPath(spec, {"securityContext", "fsGroup"})), 2002);
  EXPECT_TRUE(AsBool(*AtPath(spec, {"securityContext", "runAsNonRoot"})));  // still restricted
}

// A 50/30/20 split of the parameters asks 50/30/20 of the gang's total, and the math threads
// follow each pod's CPU request.
TEST(WorkerObjectsTest, TotalRequestsAreSplitByEachPartitionsShareOfTheModel) {
  StatusOr<Json> worker = ParseJson(R"({"totalRequests": {"cpu": "10", "memory": "1000Mi"}})");
  ASSERT_TRUE(worker.ok());
  Built b = Build(MakeNeuralPartition("np").Partitions(3).Strategy("layers")
                      .SpecField("worker", *worker).Obj());
  double shares = 0;
  for (int q = 0; q < 3; ++q) {
    const double share = b.published.work_shares[q];
    shares += share;
    Json pod = WorkerPod(b.np, b.job, b.published, q, 0, WorkerOptions{});
    const Json& c0 = FirstContainer(pod);
    StatusOr<double> cpu = ParseQuantity(*AtPath(c0, {"resources", "requests", "cpu"}));
    StatusOr<double> memory = ParseQuantity(*AtPath(c0, {"resources", "requests", "memory"}));
    ASSERT_TRUE(cpu.ok() && memory.ok()) << q;
    EXPECT_NEAR(*cpu, 10 * share, 0.001) << q;
    EXPECT_NEAR(*memory, 1000.0 * 1024 * 1024 * share, 1) << q;
    EXPECT_EQ(Env(pod, "NEUROPART_THREADS"),
              std::to_string(std::max(1, static_cast<int>(10 * share + 1e-9))))
        << q;
  }
  EXPECT_NEAR(shares, 1.0, 1e-12);
  // The 3-layer fixture model: h1 8->16, h2 16->8, out 8->4 (weights + biases).
  EXPECT_NEAR(b.published.work_shares[0], 144.0 / (144 + 136 + 36), 1e-12);
}

TEST(WorkerObjectsTest, ExplicitRequestsWinOverTheShare) {
  StatusOr<Json> worker = ParseJson(
      R"({"resources": {"requests": {"cpu": "1500m"}}, "totalRequests": {"cpu": "10", "memory": "1Gi"}})");
  ASSERT_TRUE(worker.ok());
  Built b = Build(MakeNeuralPartition("np").Partitions(2).SpecField("worker", *worker).Obj());
  Json pod = WorkerPod(b.np, b.job, b.published, 0, 0, WorkerOptions{});
  const Json& c0 = FirstContainer(pod);
  EXPECT_EQ(AsString(*AtPath(c0, {"resources", "requests", "cpu"})), "1500m");
  EXPECT_NE(AtPath(c0, {"resources", "requests", "memory"}), nullptr);
  EXPECT_EQ(Env(pod, "NEUROPART_THREADS"), "1");
  Built plain = Build(MakeNeuralPartition("np").Partitions(2).Obj());
  Json unset = WorkerPod(plain.np, plain.job, plain.published, 0, 0, WorkerOptions{});
  EXPECT_EQ(Env(unset, "NEUROPART_THREADS"), "<unset>");
  EXPECT_EQ(FindMember(FirstContainer(unset), "resources"), nullptr);
}

TEST(WorkerObjectsTest, AQueueLabelMakesEachGangAttemptOneKueuePodGroup) {
  NeuralPartition np = MakeNeuralPartition("np").Partitions(3).Obj();
  np.metadata.labels[kLabelKueueQueue] = "team-a";
  Built b = Build(np);
  for (int q = 0; q < 3; ++q) {
    Json pod = WorkerPod(b.np, b.job, b.published, q, 2, WorkerOptions{});
    EXPECT_EQ(GetString(*AtPath(pod, {"metadata", "labels"}), kLabelKueueQueue), "team-a");
    EXPECT_EQ(GetString(*AtPath(pod, {"metadata", "labels"}), kLabelKueuePodGroup), "np-2");
    EXPECT_EQ(AsString(*AtPath(pod, {"metadata", "annotations", kAnnotationKueueGroupCount})),
              "3");
  }
  Built plain = Build(MakeNeuralPartition("np").Partitions(3).Obj());
  Json pod = WorkerPod(plain.np, plain.job, plain.published, 0, 0, WorkerOptions{});
  EXPECT_EQ(FindMember(*AtPath(pod, {"metadata", "labels"}), kLabelKueuePodGroup), nullptr);
}

TEST(WorkerObjectsTest, MetricsPortZeroIsLeftOut) {
  WorkerOptions o;
  o.metrics_port = 0;
  Built b = Build(MakeNeuralPartition("np").Partitions(2).Obj(), o);
  Json pod = WorkerPod(b.np, b.job, b.published, 1, 0, o);
  EXPECT_EQ(Env(pod, "NEUROPART_METRICS_PORT"), "0");
  EXPECT_EQ(DumpJson(*FindMember(FirstContainer(pod), "ports")),
            R"([{"name":"worker","containerPort":7000}])");
  Json netpol = WorkersNetworkPolicy(b.np, o);
  EXPECT_EQ(DumpJson(Elements(*AtPath(netpol, {"spec", "ingress"}))[1]),
            R"({"ports":[{"protocol":"TCP","port":8080}]})");
}

TEST(WorkerObjectsTest, ContentHashIsStableAndSensitive) {
  EXPECT_EQ(ContentHash(""), "cbf29ce484222325");
  EXPECT_EQ(ContentHash("a"), ContentHash("a"));
  EXPECT_NE(ContentHash("a"), ContentHash("b"));
}

}  // namespace
}  // namespace neuropart::op
