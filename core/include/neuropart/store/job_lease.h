// JobLease: the exclusive lock of one job in a store, safe on NFS, so that two runs of a job
// never write its checkpoints and LATEST at the same time.
//
// <job dir>/LEASE holds the holder's record (owner, host, pid, expiry and a random token) as one
// line of JSON. A run takes a free lease by link(2) of a fully written claim file to LEASE: link
// fails with EEXIST when LEASE exists, on NFS too, where O_EXCL and rename do not exclude; a
// retransmitted link whose first reply was lost shows as the claim's link count of 2. The holder
// renews the expiry well before it passes by replacing LEASE with its own record; a holder that
// dies stops renewing, and once the expiry has passed another run may take the lease over. Of the
// runs that find one expired record with token T, the one whose claim links to LEASE.takeover.T
// wins; it re-reads LEASE to check it still holds T and renames its claim onto LEASE. A taker that
// finds LEASE.takeover.T held by an expired record (its winner died mid-takeover) competes for the
// marker of that record's token in turn.
//
// Expiries are wall-clock times compared across hosts, whose clocks must agree to well within
// the time to live (NTP). Time is read through LeaseClock so tests control it. A JobLease is
// movable and not thread-safe: one thread at a time. Its destructor releases it, best effort.
#ifndef NEUROPART_STORE_JOB_LEASE_H_
#define NEUROPART_STORE_JOB_LEASE_H_

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>

#include "neuropart/status.h"

namespace neuropart {

using WallTime = std::chrono::system_clock::time_point;

class LeaseClock {
 public:
  virtual ~LeaseClock() = default;
  virtual WallTime Now() const = 0;
};

// The system's wall clock. Stateless; thread-safe.
class SystemLeaseClock final : public LeaseClock {
 public:
  WallTime Now() const override { return std::chrono::system_clock::now(); }
};

// Who holds a lease, as another run's message names them.
struct LeaseHolder {
  std::string owner;  // the user name
  std::string host;
  int64_t pid = 0;
};

// This process: its user's name, the host name and its pid.
LeaseHolder ThisProcess();

struct LeaseRecord {
  LeaseHolder holder;
  int64_t expires = 0;  // seconds since the Unix epoch
  std::string token;    // random, one per taking, so a holder knows its own record
};

// "owner alice, host h1, pid 42, until 2024-05-01T12:00:30Z"
std::string DescribeLease(const LeaseRecord& record);

class JobLease {
 public:
  // Takes <job_dir>/LEASE for `me` until clock.Now() + ttl, taking over an expired one.
  // InvalidArgument naming the holder and its expiry when another run holds it; Corruption
  // naming the file when LEASE is not a lease record. REQUIRES: job_dir exists; `clock`
  // outlives the lease.
  static StatusOr<JobLease> Acquire(const std::string& job_dir, const LeaseHolder& me,
                                    std::chrono::seconds ttl, const LeaseClock& clock);

  JobLease(JobLease&& other) noexcept;
  JobLease& operator=(JobLease&&) = delete;
  ~JobLease();

  // Moves the expiry to now + ttl. Unavailable when the lease is no longer this holder's: its
  // expiry passed first, or LEASE names another holder.
  Status Renew();
  // Removes LEASE if it still holds this holder's unexpired record. Later calls do nothing.
  Status Release();

  const LeaseRecord& record() const { return record_; }
  const std::string& path() const { return path_; }
  // The expired record this lease replaced, if it took one over.
  const std::optional<LeaseRecord>& taken_over() const { return taken_over_; }

 private:
  JobLease(std::string path, LeaseRecord record, std::chrono::seconds ttl, const LeaseClock* clock);

  Status Take(const std::string& claim);
  StatusOr<bool> TakeOver(const std::string& claim, const LeaseRecord& stale);
  Status HeldBy(const LeaseRecord& holder) const;
  bool Expired(const LeaseRecord& r) const;
  int64_t NowSeconds() const;

  std::string path_;
  LeaseRecord record_;
  std::chrono::seconds ttl_;
  const LeaseClock* clock_;
  std::optional<LeaseRecord> taken_over_;
  bool held_ = false;
};

}  // namespace neuropart

#endif  // NEUROPART_STORE_JOB_LEASE_H_
