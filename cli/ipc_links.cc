#include "ipc_links.h"

#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <utility>

namespace neuropart::cli {
namespace {

std::string SocketPath(const std::string& dir, int q) { return dir + "/p" + std::to_string(q); }

std::string DefaultParent() {
  const char* tmp = std::getenv("TMPDIR");
  return tmp != nullptr && *tmp != '\0' ? tmp : "/tmp";
}

}  // namespace

StatusOr<IpcLinks> IpcLinks::Create(int partitions, std::string parent) {
  if (parent.empty()) parent = DefaultParent();
  std::string pattern = parent + "/neuropart-XXXXXX";
  const size_t longest = SocketPath(pattern, partitions - 1).size();
  if (longest >= sizeof(sockaddr_un{}.sun_path)) {
    return InvalidArgumentError("local links: socket path " + SocketPath(pattern, partitions - 1) +
                                " is " + std::to_string(longest) + " bytes, over the " +
                                std::to_string(sizeof(sockaddr_un{}.sun_path) - 1) +
                                " a Unix-domain socket allows; set TMPDIR to a shorter directory");
  }
  if (mkdtemp(pattern.data()) == nullptr) {  // mode 0700
    return UnavailableError("local links: cannot create a directory in " + parent + ": " +
                            std::strerror(errno));
  }
  IpcLinks links;
  links.dir_ = pattern;
  for (int q = 0; q < partitions; ++q) {
    const std::string path = SocketPath(links.dir_, q);
    sockaddr_un addr{};
    addr.sun_family = AF_UNIX;
    std::memcpy(addr.sun_path, path.c_str(), path.size() + 1);
    const int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    const bool ok = fd >= 0 && bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) == 0 &&
                    listen(fd, 64) == 0;
    if (!ok) {
      const std::string why = std::strerror(errno);
      if (fd >= 0) close(fd);
      unlink(path.c_str());  // if bind made it; the ones before go with `links`
      return UnavailableError("local links: cannot listen on " + path + ": " + why);
    }
    links.fds_.push_back(fd);
  }
  return links;
}

IpcLinks::IpcLinks(IpcLinks&& other) noexcept
    : dir_(std::exchange(other.dir_, "")), fds_(std::exchange(other.fds_, {})) {}

IpcLinks::~IpcLinks() { Remove(); }

void IpcLinks::Remove() {
  for (size_t q = 0; q < fds_.size(); ++q) {
    close(fds_[q]);
    unlink(SocketPath(dir_, static_cast<int>(q)).c_str());
  }
  fds_.clear();
  if (!dir_.empty()) rmdir(dir_.c_str());
  dir_.clear();
}

std::string IpcLinks::endpoint(int q) const { return "ipc://" + SocketPath(dir_, q); }

}  // namespace neuropart::cli
