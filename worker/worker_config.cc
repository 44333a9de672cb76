#include "worker_config.h"

#include <charconv>
#include <map>

namespace neuropart::worker {

const char* kWorkerUsage = R"(Usage: neuropart-worker --job JOB.yaml --plan PLAN.yaml --partition Q
                        --store DIR --listen ENDPOINT --peers E0,E1,...

One partition of a neuropart job: loads its rows of the model, trains them with its peers over
ZeroMQ, checkpoints its shard to the store. Usually started by `neuropart run` or the operator.
Every flag may instead come from the environment variable in brackets.

  --job FILE            the job file (NeuralPartition YAML)            [NEUROPART_JOB]
  --plan FILE           the plan from the Neuron Distributor           [NEUROPART_PLAN]
  --partition Q         this partition's index                         [NEUROPART_PARTITION]
  --store DIR           the shared store directory                     [NEUROPART_STORE]
  --listen ENDPOINT     where peers reach this worker, tcp://host:port [NEUROPART_LISTEN]
  --peers LIST          every partition's endpoint, in partition order [NEUROPART_PEERS]
  --threads N           math threads (default 1)                       [NEUROPART_THREADS]
  --status-port N       coordinator HTTP status port, 0 = off          [NEUROPART_STATUS_PORT]
  --metrics-port N      Prometheus metrics port, 0 = off               [NEUROPART_METRICS_PORT]
  --max-steps N         stop after N steps (overrides spec.training.maxSteps)
  --timeout-seconds N   a silent peer fails the step after N seconds (default: the job's)
)";

namespace {

struct Setting {
  const char* flag;
  const char* env;
};

const Setting kSettings[] = {
    {"job", "NEUROPART_JOB"},         {"plan", "NEUROPART_PLAN"},
    {"partition", "NEUROPART_PARTITION"}, {"store", "NEUROPART_STORE"},
    {"listen", "NEUROPART_LISTEN"},   {"peers", "NEUROPART_PEERS"},
    {"threads", "NEUROPART_THREADS"}, {"status-port", "NEUROPART_STATUS_PORT"},
    {"metrics-port", "NEUROPART_METRICS_PORT"}, {"max-steps", nullptr},
    {"timeout-seconds", nullptr},
};

StatusOr<int64_t> ToInt(const std::string& name, const std::string& v) {
  int64_t out = 0;
  auto [ptr, ec] = std::from_chars(v.data(), v.data() + v.size(), out);
  if (ec != std::errc() || ptr != v.data() + v.size() || v.empty()) {
    return InvalidArgumentError(name + ": want an integer, got \"" + v + "\"");
  }
  return out;
}

std::vector<std::string> Split(const std::string& s) {
  std::vector<std::string> out;
  size_t start = 0;
  while (start <= s.size()) {
    const size_t comma = s.find(',', start);
    const size_t end = comma == std::string::npos ? s.size() : comma;
    if (end > start) out.push_back(s.substr(start, end - start));
    if (comma == std::string::npos) break;
    start = comma + 1;
  }
  return out;
}

}  // namespace

StatusOr<WorkerConfig> ParseWorkerConfig(const std::vector<std::string>& args,
                                         const std::function<const char*(const char*)>& getenv) {
  std::map<std::string, std::string> v;
  for (const Setting& s : kSettings) {
    if (s.env == nullptr) continue;
    if (const char* e = getenv(s.env)) v[s.flag] = e;
  }
  for (size_t i = 0; i < args.size(); ++i) {
    std::string name = args[i];
    if (name.rfind("--", 0) != 0) return InvalidArgumentError("unexpected argument \"" + name + "\"");
    name = name.substr(2);
    bool known = false;
    for (const Setting& s : kSettings) known |= name == s.flag;
    if (!known) return InvalidArgumentError("unknown flag --" + name);
    if (i + 1 == args.size()) return InvalidArgumentError("flag --" + name + " needs a value");
    v[name] = args[++i];
  }
  WorkerConfig c;
  for (const char* required : {"job", "plan", "partition", "store", "listen", "peers"}) {
    if (!v.count(required)) {
      return InvalidArgumentError(std::string("--") + required + " is required");
    }
  }
  c.job_path = v["job"];
  c.plan_path = v["plan"];
  c.store = v["store"];
  c.listen = v["listen"];
  c.peers = Split(v["peers"]);
  ASSIGN_OR_RETURN(int64_t partition, ToInt("--partition", v["partition"]));
  if (partition < 0 || partition >= static_cast<int64_t>(c.peers.size())) {
    return InvalidArgumentError("--partition: must be in [0, " + std::to_string(c.peers.size()) +
                                ") (one endpoint per partition in --peers), got " +
                                std::to_string(partition));
  }
  c.partition = static_cast<int>(partition);
  auto optional_int = [&](const char* name, auto* out) -> Status {
    if (!v.count(name)) return Status::Ok();
    ASSIGN_OR_RETURN(int64_t n, ToInt(std::string("--") + name, v[name]));
    *out = static_cast<std::remove_pointer_t<decltype(out)>>(n);
    return Status::Ok();
  };
  RETURN_IF_ERROR(optional_int("threads", &c.threads));
  RETURN_IF_ERROR(optional_int("status-port", &c.status_port));
  RETURN_IF_ERROR(optional_int("metrics-port", &c.metrics_port));
  RETURN_IF_ERROR(optional_int("max-steps", &c.max_steps));
  RETURN_IF_ERROR(optional_int("timeout-seconds", &c.timeout_seconds));
  if (c.threads < 1) return InvalidArgumentError("--threads: must be >= 1");
  return c;
}

}  // namespace neuropart::worker
