#include "api/time_format.h"

#include <cstdio>
#include <ctime>

namespace neuropart::op {

std::string FormatTime(TimePoint t) {
  const std::time_t secs = std::chrono::system_clock::to_time_t(t);
  std::tm tm{};
  gmtime_r(&secs, &tm);
  char buf[32];
  std::strftime(buf, sizeof(buf), "%Y-%m-%dT%H:%M:%SZ", &tm);
  return buf;
}

std::string FormatMicroTime(TimePoint t) {
  const std::string seconds = FormatTime(t);
  const long micros = static_cast<long>(
      std::chrono::duration_cast<std::chrono::microseconds>(t.time_since_epoch()).count() %
      1000000);
  char buf[16];
  std::snprintf(buf, sizeof(buf), ".%06ldZ", micros < 0 ? 0 : micros);
  return seconds.substr(0, seconds.size() - 1) + buf;
}

StatusOr<TimePoint> ParseTime(const std::string& text) {
  int y, mo, d, h, mi, s, consumed = 0;
  if (std::sscanf(text.c_str(), "%4d-%2d-%2dT%2d:%2d:%2d%n", &y, &mo, &d, &h, &mi, &s, &consumed) !=
      6) {
    return InvalidArgumentError("not an RFC 3339 time: \"" + text + "\"");
  }
  size_t i = consumed;
  if (i < text.size() && text[i] == '.') {
    ++i;
    while (i < text.size() && text[i] >= '0' && text[i] <= '9') ++i;
  }
  int offset_minutes = 0;
  if (i < text.size() && (text[i] == 'Z' || text[i] == 'z')) {
    ++i;
  } else if (i < text.size() && (text[i] == '+' || text[i] == '-')) {
    int oh, om, n = 0;
    if (std::sscanf(text.c_str() + i + 1, "%2d:%2d%n", &oh, &om, &n) != 2 || n != 5) {
      return InvalidArgumentError("not an RFC 3339 time: \"" + text + "\"");
    }
    offset_minutes = (text[i] == '+' ? 1 : -1) * (oh * 60 + om);
    i += 1 + n;
  } else {
    return InvalidArgumentError("RFC 3339 time without a zone: \"" + text + "\"");
  }
  if (i != text.size()) return InvalidArgumentError("not an RFC 3339 time: \"" + text + "\"");
  std::tm tm{};
  tm.tm_year = y - 1900;
  tm.tm_mon = mo - 1;
  tm.tm_mday = d;
  tm.tm_hour = h;
  tm.tm_min = mi;
  tm.tm_sec = s;
  const std::time_t secs = timegm(&tm);
  return std::chrono::system_clock::from_time_t(secs) - std::chrono::minutes(offset_minutes);
}

}  // namespace neuropart::op
