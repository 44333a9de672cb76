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

std::string Env(const Json& pod, const std::string& name) {
  for (const Json& e :
       pod.At({"spec"})->Find("containers")->elements()[0].Find("env")->elements()) {
    if (e.GetString("name") == name) return e.GetString("value");
  }
  return "<unset>";
}

TEST(WorkerObjectsTest, ConfigMapCarriesJobPlanAndHash) {
  Built b = Build(MakeNeuralPartition("np").Partitions(2).Obj());
  const Json& cm = b.published.config_map;
  EXPECT_EQ(cm.At({"metadata", "name"})->string(), "np-job");
  EXPECT_EQ(cm.At({"data", "plan.hash"})->string(), b.plan.HashHex());
  EXPECT_EQ(cm.At({"data", "plan.yaml"})->string(), PlanToYaml(b.plan));
  // job.yaml is a job file the worker accepts.
  StatusOr<ParsedJob> again = ParseJob(cm.At({"data", "job.yaml"})->string(), "job.yaml");
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
    SCOPED_TRACE(obj.GetString("kind"));
    const Json* owner = obj.At({"metadata", "ownerReferences"});
    ASSERT_NE(owner, nullptr);
    ASSERT_EQ(owner->elements().size(), 1u);
    EXPECT_EQ(owner->elements()[0].GetString("uid"), "uid-np");
    EXPECT_EQ(owner->elements()[0].GetString("kind"), "NeuralPartition");
    EXPECT_TRUE(owner->elements()[0].GetBool("controller"));
    EXPECT_EQ(obj.At({"metadata", "namespace"})->string(), "ml");
    const Json* labels = obj.At({"metadata", "labels"});
    ASSERT_NE(labels, nullptr);
    EXPECT_EQ(labels->GetString(kLabelManagedBy), kManagedBy);
    EXPECT_EQ(labels->GetString(kLabelInstance), "np");
    EXPECT_EQ(labels->GetString(kLabelPartOf), "neuropart");
  }
}

