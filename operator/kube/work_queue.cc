#include "kube/work_queue.h"

#include <algorithm>

namespace neuropart::op {

WorkQueue::WorkQueue(WorkQueueOptions options)
    : options_(options), clock_(options.clock != nullptr ? options.clock : &steady_clock_) {}

void WorkQueue::AddLocked(const std::string& key) {
  if (shutdown_ || dirty_.count(key)) return;
  dirty_[key] = clock_->Now();
  waiting_.erase(key);
  if (options_.observer != nullptr) options_.observer->QueueAdded(dirty_.size());
  if (processing_.count(key)) return;
  queue_.push_back(key);
  cv_.notify_one();
}

void WorkQueue::Add(const std::string& key) {
  std::lock_guard<std::mutex> lock(mu_);
  AddLocked(key);
}

void WorkQueue::AddAfter(const std::string& key, Duration delay) {
  std::lock_guard<std::mutex> lock(mu_);
  if (shutdown_) return;
  if (options_.observer != nullptr) options_.observer->QueueRetried();
  if (delay.count() <= 0) {
    AddLocked(key);
    return;
  }
  if (dirty_.count(key)) return;
  const TimePoint due = clock_->Now() + delay;
  auto it = waiting_.find(key);
  if (it == waiting_.end() || due < it->second) waiting_[key] = due;
  cv_.notify_all();
}

WorkQueue::Duration WorkQueue::NextDelay(const std::string& key) const {
  std::lock_guard<std::mutex> lock(mu_);
  auto it = failures_.find(key);
  const int n = it == failures_.end() ? 0 : it->second;
  Duration d = options_.base_delay;
  for (int i = 0; i < n && d < options_.max_delay; ++i) d *= 2;
  return std::min(d, options_.max_delay);
}

void WorkQueue::AddRateLimited(const std::string& key) {
  const Duration d = NextDelay(key);
  {
    std::lock_guard<std::mutex> lock(mu_);
    ++failures_[key];
  }
  AddAfter(key, d);
}

void WorkQueue::Forget(const std::string& key) {
  std::lock_guard<std::mutex> lock(mu_);
  failures_.erase(key);
}

int WorkQueue::NumRequeues(const std::string& key) const {
  std::lock_guard<std::mutex> lock(mu_);
  auto it = failures_.find(key);
  return it == failures_.end() ? 0 : it->second;
}

void WorkQueue::PromoteDueLocked(TimePoint now) {
  for (auto it = waiting_.begin(); it != waiting_.end();) {
    if (it->second <= now) {
      const std::string key = it->first;
      it = waiting_.erase(it);
      AddLocked(key);
    } else {
      ++it;
    }
  }
}

std::optional<std::string> WorkQueue::Get() {
  std::unique_lock<std::mutex> lock(mu_);
  while (true) {
    if (shutdown_) return std::nullopt;
    const TimePoint now = clock_->Now();
    PromoteDueLocked(now);
    if (!queue_.empty()) break;
    if (waiting_.empty()) {
      cv_.wait(lock);
    } else {
      TimePoint next = TimePoint::max();
      for (const auto& [key, due] : waiting_) next = std::min(next, due);
      cv_.wait_for(lock, next - now);  // a relative wait: the clock may be a test's
    }
  }
  std::string key = queue_.front();
  queue_.pop_front();
  const TimePoint now = clock_->Now();
  const TimePoint added = dirty_[key];
  dirty_.erase(key);
  processing_[key] = now;
  if (options_.observer != nullptr) options_.observer->QueueTaken(dirty_.size(), now - added);
  return key;
}

void WorkQueue::Done(const std::string& key) {
  std::lock_guard<std::mutex> lock(mu_);
  auto it = processing_.find(key);
  if (it == processing_.end()) return;
  if (options_.observer != nullptr) options_.observer->QueueDone(clock_->Now() - it->second);
  processing_.erase(it);
  if (dirty_.count(key)) {
    queue_.push_back(key);
    cv_.notify_one();
  }
}

void WorkQueue::ShutDown() {
  std::lock_guard<std::mutex> lock(mu_);
  shutdown_ = true;
  cv_.notify_all();
  shutdown_cv_.notify_all();
}

size_t WorkQueue::Len() const {
  std::lock_guard<std::mutex> lock(mu_);
  return queue_.size() + waiting_.size();
}

void WorkQueue::ReportUnfinishedWorkLocked() {
  if (options_.observer == nullptr) return;
  const TimePoint now = clock_->Now();
  WorkQueueObserver::Seconds total{0}, longest{0};
  for (const auto& [key, taken] : processing_) {
    const WorkQueueObserver::Seconds age = now - taken;
    total += age;
    longest = std::max(longest, age);
  }
  options_.observer->QueueUnfinishedWork(total, longest);
}

void WorkQueue::ReportUnfinishedWork() {
  std::lock_guard<std::mutex> lock(mu_);
  ReportUnfinishedWorkLocked();
}

void WorkQueue::ReportUnfinishedWorkUntilShutDown(Duration period) {
  std::unique_lock<std::mutex> lock(mu_);
  while (!shutdown_) {
    ReportUnfinishedWorkLocked();
    shutdown_cv_.wait_for(lock, period, [this] { return shutdown_; });
  }
}

}  // namespace neuropart::op
