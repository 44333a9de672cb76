// WorkQueue: the controller's queue of object keys ("namespace/name"), as client-go's.
//
// A key is queued at most once however often it is added; a key added while a worker processes
// it is queued again when the worker calls Done, so one key is never processed by two workers at
// once. AddRateLimited delays a key by base * 2^(failures so far), capped; Forget resets its
// failure count. AddAfter delays a key (requeue to poll).
//
// What client-go's workqueue metrics report goes to an optional WorkQueueObserver (depth, adds,
// time queued, time worked, retries, unfinished work), timed on an injected QueueClock, so the
// queue is tested without Prometheus or sleeps. The observer and the clock are not owned and must
// outlive the queue. Thread-safe.
#ifndef NEUROPART_OPERATOR_KUBE_WORK_QUEUE_H_
#define NEUROPART_OPERATOR_KUBE_WORK_QUEUE_H_

#include <chrono>
#include <condition_variable>
#include <deque>
#include <map>
#include <mutex>
#include <optional>
#include <string>

namespace neuropart::op {

// Where the queue reads the time: when delayed keys are due, and how long keys wait and are worked.
class QueueClock {
 public:
  using TimePoint = std::chrono::steady_clock::time_point;
  virtual ~QueueClock() = default;
  virtual TimePoint Now() const = 0;
};

class SteadyQueueClock final : public QueueClock {
 public:
  TimePoint Now() const override { return std::chrono::steady_clock::now(); }
};

// Receives the queue's metrics, with client-go's meanings. Called with the queue's lock held:
// implementations must be quick and must not call back into the queue.
class WorkQueueObserver {
 public:
  using Seconds = std::chrono::duration<double>;
  virtual ~WorkQueueObserver() = default;
  // A key entered the queue (adding a key already queued is no add). `depth`: keys queued now.
  virtual void QueueAdded(size_t depth) = 0;
  // A worker took a key that had waited `waited` since it was added.
  virtual void QueueTaken(size_t depth, Seconds waited) = 0;
  // A worker called Done on a key it had held for `worked`.
  virtual void QueueDone(Seconds worked) = 0;
  // AddAfter was called (AddRateLimited included): client-go counts each as a retry.
  virtual void QueueRetried() = 0;
  // The keys being processed now: the sum and the longest of the times since they were taken.
  virtual void QueueUnfinishedWork(Seconds total, Seconds longest) = 0;
};

struct WorkQueueOptions {
  std::chrono::milliseconds base_delay{500};
  std::chrono::milliseconds max_delay{60000};
  WorkQueueObserver* observer = nullptr;  // nullptr: no metrics
  const QueueClock* clock = nullptr;      // nullptr: steady_clock
};

class WorkQueue {
 public:
  using Duration = std::chrono::milliseconds;
  explicit WorkQueue(WorkQueueOptions options = {});

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

  // Tells the observer how long the keys being processed have been processed so far.
  void ReportUnfinishedWork();
  // Calls ReportUnfinishedWork every `period` until ShutDown() (client-go reports every 500 ms).
  void ReportUnfinishedWorkUntilShutDown(Duration period);

 private:
  using TimePoint = QueueClock::TimePoint;
  void AddLocked(const std::string& key);
  void PromoteDueLocked(TimePoint now);
  void ReportUnfinishedWorkLocked();

  const WorkQueueOptions options_;
  const SteadyQueueClock steady_clock_;
  const QueueClock* const clock_;
  mutable std::mutex mu_;
  std::condition_variable cv_;           // a key is ready, or shut down
  std::condition_variable shutdown_cv_;  // shut down (wakes the unfinished-work reporter)
  std::deque<std::string> queue_;
  // Queued or to be queued after Done, and when it was added (its wait ends at Get).
  std::map<std::string, TimePoint> dirty_;
  std::map<std::string, TimePoint> processing_;  // and when a worker took it
  std::map<std::string, TimePoint> waiting_;     // delayed keys and when they are due
  std::map<std::string, int> failures_;
  bool shutdown_ = false;
};

}  // namespace neuropart::op

#endif  // NEUROPART_OPERATOR_KUBE_WORK_QUEUE_H_
