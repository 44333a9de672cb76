#include "kube/log.h"

#include <gtest/gtest.h>

#include <cstdio>
#include <regex>

namespace neuropart::op {
namespace {

TEST(LogTest, FormatsKubernetesStyle) {
  EXPECT_EQ(Logger::Format("Created object", {{"kind", "Pod"}, {"object", "ml/np-0"}}),
            R"("Created object" kind="Pod" object="ml/np-0")");
  EXPECT_EQ(Logger::Format("Failed", {{"error", "say \"no\"\nnext"}}),
            R"("Failed" error="say \"no\"\nnext")");
}

TEST(LogTest, WritesHeaderAndHonoursVerbosity) {
  std::FILE* f = std::tmpfile();
  Logger log(1, f);
  log.Info("Started");
  log.V(2, "Hidden");
  log.Error("Broke", {{"k", "v"}});
  std::rewind(f);
  char buf[1024] = {};
  const size_t n = std::fread(buf, 1, sizeof(buf) - 1, f);
  std::fclose(f);
  const std::string text(buf, n);
  EXPECT_EQ(text.find("Hidden"), std::string::npos);
  EXPECT_TRUE(std::regex_search(
      text, std::regex(R"(^I\d{4} \d\d:\d\d:\d\d\.\d{6} +\d+ log_test\.cc:\d+\] "Started"\n)")))
      << text;
  EXPECT_TRUE(std::regex_search(text, std::regex(R"(\nE\d{4} [^\]]+\] "Broke" k="v"\n$)"))) << text;
}

}  // namespace
}  // namespace neuropart::op
