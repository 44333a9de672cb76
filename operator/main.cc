// neuropart-operator: reconciles NeuralPartitions (see operator_flags.h for its flags).
#include <pthread.h>

#include <atomic>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <thread>

#include "controller/clock.h"
#include "kube/controller.h"
#include "kube/endpoints.h"
#include "kube/kube_config.h"
#include "kube/leader_election.h"
#include "kube/metrics.h"
#include "job_keys.h"
#include "kube/transport.h"
#include "operator_flags.h"

namespace neuropart::op {
namespace {

std::optional<CoordinatorReport> PollCoordinator(const std::string& url, const std::string& token) {
  StatusOr<HttpResponse> r = HttpGet(url, std::chrono::milliseconds(2000), token);
  if (!r.ok() || r->status != 200) return std::nullopt;
  StatusOr<Json> j = ParseJson(r->body);
  if (!j.ok()) return std::nullopt;
  return ReadJobStatus(*j);
}

int Run(const OperatorFlags& flags, std::atomic<bool>& stop) {
  Logger log(flags.verbosity);
  StatusOr<ClusterConfig> config =
      LoadClusterConfig(flags.kubeconfig, [](const char* n) { return std::getenv(n); });
  if (!config.ok()) {
    log.Error("Failed to load the cluster configuration", {{"error", config.status().message()}});
    return 1;
  }
  log.Info("Starting the operator", {{"server", config->server},
                                     {"watchNamespace", flags.watch_namespace},
                                     {"workerImage", flags.worker_image},
                                     {"identity", flags.leader_election_id}});
  std::unique_ptr<KubeTransport> transport =
      NewCpprestTransport(*config, std::chrono::seconds(330));
  KubeClient client(transport.get());
  RealClock clock;
  OperatorMetrics metrics;
  std::unique_ptr<HttpServer> metrics_server;
  if (flags.metrics_bind_address != "0") {
    StatusOr<std::unique_ptr<HttpServer>> m =
        HttpServer::Start({.address = flags.metrics_bind_address}, MetricsHandler(&metrics));
    if (!m.ok()) {
      log.Error("Failed to serve metrics", {{"error", m.status().message()}});
      return 1;
    }
    metrics_server = std::move(m).value();
  }

  ControllerOptions options;
  options.watch_namespace = flags.watch_namespace;
  options.watch_timeout_seconds = flags.watch_timeout_seconds;
  options.reconcile.worker.worker_image = flags.worker_image;
  options.reconcile.worker.worker_port = flags.worker_port;
  options.reconcile.worker.status_port = flags.status_port;
  options.reconcile.worker.metrics_port = flags.metrics_port;
  options.reconcile.poll_interval = std::chrono::seconds(flags.poll_interval_seconds);
  options.reconcile.make_keys = worker::MakeJobKeyFiles;
  Controller controller(&client, options, &clock, &log, &metrics, PollCoordinator);

  LeaderElectionOptions le;
  le.namespace_name = flags.leader_election_namespace.empty() ? config->namespace_name
                                                              : flags.leader_election_namespace;
  le.lease_name = flags.leader_election_lease;
  le.identity = flags.leader_election_id;
  LeaderElector elector(&client, le, &clock, &log);
  std::atomic<bool> leading{false};

  std::unique_ptr<HttpServer> health;
  if (flags.health_probe_bind_address != "0") {
    // A standby replica is ready (it can take over); a leader once its caches are filled.
    StatusOr<std::unique_ptr<HttpServer>> h =
        HttpServer::Start({.address = flags.health_probe_bind_address},
                          HealthHandler([&] { return !leading || controller.Synced(); }));
    if (!h.ok()) {
      log.Error("Failed to serve health probes", {{"error", h.status().message()}});
      return 1;
    }
    health = std::move(h).value();
  }

  if (flags.leader_elect && !elector.Acquire(stop)) return 0;
  leading = true;
  metrics.SetLeader(true);
  controller.Start();
  while (!stop && !controller.Synced()) std::this_thread::sleep_for(std::chrono::milliseconds(100));
  log.Info("Caches synced; reconciling");
  std::thread worker([&] { controller.RunWorker(); });

  int code = 0;
  if (flags.leader_elect) {
    elector.Hold(stop);
    if (!stop) {
      log.Error("Lost the lease; exiting so that a single leader reconciles");
      code = 1;
    }
  } else {
    while (!stop) std::this_thread::sleep_for(std::chrono::milliseconds(200));
  }
  metrics.SetLeader(false);
  controller.Stop();
  worker.join();
  if (flags.leader_elect && code == 0) {
    // The controller's transport is shut down; the release goes through a fresh one.
    std::unique_ptr<KubeTransport> last = NewCpprestTransport(*config, std::chrono::seconds(10));
    KubeClient release_client(last.get());
    LeaderElector releaser(&release_client, le, &clock, &log);
    if (Status s = releaser.Release(); !s.ok()) {
      log.Error("Failed to release the lease", {{"error", s.message()}});
    }
  }
  log.Info("Stopped the operator");
  return code;
}

}  // namespace
}  // namespace neuropart::op

int main(int argc, char** argv) {
  using namespace neuropart::op;
  OperatorFlags options;
  neuropart::Flags flags("neuropart-operator", kOperatorAbout);
  AddOperatorFlags(&flags, &options);
  if (std::optional<int> exit = flags.ParseOrExit(std::vector<std::string>(argv + 1, argv + argc)))
    return *exit;
  if (neuropart::Status s =
          CheckOperatorFlags(&options, [](const char* n) { return std::getenv(n); });
      !s.ok()) {
    std::fprintf(stderr, "neuropart-operator: %s\n", s.message().c_str());
    return neuropart::kExitBadInput;
  }
  // SIGTERM and SIGINT stop the operator; a dedicated thread waits for them.
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGTERM);
  sigaddset(&signals, SIGINT);
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);
  std::atomic<bool> stop{false};
  std::thread waiter([&] {
    int sig = 0;
    sigwait(&signals, &sig);
    stop = true;
  });
  waiter.detach();
  return Run(options, stop);
}
