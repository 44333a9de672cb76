#include "worker_config.h"

namespace neuropart::worker {

namespace {

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

void AddWorkerFlags(Flags* flags, WorkerConfig* c) {
  flags->String("--job", &c->job_path, "the job file (NeuralPartition YAML)", "NEUROPART_JOB");
  flags->String("--plan", &c->plan_path, "the plan from the Neuron Distributor", "NEUROPART_PLAN");
  flags->Int("--partition", &c->partition, "this partition's index", "NEUROPART_PARTITION");
  flags->String("--store", &c->store, "the shared store directory", "NEUROPART_STORE");
  flags->String("--listen", &c->listen,
                "where peers reach this worker, tcp://host:port or ipc://path", "NEUROPART_LISTEN");
  flags->String("--peers", &c->peer_list, "every partition's endpoint, in partition order",
                "NEUROPART_PEERS");
  flags->String("--keys", &c->keys_dir,
                "the job's key directory (public.keys and this partition's .secret file); "
                "required when spec.transport.encryption is curve and the links are TCP",
                "NEUROPART_KEYS");
  flags->String("--status-token-file", &c->status_token_file,
                "a file whose token GET /status requires (Authorization: Bearer); empty: open",
                "NEUROPART_STATUS_TOKEN_FILE");
  flags->Int("--threads", &c->threads, "math threads", "NEUROPART_THREADS");
  flags->Int("--status-port", &c->status_port, "coordinator HTTP status port, 0 = off",
             "NEUROPART_STATUS_PORT");
  flags->Int("--metrics-port", &c->metrics_port, "Prometheus metrics port, 0 = off",
             "NEUROPART_METRICS_PORT");
  flags->Int("--listen-fd", &c->listen_fd, "an inherited listening socket for --listen (-1: bind)");
  flags->Int("--status-fd", &c->status_fd, "an inherited listening socket for the status server");
  flags->Int("--metrics-fd", &c->metrics_fd,
             "an inherited listening socket for the metrics server");
  flags->String("--shm-links", &c->shm_links,
                "inherited shared-memory rings to the local peers, as the launcher names them "
                "(bell=FD;in=FDS;out=FDS;bells=FDS); empty: sockets only");
  flags->Int("--parent-pid", &c->parent_pid,
             "die with this process (the launcher that started the worker); 0: no launcher");
  flags->Int("--max-steps", &c->max_steps,
             "stop after N steps (overrides spec.training.maxSteps; -1: the job's)");
  flags->Int("--timeout-seconds", &c->timeout_seconds,
             "a silent peer fails the step after N seconds (0: the job's)");
}

Status CheckWorkerConfig(WorkerConfig* c) {
  const std::pair<const char*, const std::string*> required[] = {
      {"--job", &c->job_path},     {"--plan", &c->plan_path}, {"--store", &c->store},
      {"--listen", &c->listen},    {"--peers", &c->peer_list}};
  for (const auto& [flag, value] : required) {
    if (value->empty()) return InvalidArgumentError(std::string(flag) + " is required");
  }
  c->peers = Split(c->peer_list);
  if (c->partition < 0 || c->partition >= static_cast<int>(c->peers.size())) {
    return InvalidArgumentError("--partition: must be in [0, " + std::to_string(c->peers.size()) +
                                ") (one endpoint per partition in --peers), got " +
                                std::to_string(c->partition));
  }
  // An ipc:// link is not encrypted (cli/ipc_links.h): it must never be mixed with TCP ones.
  const auto is_ipc = [](const std::string& e) { return e.rfind("ipc://", 0) == 0; };
  for (size_t q = 0; q < c->peers.size(); ++q) {
    if (is_ipc(c->peers[q]) != is_ipc(c->listen)) {
      return InvalidArgumentError("--peers: endpoint " + std::to_string(q) + " (" + c->peers[q] +
                                  ") and --listen (" + c->listen +
                                  ") must both be ipc:// or neither: Unix-domain links are not "
                                  "encrypted, so a job uses them for every link or none");
    }
  }
  if (c->threads < 1) return InvalidArgumentError("--threads: must be >= 1");
  return Status::Ok();
}

}  // namespace neuropart::worker
