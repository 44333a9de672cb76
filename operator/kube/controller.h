// Controller: the operator's runtime — informers on NeuralPartitions and on the objects the
// operator owns (label app.kubernetes.io/managed-by=neuropart-operator), a work queue of
// NeuralPartition keys, and workers that observe, call the pure Reconcile, and apply its actions.
//
// Events on owned objects enqueue their job (label neuropart.io/job). A failed apply (409 on
// status included) is retried with rate-limited backoff on fresh cache state; reconcile's
// requeue_after re-queues the key to poll the coordinator's GET /status. The poller is injected.
// Start/Stop from one thread; RunWorker from any number of threads.
#ifndef NEUROPART_OPERATOR_KUBE_CONTROLLER_H_
#define NEUROPART_OPERATOR_KUBE_CONTROLLER_H_

#include <atomic>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "controller/clock.h"
#include "controller/observed.h"
#include "controller/reconcile.h"
#include "kube/informer.h"
#include "kube/kube_client.h"
#include "kube/log.h"
#include "kube/metrics.h"
#include "kube/work_queue.h"

namespace neuropart::op {

struct ControllerOptions {
  std::string watch_namespace;  // "" = every namespace
  ReconcileOptions reconcile;
  int watch_timeout_seconds = 240;
};

class Controller {
 public:
  // GET of the coordinator's status URL; nullopt when it did not answer.
  // GETs `url` with "Authorization: Bearer <token>" (the job's status.token from its keys
  // Secret; empty when the Secret is not there yet).
  using Poller = std::function<std::optional<CoordinatorReport>(const std::string& url,
                                                                const std::string& token)>;

  Controller(KubeClient* client, ControllerOptions options, const Clock* clock, const Logger* log,
             OperatorMetrics* metrics, Poller poller);
  ~Controller();

  // Starts one thread per informer, and one reporting the queue's unfinished work to metrics.
  void Start();
  // One list + watch cycle of every informer, on the calling thread (tests; instead of Start).
  Status SyncOnce();
  bool Synced() const;
  // Processes keys until Stop().
  void RunWorker();
  // Observes, reconciles and applies one key ("namespace/name"). Sets *requeued_after (if given)
  // when it re-queued the key with a delay to poll the coordinator.
  Status ReconcileKey(const std::string& key, bool* requeued_after = nullptr);
  void Stop();

  WorkQueue& queue() { return queue_; }

 private:
  ObservedState Observe(const NeuralPartition& np);
  // The coordinator's report for `key`, polled at most once per poll interval: reconciles
  // triggered by the operator's own status writes reuse the last answer instead of feeding back.
  std::optional<CoordinatorReport> Poll(const std::string& key, const std::string& url,
                                        const std::string& token);
  void OnOwned(const Json& object);

  KubeClient* client_;
  const ControllerOptions options_;
  const Clock* clock_;
  const Logger* log_;
  OperatorMetrics* metrics_;
  Poller poller_;
  struct LastPoll {
    std::chrono::steady_clock::time_point when;
    std::optional<CoordinatorReport> report;
  };
  std::mutex polls_mu_;
  std::map<std::string, LastPoll> polls_;
  WorkQueue queue_;
  std::atomic<bool> stop_{false};
  std::unique_ptr<Informer> resources_, pods_, config_maps_, services_, network_policies_,
      secrets_;
  std::vector<std::thread> threads_;
};

}  // namespace neuropart::op

#endif  // NEUROPART_OPERATOR_KUBE_CONTROLLER_H_
