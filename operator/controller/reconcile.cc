#include "controller/reconcile.h"

#include <algorithm>
#include <cstdio>
#include <sstream>

#include "neuropart/lifecycle/reasons.h"
#include "controller/drift.h"
#include "controller/naming.h"
#include "neuropart/lifecycle/exit_codes.h"
#include "neuropart/lifecycle/report_line.h"
#include "neuropart/lifecycle/gang_lifecycle.h"

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
        clock_now_(clock.Now()),
        now_(FormatTime(clock_now_)) {}

  ReconcileResult Run();

 private:
  struct PodView {                     // one partition's pod, classified
    const ObservedPod* pod = nullptr;  // any pod of that name, even a stale or deleting one
    bool current = false;              // of this object, plan, job and attempt, and not deleting
    PartitionObservation observed;     // in the lifecycle's words
  };

  ReconcileResult FailSpec(const char* reason, const std::string& message);
  void FailGang(const std::string& reason, const std::string& message);
  ReconcileResult KeepTerminal();
  void PublishObjects(const ObservedObject* config_map);
  // Creates the keys Secret, or deletes one made for another partition count; sets keys_ready_.
  void EnsureKeys();
  // Creates `desired` when missing, or patches what drifted from it.
  void Ensure(const ObservedObject* observed, Json desired, const std::string& reason);
  ReconcileResult RestartForSpecChange(const char* reason);
  std::vector<PodView> ClassifyPods();
  PodView Classify(int q);
  GangObservation Observe(const std::vector<PodView>& pods) const;
  ReconcileResult Act(const GangDecision& d, const std::vector<PodView>& pods);
  ReconcileResult Suspend(const GangDecision& d);
  ReconcileResult Restart(const GangDecision& d);
  // Creates the pods a running gang lacks; false while a restart's delay or old pods hold it.
  bool CreateMissingPods(const std::vector<PodView>& pods);
  void SetPhaseAndConditions(const GangDecision& d, bool created);
  void ReadResults(const std::vector<PodView>& pods);
  void RecordPartitions(const std::vector<PodView>& pods);
  ReconcileResult Finish();

  void Create(Json object, const std::string& reason);
  void Delete(const std::string& kind, const std::string& name, const std::string& reason);
  void DeleteLivePods(const std::string& reason, bool only_unfinished);
  // A Kubernetes Event on the NeuralPartition (Normal or Warning).
  void Event(const char* type, const std::string& reason, const std::string& message);
  void Condition3(const std::string& ready_reason, bool ready,
                  const std::string& progressing_reason, bool progressing,
                  const std::string& message);
  void SetDegraded(bool degraded, const std::string& reason, const std::string& message);
  void SetTerminal(const char* type, const std::string& reason, const std::string& message);
  void ClearTerminal();
  // Ours: controlled by this very object (not a deleted namesake's) and of the current plan,
  // job and gang attempt (deleting or not).
  bool OfThisAttempt(const ObservedPod& pod) const;
  // OfThisAttempt and not being deleted.
  bool IsCurrent(const ObservedPod& pod) const;
  bool Owned(const ObservedPod& pod) const;
  // The gang attempt: every restart, counted or not, starts a new one.
  int Attempt() const { return status_.restarts + status_.disruptions; }

  const ObservedState& o_;
  const ReconcileOptions& opt_;
  const NeuralPartition& np_;
  NeuralPartitionStatus status_;
  const TimePoint clock_now_;
  const std::string now_;
  ReconcileResult result_;
  std::optional<ParsedJob> job_;
  std::optional<Plan> plan_;
  PublishedPlan published_;
  int events_ = 0;
  bool keys_ready_ = false;  // the keys Secret for this partition count exists or is being made
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
                          JsonEquals(cm->data, *FindMember(published_.config_map, "data"));
  const Condition* ready = FindCondition(status_.conditions, kConditionReady);
  const bool spec_failure = ready != nullptr && (ready->reason == std::string(kReasonInvalidSpec) ||
                                                 ready->reason == std::string(kReasonPlanFailed));
  if (IsTerminal(status_.phase) && cm_current && !spec_failure) return KeepTerminal();

  PublishObjects(cm);
  const bool replanned = !status_.plan_hash.empty() && status_.plan_hash != published_.plan_hash;
  const bool job_changed = cm != nullptr && !cm_current;
  if (replanned) return RestartForSpecChange(kReasonReplanned);
  if (job_changed || (spec_failure && IsTerminal(status_.phase))) {
    return RestartForSpecChange(kReasonSpecChanged);
  }
  std::vector<PodView> pods = ClassifyPods();
  return Act(DecideGang(Observe(pods)), pods);
}

