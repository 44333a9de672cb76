#include "controller/reconcile.h"

#include <sstream>

#include "neuropart/lifecycle/reasons.h"
#include "controller/naming.h"
#include "neuropart/exec/report_line.h"

namespace neuropart::op {
namespace {

// The last non-empty line of a container's termination message (the worker's error).
std::string LastLine(const std::string& text) {
  const size_t end = text.find_last_not_of('\n');
  if (end == std::string::npos) return "";
  const size_t newline = text.rfind('\n', end);
  const size_t begin = newline == std::string::npos ? 0 : newline + 1;
  return text.substr(begin, end + 1 - begin);
}

// One reconcile pass: the inputs, the status being built and the actions being collected.
class Pass {
 public:
  Pass(const ObservedState& o, const ReconcileOptions& opt, const Clock& clock)
      : o_(o),
        opt_(opt),
        np_(o.resource),
        status_(o.resource.status),
        now_(FormatTime(clock.Now())) {}

  ReconcileResult Run();

 private:
  struct PodView {                     // one partition's pod, classified
    const ObservedPod* pod = nullptr;  // any pod of that name, even a stale or deleting one
    bool current = false;              // of this plan, job and attempt, and not deleting
    bool refused_input = false;        // failed with exit code 2: retrying cannot help
    PartitionStatus status;
  };

  ReconcileResult FailSpec(const char* reason, const std::string& message);
  void FailGang(const char* reason, const std::string& message);
  ReconcileResult KeepTerminal();
  void PublishObjects(const ObservedObject* config_map, bool current);
  ReconcileResult RestartForSpecChange(const char* reason);
  std::vector<PodView> ClassifyPods();
  // Restarts every partition, or fails the job when a worker refused its input or the
  // backoff limit is reached.
  ReconcileResult GangRestart(const std::vector<PodView>& pods, const std::string& why,
                              bool refused_input);
  void SetPhaseAndConditions(const std::vector<PodView>& pods, bool created);
  void ReadResults(const std::vector<PodView>& pods);
  ReconcileResult Finish();

  void Create(Json object, const std::string& reason);
  void Delete(const std::string& kind, const std::string& name, const std::string& reason);
  void DeleteLivePods(const std::string& reason, bool only_unfinished);
  void Condition3(const char* ready_reason, bool ready, const char* progressing_reason,
                  bool progressing, const std::string& message);
  void SetDegraded(bool degraded, const char* reason, const std::string& message);
  // Of the current plan, job and gang attempt (deleting or not).
  bool OfThisAttempt(const ObservedPod& pod) const;
  // OfThisAttempt and not being deleted.
  bool IsCurrent(const ObservedPod& pod) const;

