#include "cgroup_files.h"

#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstring>
#include <fstream>
#include <sstream>
#include <thread>

namespace neuropart::cli {

StatusOr<CgroupDir> OwnCgroup(const std::string& controller) {
  std::ifstream in("/proc/self/cgroup");
  if (!in) return UnavailableError("cannot read /proc/self/cgroup");
  std::string line, v2_path;
  while (std::getline(in, line)) {
    const size_t a = line.find(':'), b = line.find(':', a + 1);
    if (a == std::string::npos || b == std::string::npos) continue;
    const std::string controllers = line.substr(a + 1, b - a - 1), path = line.substr(b + 1);
    std::stringstream list(controllers);
    for (std::string c; std::getline(list, c, ',');) {
      if (c == controller) return CgroupDir{"/sys/fs/cgroup/" + controller + path, false};
    }
    if (controllers.empty()) v2_path = path;
  }
  std::ifstream v2("/sys/fs/cgroup" + v2_path + "/cgroup.subtree_control");
  std::string enabled((std::istreambuf_iterator<char>(v2)), std::istreambuf_iterator<char>());
  std::stringstream words(enabled);
  for (std::string word; words >> word;) {
    if (word == controller) return CgroupDir{"/sys/fs/cgroup" + v2_path, true};
  }
  return UnavailableError("no " + controller + " cgroup controller is available to this process");
}

Status WriteControl(const std::string& path, const std::string& value) {
  std::ofstream out(path);
  out << value;
  out.flush();
  if (!out) {
    return UnavailableError("cannot write " + path + ": " + std::strerror(errno));
  }
  return Status::Ok();
}

void RemoveCgroup(const std::string& path) {
  for (int i = 0; i < 50 && ::rmdir(path.c_str()) != 0 && errno == EBUSY; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
}

}  // namespace neuropart::cli