TEST(WorkerObjectsTest, PodIsRestrictedAndWiredToItsPeers) {
  Built b = Build(MakeNeuralPartition("np").Partitions(3).Claim("nfs", "team/a").Obj());
  Json pod = WorkerPod(b.np, b.job, b.published, 1, 2, WorkerOptions{});
  EXPECT_EQ(pod.At({"metadata", "name"})->string(), "np-1");
  EXPECT_EQ(pod.At({"metadata", "labels"})->GetString(kLabelPartition), "1");
  EXPECT_EQ(pod.At({"metadata", "labels"})->GetString(kLabelPlanHash), b.plan.HashHex());
  EXPECT_EQ(pod.At({"metadata", "annotations"})->GetString(kAnnotationAttempt), "2");
  const Json& spec = *pod.Find("spec");
  EXPECT_EQ(spec.GetString("restartPolicy"), "Never");
  EXPECT_FALSE(spec.GetBool("automountServiceAccountToken", true));
  EXPECT_EQ(spec.GetString("hostname"), "np-1");
  EXPECT_EQ(spec.GetString("subdomain"), "np-workers");
  EXPECT_TRUE(spec.At({"securityContext"})->GetBool("runAsNonRoot"));
  EXPECT_EQ(spec.At({"securityContext", "seccompProfile"})->GetString("type"), "RuntimeDefault");
  const Json& c = spec.Find("containers")->elements()[0];
  EXPECT_FALSE(c.At({"securityContext"})->GetBool("allowPrivilegeEscalation", true));
  EXPECT_EQ(DumpJson(*c.At({"securityContext", "capabilities", "drop"})), R"(["ALL"])");
  EXPECT_EQ(c.GetString("image"), "neuropart-worker:latest");
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

TEST(WorkerObjectsTest, WorkerTemplateFieldsAreCopied) {
  NeuralPartition np = MakeNeuralPartition("np").Partitions(2).WorkerImage("reg/w:1").Obj();
  np.spec["worker"]["resources"] = Json::Object({{"limits", Json::Object({{"memory", "1Gi"}})}});
  np.spec["worker"]["nodeSelector"] = Json::Object({{"pool", "gpu"}});
  np.spec["worker"]["tolerations"] =
      Json::Array({Json::Object({{"key", "k"}, {"operator", "Exists"}})});
  Built b = Build(np);
  Json pod = WorkerPod(b.np, b.job, b.published, 0, 0, WorkerOptions{});
  const Json& c = pod.At({"spec"})->Find("containers")->elements()[0];
  EXPECT_EQ(c.GetString("image"), "reg/w:1");
  EXPECT_EQ(c.At({"resources", "limits"})->GetString("memory"), "1Gi");
  EXPECT_EQ(pod.At({"spec", "nodeSelector"})->GetString("pool"), "gpu");
  EXPECT_EQ(pod.At({"spec", "tolerations"})->elements().size(), 1u);
}

TEST(WorkerObjectsTest, NoClaimMeansAPrivateEmptyDirStore) {
  NeuralPartition np = MakeNeuralPartition("np").Partitions(2).Obj();
  np.spec.Erase("storage");
  Built b = Build(np);
  const std::string text = DumpJson(WorkerPod(b.np, b.job, b.published, 0, 0, WorkerOptions{}));
  EXPECT_NE(text.find(R"({"name":"store","emptyDir":{}})"), std::string::npos);
  EXPECT_EQ(text.find("subPath"), std::string::npos);
}

TEST(WorkerObjectsTest, HeadlessServiceAndNetworkPolicy) {
  Built b = Build(MakeNeuralPartition("np").Partitions(2).Obj());
  WorkerOptions o;
  Json svc = WorkersService(b.np, o);
  EXPECT_EQ(svc.At({"spec"})->GetString("clusterIP"), "None");
  EXPECT_TRUE(svc.At({"spec"})->GetBool("publishNotReadyAddresses"));
  EXPECT_EQ(svc.At({"spec", "selector"})->GetString(kLabelJob), "np");
  Json netpol = WorkersNetworkPolicy(b.np, o);
  const Json& ingress = *netpol.At({"spec", "ingress"});
  ASSERT_EQ(ingress.elements().size(), 2u);
  EXPECT_EQ(
      DumpJson(ingress.elements()[0]),
      R"({"from":[{"podSelector":{"matchLabels":{"neuropart.io/job":"np","app.kubernetes.io/component":"worker"}}}],"ports":[{"protocol":"TCP","port":7000}]})");
  EXPECT_EQ(ingress.elements()[1].Find("from"), nullptr);
  Json serve = ServeService(b.np, o);
  EXPECT_EQ(serve.At({"spec", "selector"})->GetString(kLabelPartition), "0");
}

// Serve mode: pods labelled neuropart.io/client=<job> may reach the coordinator's worker port
// (the job's own policy admits only its workers there).
TEST(WorkerObjectsTest, ServeNetworkPolicyAdmitsLabelledClientsToTheCoordinator) {
  Built b = Build(MakeNeuralPartition("np").Partitions(2).Mode("serve").Obj());
  Json netpol = ServeNetworkPolicy(b.np, WorkerOptions{});
  EXPECT_EQ(netpol.At({"metadata"})->GetString("name"), "np-serve");
  EXPECT_EQ(
      DumpJson(*netpol.At({"spec", "podSelector"})),
      R"({"matchLabels":{"neuropart.io/job":"np","app.kubernetes.io/component":"worker","neuropart.io/partition":"0"}})");
  EXPECT_EQ(
      DumpJson(*netpol.At({"spec", "ingress"})),
      R"([{"from":[{"podSelector":{"matchLabels":{"neuropart.io/client":"np"}}}],"ports":[{"protocol":"TCP","port":7000}]}])");
}

TEST(WorkerObjectsTest, ServeCoordinatorIsReadyOnlyOnceItsWeightsAreLoaded) {
  Built b = Build(MakeNeuralPartition("np").Partitions(2).Mode("serve").Obj());
  Json coordinator = WorkerPod(b.np, b.job, b.published, 0, 0, WorkerOptions{});
  const Json& c0 = coordinator.At({"spec"})->Find("containers")->elements()[0];
  ASSERT_NE(c0.Find("readinessProbe"), nullptr);
  EXPECT_EQ(DumpJson(*c0.Find("readinessProbe")),
            R"({"httpGet":{"path":"/readyz","port":"status"},"periodSeconds":2,"failureThreshold":1})");
  Json other = WorkerPod(b.np, b.job, b.published, 1, 0, WorkerOptions{});
  EXPECT_EQ(other.At({"spec"})->Find("containers")->elements()[0].Find("readinessProbe"), nullptr);
  Built train = Build(MakeNeuralPartition("np").Partitions(2).Obj());
  Json trainer = WorkerPod(train.np, train.job, train.published, 0, 0, WorkerOptions{});
  EXPECT_EQ(trainer.At({"spec"})->Find("containers")->elements()[0].Find("readinessProbe"), nullptr);
}

TEST(WorkerObjectsTest, SchedulingAndIdentityFieldsArePassedThrough) {
  StatusOr<Json> worker = ParseJson(R"({
      "affinity": {"nodeAffinity": {"requiredDuringSchedulingIgnoredDuringExecution": {}}},
      "priorityClassName": "high", "schedulerName": "volcano", "serviceAccountName": "trainer",
      "imagePullSecrets": [{"name": "regcred"}], "runAsUser": 1001, "fsGroup": 2002})");
  ASSERT_TRUE(worker.ok());
  Built b = Build(MakeNeuralPartition("np").Partitions(2).SpecField("worker", *worker).Obj());
  Json pod = WorkerPod(b.np, b.job, b.published, 1, 0, WorkerOptions{});
  const Json& spec = *pod.Find("spec");
  EXPECT_EQ(spec.GetString("priorityClassName"), "high");
  EXPECT_EQ(spec.GetString("schedulerName"), "volcano");
  EXPECT_EQ(spec.GetString("serviceAccountName"), "trainer");
  EXPECT_EQ(DumpJson(*spec.Find("imagePullSecrets")), R"([{"name":"regcred"}])");
  EXPECT_NE(spec.At({"affinity", "nodeAffinity"}), nullptr);
  EXPECT_EQ(spec.At({"securityContext", "runAsUser"})->integer(), 1001);
  EXPECT_EQ(spec.At({"securityContext", "runAsGroup"})->integer(), 1001);
  EXPECT_EQ(spec.At({"securityContext", "fsGroup"})->integer(), 2002);
  EXPECT_TRUE(spec.At({"securityContext", "runAsNonRoot"})->boolean());  // still restricted
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
    const Json& c0 = pod.At({"spec"})->Find("containers")->elements()[0];
    StatusOr<double> cpu = ParseQuantity(*c0.At({"resources", "requests", "cpu"}));
    StatusOr<double> memory = ParseQuantity(*c0.At({"resources", "requests", "memory"}));
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
  const Json& c0 = pod.At({"spec"})->Find("containers")->elements()[0];
  EXPECT_EQ(c0.At({"resources", "requests", "cpu"})->string(), "1500m");
  EXPECT_NE(c0.At({"resources", "requests", "memory"}), nullptr);
  EXPECT_EQ(Env(pod, "NEUROPART_THREADS"), "1");
  Built plain = Build(MakeNeuralPartition("np").Partitions(2).Obj());
  Json unset = WorkerPod(plain.np, plain.job, plain.published, 0, 0, WorkerOptions{});
  EXPECT_EQ(Env(unset, "NEUROPART_THREADS"), "<unset>");
  EXPECT_EQ(unset.At({"spec"})->Find("containers")->elements()[0].Find("resources"), nullptr);
}

