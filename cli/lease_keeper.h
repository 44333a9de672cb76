// LeaseKeeper: keeps a held JobLease alive from a background thread while the local launcher runs,
// and releases it when destroyed.
//
// It renews every `every` (a third of the time to live leaves two more chances before the expiry).
// A renewal that finds the lease lost (it expired first, or another run took it over) ends the
// renewals and sets lost(): the launcher then stops its partitions, since another run may be
// writing the job's checkpoints. Any other failed renewal (an NFS hiccup) is reported and tried
// again at the next tick. lost() and why_lost() are thread-safe.
#ifndef NEUROPART_CLI_LEASE_KEEPER_H_
#define NEUROPART_CLI_LEASE_KEEPER_H_

#include <chrono>
#include <condition_variable>
#include <mutex>
#include <string>
#include <thread>

#include "neuropart/store/job_lease.h"

namespace neuropart::cli {

class LeaseKeeper {
 public:
  LeaseKeeper(JobLease lease, std::chrono::seconds every);
  LeaseKeeper(const LeaseKeeper&) = delete;
  LeaseKeeper& operator=(const LeaseKeeper&) = delete;
  ~LeaseKeeper();  // stops renewing, then releases the lease

  bool lost() const;
  std::string why_lost() const;  // empty while held

 private:
  void RenewUntilStopped();

  JobLease lease_;  // used by the renewing thread alone until it is joined
  const std::chrono::seconds every_;
  mutable std::mutex mu_;
  std::condition_variable wake_;
  bool stopping_ = false;
  std::string lost_;
  std::thread thread_;
};

}  // namespace neuropart::cli

#endif  // NEUROPART_CLI_LEASE_KEEPER_H_
