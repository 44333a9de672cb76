#include "neuropart/metrics/registry.h"

#include <gtest/gtest.h>

namespace neuropart::metrics {
namespace {

bool HasLine(const std::string& text, const std::string& line) {
  return ("\n" + text).find("\n" + line + "\n") != std::string::npos;
}

TEST(RegistryTest, SeriesCarryTheirLabelsAndTheConstantOnes) {
  Registry r(Labels{{"partition", "2"}});
  r.DeclareCounter("jobs_total", "Jobs.");
  r.DeclareGauge("leader", "Leader.");
  r.GetCounter("jobs_total", {{"kind", "a"}}).Increment();
  r.GetCounter("jobs_total", {{"kind", "a"}}).Increment(2);
  r.GetGauge("leader").Set(1);
  const std::string text = r.Text();
  EXPECT_TRUE(HasLine(text, R"(jobs_total{partition="2",kind="a"} 3)")) << text;
  EXPECT_TRUE(HasLine(text, R"(leader{partition="2"} 1)")) << text;
  EXPECT_TRUE(HasLine(text, "# HELP jobs_total Jobs.")) << text;
}

TEST(RegistryTest, HistogramsUseTheirBuckets) {
  Registry r;
  r.DeclareHistogram("step_seconds", "Steps.", {0.1, 1});
  r.GetHistogram("step_seconds").Observe(0.5);
  const std::string text = r.Text();
  EXPECT_TRUE(HasLine(text, R"(step_seconds_bucket{le="0.1"} 0)")) << text;
  EXPECT_TRUE(HasLine(text, R"(step_seconds_bucket{le="1"} 1)")) << text;
  EXPECT_TRUE(HasLine(text, "step_seconds_count 1")) << text;
}

TEST(RegistryTest, ReadingACounterCreatesNoSeries) {
  Registry r;
  r.DeclareCounter("c_total", "C.");
  EXPECT_EQ(r.CounterValue("c_total", {{"peer", "1"}}), 0);
  EXPECT_EQ(r.Text().find("peer="), std::string::npos);
  r.GetCounter("c_total", {{"peer", "1"}}).Increment(4);
  EXPECT_EQ(r.CounterValue("c_total", {{"peer", "1"}}), 4);
  EXPECT_EQ(r.CounterValue("unknown_total", {}), 0);
}

}  // namespace
}  // namespace neuropart::metrics
