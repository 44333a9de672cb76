#include "kube/leader_election.h"

#include <thread>

namespace neuropart::op {
namespace {

void SleepUnlessStopped(std::chrono::milliseconds d, const std::atomic<bool>& stop) {
  for (auto slept = std::chrono::milliseconds(0); slept < d && !stop;
       slept += std::chrono::milliseconds(50)) {
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
}

}  // namespace

LeaseRecord LeaseFromJson(const Json& lease) {
  LeaseRecord r;
  if (const Json* spec = FindMember(lease, "spec")) {
    r.holder = GetString(*spec, "holderIdentity");
    r.duration_seconds = static_cast<int>(GetInt(*spec, "leaseDurationSeconds"));
    r.acquire_time = GetString(*spec, "acquireTime");
    r.renew_time = GetString(*spec, "renewTime");
    r.transitions = static_cast<int>(GetInt(*spec, "leaseTransitions"));
  }
  if (const Json* rv = AtPath(lease, {"metadata", "resourceVersion"})) {
    r.resource_version = AsString(*rv);
  }
  return r;
}

LeaseDecision DecideLease(const std::optional<LeaseRecord>& current, const std::string& identity,
                          TimePoint observed_at, TimePoint now) {
  if (!current) return LeaseDecision::kCreate;
  if (current->holder == identity) return LeaseDecision::kRenew;
  if (current->holder.empty()) return LeaseDecision::kAcquire;
  if (observed_at + std::chrono::seconds(current->duration_seconds) < now) {
    return LeaseDecision::kAcquire;
  }
  return LeaseDecision::kWait;
}

Json LeaseObject(const std::string& ns, const std::string& name, const std::string& identity,
                 int duration_seconds, const std::optional<LeaseRecord>& current, TimePoint now) {
  const bool same_holder = current && current->holder == identity;
  Json meta = Json::object({{"name", name}, {"namespace", ns}});
  if (current) meta["resourceVersion"] = current->resource_version;
  const std::string t = FormatMicroTime(now);
  return Json::object(
      {{"apiVersion", "coordination.k8s.io/v1"},
       {"kind", "Lease"},
       {"metadata", std::move(meta)},
       {"spec", Json::object({{"holderIdentity", identity},
                              {"leaseDurationSeconds", duration_seconds},
                              {"acquireTime", same_holder ? current->acquire_time : t},
                              {"renewTime", t},
                              {"leaseTransitions",
                               current ? current->transitions + (same_holder ? 0 : 1) : 0}})}});
}

Status LeaderElector::TryAcquireOrRenew() {
  ASSIGN_OR_RETURN(ApiResult got,
                   client_->Get("Lease", options_.namespace_name, options_.lease_name));
  std::optional<LeaseRecord> current;
  if (got.ok()) {
    current = LeaseFromJson(got.body);
  } else if (got.status != 404) {
    return UnavailableError("get lease: " + got.Describe());
  }
  const TimePoint now = clock_->Now();
  // The holder's clock may differ from ours: expiry counts from when we saw the record change.
  if (current && (!observed_ || observed_->renew_time != current->renew_time ||
                  observed_->holder != current->holder)) {
    observed_ = current;
    observed_at_ = now;
  }
  const LeaseDecision decision = DecideLease(current, options_.identity, observed_at_, now);
  if (decision == LeaseDecision::kWait) {
    if (leader_) log_->Info("Lost the lease", {{"holder", current->holder}});
    leader_ = false;
    return Status::Ok();
  }
  const Json lease = LeaseObject(options_.namespace_name, options_.lease_name, options_.identity,
                                 static_cast<int>(options_.lease_duration.count()), current, now);
  StatusOr<ApiResult> put =
      decision == LeaseDecision::kCreate
          ? client_->Create("Lease", options_.namespace_name, lease)
          : client_->Replace("Lease", options_.namespace_name, options_.lease_name, lease);
  if (!put.ok()) return put.status();
  if (put->status == 409) {  // another candidate was faster
    leader_ = false;
    return Status::Ok();
  }
  if (!put->ok()) return UnavailableError("write lease: " + put->Describe());
  if (!leader_) {
    log_->Info("Acquired the lease",
               {{"lease", options_.namespace_name + "/" + options_.lease_name},
                {"identity", options_.identity}});
  }
  leader_ = true;
  return Status::Ok();
}

Status LeaderElector::Release() {
  leader_ = false;
  ASSIGN_OR_RETURN(ApiResult got,
                   client_->Get("Lease", options_.namespace_name, options_.lease_name));
  if (!got.ok()) return UnavailableError("get lease: " + got.Describe());
  LeaseRecord current = LeaseFromJson(got.body);
  if (current.holder != options_.identity) return Status::Ok();
  Json lease = got.body;
  lease["spec"]["holderIdentity"] = "";
  lease["spec"]["leaseDurationSeconds"] = 1;
  lease["spec"]["renewTime"] = FormatMicroTime(clock_->Now());
  ASSIGN_OR_RETURN(ApiResult put,
                   client_->Replace("Lease", options_.namespace_name, options_.lease_name, lease));
  if (!put.ok()) return UnavailableError("release lease: " + put.Describe());
  log_->Info("Released the lease",
             {{"lease", options_.namespace_name + "/" + options_.lease_name}});
  return Status::Ok();
}

bool LeaderElector::Acquire(const std::atomic<bool>& stop) {
  log_->Info("Waiting for the lease",
             {{"lease", options_.namespace_name + "/" + options_.lease_name},
              {"identity", options_.identity}});
  while (!stop) {
    Status s = TryAcquireOrRenew();
    if (!s.ok()) log_->Error("Failed to acquire the lease", {{"error", s.message()}});
    if (leader_) return true;
    SleepUnlessStopped(options_.retry_period, stop);
  }
  return false;
}

void LeaderElector::Hold(const std::atomic<bool>& stop) {
  auto last_renewal = std::chrono::steady_clock::now();
  while (!stop) {
    SleepUnlessStopped(options_.retry_period, stop);
    if (stop) break;
    Status s = TryAcquireOrRenew();
    if (s.ok() && leader_) {
      last_renewal = std::chrono::steady_clock::now();
      continue;
    }
    if (s.ok() && !leader_) return;  // someone else holds it now
    log_->Error("Failed to renew the lease", {{"error", s.message()}});
    if (std::chrono::steady_clock::now() - last_renewal > options_.renew_deadline) {
      leader_ = false;
      return;
    }
  }
}

}  // namespace neuropart::op
