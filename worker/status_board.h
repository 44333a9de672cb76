// StatusBoard: the coordinator's view of the job (a JobStatus), as GET /status reports it.
//
// The coordinator's training loop writes the board (Set or Update) after each step and on every
// phase change; the status server's threads read copies (Get). The board owns its snapshot.
// Thread-safe.
#ifndef NEUROPART_WORKER_STATUS_BOARD_H_
#define NEUROPART_WORKER_STATUS_BOARD_H_

#include <cstdint>
#include <functional>
#include <mutex>
#include <string>
#include <vector>

#include "neuropart/lifecycle/job_status.h"

namespace neuropart::worker {

class StatusBoard {
 public:
  void Set(JobStatus status) {
    std::lock_guard<std::mutex> lock(mu_);
    status_ = std::move(status);
  }
  // Runs `edit` on the snapshot under the board's lock; keep it short.
  void Update(const std::function<void(JobStatus&)>& edit) {
    std::lock_guard<std::mutex> lock(mu_);
    edit(status_);
  }
  JobStatus Get() const {
    std::lock_guard<std::mutex> lock(mu_);
    return status_;
  }

 private:
  mutable std::mutex mu_;
  JobStatus status_;
};

}  // namespace neuropart::worker

#endif  // NEUROPART_WORKER_STATUS_BOARD_H_
