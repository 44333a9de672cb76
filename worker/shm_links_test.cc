#include "shm_links.h"

#include <gtest/gtest.h>
#include <poll.h>

#include "shm_ring.h"

namespace neuropart::worker {
namespace {

TEST(ShmLinksTest, AFormattedSetParsesBackForItsPartition) {
  ShmLinkFds fds{.bell = 5, .inbound = {7, -1, 8}, .outbound = {9, -1, 10},
                 .peer_bells = {11, -1, 12}};
  const std::string text = FormatShmLinks(fds);
  EXPECT_EQ(text, "bell=5;in=7,-1,8;out=9,-1,10;bells=11,-1,12");
  StatusOr<ShmLinkFds> back = ParseShmLinks(text, 3, 1);
  ASSERT_TRUE(back.ok()) << back.status().message();
  EXPECT_EQ(back->bell, 5);
  EXPECT_EQ(back->inbound, fds.inbound);
  EXPECT_EQ(back->outbound, fds.outbound);
  EXPECT_EQ(back->peer_bells, fds.peer_bells);
  EXPECT_EQ(back->all(), (std::vector<int>{5, 7, 8, 9, 10, 11, 12}));
}

TEST(ShmLinksTest, BadTextIsRefusedNamingThePart) {
  const std::pair<std::string, std::string> cases[] = {
      {"bell=5;in=7,-1;out=9,-1,10;bells=11,-1,12", "in: 2 descriptors for 3 partitions"},
      {"bell=5;in=7,8,9;out=9,-1,10;bells=11,-1,12", "in: entry 1 must be -1 (this partition)"},
      {"bell=5;in=-1,-1,8;out=9,-1,10;bells=11,-1,12", "in: entry 0 must be a descriptor"},
      {"bell=5;in=7,-1,8;out=9,-1,x;bells=11,-1,12", "out: \"x\" is not a descriptor"},
      {"bell=5;in=7,-1,8;out=9,-1,10", "bells= is missing"},
      {"bell=-1;in=7,-1,8;out=9,-1,10;bells=11,-1,12", "bell: \"-1\" is not a descriptor"},
      {"bell=5;rings=1;in=7,-1,8;out=9,-1,10;bells=11,-1,12", "\"rings=1\" is not bell="},
  };
  for (const auto& [text, want] : cases) {
    StatusOr<ShmLinkFds> r = ParseShmLinks(text, 3, 1);
    ASSERT_FALSE(r.ok()) << text;
    EXPECT_NE(r.status().message().find(want), std::string::npos) << r.status().message();
  }
}

TEST(ShmLinksTest, RingsAreSizedForTwoOfTheLargestMessageWithinBounds) {
  EXPECT_EQ(ShmRingCapacityFor(100), size_t{64} << 10);
  EXPECT_EQ(ShmRingCapacityFor(1 << 20), size_t{4} << 20);  // 2 MiB + slack, rounded up
  EXPECT_EQ(ShmRingCapacityFor(size_t{1} << 30), size_t{8} << 20);
}

TEST(ShmLinksTest, ASetGivesEachPartitionTheOtherEndOfItsPeersRings) {
  StatusOr<ShmLinkSet> set = ShmLinkSet::Create(3, 4096);
  ASSERT_TRUE(set.ok()) << set.status().message();
  const ShmLinkFds p0 = set->For(0), p2 = set->For(2);
  EXPECT_EQ(p0.inbound[0], -1);
  EXPECT_EQ(p0.outbound[2], p2.inbound[0]);
  EXPECT_EQ(p2.outbound[0], p0.inbound[2]);
  EXPECT_EQ(p0.peer_bells[2], p2.bell);
  EXPECT_NE(p0.outbound[1], p0.outbound[2]);
  // What 0 pushes to 2, 2 pops; and the bell 0 rings is the one 2 waits on.
  StatusOr<ShmRing> out = ShmRing::Map(p0.outbound[2]);
  StatusOr<ShmRing> in = ShmRing::Map(p2.inbound[0]);
  ASSERT_TRUE(out.ok() && in.ok());
  ASSERT_TRUE(out->TryPush("to two", ""));
  RingDoorbell(p0.peer_bells[2]);
  pollfd wait{p2.bell, POLLIN, 0};
  ASSERT_EQ(poll(&wait, 1, 1000), 1);
  DrainDoorbell(p2.bell);
  EXPECT_EQ(poll(&wait, 1, 0), 0) << "drained";
  StatusOr<std::optional<std::string>> got = in->TryPop();
  ASSERT_TRUE(got.ok() && got->has_value());
  EXPECT_EQ(**got, "to two");
}

}  // namespace
}  // namespace neuropart::worker
