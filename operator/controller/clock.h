// Clock: where the controller reads the time, injected so that reconcile tests use a fake one.
// RealClock is stateless and thread-safe; FakeClock is for one test thread.
#ifndef NEUROPART_OPERATOR_CONTROLLER_CLOCK_H_
#define NEUROPART_OPERATOR_CONTROLLER_CLOCK_H_

#include <chrono>

#include "api/time_format.h"

namespace neuropart::op {

class Clock {
 public:
  virtual ~Clock() = default;
  virtual TimePoint Now() const = 0;
};

class RealClock final : public Clock {
 public:
  TimePoint Now() const override { return std::chrono::system_clock::now(); }
};

class FakeClock final : public Clock {
 public:
  explicit FakeClock(TimePoint now) : now_(now) {}
  TimePoint Now() const override { return now_; }
  void Advance(std::chrono::seconds d) { now_ += d; }

 private:
  TimePoint now_;
};

}  // namespace neuropart::op

#endif  // NEUROPART_OPERATOR_CONTROLLER_CLOCK_H_