TEST(WorkerObjectsTest, AQueueLabelMakesEachGangAttemptOneKueuePodGroup) {
  NeuralPartition np = MakeNeuralPartition("np").Partitions(3).Obj();
  np.metadata.labels[kLabelKueueQueue] = "team-a";
  Built b = Build(np);
  for (int q = 0; q < 3; ++q) {
    Json pod = WorkerPod(b.np, b.job, b.published, q, 2, WorkerOptions{});
    EXPECT_EQ(pod.At({"metadata", "labels"})->GetString(kLabelKueueQueue), "team-a");
    EXPECT_EQ(pod.At({"metadata", "labels"})->GetString(kLabelKueuePodGroup), "np-2");
    EXPECT_EQ(pod.At({"metadata", "annotations"})->GetString(kAnnotationKueueGroupCount), "3");
  }
  Built plain = Build(MakeNeuralPartition("np").Partitions(3).Obj());
  Json pod = WorkerPod(plain.np, plain.job, plain.published, 0, 0, WorkerOptions{});
  EXPECT_EQ(pod.At({"metadata", "labels"})->Find(kLabelKueuePodGroup), nullptr);
}

TEST(WorkerObjectsTest, MetricsPortZeroIsLeftOut) {
  WorkerOptions o;
  o.metrics_port = 0;
  Built b = Build(MakeNeuralPartition("np").Partitions(2).Obj(), o);
  Json pod = WorkerPod(b.np, b.job, b.published, 1, 0, o);
  EXPECT_EQ(Env(pod, "NEUROPART_METRICS_PORT"), "0");
  EXPECT_EQ(DumpJson(*pod.At({"spec"})->Find("containers")->elements()[0].Find("ports")),
            R"([{"name":"worker","containerPort":7000}])");
  Json netpol = WorkersNetworkPolicy(b.np, o);
  EXPECT_EQ(DumpJson(netpol.At({"spec", "ingress"})->elements()[1]),
            R"({"ports":[{"protocol":"TCP","port":8080}]})");
}

TEST(WorkerObjectsTest, ContentHashIsStableAndSensitive) {
  EXPECT_EQ(ContentHash(""), "cbf29ce484222325");
  EXPECT_EQ(ContentHash("a"), ContentHash("a"));
  EXPECT_NE(ContentHash("a"), ContentHash("b"));
}

}  // namespace
}  // namespace neuropart::op
