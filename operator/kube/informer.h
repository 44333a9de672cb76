// Informer: a cache of one kind of object kept current by list + watch, as client-go's reflector.
//
// It lists (remembering the list's resourceVersion), then watches from that version with
// bookmarks; every event moves the version on, so a reconnect resumes without a re-list. A watch
// that ends (server timeout) is re-opened; an ERROR event — 410 Gone when the version was
// compacted away — or an HTTP error forces a re-list, and objects missing from the new list are
// reported deleted. Failures back off exponentially. The handler runs on the informer's thread,
// outside its lock. The cache is thread-safe.
#ifndef NEUROPART_OPERATOR_KUBE_INFORMER_H_
#define NEUROPART_OPERATOR_KUBE_INFORMER_H_

#include <atomic>
#include <chrono>
#include <functional>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "neuropart/base/json.h"
#include "kube/kube_client.h"
#include "kube/log.h"

namespace neuropart::op {

struct InformerOptions {
  std::string kind;            // Pod, NeuralPartition, ...
  std::string namespace_name;  // "" = every namespace
  std::string label_selector;
  int watch_timeout_seconds = 240;
  std::chrono::milliseconds min_backoff{500};
  std::chrono::milliseconds max_backoff{30000};
  std::function<void(const std::string& kind)> on_list;  // after every (re-)list, for metrics
};

class Informer {
 public:
  // `type` is ADDED, MODIFIED or DELETED (a re-list reports what it finds as ADDED).
  using Handler = std::function<void(const std::string& type, const Json& object)>;

  Informer(KubeClient* client, InformerOptions options, Handler handler, const Logger* log)
      : client_(client), options_(std::move(options)), handler_(std::move(handler)), log_(log) {}

  // One cycle: a list if one is needed, then one watch until its stream ends.
  Status SyncOnce();
  // SyncOnce until `stop`, backing off after failures.
  void Run(const std::atomic<bool>& stop);

  bool HasSynced() const;
  std::vector<Json> Items() const;
  std::optional<Json> Get(const std::string& ns, const std::string& name) const;
  std::string resource_version() const;
  int lists() const { return lists_; }

 private:
  Status List();
  Status Watch();
  // Applies one watch event line. Returns false when the watch must stop (ERROR).
  bool OnLine(const std::string& line);
  std::string Query(bool watch) const;

  KubeClient* client_;
  const InformerOptions options_;
  Handler handler_;
  const Logger* log_;
  mutable std::mutex mu_;
  std::map<std::string, Json> cache_;  // "namespace/name" -> object
  std::string resource_version_;
  bool need_list_ = true;
  bool synced_ = false;
  std::atomic<int> lists_{0};
};

std::string ObjectKey(const Json& object);

}  // namespace neuropart::op

#endif  // NEUROPART_OPERATOR_KUBE_INFORMER_H_
