#include "progress.h"

#include <unistd.h>

#include <algorithm>

namespace neuropart::cli {

Progress::Progress(std::FILE* out, int64_t total_steps)
    : out_(out),
      total_(total_steps),
      terminal_(isatty(fileno(out))),
      every_(std::max<int64_t>(1, total_steps / 20)),
      start_(Clock::now()),
      last_draw_(start_) {}

double Progress::samples_per_second() const {
  const double s = std::chrono::duration<double>(Clock::now() - start_).count();
  return s > 0 ? samples_ / s : 0;
}

void Progress::Step(int64_t step, int epoch, double loss, int64_t samples,
                    const std::string& extra) {
  samples_ += samples;
  const auto now = Clock::now();
  const bool last = step == total_;
  if (terminal_) {
    if (!last && now - last_draw_ < std::chrono::milliseconds(100)) return;
  } else if (!last && step % every_ != 0) {
    return;
  }
  last_draw_ = now;
  char rate[48] = "";
  if (samples_ > 0) std::snprintf(rate, sizeof(rate), "  %.0f samples/s", samples_per_second());
  std::fprintf(out_, "%sstep %lld/%lld  epoch %d  loss %.4f%s%s%s", terminal_ ? "\r\033[K" : "",
               static_cast<long long>(step), static_cast<long long>(total_), epoch + 1, loss, rate,
               extra.empty() ? "" : "  ", extra.c_str());
  if (!terminal_) std::fputc('\n', out_);
  std::fflush(out_);
  drawn_ = terminal_;
}

void Progress::Finish() {
  if (drawn_) std::fputc('\n', out_);
  drawn_ = false;
}

}  // namespace neuropart::cli
