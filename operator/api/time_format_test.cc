#include "api/time_format.h"

#include <gtest/gtest.h>

namespace neuropart::op {
namespace {

TEST(TimeFormatTest, FormatsUtcSeconds) {
  EXPECT_EQ(FormatTime(std::chrono::system_clock::from_time_t(0)), "1970-01-01T00:00:00Z");
  EXPECT_EQ(FormatTime(std::chrono::system_clock::from_time_t(1795000000)), "2026-11-18T11:06:40Z");
}

TEST(TimeFormatTest, ParsesWhatItFormatsAndZones) {
  const TimePoint t = std::chrono::system_clock::from_time_t(1795000000);
  StatusOr<TimePoint> back = ParseTime(FormatTime(t));
  ASSERT_TRUE(back.ok());
  EXPECT_EQ(*back, t);
  StatusOr<TimePoint> zoned = ParseTime("2026-11-18T12:06:40.123+01:00");
  ASSERT_TRUE(zoned.ok()) << zoned.status().ToString();
  EXPECT_EQ(*zoned, t);
}

TEST(TimeFormatTest, RefusesMalformed) {
  for (const char* bad : {"", "2026-11-18", "2026-11-18T09:46:40", "2026-11-18T09:46:40Zjunk",
                          "2026-11-18T09:46:40+0100"}) {
    EXPECT_FALSE(ParseTime(bad).ok()) << bad;
  }
}

}  // namespace
}  // namespace neuropart::op