  const ObservedState& o_;
  const ReconcileOptions& opt_;
  const NeuralPartition& np_;
  NeuralPartitionStatus status_;
  const std::string now_;
  ReconcileResult result_;
  std::optional<ParsedJob> job_;
  std::optional<Plan> plan_;
  PublishedPlan published_;
};

const ObservedObject* FindObject(const std::vector<ObservedObject>& objects,
                                 const std::string& name) {
  for (const ObservedObject& o : objects) {
    if (o.name == name) return &o;
  }
  return nullptr;
}

const ObservedPod* FindPod(const std::vector<ObservedPod>& pods, const std::string& name) {
  for (const ObservedPod& p : pods) {
    if (p.name == name) return &p;
  }
  return nullptr;
}

std::string Get(const std::map<std::string, std::string>& m, const std::string& key) {
  auto it = m.find(key);
  return it == m.end() ? "" : it->second;
}

bool IsTerminal(const std::string& phase) {
  return phase == kPhaseSucceeded || phase == kPhaseFailed;
}

// A merge patch turning `observed`'s data and annotations into `desired`'s.
Json ConfigMapPatch(const ObservedObject& observed, const Json& desired) {
  Json data = *desired.Find("data");
  for (const auto& [key, value] : observed.data.members()) {
    if (data.Find(key) == nullptr) data[key] = nullptr;
  }
  return Json::Object(
      {{"metadata", Json::Object({{"annotations", *desired.At({"metadata", "annotations"})}})},
       {"data", std::move(data)}});
}

ReconcileResult Pass::Run() {
  if (np_.metadata.deleting) return {};  // ownerReferences let the garbage collector clean up
  StatusOr<ParsedJob> job = JobOf(np_);
  if (!job.ok()) return FailSpec(kReasonInvalidSpec, job.status().message());
  StatusOr<Plan> plan = PlanJob(*job);
  if (!plan.ok()) return FailSpec(kReasonPlanFailed, plan.status().message());
  job_ = std::move(job).value();
  plan_ = std::move(plan).value();
  published_ = PublishPlan(np_, *plan_, opt_.worker);

  const ObservedObject* cm = FindObject(o_.config_maps, ConfigMapName(np_.metadata.name));
  const bool cm_current = cm != nullptr && !cm->deleting &&
                          Get(cm->annotations, kAnnotationJobHash) == published_.job_hash &&
                          Get(cm->annotations, kLabelPlanHash) == published_.plan_hash &&
                          cm->data == *published_.config_map.Find("data");
  const Condition* ready = FindCondition(status_.conditions, kConditionReady);
  const bool spec_failure = ready != nullptr && (ready->reason == std::string(kReasonInvalidSpec) ||
                                                 ready->reason == std::string(kReasonPlanFailed));
  if (IsTerminal(status_.phase) && cm_current && !spec_failure) return KeepTerminal();

  PublishObjects(cm, cm_current);
  const bool replanned = !status_.plan_hash.empty() && status_.plan_hash != published_.plan_hash;
  const bool job_changed = cm != nullptr && !cm_current;
  if (replanned) return RestartForSpecChange(kReasonReplanned);
  if (job_changed || (spec_failure && IsTerminal(status_.phase))) {
    return RestartForSpecChange(kReasonSpecChanged);
  }

  std::vector<PodView> pods = ClassifyPods();
  std::string failures;
  bool refused_input = false;
  for (const PodView& v : pods) {
    if (v.status.state != kPhaseFailed) continue;
    if (!failures.empty()) failures += "; ";
    failures += "partition " + std::to_string(v.status.index) + ": " + v.status.message;
    refused_input |= v.refused_input;
  }
  if (!failures.empty()) return GangRestart(pods, failures, refused_input);

  // A gang starts together: no new pod while any pod of an earlier attempt or plan still
  // terminates (it could still answer on a peer's address).
  bool old_pods_remain = false;
  for (const ObservedPod& pod : o_.pods) old_pods_remain |= !IsCurrent(pod);
  bool created = false;
  for (PodView& v : pods) {
    if (old_pods_remain || v.pod != nullptr || v.status.state == kPhaseSucceeded) continue;
    Create(WorkerPod(np_, *job_, published_, v.status.index, status_.restarts, opt_.worker),
           "partition " + std::to_string(v.status.index));
    created = true;
  }
  if (created && status_.start_time.empty()) status_.start_time = now_;
  status_.partitions.clear();
  for (const PodView& v : pods) status_.partitions.push_back(v.status);
  ReadResults(pods);
  SetPhaseAndConditions(pods, created);
  if (!IsTerminal(status_.phase)) result_.requeue_after = opt_.poll_interval;
  return Finish();
}

ReconcileResult Pass::FailSpec(const char* reason, const std::string& message) {
  DeleteLivePods("the spec is invalid", /*only_unfinished=*/false);
  status_.phase = kPhaseFailed;
  status_.partitions.clear();
  status_.ready_partitions = 0;
  status_.ready.clear();
  if (status_.completion_time.empty()) status_.completion_time = now_;
  Condition3(reason, false, reason, false, message);
  SetDegraded(true, reason, message);
  return Finish();
}

ReconcileResult Pass::KeepTerminal() {
  if (status_.phase == kPhaseFailed) DeleteLivePods("the job failed", /*only_unfinished=*/true);
  return Finish();
}

void Pass::PublishObjects(const ObservedObject* cm, bool current) {
  if (cm == nullptr) {
    Create(published_.config_map, "publish the plan");
  } else if (!current) {
    result_.actions.push_back(Action{Action::Type::kPatch,
                                     "ConfigMap",
                                     cm->name,
                                     ConfigMapPatch(*cm, published_.config_map),
                                     {},
                                     "publish plan " + published_.plan_hash});
  }
  const std::string& job = np_.metadata.name;
  if (FindObject(o_.services, WorkersServiceName(job)) == nullptr) {
    Create(WorkersService(np_, opt_.worker), "worker DNS");
  }
  if (FindObject(o_.network_policies, NetworkPolicyName(job)) == nullptr) {
    Create(WorkersNetworkPolicy(np_, opt_.worker), "isolate the worker port");
  }
  const bool serve = job_->spec.mode == JobMode::kServe;
  const ObservedObject* serve_service = FindObject(o_.services, ServeServiceName(job));
  if (serve && serve_service == nullptr) {
    Create(ServeService(np_, opt_.worker), "serve mode");
  } else if (!serve && serve_service != nullptr && !serve_service->deleting) {
    Delete("Service", serve_service->name, "not in serve mode");
  }
  const ObservedObject* serve_policy = FindObject(o_.network_policies, ServeNetworkPolicyName(job));
  if (serve && serve_policy == nullptr) {
    Create(ServeNetworkPolicy(np_, opt_.worker), "admit serve clients");
  } else if (!serve && serve_policy != nullptr && !serve_policy->deleting) {
    Delete("NetworkPolicy", serve_policy->name, "not in serve mode");
  }
}

ReconcileResult Pass::RestartForSpecChange(const char* reason) {
  DeleteLivePods(reason, /*only_unfinished=*/false);
  const std::string message =
      status_.plan_hash != published_.plan_hash && !status_.plan_hash.empty()
          ? "plan " + status_.plan_hash + " -> " + published_.plan_hash +
                "; restarting every partition from the last checkpoint"
          : "the job changed; restarting every partition from the last checkpoint";
  if (IsTerminal(status_.phase)) {
    status_.restarts = 0;  // a new run gets a fresh backoff budget
    status_.completion_time.clear();
  }
  status_.phase = kPhasePending;
  status_.partitions.clear();
  status_.ready_partitions = 0;
  status_.ready = "0/" + std::to_string(published_.partitions);
  Condition3(reason, false, reason, true, message);
  SetDegraded(false, kReasonAsExpected, "");
  result_.requeue_after = std::chrono::seconds(1);
  return Finish();
}

std::vector<Pass::PodView> Pass::ClassifyPods() {
  std::vector<PodView> views(published_.partitions);
  for (int q = 0; q < published_.partitions; ++q) {
    PodView& v = views[q];
    v.status.index = q;
    v.status.pod = PodName(np_.metadata.name, q);
    for (int l = 0; l < plan_->num_layers(); ++l) v.status.neurons += plan_->OwnedCount(q, l);
    const PartitionStatus* before = nullptr;
    for (const PartitionStatus& p : status_.partitions) {
      if (p.index == q) before = &p;
    }
    v.pod = FindPod(o_.pods, v.status.pod);
    v.current = v.pod != nullptr && IsCurrent(*v.pod);
    if (v.current) {
      const ObservedPod& pod = *v.pod;
      if (pod.phase == "Failed") {
        v.status.state = kPhaseFailed;
        v.status.message =
            "pod " + pod.name + " failed" + (pod.message.empty() ? "" : ": " + pod.message);
        v.refused_input = pod.exit_code == kWorkerExitBadInput;
        if (v.refused_input) v.status.message += ": " + LastLine(pod.termination_message);
      } else if (pod.phase == "Succeeded") {
        v.status.state = kPhaseSucceeded;
      } else if (pod.phase == "Running") {
        v.status.state = pod.ready ? "Ready" : kPhaseRunning;
      } else {
        v.status.state = kPhasePending;
      }
    } else if (v.pod != nullptr && v.pod->deleting && OfThisAttempt(*v.pod)) {
      // Someone else deletes a pod of the running gang: it is lost like a failed one.
      v.status.state = kPhaseFailed;
      v.status.message = "pod " + v.pod->name + " was deleted";
    } else if (v.pod != nullptr) {
      if (!v.pod->deleting) Delete("Pod", v.pod->name, "from an earlier attempt or plan");
      v.status.state = kPhasePending;
    } else if (before != nullptr && (before->state == kPhaseRunning || before->state == "Ready")) {
      v.status.state = kPhaseFailed;
      v.status.message = "pod " + v.status.pod + " disappeared while running";
    } else if (before != nullptr && before->state == kPhaseSucceeded) {
      v.status.state = kPhaseSucceeded;
    } else {
      v.status.state = kPhasePending;
    }
  }
  // Pods of partitions the plan no longer has.
  for (const ObservedPod& pod : o_.pods) {
    const int q = std::atoi(Get(pod.labels, kLabelPartition).c_str());
    if (!pod.deleting &&
        (q >= published_.partitions || pod.name != PodName(np_.metadata.name, q))) {
      Delete("Pod", pod.name, "not a partition of the current plan");
    }
  }
  return views;
}

// The job ends Failed; the failed pods stay for their logs, the others are stopped.
void Pass::FailGang(const char* reason, const std::string& message) {
  DeleteLivePods("the job failed", /*only_unfinished=*/true);
  status_.phase = kPhaseFailed;
  if (status_.completion_time.empty()) status_.completion_time = now_;
  Condition3(reason, false, reason, false, message);
  SetDegraded(true, reason, message);
}

ReconcileResult Pass::GangRestart(const std::vector<PodView>& pods, const std::string& why,
                                  bool refused_input) {
  status_.partitions.clear();
  for (const PodView& v : pods) status_.partitions.push_back(v.status);
  const int limit = job_->spec.backoff_limit;
  if (refused_input) {
    FailGang(kReasonWorkerConfigError, why);
  } else if (status_.restarts >= limit) {
    FailGang(kReasonBackoffLimitExceeded,
             why + "; backoffLimit " + std::to_string(limit) + " reached after " +
                 std::to_string(status_.restarts) + " restarts");
  } else {
    DeleteLivePods("gang restart", /*only_unfinished=*/false);
    status_.restarts += 1;
    status_.phase = kPhasePending;
    for (PartitionStatus& p : status_.partitions) {
      p.state = kPhasePending;
      p.message.clear();
    }
    const std::string message = why + "; restart " + std::to_string(status_.restarts) + " of " +
                                std::to_string(limit) + " from the last checkpoint";
    Condition3(kReasonGangRestart, false, kReasonGangRestart, true, message);
    SetDegraded(true, kReasonGangRestart, message);
    result_.requeue_after = std::chrono::seconds(1);
  }
  status_.ready_partitions = 0;
  status_.ready = "0/" + std::to_string(published_.partitions);
  return Finish();
}

void Pass::SetPhaseAndConditions(const std::vector<PodView>& pods, bool created) {
  const int total = static_cast<int>(pods.size());
  int succeeded = 0, running = 0, ready = 0;
  for (const PodView& v : pods) {
    if (v.status.state == kPhaseSucceeded) ++succeeded;
    if (v.status.state == kPhaseRunning || v.status.state == "Ready") ++running;
    if (v.status.state == "Ready") ++ready;
  }
  status_.ready_partitions = ready;
  status_.ready = std::to_string(ready) + "/" + std::to_string(total);
  const bool serve = job_->spec.mode == JobMode::kServe;
  const std::string counts = std::to_string(running) + " of " + std::to_string(total) +
                             " partitions running, " + std::to_string(ready) + " ready, " +
                             std::to_string(succeeded) + " finished";
  if (!serve && succeeded == total) {
    status_.phase = kPhaseSucceeded;
    if (status_.completion_time.empty()) status_.completion_time = now_;
    Condition3(kReasonTrainingComplete, false, kReasonTrainingComplete, false,
               "all " + std::to_string(total) + " partitions finished");
    SetDegraded(false, kReasonAsExpected, "");
  } else if (running > 0 && running + succeeded == total) {
    status_.phase = kPhaseRunning;
    const bool all_ready = ready == running;
    const char* progress = serve          ? kReasonWorkersReady
                           : status_.step ? kReasonTraining
                                          : kReasonWorkersRunning;
    Condition3(all_ready ? kReasonWorkersReady : kReasonWaitingForWorkers, all_ready, progress,
               !(serve && all_ready), counts);
    SetDegraded(false, kReasonAsExpected, "");
  } else {
    status_.phase = kPhasePending;
    const char* reason = created ? kReasonCreatingWorkers : kReasonWaitingForWorkers;
    Condition3(reason, false, reason, true, counts);
    if (FindCondition(status_.conditions, kConditionDegraded) == nullptr) {
      SetDegraded(false, kReasonAsExpected, "");
    }
  }
}

void Pass::ReadResults(const std::vector<PodView>& pods) {
  if (o_.coordinator) {
    // Before the first step the coordinator reports zeros, and its accuracy is the final test
    // accuracy only once it has succeeded.
    const CoordinatorReport& r = *o_.coordinator;
    if (r.step.value_or(0) > 0) {
      status_.step = r.step;
      if (r.epoch) status_.epoch = r.epoch;
      if (r.loss) status_.loss = r.loss;
    }
    if (r.phase == kPhaseSucceeded && r.accuracy) status_.accuracy = r.accuracy;
    if (r.last_checkpoint.value_or(0) > 0) status_.last_checkpoint = CheckpointStatus{*r.last_checkpoint};
  }
  // The coordinator's last words: its "@np result" line in the termination message.
  if (pods.empty() || !pods[0].current || pods[0].status.state != kPhaseSucceeded) return;
  std::istringstream lines(pods[0].pod->termination_message);
  for (std::string line; std::getline(lines, line);) {
    std::optional<ReportLine> r = ParseReportLine(line);
    if (!r || r->kind != "result") continue;
    if (r->fields.count("final_loss")) status_.loss = r->Number("final_loss");
    if (r->fields.count("test_accuracy")) status_.accuracy = r->Number("test_accuracy");
    // "steps" is the job's total (a resumed run starts at start_step); the last checkpoint is
    // written after the last step.
    if (r->fields.count("steps")) {
      status_.step = static_cast<int64_t>(r->Number("steps"));
      status_.last_checkpoint = CheckpointStatus{*status_.step};
    }
  }
}

ReconcileResult Pass::Finish() {
  status_.observed_generation = np_.metadata.generation;
  if (plan_) status_.plan_hash = published_.plan_hash;
  if (!(status_ == np_.status)) {
    Action a;
    a.type = Action::Type::kUpdateStatus;
    a.kind = kKind;
    a.name = np_.metadata.name;
    a.status = status_;
    a.reason = "phase " + status_.phase;
    result_.actions.push_back(std::move(a));
  }
  return std::move(result_);
}

void Pass::Create(Json object, const std::string& reason) {
  Action a;
  a.type = Action::Type::kCreate;
  a.kind = object.GetString("kind");
  a.name = object.At({"metadata", "name"})->string();
  a.object = std::move(object);
  a.reason = reason;
  result_.actions.push_back(std::move(a));
}

void Pass::Delete(const std::string& kind, const std::string& name, const std::string& reason) {
  for (const Action& a : result_.actions) {
    if (a.type == Action::Type::kDelete && a.kind == kind && a.name == name) return;
  }
  result_.actions.push_back(Action{Action::Type::kDelete, kind, name, Json(), {}, reason});
}

void Pass::DeleteLivePods(const std::string& reason, bool only_unfinished) {
  for (const ObservedPod& pod : o_.pods) {
    if (pod.deleting) continue;
    if (only_unfinished && (pod.phase == "Succeeded" || pod.phase == "Failed")) continue;
    Delete("Pod", pod.name, reason);
  }
}

void Pass::Condition3(const char* ready_reason, bool ready, const char* progressing_reason,
                      bool progressing, const std::string& message) {
  const int64_t gen = np_.metadata.generation;
  SetCondition(&status_.conditions,
               {kConditionReady, ready ? "True" : "False", ready_reason, message, gen, ""}, now_);
  SetCondition(
      &status_.conditions,
      {kConditionProgressing, progressing ? "True" : "False", progressing_reason, message, gen, ""},
      now_);
}

void Pass::SetDegraded(bool degraded, const char* reason, const std::string& message) {
  SetCondition(&status_.conditions,
               {kConditionDegraded, degraded ? "True" : "False", reason, message,
                np_.metadata.generation, ""},
               now_);
}

bool Pass::OfThisAttempt(const ObservedPod& pod) const {
  return Get(pod.labels, kLabelPlanHash) == published_.plan_hash &&
         Get(pod.annotations, kAnnotationJobHash) == published_.job_hash &&
         Get(pod.annotations, kAnnotationAttempt) == std::to_string(status_.restarts);
}

bool Pass::IsCurrent(const ObservedPod& pod) const { return !pod.deleting && OfThisAttempt(pod); }

}  // namespace

std::string_view ActionTypeName(Action::Type type) {
  switch (type) {
    case Action::Type::kCreate:
      return "create";
    case Action::Type::kDelete:
      return "delete";
    case Action::Type::kPatch:
      return "patch";
    case Action::Type::kUpdateStatus:
      return "update-status";
  }
  return "unknown";
}

ReconcileResult Reconcile(const ObservedState& observed, const ReconcileOptions& options,
                          const Clock& clock) {
  return Pass(observed, options, clock).Run();
}

}  // namespace neuropart::op
