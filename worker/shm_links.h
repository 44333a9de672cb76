// Shared-memory links: the partitions of one local attempt send each other messages through
// ShmRings (shm_ring.h) instead of sockets.
//
// The launcher makes every ring and doorbell of an attempt (ShmLinkSet) and hands each worker its
// share as inherited descriptors, named on its command line (--shm-links, FormatShmLinks):
//   - a ring per ordered pair of partitions (p -> q), mapped by p (producer) and q (consumer);
//   - a doorbell per partition, an eventfd the producers write after each record so that a
//     consumer asleep in poll() wakes; the consumer also waits on its ZeroMQ socket there.
// No other process has the descriptors, so a ring's producer is known without a handshake (see
// InboundFilter::AdmitFromPartitionLink). A record that does not fit its ring goes over the
// ZeroMQ link, which stays; the executor's mailbox orders messages by key, not by arrival.
#ifndef NEUROPART_WORKER_SHM_LINKS_H_
#define NEUROPART_WORKER_SHM_LINKS_H_

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

#include "neuropart/status.h"

namespace neuropart::worker {

// One partition's descriptors; entries for the partition itself are -1.
struct ShmLinkFds {
  int bell = -1;                // own doorbell
  std::vector<int> inbound;     // [p]: ring p -> self
  std::vector<int> outbound;    // [p]: ring self -> p
  std::vector<int> peer_bells;  // [p]: p's doorbell
  std::vector<int> all() const;  // every descriptor above but the -1s
};

// "bell=5;in=-1,7,8;out=-1,9,10;bells=-1,11,12".
std::string FormatShmLinks(const ShmLinkFds& fds);
// The inverse, for partition `self` of `partitions`. InvalidArgument naming the part at fault.
StatusOr<ShmLinkFds> ParseShmLinks(std::string_view text, int partitions, int self);

// Rings up to this many bytes are used; a partition maps 2 (P - 1) of them.
size_t ShmRingCapacityFor(size_t largest_message_bytes);

// Wakes the consumer that owns doorbell `fd`. Never blocks.
void RingDoorbell(int fd);
// Reads the doorbell empty (it is non-blocking).
void DrainDoorbell(int fd);

// Every ring and doorbell of one attempt, held by the launcher until the attempt ends.
class ShmLinkSet {
 public:
  static StatusOr<ShmLinkSet> Create(int partitions, size_t ring_capacity);
  ShmLinkSet(ShmLinkSet&& other) noexcept;
  ShmLinkSet& operator=(ShmLinkSet&&) = delete;
  ~ShmLinkSet();

  ShmLinkFds For(int q) const;

 private:
  ShmLinkSet() = default;
  int partitions_ = 0;
  std::vector<int> bells_;
  std::vector<int> rings_;  // [p * partitions + q]: p -> q, -1 on the diagonal
};

}  // namespace neuropart::worker

#endif  // NEUROPART_WORKER_SHM_LINKS_H_
