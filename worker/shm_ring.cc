#include "shm_ring.h"

#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cstdint>
#include <cerrno>
#include <cstring>
#include <utility>

namespace neuropart::worker {

namespace {
constexpr uint64_t kMagic = 0x676e69726d687370;  // "pshmring"
constexpr uint64_t kWrap = ~uint64_t{0};
constexpr size_t kHeaderBytes = 128;
constexpr size_t kLengthBytes = 8;

size_t Padded(size_t n) { return (n + 7) & ~size_t{7}; }

std::string Errno(const char* what) { return std::string(what) + ": " + std::strerror(errno); }
}  // namespace

struct ShmRing::Header {
  alignas(64) std::atomic<uint64_t> head;  // consumer: bytes taken
  alignas(64) std::atomic<uint64_t> tail;  // producer: bytes published
  uint64_t capacity;
  uint64_t magic;
};
static_assert(sizeof(std::atomic<uint64_t>) == 8 && std::atomic<uint64_t>::is_always_lock_free,
              "the ring's positions are shared between processes");

StatusOr<ShmRing> ShmRing::Create(size_t capacity, int* fd) {
  if (capacity < 64 || capacity % 8 != 0) {
    return InvalidArgumentError("shared-memory ring: capacity " + std::to_string(capacity) +
                                " is not a multiple of 8 of at least 64");
  }
  const int made = memfd_create("neuropart-link", MFD_CLOEXEC);
  if (made < 0) return UnavailableError(Errno("shared-memory ring: memfd_create"));
  if (ftruncate(made, static_cast<off_t>(kHeaderBytes + capacity)) != 0) {
    const Status s = UnavailableError(Errno("shared-memory ring: ftruncate"));
    close(made);
    return s;
  }
  StatusOr<ShmRing> ring = Map(made);  // a fresh memfd reads as zeros: head = tail = 0
  if (!ring.ok()) {
    close(made);
    return ring.status();
  }
  *fd = made;
  return ring;
}

StatusOr<ShmRing> ShmRing::Map(int fd) {
  struct stat st;
  if (fstat(fd, &st) != 0) return InvalidArgumentError(Errno("shared-memory ring: fstat"));
  const size_t mapped = static_cast<size_t>(st.st_size);
  if (mapped < kHeaderBytes + 64 || (mapped - kHeaderBytes) % 8 != 0) {
    return InvalidArgumentError("shared-memory ring: descriptor " + std::to_string(fd) + " holds " +
                                std::to_string(mapped) + " bytes, not a ring");
  }
  void* base = mmap(nullptr, mapped, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
  if (base == MAP_FAILED) return UnavailableError(Errno("shared-memory ring: mmap"));
  auto* h = static_cast<Header*>(base);
  const size_t capacity = mapped - kHeaderBytes;
  if (h->magic == 0) {  // the creator's first mapping
    h->capacity = capacity;
    h->magic = kMagic;
  }
  if (h->magic != kMagic || h->capacity != capacity) {
    munmap(base, mapped);
    return InvalidArgumentError("shared-memory ring: descriptor " + std::to_string(fd) +
                                " is not a neuropart ring");
  }
  return ShmRing(base, mapped, capacity);
}

ShmRing::ShmRing(void* base, size_t mapped, size_t capacity)
    : base_(base), mapped_(mapped), capacity_(capacity) {}

ShmRing::ShmRing(ShmRing&& other) noexcept
    : base_(std::exchange(other.base_, nullptr)),
      mapped_(std::exchange(other.mapped_, 0)),
      capacity_(std::exchange(other.capacity_, 0)) {}

ShmRing& ShmRing::operator=(ShmRing&& other) noexcept {
  if (this != &other) {
    Unmap();
    base_ = std::exchange(other.base_, nullptr);
    mapped_ = std::exchange(other.mapped_, 0);
    capacity_ = std::exchange(other.capacity_, 0);
  }
  return *this;
}

ShmRing::~ShmRing() { Unmap(); }

void ShmRing::Unmap() {
  if (base_ != nullptr) munmap(base_, mapped_);
  base_ = nullptr;
}

bool ShmRing::TryPush(std::string_view first, std::string_view second) {
  auto* h = static_cast<Header*>(base_);
  char* data = static_cast<char*>(base_) + kHeaderBytes;
  const uint64_t length = first.size() + second.size();
  const size_t record = kLengthBytes + Padded(length);
  if (record > capacity_ / 2) return false;
  uint64_t tail = h->tail.load(std::memory_order_relaxed);
  const uint64_t head = h->head.load(std::memory_order_acquire);
  size_t offset = tail % capacity_;
  const size_t to_end = capacity_ - offset;
  const size_t wasted = record > to_end ? to_end : 0;
  if (tail - head + wasted + record > capacity_) return false;
  if (wasted > 0) {
    std::memcpy(data + offset, &kWrap, kLengthBytes);
    tail += wasted;
    offset = 0;
  }
  std::memcpy(data + offset, &length, kLengthBytes);
  std::memcpy(data + offset + kLengthBytes, first.data(), first.size());
  std::memcpy(data + offset + kLengthBytes + first.size(), second.data(), second.size());
  h->tail.store(tail + record, std::memory_order_release);
  return true;
}

bool ShmRing::HasRecord() const {
  const auto* h = static_cast<const Header*>(base_);
  return h->tail.load(std::memory_order_acquire) != h->head.load(std::memory_order_relaxed);
}

StatusOr<std::optional<std::string>> ShmRing::TryPop() {
  std::string record, none;
  ASSIGN_OR_RETURN(const bool got, TryPop(SIZE_MAX, &record, &none));
  return got ? std::optional<std::string>(std::move(record)) : std::nullopt;
}

StatusOr<bool> ShmRing::TryPop(size_t split, std::string* head_out, std::string* rest) {
  auto* h = static_cast<Header*>(base_);
  const char* data = static_cast<const char*>(base_) + kHeaderBytes;
  uint64_t head = h->head.load(std::memory_order_relaxed);
  const uint64_t tail = h->tail.load(std::memory_order_acquire);
  auto corrupt = [&](const std::string& what) {
    return CorruptionError("shared-memory ring: " + what + " at byte " + std::to_string(head) +
                           " (published " + std::to_string(tail) + ")");
  };
  if (tail - head > capacity_) return corrupt("more published than the ring holds");
  if (head == tail) return false;
  size_t offset = head % capacity_;
  uint64_t length;
  std::memcpy(&length, data + offset, kLengthBytes);
  if (length == kWrap) {
    head += capacity_ - offset;
    offset = 0;
    if (head == tail) return corrupt("a wrap with no record after it");
    std::memcpy(&length, data, kLengthBytes);
  }
  const size_t record = kLengthBytes + Padded(length);
  if (length > capacity_ || record > capacity_ - offset || record > tail - head) {
    return corrupt("a record of " + std::to_string(length) + " bytes");
  }
  const char* bytes = data + offset + kLengthBytes;
  const size_t first = std::min<size_t>(split, length);
  head_out->assign(bytes, first);
  rest->assign(bytes + first, length - first);
  h->head.store(head + record, std::memory_order_release);
  return true;
}

}  // namespace neuropart::worker
