#include "shm_links.h"

#include <sys/eventfd.h>
#include <unistd.h>

#include <algorithm>
#include <bit>
#include <cerrno>
#include <charconv>
#include <cstdint>
#include <cstring>
#include <utility>

#include "shm_ring.h"

namespace neuropart::worker {
namespace {

constexpr size_t kMinRingBytes = 64 << 10;
constexpr size_t kMaxRingBytes = 8 << 20;

std::string JoinFds(const std::vector<int>& fds) {
  std::string out;
  for (size_t i = 0; i < fds.size(); ++i) out += (i ? "," : "") + std::to_string(fds[i]);
  return out;
}

// "7" -> 7; the whole text must be one integer >= -1.
bool ParseFd(std::string_view text, int* fd) {
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), *fd);
  return ec == std::errc() && end == text.data() + text.size() && *fd >= -1;
}

// "-1,7,8": one descriptor per partition, -1 exactly at `self`.
Status ParseFdList(std::string_view name, std::string_view text, int partitions, int self,
                   std::vector<int>* fds) {
  fds->clear();
  while (true) {
    const size_t comma = text.find(',');
    int fd;
    if (!ParseFd(text.substr(0, comma), &fd)) {
      return InvalidArgumentError("--shm-links " + std::string(name) + ": \"" +
                                  std::string(text.substr(0, comma)) + "\" is not a descriptor");
    }
    fds->push_back(fd);
    if (comma == std::string_view::npos) break;
    text.remove_prefix(comma + 1);
  }
  if (static_cast<int>(fds->size()) != partitions) {
    return InvalidArgumentError("--shm-links " + std::string(name) + ": " +
                                std::to_string(fds->size()) + " descriptors for " +
                                std::to_string(partitions) + " partitions");
  }
  for (int p = 0; p < partitions; ++p) {
    if (((*fds)[p] == -1) != (p == self)) {
      return InvalidArgumentError("--shm-links " + std::string(name) + ": entry " +
                                  std::to_string(p) + " must be " +
                                  (p == self ? "-1 (this partition)" : "a descriptor"));
    }
  }
  return Status::Ok();
}

}  // namespace

std::vector<int> ShmLinkFds::all() const {
  std::vector<int> out;
  if (bell >= 0) out.push_back(bell);
  for (const std::vector<int>* list : {&inbound, &outbound, &peer_bells}) {
    for (int fd : *list) {
      if (fd >= 0) out.push_back(fd);
    }
  }
  return out;
}

std::string FormatShmLinks(const ShmLinkFds& fds) {
  return "bell=" + std::to_string(fds.bell) + ";in=" + JoinFds(fds.inbound) +
         ";out=" + JoinFds(fds.outbound) + ";bells=" + JoinFds(fds.peer_bells);
}

StatusOr<ShmLinkFds> ParseShmLinks(std::string_view text, int partitions, int self) {
  ShmLinkFds fds;
  bool seen[4] = {false, false, false, false};
  static constexpr std::string_view kNames[4] = {"bell", "in", "out", "bells"};
  while (!text.empty()) {
    const size_t semi = text.find(';');
    const std::string_view part = text.substr(0, semi);
    text = semi == std::string_view::npos ? std::string_view() : text.substr(semi + 1);
    const size_t eq = part.find('=');
    const std::string_view name = part.substr(0, eq);
    const std::string_view value =
        eq == std::string_view::npos ? std::string_view() : part.substr(eq + 1);
    int which = -1;
    for (int i = 0; i < 4; ++i) {
      if (name == kNames[i]) which = i;
    }
    if (which < 0 || eq == std::string_view::npos) {
      return InvalidArgumentError("--shm-links: \"" + std::string(part) +
                                  "\" is not bell=, in=, out= or bells=");
    }
    seen[which] = true;
    if (which == 0) {
      if (!ParseFd(value, &fds.bell) || fds.bell < 0) {
        return InvalidArgumentError("--shm-links bell: \"" + std::string(value) +
                                    "\" is not a descriptor");
      }
      continue;
    }
    std::vector<int>* list = which == 1 ? &fds.inbound : which == 2 ? &fds.outbound
                                                                    : &fds.peer_bells;
    RETURN_IF_ERROR(ParseFdList(name, value, partitions, self, list));
  }
  for (int i = 0; i < 4; ++i) {
    if (!seen[i]) {
      return InvalidArgumentError("--shm-links: " + std::string(kNames[i]) + "= is missing");
    }
  }
  return fds;
}

size_t ShmRingCapacityFor(size_t largest_message_bytes) {
  // A ring takes records of up to half its size; twice the largest leaves room for two.
  const size_t want = std::bit_ceil(2 * largest_message_bytes + 1024);
  return std::clamp(want, kMinRingBytes, kMaxRingBytes);
}

void RingDoorbell(int fd) {
  const uint64_t one = 1;
  // EAGAIN only when the counter is near overflow: the consumer has plenty to wake for.
  while (write(fd, &one, sizeof(one)) < 0 && errno == EINTR) {
  }
}

void DrainDoorbell(int fd) {
  uint64_t count;
  while (read(fd, &count, sizeof(count)) < 0 && errno == EINTR) {
  }
}

StatusOr<ShmLinkSet> ShmLinkSet::Create(int partitions, size_t ring_capacity) {
  ShmLinkSet set;
  set.partitions_ = partitions;
  for (int q = 0; q < partitions; ++q) {
    const int bell = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
    if (bell < 0) {
      return UnavailableError(std::string("shared-memory links: eventfd: ") + std::strerror(errno));
    }
    set.bells_.push_back(bell);
  }
  set.rings_.assign(static_cast<size_t>(partitions) * partitions, -1);
  for (int p = 0; p < partitions; ++p) {
    for (int q = 0; q < partitions; ++q) {
      if (p == q) continue;
      int fd = -1;
      RETURN_IF_ERROR(ShmRing::Create(ring_capacity, &fd).status());
      set.rings_[p * partitions + q] = fd;
    }
  }
  return set;
}

ShmLinkSet::ShmLinkSet(ShmLinkSet&& other) noexcept
    : partitions_(other.partitions_),
      bells_(std::move(other.bells_)),
      rings_(std::move(other.rings_)) {
  other.bells_.clear();
  other.rings_.clear();
}

ShmLinkSet::~ShmLinkSet() {
  for (int fd : bells_) close(fd);
  for (int fd : rings_) {
    if (fd >= 0) close(fd);
  }
}

ShmLinkFds ShmLinkSet::For(int q) const {
  ShmLinkFds fds;
  fds.bell = bells_[q];
  for (int p = 0; p < partitions_; ++p) {
    fds.inbound.push_back(rings_[p * partitions_ + q]);
    fds.outbound.push_back(rings_[q * partitions_ + p]);
    fds.peer_bells.push_back(p == q ? -1 : bells_[p]);
  }
  return fds;
}

}  // namespace neuropart::worker