GangObservation Pass::Observe(const std::vector<PodView>& pods) const {
  GangObservation g;
  for (const PodView& v : pods) g.partitions.push_back(v.observed);
  g.serve = job_->spec.mode == JobMode::kServe;
  g.suspended = job_->spec.suspend;
  g.restarts = status_.restarts;
  g.backoff_limit = job_->spec.backoff_limit;
  g.backoff = opt_.backoff;
  g.pending_deadline = std::chrono::seconds(job_->spec.pending_deadline_seconds);
  // The oldest Pending pod of this attempt has waited since it was created, or since it was
  // scheduled when a queue (Kueue's scheduling gate) held it back until admission.
  for (const PodView& v : pods) {
    if (!v.current || v.observed.state != PartitionState::kPending || v.pod->gated) continue;
    StatusOr<TimePoint> since = ParseTime(v.pod->created);
    if (!since.ok()) continue;
    if (StatusOr<TimePoint> scheduled = ParseTime(v.pod->scheduled_at); scheduled.ok()) {
      since = std::max(*since, *scheduled);
    }
    g.pending_for = std::max(
        g.pending_for, std::chrono::duration_cast<std::chrono::seconds>(clock_now_ - *since));
  }
  return g;
}

ReconcileResult Pass::Act(const GangDecision& d, const std::vector<PodView>& pods) {
  using A = GangDecision::Action;
  switch (d.action) {
    case A::kSuspend:
      return Suspend(d);
    case A::kRestart:
      RecordPartitions(pods);
      return Restart(d);
    case A::kFail:
      RecordPartitions(pods);
      FailGang(d.reason, d.message);
      status_.ready_partitions = 0;
      status_.ready = "0/" + std::to_string(published_.partitions);
      return Finish();
    case A::kSucceed:
    case A::kContinue:
      break;
  }
  if (status_.phase == kPhaseSuspended) {
    SetCondition(&status_.conditions,
                 {kConditionSuspended, "False", kReasonResumed, "spec.suspend turned false",
                  np_.metadata.generation, ""},
                 now_);
    Event("Normal", kReasonResumed, "spec.suspend turned false; starting every partition");
  }
  const bool created = CreateMissingPods(pods);
  if (created && status_.start_time.empty()) status_.start_time = now_;
  RecordPartitions(pods);
  ReadResults(pods);
  SetPhaseAndConditions(d, created);
  if (!IsTerminal(status_.phase) && !result_.requeue_after) {
    result_.requeue_after = opt_.poll_interval;
  }
  return Finish();
}

bool Pass::CreateMissingPods(const std::vector<PodView>& pods) {
  if (!status_.next_attempt_time.empty()) {
    StatusOr<TimePoint> next = ParseTime(status_.next_attempt_time);
    if (next.ok() && *next > clock_now_) {
      result_.requeue_after = std::max(
          std::chrono::seconds(1),
          std::chrono::ceil<std::chrono::seconds>(*next - clock_now_));
      return false;
    }
    status_.next_attempt_time.clear();
  }
  // Every pod mounts the keys Secret of its partition count.
  if (!keys_ready_) return false;
  // A gang starts together: no new pod while any pod of an earlier attempt, plan or namesake
  // still terminates (it could still answer on a peer's address, and holds the pod's name).
  for (const ObservedPod& pod : o_.pods) {
    if (!IsCurrent(pod)) return false;
  }
  bool created = false;
  for (const PodView& v : pods) {
    if (v.pod != nullptr || v.observed.state == PartitionState::kSucceeded) continue;
    Create(WorkerPod(np_, *job_, published_, v.observed.index, Attempt(), opt_.worker),
           "partition " + std::to_string(v.observed.index));
    created = true;
  }
  if (created && pods.size() == static_cast<size_t>(published_.partitions)) {
    bool all_new = true;
    for (const PodView& v : pods) all_new &= v.pod == nullptr;
    if (all_new) {
      Event("Normal", kReasonCreatingWorkers,
            "started gang attempt " + std::to_string(Attempt()) +
                ": " + std::to_string(published_.partitions) + " worker pods, plan " +
                published_.plan_hash);
    }
  }
  return created;
}

