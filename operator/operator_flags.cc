#include "operator_flags.h"

#include <unistd.h>

namespace neuropart::op {

const char* kOperatorAbout = R"(Runs the NeuralPartition controller: for each NeuralPartition it
publishes the Neuron Distributor's plan in a ConfigMap, starts one worker pod per partition,
restarts them together when one fails, and reports progress in the resource's status.)";

void AddOperatorFlags(Flags* flags, OperatorFlags* f) {
  flags->String("--kubeconfig", &f->kubeconfig,
                "kubeconfig (default: $KUBECONFIG, in-cluster, ~/.kube/config)");
  flags->String("--worker-image", &f->worker_image,
                "image of worker pods whose spec.worker.image is empty");
  flags->String("--watch-namespace", &f->watch_namespace,
                "watch only this namespace (default: every namespace)");
  flags->Bool("--leader-elect", &f->leader_elect,
              "elect a leader with a Lease before reconciling");
  flags->String("--leader-election-namespace", &f->leader_election_namespace,
                "namespace of the Lease (default: the client's namespace)");
  flags->String("--leader-election-lease", &f->leader_election_lease, "name of the Lease");
  flags->String("--leader-election-id", &f->leader_election_id,
                "this replica's identity (default: $POD_NAME, else host name)");
  flags->String("--metrics-bind-address", &f->metrics_bind_address,
                "Prometheus /metrics, \"[host]:port\" or 0 for off");
  flags->String("--health-probe-bind-address", &f->health_probe_bind_address,
                "/healthz and /readyz, or 0 for off");
  flags->Int("--poll-interval", &f->poll_interval_seconds,
             "seconds between polls of a running job's coordinator");
  flags->Int("--watch-timeout", &f->watch_timeout_seconds,
             "seconds one watch request lasts before it is renewed from its resourceVersion");
  flags->Int("--worker-port", &f->worker_port, "worker ZeroMQ port in pods");
  flags->Int("--status-port", &f->status_port, "coordinator GET /status port in pods");
  flags->Int("--worker-metrics-port", &f->metrics_port, "worker Prometheus port in pods");
  flags->Int("--v", &f->verbosity, "log verbosity");
}

Status CheckOperatorFlags(OperatorFlags* f,
                          const std::function<const char*(const char*)>& getenv) {
  if (f->poll_interval_seconds < 1) return InvalidArgumentError("--poll-interval: must be >= 1");
  if (f->watch_timeout_seconds < 1) return InvalidArgumentError("--watch-timeout: must be >= 1");
  if (f->worker_image.empty()) return InvalidArgumentError("--worker-image: must not be empty");
  if (f->leader_election_id.empty()) {
    if (const char* pod = getenv("POD_NAME"); pod != nullptr && *pod != '\0') {
      f->leader_election_id = pod;
    } else {
      char host[256] = {};
      gethostname(host, sizeof(host) - 1);
      f->leader_election_id = std::string(host) + "_" + std::to_string(getpid());
    }
  }
  return Status::Ok();
}

}  // namespace neuropart::op
