#include "kube/controller.h"

#include "controller/naming.h"
#include "kube/executor.h"
#include "kube/kube_config.h"
#include "neuropart/wire/protocol.h"

namespace neuropart::op {
namespace {

// How often the queue's unfinished work reaches the metrics (client-go's period).
constexpr WorkQueue::Duration kUnfinishedWorkPeriod(500);

std::vector<Json> OfJob(const Informer& informer, const std::string& ns, const std::string& job) {
  std::vector<Json> out;
  for (Json& o : informer.Items()) {
    const ObjectMeta m = MetaFromJson(o);
    auto it = m.labels.find(kLabelJob);
    if (m.namespace_name == ns && it != m.labels.end() && it->second == job)
      out.push_back(std::move(o));
  }
  return out;
}

// The job's /status token, from its keys Secret's data (base64); "" when there is none yet.
std::string StatusToken(const std::vector<ObservedObject>& secrets, const std::string& job) {
  for (const ObservedObject& s : secrets) {
    if (s.name != KeysSecretName(job)) continue;
    bool ok = false;
    std::string token = Base64Decode(GetString(s.data, kStatusTokenFile), &ok);
    while (!token.empty() && (token.back() == '\n' || token.back() == '\r')) token.pop_back();
    return ok ? token : "";
  }
  return "";
}

}  // namespace

Controller::Controller(KubeClient* client, ControllerOptions options, const Clock* clock,
                       const Logger* log, OperatorMetrics* metrics, Poller poller)
    : client_(client),
      options_(std::move(options)),
      clock_(clock),
      log_(log),
      metrics_(metrics),
      poller_(std::move(poller)),
      queue_(WorkQueueOptions{.observer = metrics}) {
  auto make = [&](const char* kind, const std::string& selector, Informer::Handler handler) {
    InformerOptions o;
    o.kind = kind;
    o.namespace_name = options_.watch_namespace;
    o.label_selector = selector;
    o.watch_timeout_seconds = options_.watch_timeout_seconds;
    o.on_list = [this](const std::string& k) {
      if (metrics_ != nullptr) metrics_->Relisted(k);
    };
    return std::make_unique<Informer>(client_, o, std::move(handler), log_);
  };
  resources_ =
      make(kKind, "", [this](const std::string&, const Json& o) { queue_.Add(ObjectKey(o)); });
  auto owned = [this](const std::string&, const Json& o) { OnOwned(o); };
  pods_ = make("Pod", OwnedSelector(), owned);
  config_maps_ = make("ConfigMap", OwnedSelector(), owned);
  services_ = make("Service", OwnedSelector(), owned);
  network_policies_ = make("NetworkPolicy", OwnedSelector(), owned);
  secrets_ = make("Secret", OwnedSelector(), owned);
}

Controller::~Controller() { Stop(); }

void Controller::OnOwned(const Json& object) {
  const ObjectMeta m = MetaFromJson(object);
  auto it = m.labels.find(kLabelJob);
  if (it != m.labels.end()) queue_.Add(m.namespace_name + "/" + it->second);
}

void Controller::Start() {
  for (Informer* inf : {resources_.get(), pods_.get(), config_maps_.get(), services_.get(),
                        network_policies_.get(), secrets_.get()}) {
    threads_.emplace_back([this, inf] { inf->Run(stop_); });
  }
  if (metrics_ != nullptr) {
    threads_.emplace_back(
        [this] { queue_.ReportUnfinishedWorkUntilShutDown(kUnfinishedWorkPeriod); });
  }
}

Status Controller::SyncOnce() {
  for (Informer* inf : {resources_.get(), pods_.get(), config_maps_.get(), services_.get(),
                        network_policies_.get(), secrets_.get()}) {
    RETURN_IF_ERROR(inf->SyncOnce());
  }
  return Status::Ok();
}

bool Controller::Synced() const {
  return resources_->HasSynced() && pods_->HasSynced() && config_maps_->HasSynced() &&
         services_->HasSynced() && network_policies_->HasSynced() && secrets_->HasSynced();
}

void Controller::Stop() {
  if (stop_.exchange(true)) return;
  queue_.ShutDown();
  client_->transport()->Shutdown();
  for (std::thread& t : threads_) t.join();
  threads_.clear();
}

std::optional<CoordinatorReport> Controller::Poll(const std::string& key, const std::string& url,
                                                  const std::string& token) {
  const auto now = std::chrono::steady_clock::now();
  {
    std::lock_guard<std::mutex> lock(polls_mu_);
    auto it = polls_.find(key);
    if (it != polls_.end() && now - it->second.when < options_.reconcile.poll_interval) {
      return it->second.report;
    }
  }
  std::optional<CoordinatorReport> report = poller_(url, token);
  std::lock_guard<std::mutex> lock(polls_mu_);
  polls_[key] = LastPoll{now, report};
  return report;
}

ObservedState Controller::Observe(const NeuralPartition& np) {
  ObservedState o;
  o.resource = np;
  const std::string& ns = np.metadata.namespace_name;
  const std::string& job = np.metadata.name;
  for (const Json& p : OfJob(*pods_, ns, job)) o.pods.push_back(PodFromJson(p));
  for (const Json& c : OfJob(*config_maps_, ns, job)) o.config_maps.push_back(ObjectFromJson(c));
  for (const Json& s : OfJob(*services_, ns, job)) o.services.push_back(ObjectFromJson(s));
  for (const Json& n : OfJob(*network_policies_, ns, job))
    o.network_policies.push_back(ObjectFromJson(n));
  for (const Json& s : OfJob(*secrets_, ns, job)) o.secrets.push_back(ObjectFromJson(s));
  for (const ObservedPod& p : o.pods) {
    const bool coordinator = p.name == PodName(job, wire::kCoordinator);
    if (coordinator && p.phase == kPodRunning && !p.pod_ip.empty() && poller_) {
      o.coordinator = Poll(ns + "/" + job,
                           "http://" + p.pod_ip + ":" +
                               std::to_string(options_.reconcile.worker.status_port) + "/status",
                           StatusToken(o.secrets, job));
    }
  }
  return o;
}

Status Controller::ReconcileKey(const std::string& key, bool* requeued_after) {
  const size_t slash = key.find('/');
  std::optional<Json> object = resources_->Get(key.substr(0, slash), key.substr(slash + 1));
  if (!object) return Status::Ok();  // deleted: the garbage collector removes what it owned
  StatusOr<NeuralPartition> np = NeuralPartitionFromJson(*object);
  if (!np.ok()) {
    log_->Error("Skipped an undecodable NeuralPartition",
                {{"neuralpartition", key}, {"error", np.status().message()}});
    return Status::Ok();
  }
  ReconcileResult r = Reconcile(Observe(*np), options_.reconcile, *clock_);
  Status s =
      ApplyActions(client_, *np, r.actions, log_, [this](const Action& a, const char* outcome) {
        if (metrics_ != nullptr)
          metrics_->ActionApplied(a.kind, std::string(ActionTypeName(a.type)), outcome);
      });
  if (s.ok() && r.requeue_after) {
    queue_.AddAfter(key, std::chrono::duration_cast<WorkQueue::Duration>(*r.requeue_after));
    if (requeued_after != nullptr) *requeued_after = true;
  }
  return s;
}

void Controller::RunWorker() {
  while (std::optional<std::string> key = queue_.Get()) {
    const auto start = std::chrono::steady_clock::now();
    bool requeued_after = false;
    Status s = ReconcileKey(*key, &requeued_after);
    const double seconds =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    if (metrics_ != nullptr) {
      metrics_->ReconcileDone(!s.ok()          ? ReconcileOutcome::kError
                              : requeued_after ? ReconcileOutcome::kRequeueAfter
                                               : ReconcileOutcome::kSuccess,
                              seconds);
    }
    if (s.ok()) {
      queue_.Forget(*key);
    } else if (IsConflict(s)) {
      queue_.AddRateLimited(*key);  // the informer brings the newer version meanwhile
    } else {
      log_->Error("Reconcile failed; retrying",
                  {{"neuralpartition", *key},
                   {"error", s.message()},
                   {"requeues", std::to_string(queue_.NumRequeues(*key))}});
      queue_.AddRateLimited(*key);
    }
    queue_.Done(*key);
  }
}

}  // namespace neuropart::op
