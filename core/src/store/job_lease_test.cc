#include "neuropart/store/job_lease.h"

#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <filesystem>
#include <vector>

#include "neuropart/base/json.h"
#include "neuropart/store/file_util.h"
#include "store_test_util.h"

namespace neuropart {
namespace {

using std::chrono::seconds;
using ::neuropart::testing::ScratchDir;
using ::neuropart::testing::WriteRaw;

class FakeLeaseClock final : public LeaseClock {
 public:
  WallTime Now() const override { return now_; }
  void Advance(seconds s) { now_ += s; }

 private:
  WallTime now_ = std::chrono::sys_days{std::chrono::year{2024} / 5 / 1} + std::chrono::hours{12};
};

constexpr seconds kTtl{30};
const LeaseHolder kAlice{"alice", "h1", 42};
const LeaseHolder kBob{"bob", "h2", 7};

class JobLeaseTest : public ::testing::Test {
 protected:
  StatusOr<JobLease> Take(const LeaseHolder& who) {
    return JobLease::Acquire(dir_.path(), who, kTtl, clock_);
  }
  std::string LeasePath() const { return dir_.File("LEASE"); }
  // A record as another process would have written it.
  void WriteLease(const std::string& name, const std::string& owner, int64_t expires,
                  const std::string& token) {
    WriteRaw(dir_.File(name), R"({"owner":")" + owner + R"(","host":"h9","pid":9,"expires":)" +
                                  std::to_string(expires) + R"(,"token":")" + token + "\"}\n");
  }
  int64_t NowSeconds() const {
    return std::chrono::duration_cast<seconds>(clock_.Now().time_since_epoch()).count();
  }

  ScratchDir dir_;
  FakeLeaseClock clock_;
};

TEST_F(JobLeaseTest, AFreeLeaseIsTakenAndItsRecordWrittenAsOneLineOfJson) {
  StatusOr<JobLease> lease = Take(kAlice);
  ASSERT_TRUE(lease.ok()) << lease.status().ToString();
  const std::string text = *ReadFile(LeasePath());
  EXPECT_EQ(text, R"({"owner":"alice","host":"h1","pid":42,"expires":1714564830,"token":")" +
                      lease->record().token + "\"}\n");
  EXPECT_EQ(lease->record().token.size(), 16u);
  EXPECT_FALSE(lease->taken_over().has_value());
  EXPECT_EQ(dir_.List(), std::vector<std::string>{"LEASE"});  // no claim file left
}

TEST_F(JobLeaseTest, ASecondTakerIsRefusedNamingTheHolderAndItsExpiry) {
  StatusOr<JobLease> alice = Take(kAlice);
  ASSERT_TRUE(alice.ok());
  clock_.Advance(seconds(5));
  StatusOr<JobLease> bob = Take(kBob);
  ASSERT_FALSE(bob.ok());
  EXPECT_EQ(bob.status().ToString(),
            "InvalidArgument: " + LeasePath() +
                ": held by another run: owner alice, host h1, pid 42, until 2024-05-01T12:00:30Z "
                "(25 s from now; the holder renews it while it runs)");
  EXPECT_EQ(dir_.List(), std::vector<std::string>{"LEASE"});
}

TEST_F(JobLeaseTest, AnExpiredLeaseIsTakenOverAndItsFormerHolderCannotRenew) {
  StatusOr<JobLease> alice = Take(kAlice);
  ASSERT_TRUE(alice.ok());
  clock_.Advance(seconds(29));
  ASSERT_FALSE(Take(kBob).ok());
  clock_.Advance(seconds(1));
  StatusOr<JobLease> bob = Take(kBob);
  ASSERT_TRUE(bob.ok()) << bob.status().ToString();
  ASSERT_TRUE(bob->taken_over().has_value());
  EXPECT_EQ(DescribeLease(*bob->taken_over()),
            "owner alice, host h1, pid 42, until 2024-05-01T12:00:30Z");
  EXPECT_EQ(alice->Renew().ToString(),
            "Unavailable: " + LeasePath() +
                ": expired at 2024-05-01T12:00:30Z before it was renewed; another run may hold it");
  EXPECT_EQ(dir_.List(), std::vector<std::string>{"LEASE"});  // no takeover marker left
}

TEST_F(JobLeaseTest, RenewalMovesTheExpiry) {
  StatusOr<JobLease> alice = Take(kAlice);
  ASSERT_TRUE(alice.ok());
  clock_.Advance(seconds(20));
  ASSERT_TRUE(alice->Renew().ok());
  EXPECT_EQ(alice->record().expires, NowSeconds() + 30);
  clock_.Advance(seconds(20));  // past the first expiry
  StatusOr<JobLease> bob = Take(kBob);
  ASSERT_FALSE(bob.ok());
  EXPECT_NE(bob.status().message().find("until 2024-05-01T12:00:50Z (10 s from now"),
            std::string::npos)
      << bob.status().message();
}

