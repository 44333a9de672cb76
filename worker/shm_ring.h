// ShmRing: a single-producer, single-consumer ring of byte records in shared memory, one
// direction of one pair of local partitions (shm_links.h sets them up).
//
// The ring lives in a memfd: the launcher creates it (Create) and both workers map the same
// descriptor (Map). Its first 128 bytes hold the consumer's `head` and the producer's `tail` (each
// on its own cache line, byte counts that only grow) and the capacity; the records follow. A
// record is an 8-byte length and the bytes, padded to 8; a length of kWrap says "continue at the
// start". The producer writes a record and then publishes `tail` (release); the consumer reads
// `tail` (acquire), copies the record out and then publishes `head` (release), so neither side
// ever waits for the other: TryPush fails at once when the record does not fit, and the caller
// sends it another way (the ZeroMQ link).
//
// The consumer trusts nothing it reads: a length past the ring or a position that went backwards
// is Corruption, not a crash. Movable, not copyable; the mapping is undone on destruction, the
// descriptor is the caller's.
#ifndef NEUROPART_WORKER_SHM_RING_H_
#define NEUROPART_WORKER_SHM_RING_H_

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "neuropart/status.h"

namespace neuropart::worker {

class ShmRing {
 public:
  // A new, empty ring of `capacity` bytes of records (a multiple of 8, at least 64) in a memfd
  // that is close-on-exec; *fd receives it. Unavailable if the kernel refuses.
  static StatusOr<ShmRing> Create(size_t capacity, int* fd);
  // Maps the ring in `fd` (made by Create, perhaps in another process). InvalidArgument if it is
  // not one.
  static StatusOr<ShmRing> Map(int fd);

  ShmRing(ShmRing&& other) noexcept;
  ShmRing& operator=(ShmRing&& other) noexcept;
  ~ShmRing();

  // Producer: appends one record made of `first` then `second`; false if it does not fit now.
  bool TryPush(std::string_view first, std::string_view second);
  // Consumer: takes the oldest record, its first `split` bytes (all, if it is shorter) into *head
  // and the rest into *rest, one copy each; false when the ring is empty.
  StatusOr<bool> TryPop(size_t split, std::string* head, std::string* rest);
  // Consumer: the oldest record whole, or nullopt when the ring is empty.
  StatusOr<std::optional<std::string>> TryPop();
  // Consumer: true when a record is waiting.
  bool HasRecord() const;

  size_t capacity() const { return capacity_; }
  // The largest record TryPush can ever take: a ring never holds more than half of it in one.
  size_t max_record_bytes() const { return capacity_ / 2 - 8; }

 private:
  struct Header;
  ShmRing(void* base, size_t mapped, size_t capacity);
  void Unmap();

  void* base_ = nullptr;
  size_t mapped_ = 0;
  size_t capacity_ = 0;
};

}  // namespace neuropart::worker

#endif  // NEUROPART_WORKER_SHM_RING_H_
