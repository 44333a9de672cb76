// JobKeys: the CURVE keys of one job — a key pair per partition and one for clients
// (`neuropart infer --connect`) — and the files that carry them.
//
// The files, all in one directory (the job's store directory locally, a mounted Secret in a pod):
//   public.keys          every key the job admits, one "<name> <public key>" line each:
//                        partition-0 ... partition-<P-1>, then client
//   <name>.secret        that member's key pair, "<public key> <secret key>\n" (mode 0600)
//   status.token         the token GET /status asks for on a cluster (40 random Z85 characters)
// Keys are Z85 text (40 characters). A partition holds only its own .secret file; whoever holds
// client.secret may ask the coordinator for outputs.
#ifndef NEUROPART_WORKER_JOB_KEYS_H_
#define NEUROPART_WORKER_JOB_KEYS_H_

#include <map>
#include <string>
#include <vector>

#include "neuropart/status.h"
#include "zmq_socket.h"

namespace neuropart::worker {

inline constexpr const char* kPublicKeysFile = "public.keys";
inline constexpr const char* kClientKeyOwner = "client";
inline constexpr const char* kStatusTokenFile = "status.token";

// "partition-<p>": partition p's name in public.keys, its .secret file and on its messages.
std::string PartitionKeyOwner(int partition);

// What one member of a job knows: every public key and its own pair.
struct JobKeys {
  std::vector<std::string> partition_public_keys;  // by partition
  std::string client_public_key;
  CurveKeyPair own;

  // Public key -> owner name: the ZAP handler's table (ZmqContext::Authenticate).
  std::map<std::string, std::string> KeyOwners() const;
};

// Fresh keys for a job of `partitions` partitions, as file name -> content (for a Secret).
StatusOr<std::map<std::string, std::string>> MakeJobKeyFiles(int partitions);
// Writes fresh keys into `dir` (created 0700; files 0600, each replaced atomically).
Status WriteJobKeys(const std::string& dir, int partitions);
// Reads public.keys and `owner`'s .secret file from `dir`. InvalidArgument names the file and
// line for a malformed file or a partition count that is not the plan's.
StatusOr<JobKeys> ReadJobKeys(const std::string& dir, int partitions, const std::string& owner);

}  // namespace neuropart::worker

#endif  // NEUROPART_WORKER_JOB_KEYS_H_
