#include "operator_flags.h"

#include <gtest/gtest.h>

namespace neuropart::op {
namespace {

const char* NoEnv(const char*) { return nullptr; }

TEST(OperatorFlagsTest, ChartArguments) {
  // What charts/neuropart/templates/deployment.yaml passes.
  StatusOr<OperatorFlags> f = ParseOperatorFlags(
      {"--worker-image=neuropart-worker:0.1.0", "--watch-namespace=", "--leader-elect=true",
       "--leader-election-namespace=neuropart-system", "--leader-election-lease=neuropart",
       "--metrics-bind-address=:8080", "--health-probe-bind-address=:8081", "--v=0"},
      [](const char* n) -> const char* {
        return std::string(n) == "POD_NAME" ? "neuropart-abc" : nullptr;
      });
  ASSERT_TRUE(f.ok()) << f.status().ToString();
  EXPECT_EQ(f->worker_image, "neuropart-worker:0.1.0");
  EXPECT_EQ(f->watch_namespace, "");
  EXPECT_TRUE(f->leader_elect);
  EXPECT_EQ(f->leader_election_namespace, "neuropart-system");
  EXPECT_EQ(f->leader_election_lease, "neuropart");
  EXPECT_EQ(f->leader_election_id, "neuropart-abc");
  EXPECT_EQ(f->metrics_bind_address, ":8080");
  EXPECT_EQ(f->health_probe_bind_address, ":8081");
  EXPECT_EQ(f->verbosity, 0);
}

TEST(OperatorFlagsTest, SeparateValuesBareBooleansAndDefaults) {
  StatusOr<OperatorFlags> f =
      ParseOperatorFlags({"--kubeconfig", "/k", "--leader-elect", "--v", "3"}, NoEnv);
  ASSERT_TRUE(f.ok()) << f.status().ToString();
  EXPECT_EQ(f->kubeconfig, "/k");
  EXPECT_TRUE(f->leader_elect);
  EXPECT_EQ(f->verbosity, 3);
  EXPECT_EQ(f->worker_image, "neuropart-worker:latest");
  EXPECT_EQ(f->poll_interval_seconds, 5);
  EXPECT_EQ(f->watch_timeout_seconds, 240);
  EXPECT_FALSE(f->leader_election_id.empty());  // host name and pid
}

TEST(OperatorFlagsTest, ErrorsNameTheFlag) {
  struct Case {
    std::vector<std::string> args;
    const char* needle;
  };
  for (const Case& c : std::vector<Case>{{{"--bogus=1"}, "--bogus"},
                                         {{"--v=x"}, "--v: want an integer"},
                                         {{"--leader-elect=maybe"}, "--leader-elect"},
                                         {{"--kubeconfig"}, "--kubeconfig: needs a value"},
                                         {{"--poll-interval=0"}, "--poll-interval"},
                                         {{"--watch-timeout=0"}, "--watch-timeout: must be >= 1"},
                                         {{"stray"}, "stray"}}) {
    StatusOr<OperatorFlags> f = ParseOperatorFlags(c.args, NoEnv);
    ASSERT_FALSE(f.ok()) << c.needle;
    EXPECT_EQ(f.status().code(), StatusCode::kInvalidArgument);
    EXPECT_NE(f.status().message().find(c.needle), std::string::npos) << f.status().message();
  }
}

TEST(OperatorFlagsTest, Help) {
  EXPECT_TRUE(ParseOperatorFlags({"--help"}, NoEnv)->help);
  EXPECT_TRUE(ParseOperatorFlags({"-h"}, NoEnv)->help);
  EXPECT_NE(std::string(kOperatorUsage).find("--leader-election-lease"), std::string::npos);
}

}  // namespace
}  // namespace neuropart::op
