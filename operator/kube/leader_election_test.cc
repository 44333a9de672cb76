#include "kube/leader_election.h"

#include <gtest/gtest.h>

#include <cstdio>

#include "testing/fake_transport.h"

namespace neuropart::op {
namespace {

using testing::FakeCall;
using testing::FakeTransport;

const TimePoint kNow = std::chrono::system_clock::from_time_t(1795000000);

LeaseRecord Held(const std::string& holder, TimePoint renewed, int duration = 15) {
  return LeaseRecord{holder, duration, FormatMicroTime(renewed), FormatMicroTime(renewed), 2, "7"};
}

TEST(DecideLeaseTest, Table) {
  struct Row {
    const char* name;
    std::optional<LeaseRecord> lease;
    LeaseDecision want;
  };
  const std::vector<Row> rows = {
      {"no lease", std::nullopt, LeaseDecision::kCreate},
      {"ours", Held("me", kNow - std::chrono::seconds(100)), LeaseDecision::kRenew},
      {"released", Held("", kNow), LeaseDecision::kAcquire},
      {"held, seen changing 5 s ago", Held("other", kNow), LeaseDecision::kWait},
  };
  for (const Row& r : rows) {
    EXPECT_EQ(DecideLease(r.lease, "me", kNow - std::chrono::seconds(5), kNow), r.want) << r.name;
  }
  // Unchanged for longer than the lease: expired, whatever its renewTime says.
  EXPECT_EQ(DecideLease(Held("other", kNow), "me", kNow - std::chrono::seconds(16), kNow),
            LeaseDecision::kAcquire);
}

// The holder's clock runs 10 minutes ahead (or behind) of ours: its renewTime alone says nothing;
// only a record that stopped changing for a lease duration on our clock expires.
TEST(DecideLeaseTest, RemoteClockSkewNeitherStealsNorKeepsALease) {
  const LeaseRecord behind = Held("other", kNow - std::chrono::minutes(10));
  EXPECT_EQ(DecideLease(behind, "me", kNow, kNow), LeaseDecision::kWait);  // just renewed
  const LeaseRecord ahead = Held("other", kNow + std::chrono::minutes(10));
  EXPECT_EQ(DecideLease(ahead, "me", kNow - std::chrono::seconds(16), kNow), LeaseDecision::kAcquire);
}

TEST(LeaseObjectTest, TakeoverCountsATransitionAndRenewalKeepsAcquireTime) {
  const LeaseRecord other = Held("other", kNow - std::chrono::seconds(60));
  Json taken = LeaseObject("ns", "l", "me", 15, other, kNow);
  EXPECT_EQ(AsString(*AtPath(taken, {"spec", "holderIdentity"})), "me");
  EXPECT_EQ(AsInt(*AtPath(taken, {"spec", "leaseTransitions"})), 3);
  EXPECT_EQ(AsString(*AtPath(taken, {"spec", "acquireTime"})), FormatMicroTime(kNow));
  EXPECT_EQ(AsString(*AtPath(taken, {"metadata", "resourceVersion"})), "7");
  const LeaseRecord mine = Held("me", kNow - std::chrono::seconds(5));
  Json renewed = LeaseObject("ns", "l", "me", 15, mine, kNow);
  EXPECT_EQ(AsInt(*AtPath(renewed, {"spec", "leaseTransitions"})), 2);
  EXPECT_EQ(AsString(*AtPath(renewed, {"spec", "acquireTime"})), mine.acquire_time);
  EXPECT_EQ(AsString(*AtPath(renewed, {"spec", "renewTime"})), "2026-11-18T11:06:40.000000Z");
}

class LeaderElectorTest : public ::testing::Test {
 protected:
  LeaderElectorTest() : log_(0, std::fopen("/dev/null", "w")), client_(&transport_), clock_(kNow) {}
  LeaderElector Make() {
    return LeaderElector(&client_, LeaderElectionOptions{"ops", "neuropart", "me"}, &clock_, &log_);
  }
  Logger log_;
  FakeTransport transport_;
  KubeClient client_;
  FakeClock clock_;
};

TEST_F(LeaderElectorTest, CreatesAMissingLeaseAndLeads) {
  transport_.on_request = [](const FakeCall& c) -> StatusOr<HttpResponse> {
    if (c.method == "GET") return HttpResponse{404, R"({"reason":"NotFound"})"};
    return HttpResponse{201, c.body};
  };
  LeaderElector e = Make();
  ASSERT_TRUE(e.TryAcquireOrRenew().ok());
  EXPECT_TRUE(e.is_leader());
  const auto calls = transport_.calls();
  ASSERT_EQ(calls.size(), 2u);
  EXPECT_EQ(calls[1].method, "POST");
  EXPECT_EQ(calls[1].path, "/apis/coordination.k8s.io/v1/namespaces/ops/leases");
}

TEST_F(LeaderElectorTest, WaitsWhileAnotherHolderIsFresh) {
  const Json lease =
      LeaseObject("ops", "neuropart", "other", 15, std::nullopt, kNow - std::chrono::seconds(3));
  transport_.on_request = [&](const FakeCall&) -> StatusOr<HttpResponse> {
    return HttpResponse{200, DumpJson(lease)};
  };
  LeaderElector e = Make();
  ASSERT_TRUE(e.TryAcquireOrRenew().ok());
  EXPECT_FALSE(e.is_leader());
  EXPECT_EQ(transport_.calls().size(), 1u);  // no write
}

TEST_F(LeaderElectorTest, LosingTheUpdateRaceIsNotLeading) {
  Json lease =
      LeaseObject("ops", "neuropart", "other", 15, std::nullopt, kNow - std::chrono::seconds(30));
  lease["metadata"]["resourceVersion"] = "7";
  transport_.on_request = [&](const FakeCall& c) -> StatusOr<HttpResponse> {
    if (c.method == "GET") return HttpResponse{200, DumpJson(lease)};
    EXPECT_EQ(c.method, "PUT");
    EXPECT_NE(c.body.find(R"("resourceVersion":"7")"), std::string::npos);
    return HttpResponse{409, R"({"reason":"Conflict"})"};
  };
  LeaderElector e = Make();
  ASSERT_TRUE(e.TryAcquireOrRenew().ok());  // first sight: wait a lease duration
  clock_.Advance(std::chrono::seconds(16));
  ASSERT_TRUE(e.TryAcquireOrRenew().ok());
  EXPECT_FALSE(e.is_leader());
  EXPECT_EQ(transport_.calls().back().method, "PUT");
}

TEST_F(LeaderElectorTest, TakesOverOnlyALeaseThatStoppedChangingForItsDuration) {
  // The holder's clock is an hour behind ours, but it renews: never taken over.
  TimePoint holder_clock = kNow - std::chrono::hours(1);
  transport_.on_request = [&](const FakeCall& c) -> StatusOr<HttpResponse> {
    if (c.method == "GET") {
      return HttpResponse{200, DumpJson(LeaseObject("ops", "neuropart", "other", 15, std::nullopt,
                                                    holder_clock))};
    }
    return HttpResponse{200, c.body};
  };
  LeaderElector e = Make();
  for (int i = 0; i < 5; ++i) {
    ASSERT_TRUE(e.TryAcquireOrRenew().ok());
    EXPECT_FALSE(e.is_leader()) << i;
    clock_.Advance(std::chrono::seconds(10));
    holder_clock += std::chrono::seconds(10);  // renewed meanwhile
  }
  // The holder stops renewing: 15 s on our clock after we last saw a change, we lead.
  ASSERT_TRUE(e.TryAcquireOrRenew().ok());
  EXPECT_FALSE(e.is_leader());
  clock_.Advance(std::chrono::seconds(10));
  ASSERT_TRUE(e.TryAcquireOrRenew().ok());
  EXPECT_FALSE(e.is_leader());
  clock_.Advance(std::chrono::seconds(6));
  ASSERT_TRUE(e.TryAcquireOrRenew().ok());
  EXPECT_TRUE(e.is_leader());
}

TEST_F(LeaderElectorTest, ReleaseLeavesAnotherHoldersLease) {
  const Json lease = LeaseObject("ops", "neuropart", "other", 15, std::nullopt, kNow);
  transport_.on_request = [&](const FakeCall&) -> StatusOr<HttpResponse> {
    return HttpResponse{200, DumpJson(lease)};
  };
  LeaderElector e = Make();
  ASSERT_TRUE(e.Release().ok());
  ASSERT_EQ(transport_.calls().size(), 1u);
  EXPECT_EQ(transport_.calls()[0].method, "GET");
}

TEST_F(LeaderElectorTest, ReleaseEmptiesOurHolder) {
  Json lease = LeaseObject("ops", "neuropart", "me", 15, std::nullopt, kNow);
  lease["metadata"]["resourceVersion"] = "9";
  std::string put_body;
  transport_.on_request = [&](const FakeCall& c) -> StatusOr<HttpResponse> {
    if (c.method == "GET") return HttpResponse{200, DumpJson(lease)};
    if (c.method == "PUT") put_body = c.body;
    return HttpResponse{200, c.body};
  };
  LeaderElector e = Make();
  ASSERT_TRUE(e.TryAcquireOrRenew().ok());
  ASSERT_TRUE(e.is_leader());
  ASSERT_TRUE(e.Release().ok());
  EXPECT_FALSE(e.is_leader());
  StatusOr<Json> released = ParseJson(put_body);
  ASSERT_TRUE(released.ok());
  EXPECT_EQ(AsString(*AtPath(*released, {"spec", "holderIdentity"})), "");
  EXPECT_EQ(AsString(*AtPath(*released, {"metadata", "resourceVersion"})), "9");
  EXPECT_EQ(DecideLease(LeaseFromJson(*released), "other", kNow, kNow), LeaseDecision::kAcquire);
}

TEST_F(LeaderElectorTest, ApiErrorsAreReported) {
  transport_.on_request = [](const FakeCall&) -> StatusOr<HttpResponse> {
    return HttpResponse{403, R"({"reason":"Forbidden","message":"no"})"};
  };
  LeaderElector e = Make();
  Status s = e.TryAcquireOrRenew();
  EXPECT_FALSE(s.ok());
  EXPECT_NE(s.message().find("403 Forbidden: no"), std::string::npos) << s.message();
  EXPECT_FALSE(e.is_leader());
}

}  // namespace
}  // namespace neuropart::op