ReconcileResult Pass::FailSpec(const char* reason, const std::string& message) {
  DeleteLivePods("the spec is invalid", /*only_unfinished=*/false);
  if (status_.phase != kPhaseFailed ||
      FindCondition(status_.conditions, kConditionFailed) == nullptr) {
    Event("Warning", reason, message);
  }
  status_.phase = kPhaseFailed;
  status_.partitions.clear();
  status_.ready_partitions = 0;
  status_.ready.clear();
  if (status_.completion_time.empty()) status_.completion_time = now_;
  Condition3(reason, false, reason, false, message);
  SetDegraded(true, reason, message);
  SetTerminal(kConditionFailed, reason, message);
  return Finish();
}

ReconcileResult Pass::KeepTerminal() {
  if (status_.phase == kPhaseFailed) DeleteLivePods("the job failed", /*only_unfinished=*/true);
  return Finish();
}

ReconcileResult Pass::Suspend(const GangDecision& d) {
  DeleteLivePods("suspended", /*only_unfinished=*/false);
  if (status_.phase != kPhaseSuspended) Event("Normal", d.reason, d.message);
  status_.phase = kPhaseSuspended;
  status_.next_attempt_time.clear();
  status_.partitions.clear();
  status_.ready_partitions = 0;
  status_.ready = "0/" + std::to_string(published_.partitions);
  Condition3(d.reason, false, d.reason, false, d.message);
  SetDegraded(false, kReasonAsExpected, "");
  SetCondition(&status_.conditions,
               {kConditionSuspended, "True", d.reason, d.message, np_.metadata.generation, ""},
               now_);
  return Finish();
}

void Pass::PublishObjects(const ObservedObject* cm) {
  const std::string& job = np_.metadata.name;
  const bool serve = job_->spec.mode == JobMode::kServe;
  Ensure(cm, published_.config_map, "publish plan " + published_.plan_hash);
  EnsureKeys();
  Ensure(FindObject(o_.services, WorkersServiceName(job)), WorkersService(np_, opt_.worker),
         "worker DNS");
  Ensure(FindObject(o_.network_policies, NetworkPolicyName(job)),
         WorkersNetworkPolicy(np_, opt_.worker), "isolate the worker port");
  const ObservedObject* serve_service = FindObject(o_.services, ServeServiceName(job));
  const ObservedObject* serve_policy = FindObject(o_.network_policies, ServeNetworkPolicyName(job));
  if (serve) {
    Ensure(serve_service, ServeService(np_, opt_.worker), "serve mode");
    Ensure(serve_policy, ServeNetworkPolicy(np_, opt_.worker), "admit serve clients");
    return;
  }
  if (serve_service != nullptr && !serve_service->deleting) {
    Delete("Service", serve_service->name, "not in serve mode");
  }
  if (serve_policy != nullptr && !serve_policy->deleting) {
    Delete("NetworkPolicy", serve_policy->name, "not in serve mode");
  }
}

void Pass::EnsureKeys() {
  const ObservedObject* secret = FindObject(o_.secrets, KeysSecretName(np_.metadata.name));
  const std::string partitions = std::to_string(published_.partitions);
  if (secret != nullptr) {
    if (secret->deleting) return;  // made again once it is gone
    const std::string made_for = Get(secret->annotations, kAnnotationPartitions);
    if (made_for == partitions) {
      keys_ready_ = true;
      return;
    }
    Delete("Secret", secret->name,
           "keys for " + made_for + " partitions; the plan has " + partitions);
    return;
  }
  if (!opt_.make_keys) return;
  StatusOr<std::map<std::string, std::string>> files = opt_.make_keys(published_.partitions);
  if (!files.ok()) {
    Event("Warning", kReasonKeysFailed, "cannot make the job's keys: " + files.status().message());
    return;
  }
  Create(KeysSecret(np_, published_.partitions, *files), "keys for " + partitions + " partitions");
  keys_ready_ = true;  // created before the pods, in this same pass
}