TEST_F(JobLeaseTest, AHolderWhoseLeaseWasReplacedCannotRenewAndSaysByWhom) {
  StatusOr<JobLease> alice = Take(kAlice);
  ASSERT_TRUE(alice.ok());
  WriteLease("LEASE", "carol", NowSeconds() + 30, "00000000000000cc");
  EXPECT_EQ(alice->Renew().ToString(),
            "Unavailable: " + LeasePath() +
                ": taken over by owner carol, host h9, pid 9, until 2024-05-01T12:00:30Z");
}

TEST_F(JobLeaseTest, ReleaseAndDestructionFreeTheLeaseAtOnce) {
  {
    StatusOr<JobLease> alice = Take(kAlice);
    ASSERT_TRUE(alice.ok());
    ASSERT_TRUE(alice->Release().ok());
    EXPECT_TRUE(dir_.List().empty());
    StatusOr<JobLease> bob = Take(kBob);
    ASSERT_TRUE(bob.ok()) << bob.status().ToString();
    EXPECT_FALSE(bob->taken_over().has_value());
  }
  EXPECT_TRUE(dir_.List().empty());
  EXPECT_TRUE(Take(kAlice).ok());
}

TEST_F(JobLeaseTest, AFormerHolderLeavesItsSuccessorsLeaseInPlace) {
  StatusOr<JobLease> alice = Take(kAlice);
  ASSERT_TRUE(alice.ok());
  clock_.Advance(seconds(31));
  StatusOr<JobLease> bob = Take(kBob);
  ASSERT_TRUE(bob.ok());
  const std::string bobs = *ReadFile(LeasePath());
  ASSERT_TRUE(alice->Release().ok());
  EXPECT_EQ(*ReadFile(LeasePath()), bobs);
}

TEST_F(JobLeaseTest, ATakeoverInProgressByALiveTakerIsNamedAsTheHolder) {
  WriteLease("LEASE", "dead", NowSeconds() - 1, "00000000000000dd");
  WriteLease("LEASE.takeover.00000000000000dd", "carol", NowSeconds() + 30, "00000000000000cc");
  StatusOr<JobLease> bob = Take(kBob);
  ASSERT_FALSE(bob.ok());
  EXPECT_EQ(bob.status().ToString(),
            "InvalidArgument: " + LeasePath() +
                ": held by another run: owner carol, host h9, pid 9, until 2024-05-01T12:00:30Z "
                "(30 s from now; the holder renews it while it runs)");
}

TEST_F(JobLeaseTest, ATakerThatDiedMidTakeoverIsTakenOverInTurn) {
  WriteLease("LEASE", "dead", NowSeconds() - 10, "00000000000000dd");
  WriteLease("LEASE.takeover.00000000000000dd", "carol", NowSeconds() - 1, "00000000000000cc");
  StatusOr<JobLease> bob = Take(kBob);
  ASSERT_TRUE(bob.ok()) << bob.status().ToString();
  EXPECT_EQ(bob->taken_over()->holder.owner, "dead");
  EXPECT_EQ(dir_.List(), std::vector<std::string>{"LEASE"});
}

TEST_F(JobLeaseTest, ALeaseFileThatIsNotARecordIsCorruptionNamingIt) {
  WriteRaw(LeasePath(), "garbage");
  StatusOr<JobLease> bob = Take(kBob);
  ASSERT_FALSE(bob.ok());
  EXPECT_EQ(bob.status().code(), StatusCode::kCorruption);
  EXPECT_EQ(bob.status().message().rfind(
                LeasePath() + ": not a lease record; remove it if no run of the job is going (",
                0),
            0u)
      << bob.status().message();
}

// Real processes racing for one expired lease, as two runs started together after a crash:
// exactly one may win each round.
TEST(JobLeaseRaceTest, ManyTakersOfOneExpiredLeaseMakeOneHolder) {
  for (int round = 0; round < 10; ++round) {
    ScratchDir dir;
    WriteRaw(dir.File("LEASE"),
             R"({"owner":"dead","host":"h9","pid":9,"expires":0,"token":"00000000000000dd"})");
    std::vector<pid_t> takers;
    for (int i = 0; i < 6; ++i) {
      const pid_t pid = ::fork();
      ASSERT_GE(pid, 0);
      if (pid == 0) {
        SystemLeaseClock clock;
        StatusOr<JobLease> lease =
            JobLease::Acquire(dir.path(), {"t", "h", i}, kTtl, clock);
        // Hold it past the others' attempts; _exit skips the destructor's release.
        ::_exit(lease.ok() ? 0 : lease.status().code() == StatusCode::kInvalidArgument ? 3 : 4);
      }
      takers.push_back(pid);
    }
    int winners = 0, refused = 0;
    for (pid_t pid : takers) {
      int status = 0;
      ASSERT_EQ(::waitpid(pid, &status, 0), pid);
      ASSERT_TRUE(WIFEXITED(status));
      winners += WEXITSTATUS(status) == 0;
      refused += WEXITSTATUS(status) == 3;
    }
    EXPECT_EQ(winners, 1) << "round " << round;
    EXPECT_EQ(refused, 5) << "round " << round;
    EXPECT_EQ(dir.List(), std::vector<std::string>{"LEASE"}) << "round " << round;
  }
}

}  // namespace
}  // namespace neuropart
