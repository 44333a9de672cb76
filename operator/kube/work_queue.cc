#include "kube/work_queue.h"

#include <algorithm>

namespace neuropart::op {

void WorkQueue::AddLocked(const std::string& key) {
  if (shutdown_ || dirty_.count(key)) return;
  dirty_.insert(key);
  waiting_.erase(key);
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
  if (delay.count() <= 0) {
    AddLocked(key);
    return;
  }
  if (shutdown_ || dirty_.count(key)) return;
  const Clock::time_point due = Clock::now() + delay;
  auto it = waiting_.find(key);
  if (it == waiting_.end() || due < it->second) waiting_[key] = due;
  cv_.notify_all();
}

WorkQueue::Duration WorkQueue::NextDelay(const std::string& key) const {
  std::lock_guard<std::mutex> lock(mu_);
  auto it = failures_.find(key);
  const int n = it == failures_.end() ? 0 : it->second;
  Duration d = base_delay_;
  for (int i = 0; i < n && d < max_delay_; ++i) d *= 2;
  return std::min(d, max_delay_);
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

void WorkQueue::PromoteDueLocked(Clock::time_point now) {
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
    PromoteDueLocked(Clock::now());
    if (!queue_.empty()) break;
    if (waiting_.empty()) {
      cv_.wait(lock);
    } else {
      Clock::time_point next = Clock::time_point::max();
      for (const auto& [key, due] : waiting_) next = std::min(next, due);
      cv_.wait_until(lock, next);
    }
  }
  std::string key = queue_.front();
  queue_.pop_front();
  processing_.insert(key);
  dirty_.erase(key);
  return key;
}

void WorkQueue::Done(const std::string& key) {
  std::lock_guard<std::mutex> lock(mu_);
  processing_.erase(key);
  if (dirty_.count(key)) {
    queue_.push_back(key);
    cv_.notify_one();
  }
}

void WorkQueue::ShutDown() {
  std::lock_guard<std::mutex> lock(mu_);
  shutdown_ = true;
  cv_.notify_all();
}

size_t WorkQueue::Len() const {
  std::lock_guard<std::mutex> lock(mu_);
  return queue_.size() + waiting_.size();
}

}  // namespace neuropart::op