void Pass::Ensure(const ObservedObject* observed, Json desired, const std::string& reason) {
  if (observed == nullptr) {
    Create(std::move(desired), reason);
    return;
  }
  if (observed->deleting) return;  // created again once it is gone
  std::optional<Json> patch = DriftPatch(*observed, desired);
  if (!patch) return;
  result_.actions.push_back(Action{Action::Type::kPatch, GetString(desired, "kind"), observed->name,
                                   std::move(*patch), {}, "repair drift: " + reason});
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
    status_.disruptions = 0;
    status_.completion_time.clear();
    ClearTerminal();
  }
  status_.next_attempt_time.clear();
  Event("Normal", reason, message);
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
  std::vector<PodView> views;
  for (int q = 0; q < published_.partitions; ++q) views.push_back(Classify(q));
  // Pods of partitions the plan no longer has.
  for (const ObservedPod& pod : o_.pods) {
    const int q = std::atoi(Get(pod.labels, kLabelPartition).c_str());
    if (!pod.deleting && Owned(pod) &&
        (q >= published_.partitions || pod.name != PodName(np_.metadata.name, q))) {
      Delete("Pod", pod.name, "not a partition of the current plan");
    }
  }
  return views;
}

// One partition's pod in the lifecycle's words: exit codes and pod conditions become states and
// failure kinds.
Pass::PodView Pass::Classify(int q) {
  PodView v;
  PartitionObservation& p = v.observed;
  p.index = q;
  const std::string name = PodName(np_.metadata.name, q);
  const PartitionStatus* before = nullptr;
  for (const PartitionStatus& s : status_.partitions) {
    if (s.index == q) before = &s;
  }
  const bool was_running =
      before != nullptr && (before->state == PartitionStateName(PartitionState::kRunning) ||
                            before->state == PartitionStateName(PartitionState::kReady));
  v.pod = FindPod(o_.pods, name);
  v.current = v.pod != nullptr && IsCurrent(*v.pod);
  if (v.current) {
    const ObservedPod& pod = *v.pod;
    if (pod.phase == kPodFailed) {
      p.state = PartitionState::kFailed;
      p.message = "pod " + pod.name + " failed" + (pod.message.empty() ? "" : ": " + pod.message);
      p.reason = pod.terminated_reason == "OOMKilled" ? "OOMKilled" : "";
      if (!pod.disruption_reason.empty() || pod.exit_code == kExitStopped ||
          pod.exit_code == kExitInterrupted) {
        p.failure = FailureKind::kDisrupted;
        if (!pod.disruption_reason.empty()) p.message += " (" + pod.disruption_reason + ")";
      } else {
        if (pod.exit_code == kExitBadInput) p.failure = FailureKind::kRefusedInput;
        // A worker that exits on an error prints it last (worker/main.cc), and the kubelet keeps
        // the log's tail (FallbackToLogsOnError). A killed worker's tail is not its reason.
        const std::string last = LastLine(pod.termination_message);
        if ((pod.exit_code == kExitBadInput || pod.exit_code == kExitFailure) && !last.empty()) {
          p.message += ": " + last;
        }
      }
    } else if (pod.phase == kPodSucceeded) {
      p.state = PartitionState::kSucceeded;
    } else if (pod.phase == kPodRunning) {
      p.state = pod.ready ? PartitionState::kReady : PartitionState::kRunning;
    } else {
      p.reason = pod.stuck_reason;
      if (!p.reason.empty()) p.message = "pod " + pod.name + ": " + pod.stuck_message;
    }
  } else if (v.pod != nullptr && v.pod->deleting && OfThisAttempt(*v.pod)) {
    // Someone else deletes a pod of the running gang: it is lost like a failed one, unless the
    // cluster says it disrupted it (eviction, preemption, drain).
    p.state = PartitionState::kFailed;
    p.message = "pod " + v.pod->name + " was deleted";
    if (!v.pod->disruption_reason.empty()) {
      p.failure = FailureKind::kDisrupted;
      p.message += " (" + v.pod->disruption_reason + ")";
    }
  } else if (v.pod != nullptr) {
    if (!v.pod->deleting && Owned(*v.pod)) {
      Delete("Pod", v.pod->name, "from an earlier attempt or plan");
    }
  } else if (was_running) {
    p.state = PartitionState::kFailed;
    p.message = "pod " + name + " disappeared while running";
  } else if (before != nullptr && before->state == kPhaseSucceeded) {
    p.state = PartitionState::kSucceeded;
  }
  return v;
}

