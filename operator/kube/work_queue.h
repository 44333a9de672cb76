// WorkQueue: the controller's queue of object keys ("namespace/name"), as client-go's.
//
// A key is queued at most once however often it is added; a key added while a worker processes
// it is queued again when the worker calls Done, so one key is never processed by two workers at
// once. AddRateLimited delays a key by base * 2^(failures so far), capped; Forget resets its
// failure count. AddAfter delays a key (requeue to poll). Thread-safe.
#ifndef NEUROPART_OPERATOR_KUBE_WORK_QUEUE_H_
#define NEUROPART_OPERATOR_KUBE_WORK_QUEUE_H_

#include <chrono>
#include <condition_variable>
#include <deque>
#include <map>
#include <mutex>
#include <optional>
#include <set>
#include <string>

namespace neuropart::op {

class WorkQueue {
 public:
  using Duration = std::chrono::milliseconds;
  explicit WorkQueue(Duration base_delay = Duration(500), Duration max_delay = Duration(60000))
      : base_delay_(base_delay), max_delay_(max_delay) {}

  void Add(const std::string& key);
  void AddAfter(const std::string& key, Duration delay);
  void AddRateLimited(const std::string& key);
  void Forget(const std::string& key);
  int NumRequeues(const std::string& key) const;
  // The delay AddRateLimited would use now for `key`.
  Duration NextDelay(const std::string& key) const;

  // Blocks until a key is ready; nullopt once ShutDown() was called. REQUIRES: Done(key) after.
  std::optional<std::string> Get();
  void Done(const std::string& key);
  void ShutDown();
  // Keys ready or waiting.
  size_t Len() const;

 private:
  using Clock = std::chrono::steady_clock;
  void AddLocked(const std::string& key);
  void PromoteDueLocked(Clock::time_point now);

  const Duration base_delay_, max_delay_;
  mutable std::mutex mu_;
  std::condition_variable cv_;
  std::deque<std::string> queue_;
  std::set<std::string> dirty_;  // queued or to be queued after Done
  std::set<std::string> processing_;
  std::map<std::string, Clock::time_point> waiting_;  // delayed keys and when they are due
  std::map<std::string, int> failures_;
  bool shutdown_ = false;
};

}  // namespace neuropart::op

#endif  // NEUROPART_OPERATOR_KUBE_WORK_QUEUE_H_
