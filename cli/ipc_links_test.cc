#include "ipc_links.h"

#include <gtest/gtest.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <cstring>
#include <optional>
#include <string>

namespace neuropart::cli {
namespace {

bool Exists(const std::string& path) {
  struct stat st{};
  return lstat(path.c_str(), &st) == 0;
}

// Connects to `endpoint` ("ipc://path"): true when something listens there.
bool Connects(const std::string& endpoint) {
  const std::string path = endpoint.substr(std::strlen("ipc://"));
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  std::memcpy(addr.sun_path, path.c_str(), path.size() + 1);
  const int fd = socket(AF_UNIX, SOCK_STREAM, 0);
  const bool ok = connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) == 0;
  close(fd);
  return ok;
}

TEST(IpcLinksTest, ListensOnePrivateSocketPerPartitionAndRemovesThemAll) {
  std::string dir;
  {
    StatusOr<IpcLinks> links = IpcLinks::Create(3, ::testing::TempDir());
    ASSERT_TRUE(links.ok()) << links.status().message();
    dir = links->dir();
    struct stat st{};
    ASSERT_EQ(stat(dir.c_str(), &st), 0);
    EXPECT_EQ(st.st_mode & 0777, 0700u) << "other users must not reach the sockets";
    for (int q = 0; q < 3; ++q) {
      EXPECT_EQ(links->endpoint(q), "ipc://" + dir + "/p" + std::to_string(q));
      EXPECT_TRUE(Connects(links->endpoint(q))) << q;
      int listening = 0;
      socklen_t len = sizeof(listening);
      ASSERT_EQ(getsockopt(links->fd(q), SOL_SOCKET, SO_ACCEPTCONN, &listening, &len), 0);
      EXPECT_EQ(listening, 1);
    }
    // Moving keeps one owner: the moved-from object removes nothing.
    std::optional<IpcLinks> moved(std::move(links).value());
    EXPECT_TRUE(Exists(dir));
    EXPECT_TRUE(Connects(moved->endpoint(2)));
  }
  EXPECT_FALSE(Exists(dir + "/p0"));
  EXPECT_FALSE(Exists(dir));
}

TEST(IpcLinksTest, RefusesAParentWhosePathsWouldNotFitASocketAddress) {
  const std::string parent = ::testing::TempDir() + std::string(120, 'd');
  StatusOr<IpcLinks> links = IpcLinks::Create(2, parent);
  ASSERT_FALSE(links.ok());
  EXPECT_EQ(links.status().code(), StatusCode::kInvalidArgument);
  EXPECT_NE(links.status().message().find("set TMPDIR"), std::string::npos)
      << links.status().message();
  EXPECT_NE(links.status().message().find(parent), std::string::npos);
}

TEST(IpcLinksTest, NamesTheParentItCannotWriteIn) {
  StatusOr<IpcLinks> links = IpcLinks::Create(1, "/nonexistent-neuropart-parent");
  ASSERT_FALSE(links.ok());
  EXPECT_EQ(links.status().code(), StatusCode::kUnavailable);
  EXPECT_NE(links.status().message().find("/nonexistent-neuropart-parent"), std::string::npos)
      << links.status().message();
}

}  // namespace
}  // namespace neuropart::cli