void Pass::RecordPartitions(const std::vector<PodView>& pods) {
  status_.partitions.clear();
  for (const PodView& v : pods) {
    PartitionStatus s;
    s.index = v.observed.index;
    s.pod = PodName(np_.metadata.name, s.index);
    for (int l = 0; l < plan_->num_layers(); ++l) s.neurons += plan_->OwnedCount(s.index, l);
    s.state = std::string(PartitionStateName(v.observed.state));
    s.message = v.observed.message;
    if (!v.observed.reason.empty() && v.observed.state == PartitionState::kPending) {
      s.message = v.observed.reason + ": " + s.message;
    }
    status_.partitions.push_back(std::move(s));
  }
}

// The job ends Failed; the failed pods stay for their logs, the others are stopped.
void Pass::FailGang(const std::string& reason, const std::string& message) {
  DeleteLivePods("the job failed", /*only_unfinished=*/true);
  if (status_.phase != kPhaseFailed) Event("Warning", reason, message);
  status_.phase = kPhaseFailed;
  status_.next_attempt_time.clear();
  if (status_.completion_time.empty()) status_.completion_time = now_;
  Condition3(reason, false, reason, false, message);
  SetDegraded(true, reason, message);
  SetTerminal(kConditionFailed, reason, message);
}

ReconcileResult Pass::Restart(const GangDecision& d) {
  DeleteLivePods("gang restart", /*only_unfinished=*/false);
  if (d.counted) {
    status_.restarts += 1;
  } else {
    status_.disruptions += 1;
  }
  status_.next_attempt_time = d.delay.count() > 0 ? FormatTime(clock_now_ + d.delay) : "";
  status_.phase = kPhasePending;
  for (PartitionStatus& p : status_.partitions) {
    p.state = kPhasePending;
    p.message.clear();
  }
  Condition3(d.reason, false, d.reason, true, d.message);
  SetDegraded(true, d.reason, d.message);
  Event("Warning", d.reason, d.message);
  status_.ready_partitions = 0;
  status_.ready = "0/" + std::to_string(published_.partitions);
  result_.requeue_after = std::max(std::chrono::seconds(1), d.delay);
  return Finish();
}

void Pass::SetPhaseAndConditions(const GangDecision& d, bool created) {
  const int total = published_.partitions;
  status_.ready_partitions = d.ready;
  status_.ready = std::to_string(d.ready) + "/" + std::to_string(total);
  const bool serve = job_->spec.mode == JobMode::kServe;
  if (d.phase == GangPhase::kSucceeded) {
    if (status_.phase != kPhaseSucceeded) Event("Normal", d.reason, d.message);
    status_.phase = kPhaseSucceeded;
    if (status_.completion_time.empty()) status_.completion_time = now_;
    Condition3(d.reason, false, d.reason, false, d.message);
    SetDegraded(false, kReasonAsExpected, "");
    SetTerminal(kConditionComplete, d.reason, d.message);
  } else if (d.phase == GangPhase::kRunning) {
    if (status_.phase != kPhaseRunning) {
      Event("Normal", kReasonWorkersRunning,
            "all " + std::to_string(total) + " partitions are running");
    }
    status_.phase = kPhaseRunning;
    const bool all_ready = d.ready == d.running;
    const char* progress = serve          ? kReasonWorkersReady
                           : status_.step ? kReasonTraining
                                          : kReasonWorkersRunning;
    Condition3(d.reason, all_ready, progress, !(serve && all_ready), d.message);
    SetDegraded(false, kReasonAsExpected, "");
  } else {
    status_.phase = kPhasePending;
    const std::string reason = created ? kReasonCreatingWorkers : d.reason;
    Condition3(reason, false, reason, true, d.message);
    if (d.reason != kReasonWaitingForWorkers) {
      SetDegraded(true, d.reason, d.message);  // a pod's own reason: ImagePullBackOff, ...
    } else if (FindCondition(status_.conditions, kConditionDegraded) == nullptr) {
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
    if (r.phase == JobPhase::kSucceeded && r.accuracy) status_.accuracy = r.accuracy;
    if (r.last_checkpoint.value_or(0) > 0) {
      status_.last_checkpoint = CheckpointStatus{*r.last_checkpoint, "", ""};
    }
  }
  // The coordinator's last words: its "@np result" line in the termination message.
  if (pods.empty() || !pods[0].current ||
      pods[0].observed.state != PartitionState::kSucceeded) {
    return;
  }
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
      status_.last_checkpoint = CheckpointStatus{*status_.step, "", ""};
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
  a.kind = GetString(object, "kind");
  a.name = AsString(*AtPath(object, {"metadata", "name"}));
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
    if (only_unfinished && (pod.phase == kPodSucceeded || pod.phase == kPodFailed)) continue;
    Delete("Pod", pod.name, reason);
  }
}

