// StatusServer: a worker's small HTTP endpoint, served by neuropart/http/http_server.h.
//
//   GET /status   (with a board: the coordinator) 200, application/json (401 without the
//                 status token when one is set):
//                 {"job","phase","step","totalSteps","epoch","loss","accuracy",
//                  "samplesPerSecond","lastCheckpoint","partitions":[{"partition","state"}]}
//                 (a non-finite loss, accuracy or rate is null)
//   GET /metrics  (with a metrics source) 200, the Prometheus text exposition
//   GET /healthz  200, "ok"
//   GET /readyz   (with a board) 200 once the session runs (weights loaded), else 503
//   anything else 404
// The server reads the board and calls the metrics source on its own threads; both must be
// thread-safe and outlive the server.
// Start and the destructor are called from one thread; the server is otherwise self-contained.
#ifndef NEUROPART_WORKER_STATUS_SERVER_H_
#define NEUROPART_WORKER_STATUS_SERVER_H_

#include <functional>
#include <memory>
#include <string>

#include "neuropart/http/http_server.h"
#include "neuropart/status.h"
#include "status_board.h"

namespace neuropart::worker {

struct StatusServerOptions {
  std::string address = "127.0.0.1:0";  // port 0: a free port, reported by port()
  int listen_fd = -1;                    // or a listening socket passed down by the launcher
  const StatusBoard* board = nullptr;  // serves /status when set
  std::function<std::string()> metrics;  // serves /metrics when set
  // When set, GET /status answers 401 unless the request says "Authorization: Bearer <token>".
  // /metrics, /healthz and /readyz stay open (Prometheus and the kubelet have no token).
  std::string status_token;
};

class StatusServer {
 public:
  // Listens until destroyed. Unavailable if it cannot listen.
  static StatusOr<std::unique_ptr<StatusServer>> Start(const StatusServerOptions& options);
  ~StatusServer();  // stops listening; waits for requests in progress
  StatusServer(const StatusServer&) = delete;
  StatusServer& operator=(const StatusServer&) = delete;

  int port() const;

 private:
  struct Impl;
  explicit StatusServer(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace neuropart::worker

#endif  // NEUROPART_WORKER_STATUS_SERVER_H_
