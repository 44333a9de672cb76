// Leader election with a coordination.k8s.io/v1 Lease, as client-go's leaderelection.
//
// DecideLease is the pure rule: create the Lease if there is none; take it over if its holder is
// empty, is us, or let it expire; else wait. As in client-go, expiry is judged on this process's
// clock only: leaseDurationSeconds after the moment this process last saw the record change, never
// the holder's renewTime against the local clock (the two clocks may disagree).
// LeaderElector applies it with optimistic concurrency (PUT with the observed resourceVersion;
// a 409 means someone else won the race). A leader that cannot renew within renew_deadline stops
// leading — the caller then exits, as controller-runtime does, so two leaders never overlap for
// longer than the lease. Thread-safe: is_leader() may be read from any thread.
#ifndef NEUROPART_OPERATOR_KUBE_LEADER_ELECTION_H_
#define NEUROPART_OPERATOR_KUBE_LEADER_ELECTION_H_

#include <atomic>
#include <chrono>
#include <optional>
#include <string>

#include "neuropart/base/json.h"
#include "controller/clock.h"
#include "kube/kube_client.h"
#include "kube/log.h"

namespace neuropart::op {

struct LeaseRecord {
  std::string holder;
  int duration_seconds = 0;
  std::string acquire_time;
  std::string renew_time;
  int transitions = 0;
  std::string resource_version;
};

LeaseRecord LeaseFromJson(const Json& lease);

enum class LeaseDecision { kCreate, kAcquire, kRenew, kWait };

// `observed_at`: when this process first saw `current`'s holder and renewTime.
LeaseDecision DecideLease(const std::optional<LeaseRecord>& current, const std::string& identity,
                          TimePoint observed_at, TimePoint now);

// The Lease object to create or PUT for `identity` at `now` (keeps acquire time and counts
// transitions from `current`).
Json LeaseObject(const std::string& ns, const std::string& name, const std::string& identity,
                 int duration_seconds, const std::optional<LeaseRecord>& current, TimePoint now);

struct LeaderElectionOptions {
  std::string namespace_name;
  std::string lease_name;
  std::string identity;
  std::chrono::seconds lease_duration{15};
  std::chrono::seconds renew_deadline{10};
  std::chrono::seconds retry_period{2};
};

class LeaderElector {
 public:
  LeaderElector(KubeClient* client, LeaderElectionOptions options, const Clock* clock,
                const Logger* log)
      : client_(client), options_(std::move(options)), clock_(clock), log_(log) {}

  // One attempt to acquire or renew. OK with is_leader() telling the outcome; an error when the
  // API could not be asked.
  Status TryAcquireOrRenew();
  // Blocks until this process leads (true) or `stop` (false).
  bool Acquire(const std::atomic<bool>& stop);
  // Renews every retry_period; returns when a renewal could not succeed within renew_deadline
  // (leadership lost) or on `stop`.
  void Hold(const std::atomic<bool>& stop);

  // Gives the Lease up (empty holder) if the API server says our identity holds it, so that a
  // standby takes over at once instead of after the lease duration. Called on a clean shutdown.
  Status Release();

  bool is_leader() const { return leader_; }

 private:
  KubeClient* client_;
  const LeaderElectionOptions options_;
  const Clock* clock_;
  const Logger* log_;
  std::atomic<bool> leader_{false};
  std::optional<LeaseRecord> observed_;  // the record as last seen, and when it last changed
  TimePoint observed_at_;
};

}  // namespace neuropart::op

#endif  // NEUROPART_OPERATOR_KUBE_LEADER_ELECTION_H_