void Pass::Condition3(const std::string& ready_reason, bool ready,
                      const std::string& progressing_reason, bool progressing,
                      const std::string& message) {
  const int64_t gen = np_.metadata.generation;
  SetCondition(&status_.conditions,
               {kConditionReady, ready ? "True" : "False", ready_reason, message, gen, ""}, now_);
  SetCondition(
      &status_.conditions,
      {kConditionProgressing, progressing ? "True" : "False", progressing_reason, message, gen, ""},
      now_);
}

void Pass::SetDegraded(bool degraded, const std::string& reason, const std::string& message) {
  SetCondition(&status_.conditions,
               {kConditionDegraded, degraded ? "True" : "False", reason, message,
                np_.metadata.generation, ""},
               now_);
}

void Pass::SetTerminal(const char* type, const std::string& reason, const std::string& message) {
  SetCondition(&status_.conditions,
               {type, "True", reason, message, np_.metadata.generation, ""}, now_);
}

void Pass::ClearTerminal() {
  std::erase_if(status_.conditions, [](const Condition& c) {
    return c.type == kConditionComplete || c.type == kConditionFailed;
  });
}

void Pass::Event(const char* type, const std::string& reason, const std::string& message) {
  const int64_t nanos = std::chrono::duration_cast<std::chrono::nanoseconds>(
                            clock_now_.time_since_epoch()).count();
  char suffix[32];
  std::snprintf(suffix, sizeof(suffix), ".%llx%02x", static_cast<unsigned long long>(nanos),
                events_++);
  Action a;
  a.type = Action::Type::kEvent;
  a.kind = "Event";
  a.name = np_.metadata.name + suffix;
  a.reason = reason;
  a.object = Json::object(
      {{"apiVersion", "v1"},
       {"kind", "Event"},
       {"metadata", Json::object({{"name", a.name}, {"namespace", np_.metadata.namespace_name}})},
       {"involvedObject", Json::object({{"apiVersion", kApiVersion},
                                        {"kind", kKind},
                                        {"name", np_.metadata.name},
                                        {"namespace", np_.metadata.namespace_name},
                                        {"uid", np_.metadata.uid}})},
       {"type", type},
       {"reason", reason},
       {"message", TruncateMessage(message)},
       {"firstTimestamp", now_},
       {"lastTimestamp", now_},
       {"count", 1},
       {"source", Json::object({{"component", "neuropart-operator"}})},
       {"reportingComponent", "neuropart.io/operator"},
       {"reportingInstance", "neuropart-operator"}});
  result_.actions.push_back(std::move(a));
}

bool Pass::Owned(const ObservedPod& pod) const {
  // Labels select a namesake's pods too (an object deleted and recreated under the same name):
  // only the controller reference tells them apart.
  return pod.owner_uid == np_.metadata.uid;
}

bool Pass::OfThisAttempt(const ObservedPod& pod) const {
  return Owned(pod) && Get(pod.labels, kLabelPlanHash) == published_.plan_hash &&
         Get(pod.annotations, kAnnotationJobHash) == published_.job_hash &&
         Get(pod.annotations, kAnnotationAttempt) == std::to_string(Attempt());
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
    case Action::Type::kEvent:
      return "event";
  }
  return "unknown";
}

ReconcileResult Reconcile(const ObservedState& observed, const ReconcileOptions& options,
                          const Clock& clock) {
  return Pass(observed, options, clock).Run();
}

}  // namespace neuropart::op
