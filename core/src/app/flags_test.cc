#include "neuropart/app/flags.h"

#include <gtest/gtest.h>
#include <stdlib.h>

namespace neuropart {
namespace {

struct Program {
  std::string job;
  std::string output;
  int64_t threads = 1;
  bool reference = false;
  Flags flags{"prog", "A test program."};

  Program() {
    flags.Positional("JOB", &job, "the job file");
    flags.String("-o,--output", &output, "where to write");
    flags.Int("--threads", &threads, "math threads", "NEUROPART_FLAGS_TEST_THREADS");
    flags.Bool("--reference", &reference, "use the reference");
  }
};

TEST(FlagsTest, BindsValuesInBothSpellingsAndTheShortAlias) {
  Program p;
  ASSERT_TRUE(p.flags.Parse({"--threads=3", "job.yaml", "-o", "out.txt", "--reference"}).ok());
  EXPECT_EQ(p.job, "job.yaml");
  EXPECT_EQ(p.output, "out.txt");
  EXPECT_EQ(p.threads, 3);
  EXPECT_TRUE(p.reference);
  EXPECT_TRUE(p.flags.IsSet("--threads"));
  EXPECT_FALSE(p.flags.help_requested());
}

TEST(FlagsTest, AnExplicitlyEmptyValueIsAValue) {
  Program p;
  p.output = "default.txt";
  ASSERT_TRUE(p.flags.Parse({"--output=", "job.yaml"}).ok());
  EXPECT_EQ(p.output, "");
  EXPECT_EQ(p.job, "job.yaml");
  EXPECT_TRUE(p.flags.IsSet("--output"));
}

TEST(FlagsTest, AbsentFlagsKeepTheirDefaultsAndAreNotSet) {
  Program p;
  ASSERT_TRUE(p.flags.Parse({"job.yaml"}).ok());
  EXPECT_EQ(p.threads, 1);
  EXPECT_FALSE(p.reference);
  EXPECT_FALSE(p.flags.IsSet("--threads"));
  EXPECT_NE(p.flags.Help().find("--threads INT=1"), std::string::npos) << p.flags.Help();
}

TEST(FlagsTest, TheEnvironmentFillsAnAbsentFlagAndTheFlagWins) {
  setenv("NEUROPART_FLAGS_TEST_THREADS", "4", 1);
  Program from_env;
  ASSERT_TRUE(from_env.flags.Parse({"job.yaml"}).ok());
  EXPECT_EQ(from_env.threads, 4);
  EXPECT_TRUE(from_env.flags.IsSet("--threads"));
  Program from_flag;
  ASSERT_TRUE(from_flag.flags.Parse({"job.yaml", "--threads", "2"}).ok());
  EXPECT_EQ(from_flag.threads, 2);
  unsetenv("NEUROPART_FLAGS_TEST_THREADS");
}

TEST(FlagsTest, BadCommandLinesAreInvalidArgumentsNamingTheCulprit) {
  const std::vector<std::pair<std::vector<std::string>, std::string>> cases = {
      {{"job.yaml", "--threads", "two"}, "Could not convert: --threads = two"},
      {{"job.yaml", "--colour"}, "The following argument was not expected: --colour"},
      {{"job.yaml", "extra.yaml"}, "The following argument was not expected: extra.yaml"},
      {{}, "JOB is required"},
      {{"job.yaml", "--threads"}, "--threads: 1 required INT missing"},
      {{"job.yaml", "--reference=maybe"}, "Could not convert: --reference = maybe"},
  };
  for (const auto& [args, message] : cases) {
    Program p;
    Status s = p.flags.Parse(args);
    EXPECT_EQ(s.code(), StatusCode::kInvalidArgument) << message;
    EXPECT_EQ(s.message(), message);
  }
}

TEST(FlagsTest, HelpAndVersionAreRequestsNotErrors) {
  Program help;
  ASSERT_TRUE(help.flags.Parse({"--help"}).ok());
  EXPECT_TRUE(help.flags.help_requested());
  EXPECT_NE(help.flags.Help().find("A test program."), std::string::npos);
  Program version;
  ASSERT_TRUE(version.flags.Parse({"--version"}).ok());
  EXPECT_TRUE(version.flags.version_requested());
  EXPECT_EQ(VersionLine().rfind("neuropart ", 0), 0u);
}

TEST(FlagsTest, ParseOrExitStopsWithTwoOnErrorsAndZeroOnHelp) {
  Program bad;
  EXPECT_EQ(bad.flags.ParseOrExit({"--colour"}), kExitBadInput);
  Program help;
  EXPECT_EQ(help.flags.ParseOrExit({"-h"}), kExitOk);
  Program good;
  EXPECT_EQ(good.flags.ParseOrExit({"job.yaml"}), std::nullopt);
}

}  // namespace
}  // namespace neuropart
