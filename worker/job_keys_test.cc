#include "job_keys.h"

#include <gtest/gtest.h>
#include <sys/stat.h>

#include <filesystem>
#include <fstream>
#include <set>

namespace neuropart::worker {
namespace {

namespace fs = std::filesystem;

class JobKeysTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() /
           ("job_keys_test_" + std::to_string(::getpid()) + "_" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(dir_);
  }
  void TearDown() override { fs::remove_all(dir_); }
  std::string dir() const { return (dir_ / "keys").string(); }
  fs::path dir_;
};

mode_t Mode(const std::string& path) {
  struct stat st {};
  EXPECT_EQ(::stat(path.c_str(), &st), 0) << path;
  return st.st_mode & 0777;
}

void Overwrite(const std::string& path, const std::string& text) {
  std::ofstream(path, std::ios::trunc) << text;
}

TEST_F(JobKeysTest, EveryMemberReadsTheSameListAndItsOwnPair) {
  fs::create_directories(dir_);
  ASSERT_TRUE(WriteJobKeys(dir(), 3).ok());
  StatusOr<JobKeys> p1 = ReadJobKeys(dir(), 3, PartitionKeyOwner(1));
  StatusOr<JobKeys> client = ReadJobKeys(dir(), 3, kClientKeyOwner);
  ASSERT_TRUE(p1.ok()) << p1.status().ToString();
  ASSERT_TRUE(client.ok()) << client.status().ToString();
  EXPECT_EQ(p1->partition_public_keys, client->partition_public_keys);
  EXPECT_EQ(p1->own.public_key, p1->partition_public_keys[1]);
  EXPECT_EQ(client->own.public_key, client->client_public_key);
  EXPECT_EQ(p1->own.secret_key.size(), 40u);
  EXPECT_NE(p1->own.secret_key, client->own.secret_key);
  const std::set<std::string> distinct(p1->partition_public_keys.begin(),
                                       p1->partition_public_keys.end());
  EXPECT_EQ(distinct.size(), 3u);
  const auto owners = p1->KeyOwners();
  EXPECT_EQ(owners.at(p1->partition_public_keys[2]), "partition-2");
  EXPECT_EQ(owners.at(p1->client_public_key), "client");
}

TEST_F(JobKeysTest, DirectoryIsPrivateAndSecretsAreOwnerReadOnly) {
  fs::create_directories(dir_);
  ASSERT_TRUE(WriteJobKeys(dir(), 2).ok());
  EXPECT_EQ(Mode(dir()), 0700u);
  for (const char* name : {"partition-0.secret", "partition-1.secret", "client.secret",
                           "public.keys", "status.token"}) {
    EXPECT_EQ(Mode(dir() + "/" + name), 0600u) << name;
  }
}

TEST_F(JobKeysTest, WritingAgainMakesFreshKeys) {
  fs::create_directories(dir_);
  ASSERT_TRUE(WriteJobKeys(dir(), 2).ok());
  const std::string first = ReadJobKeys(dir(), 2, "partition-0")->own.secret_key;
  ASSERT_TRUE(WriteJobKeys(dir(), 2).ok());
  EXPECT_NE(ReadJobKeys(dir(), 2, "partition-0")->own.secret_key, first);
}

TEST_F(JobKeysTest, ListForAnotherPartitionCountIsRefused) {
  fs::create_directories(dir_);
  ASSERT_TRUE(WriteJobKeys(dir(), 2).ok());
  StatusOr<JobKeys> keys = ReadJobKeys(dir(), 3, "partition-0");
  EXPECT_EQ(keys.status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(keys.status().message(),
            dir() + "/public.keys: lists 2 partition keys; the plan has 3 partitions");
}

TEST_F(JobKeysTest, MalformedLineIsNamedByFileAndLine) {
  fs::create_directories(dir_);
  ASSERT_TRUE(WriteJobKeys(dir(), 1).ok());
  Overwrite(dir() + "/public.keys", "partition-0 " + std::string(40, 'a') + "\nclient short\n");
  StatusOr<JobKeys> keys = ReadJobKeys(dir(), 1, "partition-0");
  EXPECT_EQ(keys.status().message(),
            dir() + "/public.keys:2: expected \"<name> <40-character Z85 key>\"");
}

TEST_F(JobKeysTest, SecretThatIsNotTheListedKeyIsRefused) {
  fs::create_directories(dir_);
  ASSERT_TRUE(WriteJobKeys(dir(), 2).ok());
  fs::copy_file(dir() + "/partition-1.secret", dir() + "/partition-0.secret",
                fs::copy_options::overwrite_existing);
  StatusOr<JobKeys> keys = ReadJobKeys(dir(), 2, "partition-0");
  EXPECT_EQ(keys.status().message(), dir() + "/partition-0.secret: its public key is not "
                                             "partition-0's in " + dir() + "/public.keys");
}

TEST_F(JobKeysTest, MissingSecretIsNotFound) {
  fs::create_directories(dir_);
  ASSERT_TRUE(WriteJobKeys(dir(), 1).ok());
  fs::remove(dir() + "/client.secret");
  EXPECT_EQ(ReadJobKeys(dir(), 1, "client").status().code(), StatusCode::kNotFound);
}

}  // namespace
}  // namespace neuropart::worker
