// Progress: one status line for long runs.
//
// On a terminal the line is redrawn in place (at most ~10 times a second); otherwise plain lines
// are printed every `every` steps and at the end, so logs and CI output stay readable.
// Not thread-safe: call from the training loop only.
#ifndef NEUROPART_CLI_PROGRESS_H_
#define NEUROPART_CLI_PROGRESS_H_

#include <chrono>
#include <cstdint>
#include <cstdio>
#include <string>

namespace neuropart::cli {

class Progress {
 public:
  Progress(std::FILE* out, int64_t total_steps);

  // Reports step `step` (1-based) done; `extra` is appended to the line (e.g. wait shares). The
  // rate (samples since construction over the time since) is shown once samples were counted.
  void Step(int64_t step, int epoch, double loss, int64_t samples, const std::string& extra = "");
  // Ends the in-place line, if any.
  void Finish();
  double samples_per_second() const;

 private:
  using Clock = std::chrono::steady_clock;
  std::FILE* out_;
  int64_t total_;
  bool terminal_;
  int64_t every_;
  Clock::time_point start_, last_draw_;
  int64_t samples_ = 0;
  bool drawn_ = false;
};

}  // namespace neuropart::cli

#endif  // NEUROPART_CLI_PROGRESS_H_
