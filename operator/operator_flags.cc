#include "operator_flags.h"

#include <unistd.h>

#include <charconv>
#include <map>
#include <optional>

namespace neuropart::op {

const char* kOperatorUsage = R"(Usage: neuropart-operator [flags]

Runs the NeuralPartition controller: for each NeuralPartition it publishes the Neuron
Distributor's plan in a ConfigMap, starts one worker pod per partition, restarts them together
when one fails, and reports progress in the resource's status.

Flags:
  --kubeconfig PATH                  kubeconfig (default: $KUBECONFIG, in-cluster, ~/.kube/config)
  --worker-image IMAGE               image of worker pods whose spec.worker.image is empty
                                     (default neuropart-worker:latest)
  --watch-namespace NS               watch only this namespace (default: every namespace)
  --leader-elect[=BOOL]              elect a leader with a Lease before reconciling (default false)
  --leader-election-namespace NS     namespace of the Lease (default: the client's namespace)
  --leader-election-lease NAME       name of the Lease (default neuropart)
  --leader-election-id ID            this replica's identity (default: $POD_NAME, else host name)
  --metrics-bind-address ADDR        Prometheus /metrics, "[host]:port" or 0 for off (default :8080)
  --health-probe-bind-address ADDR   /healthz and /readyz, or 0 for off (default :8081)
  --poll-interval SECONDS            how often to poll a running job's coordinator (default 5)
  --watch-timeout SECONDS            how long one watch request lasts before it is renewed from
                                     its last resourceVersion (default 240)
  --worker-port N                    worker ZeroMQ port in pods (default 7000)
  --status-port N                    coordinator GET /status port in pods (default 8080)
  --worker-metrics-port N            worker Prometheus port in pods (default 9090)
  --v N                              log verbosity (default 0)
  --help                             show this help
)";

namespace {

StatusOr<int> ToInt(const std::string& flag, const std::string& v) {
  int out = 0;
  auto [ptr, ec] = std::from_chars(v.data(), v.data() + v.size(), out);
  if (v.empty() || ec != std::errc() || ptr != v.data() + v.size()) {
    return InvalidArgumentError("--" + flag + ": want an integer, got \"" + v + "\"");
  }
  return out;
}

StatusOr<bool> ToBool(const std::string& flag, const std::string& v) {
  if (v == "true" || v == "1") return true;
  if (v == "false" || v == "0") return false;
  return InvalidArgumentError("--" + flag + ": want true or false, got \"" + v + "\"");
}

}  // namespace

StatusOr<OperatorFlags> ParseOperatorFlags(const std::vector<std::string>& args,
                                           const std::function<const char*(const char*)>& getenv) {
  OperatorFlags f;
  std::map<std::string, std::string*> strings = {
      {"kubeconfig", &f.kubeconfig},
      {"worker-image", &f.worker_image},
      {"watch-namespace", &f.watch_namespace},
      {"leader-election-namespace", &f.leader_election_namespace},
      {"leader-election-lease", &f.leader_election_lease},
      {"leader-election-id", &f.leader_election_id},
      {"metrics-bind-address", &f.metrics_bind_address},
      {"health-probe-bind-address", &f.health_probe_bind_address}};
  std::map<std::string, int*> ints = {{"v", &f.verbosity},
                                      {"poll-interval", &f.poll_interval_seconds},
                                      {"watch-timeout", &f.watch_timeout_seconds},
                                      {"worker-port", &f.worker_port},
                                      {"status-port", &f.status_port},
                                      {"worker-metrics-port", &f.metrics_port}};
  std::map<std::string, bool*> bools = {{"leader-elect", &f.leader_elect}, {"help", &f.help}};
  for (size_t i = 0; i < args.size(); ++i) {
    const std::string& arg = args[i];
    if (arg == "-h") {
      f.help = true;
      continue;
    }
    if (arg.rfind("--", 0) != 0) return InvalidArgumentError("unexpected argument \"" + arg + "\"");
    std::string name = arg.substr(2);
    std::optional<std::string> value;
    if (size_t eq = name.find('='); eq != std::string::npos) {
      value = name.substr(eq + 1);
      name.resize(eq);
    }
    if (auto b = bools.find(name); b != bools.end()) {
      if (!value) {
        *b->second = true;
      } else {
        ASSIGN_OR_RETURN(*b->second, ToBool(name, *value));
      }
      continue;
    }
    if (!strings.count(name) && !ints.count(name))
      return InvalidArgumentError("unknown flag --" + name);
    if (!value) {
      if (i + 1 >= args.size()) return InvalidArgumentError("--" + name + ": needs a value");
      value = args[++i];
    }
    if (auto s = strings.find(name); s != strings.end()) {
      *s->second = *value;
    } else {
      ASSIGN_OR_RETURN(*ints[name], ToInt(name, *value));
    }
  }
  if (f.poll_interval_seconds < 1) return InvalidArgumentError("--poll-interval: must be >= 1");
  if (f.watch_timeout_seconds < 1) return InvalidArgumentError("--watch-timeout: must be >= 1");
  if (f.worker_image.empty()) return InvalidArgumentError("--worker-image: must not be empty");
  if (f.leader_election_id.empty()) {
    if (const char* pod = getenv("POD_NAME"); pod != nullptr && *pod != '\0') {
      f.leader_election_id = pod;
    } else {
      char host[256] = {};
      gethostname(host, sizeof(host) - 1);
      f.leader_election_id = std::string(host) + "_" + std::to_string(getpid());
    }
  }
  return f;
}

}  // namespace neuropart::op
