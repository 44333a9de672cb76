#include "operator_flags.h"

#include <gtest/gtest.h>

namespace neuropart::op {
namespace {

const char* NoEnv(const char*) { return nullptr; }

StatusOr<OperatorFlags> Parse(const std::vector<std::string>& args,
                              const std::function<const char*(const char*)>& getenv = NoEnv) {
  OperatorFlags f;
  Flags flags("neuropart-operator", kOperatorAbout);
  AddOperatorFlags(&flags, &f);
  RETURN_IF_ERROR(flags.Parse(args));
  RETURN_IF_ERROR(CheckOperatorFlags(&f, getenv));
  return f;
}

TEST(OperatorFlagsTest, ChartArguments) {
  // What charts/neuropart/templates/deployment.yaml passes.
  StatusOr<OperatorFlags> f = Parse(
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
  StatusOr<OperatorFlags> f = Parse({"--kubeconfig", "/k", "--leader-elect", "--v", "3"});
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
    const char* message;
  };
  for (const Case& c : std::vector<Case>{
           {{"--bogus=1"}, "The following argument was not expected: --bogus=1"},
           {{"--v=x"}, "Could not convert: --v = x"},
           {{"--leader-elect=maybe"}, "Could not convert: --leader-elect = maybe"},
           {{"--kubeconfig"}, "--kubeconfig: 1 required TEXT missing"},
           {{"--poll-interval=0"}, "--poll-interval: must be >= 1"},
           {{"--watch-timeout=0"}, "--watch-timeout: must be >= 1"},
           {{"--worker-image="}, "--worker-image: must not be empty"},
           {{"stray"}, "The following argument was not expected: stray"}}) {
    StatusOr<OperatorFlags> f = Parse(c.args);
    ASSERT_FALSE(f.ok()) << c.message;
    EXPECT_EQ(f.status().code(), StatusCode::kInvalidArgument);
    EXPECT_EQ(f.status().message(), c.message);
  }
}

TEST(OperatorFlagsTest, HelpListsEveryChartFlag) {
  OperatorFlags f;
  Flags flags("neuropart-operator", kOperatorAbout);
  AddOperatorFlags(&flags, &f);
  ASSERT_TRUE(flags.Parse({"--help"}).ok());
  EXPECT_TRUE(flags.help_requested());
  for (const char* flag : {"--worker-image", "--watch-namespace", "--leader-elect",
                           "--leader-election-namespace", "--leader-election-lease",
                           "--metrics-bind-address", "--health-probe-bind-address", "--v"}) {
    EXPECT_NE(flags.Help().find(flag), std::string::npos) << flag;
  }
}

}  // namespace
}  // namespace neuropart::op
