#include "shm_ring.h"

#include <gtest/gtest.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstring>
#include <string>
#include <thread>

namespace neuropart::worker {
namespace {

struct Ring {
  explicit Ring(size_t capacity) {
    StatusOr<ShmRing> made = ShmRing::Create(capacity, &fd);
    EXPECT_TRUE(made.ok()) << made.status().message();
    producer.emplace(std::move(made).value());
    StatusOr<ShmRing> mapped = ShmRing::Map(fd);
    EXPECT_TRUE(mapped.ok()) << mapped.status().message();
    consumer.emplace(std::move(mapped).value());
  }
  ~Ring() { close(fd); }
  std::optional<std::string> Pop() {
    StatusOr<std::optional<std::string>> r = consumer->TryPop();
    EXPECT_TRUE(r.ok()) << r.status().message();
    return r.ok() ? *r : std::nullopt;
  }
  int fd = -1;
  std::optional<ShmRing> producer;  // two mappings of one ring, as in two processes
  std::optional<ShmRing> consumer;
};

TEST(ShmRingTest, RecordsComeOutWholeAndInOrder) {
  Ring ring(1024);
  EXPECT_FALSE(ring.consumer->HasRecord());
  EXPECT_EQ(ring.Pop(), std::nullopt);
  ASSERT_TRUE(ring.producer->TryPush("head", "er+payload"));
  ASSERT_TRUE(ring.producer->TryPush("", ""));
  ASSERT_TRUE(ring.producer->TryPush("x", ""));
  EXPECT_TRUE(ring.consumer->HasRecord());
  EXPECT_EQ(ring.Pop(), "header+payload");
  EXPECT_EQ(ring.Pop(), "");
  EXPECT_EQ(ring.Pop(), "x");
  EXPECT_EQ(ring.Pop(), std::nullopt);
}

TEST(ShmRingTest, ARecordSplitsIntoItsHeadAndTheRest) {
  Ring ring(1024);
  ASSERT_TRUE(ring.producer->TryPush("head", "payload"));
  ASSERT_TRUE(ring.producer->TryPush("ab", ""));
  std::string head, rest;
  StatusOr<bool> got = ring.consumer->TryPop(4, &head, &rest);
  ASSERT_TRUE(got.ok() && *got);
  EXPECT_EQ(head, "head");
  EXPECT_EQ(rest, "payload");
  got = ring.consumer->TryPop(4, &head, &rest);  // shorter than the split: all of it is head
  ASSERT_TRUE(got.ok() && *got);
  EXPECT_EQ(head, "ab");
  EXPECT_EQ(rest, "");
  got = ring.consumer->TryPop(4, &head, &rest);
  ASSERT_TRUE(got.ok());
  EXPECT_FALSE(*got);
}

TEST(ShmRingTest, AFullRingRefusesUntilTheConsumerTakes) {
  Ring ring(256);
  const std::string block(100, 'a');  // 8 + 104 bytes a record: two fit in 256
  ASSERT_TRUE(ring.producer->TryPush(block, ""));
  ASSERT_TRUE(ring.producer->TryPush(block, ""));
  EXPECT_FALSE(ring.producer->TryPush(block, ""));
  EXPECT_EQ(ring.Pop(), block);
  EXPECT_TRUE(ring.producer->TryPush(block, ""));
}

TEST(ShmRingTest, ARecordOverHalfTheRingIsRefusedEvenWhenEmpty) {
  Ring ring(256);
  EXPECT_EQ(ring.producer->max_record_bytes(), 120u);
  EXPECT_TRUE(ring.producer->TryPush(std::string(120, 'a'), ""));
  EXPECT_EQ(ring.Pop(), std::string(120, 'a'));
  EXPECT_FALSE(ring.producer->TryPush(std::string(121, 'a'), ""));
}

TEST(ShmRingTest, RecordsWrapAroundTheEndIntact) {
  Ring ring(512);
  // Sizes that do not divide the ring, so records keep landing across its end.
  for (int i = 0; i < 200; ++i) {
    const std::string record(static_cast<size_t>(37 + (i * 53) % 190), static_cast<char>('a' + i % 26));
    ASSERT_TRUE(ring.producer->TryPush(record.substr(0, 5), record.substr(5))) << i;
    ASSERT_EQ(ring.Pop(), record) << i;
  }
}

TEST(ShmRingTest, AnotherProcessReadsWhatThisOneWrites) {
  Ring ring(4096);
  const pid_t child = fork();
  ASSERT_GE(child, 0);
  if (child == 0) {
    // Maps the inherited descriptor itself, as a worker does.
    StatusOr<ShmRing> own = ShmRing::Map(ring.fd);
    if (!own.ok()) _exit(3);
    for (int i = 0; i < 10000; ++i) {
      const std::string record = "record " + std::to_string(i);
      while (!own->TryPush(record, "")) std::this_thread::yield();
    }
    _exit(0);
  }
  for (int i = 0; i < 10000;) {
    StatusOr<std::optional<std::string>> r = ring.consumer->TryPop();
    ASSERT_TRUE(r.ok()) << r.status().message();
    if (!*r) continue;
    ASSERT_EQ(**r, "record " + std::to_string(i));
    ++i;
  }
  int status = 0;
  ASSERT_EQ(waitpid(child, &status, 0), child);
  EXPECT_EQ(WEXITSTATUS(status), 0);
}

TEST(ShmRingTest, AnImpossibleLengthIsCorruptionNotACrash) {
  Ring ring(256);
  ASSERT_TRUE(ring.producer->TryPush("abcdefgh", ""));
  // Overwrite the record's length word, as a broken producer might.
  void* base = mmap(nullptr, 128 + 256, PROT_READ | PROT_WRITE, MAP_SHARED, ring.fd, 0);
  ASSERT_NE(base, MAP_FAILED);
  const uint64_t huge = 1 << 20;
  std::memcpy(static_cast<char*>(base) + 128, &huge, sizeof(huge));
  munmap(base, 128 + 256);
  StatusOr<std::optional<std::string>> r = ring.consumer->TryPop();
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), StatusCode::kCorruption);
  EXPECT_NE(r.status().message().find("a record of 1048576 bytes"), std::string::npos)
      << r.status().message();
}

TEST(ShmRingTest, ADescriptorThatIsNotARingIsRefused) {
  const int fd = memfd_create("not-a-ring", MFD_CLOEXEC);
  ASSERT_GE(fd, 0);
  ASSERT_EQ(ftruncate(fd, 128 + 256), 0);
  void* base = mmap(nullptr, 128 + 256, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
  ASSERT_NE(base, MAP_FAILED);
  std::memset(base, 0x5a, 128);  // some other file's bytes
  munmap(base, 128 + 256);
  StatusOr<ShmRing> r = ShmRing::Map(fd);
  EXPECT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), StatusCode::kInvalidArgument);
  close(fd);
  int unused = -1;
  EXPECT_FALSE(ShmRing::Create(100, &unused).ok());  // not a multiple of 8
}

}  // namespace
}  // namespace neuropart::worker
