// WorkerConfig: everything neuropart-worker is told at start, read once in main.
//
// Each setting comes from a flag or, for pods, from an environment variable of the same meaning
// (flag wins): --job / NEUROPART_JOB, --plan / NEUROPART_PLAN, --partition / NEUROPART_PARTITION,
// --store / NEUROPART_STORE, --listen / NEUROPART_LISTEN, --peers / NEUROPART_PEERS (endpoints of
// every partition in order, comma-separated), --threads / NEUROPART_THREADS,
// --status-port / NEUROPART_STATUS_PORT (coordinator only, 0 = off),
// --metrics-port / NEUROPART_METRICS_PORT (0 = off), --max-steps, --timeout-seconds.
#ifndef NEUROPART_WORKER_WORKER_CONFIG_H_
#define NEUROPART_WORKER_WORKER_CONFIG_H_

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "neuropart/status.h"

namespace neuropart::worker {

struct WorkerConfig {
  std::string job_path;
  std::string plan_path;
  int partition = -1;
  std::string store;
  std::string listen;
  std::vector<std::string> peers;
  int threads = 1;
  int status_port = 0;
  int metrics_port = 0;
  int64_t max_steps = -1;
  int timeout_seconds = 0;  // 0: the job's spec.transport.timeoutSeconds
};

// `args` excludes argv[0]. InvalidArgument names the flag or variable that was wrong.
StatusOr<WorkerConfig> ParseWorkerConfig(const std::vector<std::string>& args,
                                         const std::function<const char*(const char*)>& getenv);

extern const char* kWorkerUsage;

}  // namespace neuropart::worker

#endif  // NEUROPART_WORKER_WORKER_CONFIG_H_
