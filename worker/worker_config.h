// WorkerConfig: everything neuropart-worker is told at start, read once in main.
//
// Each setting comes from a flag or, for pods, from an environment variable of the same meaning
// (the flag wins); `neuropart-worker --help` lists both. Peers are the endpoints of every
// partition in order, comma-separated.
#ifndef NEUROPART_WORKER_WORKER_CONFIG_H_
#define NEUROPART_WORKER_WORKER_CONFIG_H_

#include <cstdint>
#include <string>
#include <vector>

#include "neuropart/app/flags.h"
#include "neuropart/status.h"

namespace neuropart::worker {

struct WorkerConfig {
  std::string job_path;
  std::string plan_path;
  int partition = -1;
  std::string store;
  std::string listen;
  std::string peer_list;            // as given: comma-separated
  std::vector<std::string> peers;   // filled by CheckWorkerConfig
  std::string keys_dir;             // job_keys.h; needed when the job's links are encrypted
  std::string status_token_file;    // empty: /status is open (local runs bind 127.0.0.1)
  int threads = 1;
  int status_port = 0;
  int metrics_port = 0;
  // Listening sockets inherited from a launcher that bound them (-1: none). They take the place
  // of --listen's port, --status-port and --metrics-port, so no other process can take a port
  // between the launcher choosing it and the worker binding it.
  int listen_fd = -1;
  int status_fd = -1;
  int metrics_fd = -1;
  // Inherited shared-memory rings and doorbells to the other local partitions, in
  // shm_links.h's FormatShmLinks form; empty: none.
  std::string shm_links;
  // The launcher that started this worker: the worker dies with it (PR_SET_PDEATHSIG), even
  // when it is killed with SIGKILL and cannot stop its workers. 0: no launcher (a pod).
  int parent_pid = 0;
  int64_t max_steps = -1;
  int timeout_seconds = 0;  // 0: the job's spec.transport.timeoutSeconds
};

// Declares every worker flag on `flags`, bound to `config`.
void AddWorkerFlags(Flags* flags, WorkerConfig* config);
// What flags cannot check: required settings, the partition within the peers, threads >= 1.
// Splits peer_list into peers. InvalidArgument names the flag.
Status CheckWorkerConfig(WorkerConfig* config);

}  // namespace neuropart::worker

#endif  // NEUROPART_WORKER_WORKER_CONFIG_H_
