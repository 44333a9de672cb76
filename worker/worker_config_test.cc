#include "worker_config.h"

#include <gtest/gtest.h>
#include <stdlib.h>

#include <map>

namespace neuropart::worker {
namespace {

using Env = std::map<std::string, std::string>;

// Parses `args` with `env` set in the process environment (CLI11 reads it), then unsets it.
StatusOr<WorkerConfig> Parse(const std::vector<std::string>& args, const Env& env = {}) {
  for (const auto& [name, value] : env) setenv(name.c_str(), value.c_str(), 1);
  WorkerConfig config;
  Flags flags("neuropart-worker", "test");
  AddWorkerFlags(&flags, &config);
  Status s = flags.Parse(args);
  for (const auto& [name, value] : env) unsetenv(name.c_str());
  RETURN_IF_ERROR(s);
  RETURN_IF_ERROR(CheckWorkerConfig(&config));
  return config;
}

const std::vector<std::string> kRequired = {
    "--job", "j.yaml", "--plan", "p.yaml", "--partition", "1", "--store", "/s",
    "--listen", "tcp://*:5000", "--peers", "tcp://a:5000,tcp://b:5000"};

TEST(WorkerConfig, FlagsFillTheConfig) {
  std::vector<std::string> args = kRequired;
  args.insert(args.end(), {"--threads", "2", "--metrics-port", "9100", "--max-steps", "7"});
  StatusOr<WorkerConfig> c = Parse(args);
  ASSERT_TRUE(c.ok()) << c.status().ToString();
  EXPECT_EQ(c->job_path, "j.yaml");
  EXPECT_EQ(c->partition, 1);
  EXPECT_EQ(c->peers, (std::vector<std::string>{"tcp://a:5000", "tcp://b:5000"}));
  EXPECT_EQ(c->threads, 2);
  EXPECT_EQ(c->metrics_port, 9100);
  EXPECT_EQ(c->status_port, 0);
  EXPECT_EQ(c->max_steps, 7);
}

TEST(WorkerConfig, EnvironmentFillsWhatFlagsLeaveOutAndFlagsWin) {
  const Env env = {{"NEUROPART_JOB", "/etc/job.yaml"}, {"NEUROPART_PLAN", "/etc/plan.yaml"},
                   {"NEUROPART_PARTITION", "0"},        {"NEUROPART_STORE", "/store"},
                   {"NEUROPART_LISTEN", "tcp://*:1"},   {"NEUROPART_PEERS", "tcp://x:1,tcp://y:1"},
                   {"NEUROPART_STATUS_PORT", "8080"}};
  StatusOr<WorkerConfig> c = Parse({"--partition", "1"}, env);
  ASSERT_TRUE(c.ok()) << c.status().ToString();
  EXPECT_EQ(c->job_path, "/etc/job.yaml");
  EXPECT_EQ(c->partition, 1);
  EXPECT_EQ(c->peers, (std::vector<std::string>{"tcp://x:1", "tcp://y:1"}));
  EXPECT_EQ(c->status_port, 8080);
}

TEST(WorkerConfig, BadInputNamesTheSetting) {
  EXPECT_EQ(Parse({}).status().message(), "--job is required");
  std::vector<std::string> args = kRequired;
  args[5] = "2";
  EXPECT_EQ(Parse(args).status().message(),
            "--partition: must be in [0, 2) (one endpoint per partition in --peers), got 2");
  args = kRequired;
  args.insert(args.end(), {"--threads", "two"});
  EXPECT_EQ(Parse(args).status().message(), "Could not convert: --threads = two");
  args = kRequired;
  args.insert(args.end(), {"--threads", "0"});
  EXPECT_EQ(Parse(args).status().message(), "--threads: must be >= 1");
  args = kRequired;
  args.push_back("--colour");
  EXPECT_EQ(Parse(args).status().message(), "The following argument was not expected: --colour");
  args = kRequired;
  args.push_back("--threads");
  EXPECT_EQ(Parse(args).status().message(), "--threads: 1 required INT missing");
  EXPECT_EQ(Parse({"--partition", "x"}, {{"NEUROPART_JOB", "j"}}).status().message(),
            "Could not convert: --partition = x");
}

TEST(WorkerConfig, UnixDomainLinksAreAllOrNothing) {
  std::vector<std::string> args = {"--job", "j.yaml", "--plan", "p.yaml", "--partition", "0",
                                   "--store", "/s", "--listen", "ipc:///run/np/p0",
                                   "--peers", "ipc:///run/np/p0,ipc:///run/np/p1"};
  StatusOr<WorkerConfig> c = Parse(args);
  ASSERT_TRUE(c.ok()) << c.status().ToString();
  EXPECT_EQ(c->listen, "ipc:///run/np/p0");
  args.back() = "ipc:///run/np/p0,tcp://b:5000";
  EXPECT_EQ(Parse(args).status().message(),
            "--peers: endpoint 1 (tcp://b:5000) and --listen (ipc:///run/np/p0) must both be "
            "ipc:// or neither: Unix-domain links are not encrypted, so a job uses them for every "
            "link or none");
  args = kRequired;
  args.back() = "tcp://a:5000,ipc:///run/np/p1";
  EXPECT_EQ(Parse(args).status().code(), StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace neuropart::worker
