#include "lease_keeper.h"

#include <cstdio>

namespace neuropart::cli {

LeaseKeeper::LeaseKeeper(JobLease lease, std::chrono::seconds every)
    : lease_(std::move(lease)), every_(every), thread_([this] { RenewUntilStopped(); }) {}

LeaseKeeper::~LeaseKeeper() {
  {
    std::lock_guard lock(mu_);
    stopping_ = true;
  }
  wake_.notify_all();
  thread_.join();
  if (Status s = lease_.Release(); !s.ok()) {
    std::fprintf(stderr, "Warning: could not release %s: %s\n", lease_.path().c_str(),
                 s.message().c_str());
  }
}

bool LeaseKeeper::lost() const {
  std::lock_guard lock(mu_);
  return !lost_.empty();
}

std::string LeaseKeeper::why_lost() const {
  std::lock_guard lock(mu_);
  return lost_;
}

void LeaseKeeper::RenewUntilStopped() {
  std::unique_lock lock(mu_);
  while (!wake_.wait_for(lock, every_, [this] { return stopping_; })) {
    lock.unlock();
    const Status s = lease_.Renew();
    lock.lock();
    if (s.code() == StatusCode::kUnavailable) {
      lost_ = s.message();
      return;
    }
    if (!s.ok()) std::fprintf(stderr, "Warning: could not renew the job's lease: %s\n",
                              s.message().c_str());
  }
}

}  // namespace neuropart::cli
