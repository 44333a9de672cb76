#include "kube/informer.h"

#include <thread>

namespace neuropart::op {

std::string ObjectKey(const Json& object) {
  const Json* meta = FindMember(object, "metadata");
  if (meta == nullptr) return "/";
  return GetString(*meta, "namespace") + "/" + GetString(*meta, "name");
}

std::string Informer::Query(bool watch) const {
  std::string q;
  if (!options_.label_selector.empty()) q = "labelSelector=" + UrlEncode(options_.label_selector);
  if (watch) {
    std::lock_guard<std::mutex> lock(mu_);
    q += (q.empty() ? "" : "&") +
         std::string("watch=true&allowWatchBookmarks=true&resourceVersion=") +
         UrlEncode(resource_version_) +
         "&timeoutSeconds=" + std::to_string(options_.watch_timeout_seconds);
  }
  return q;
}

Status Informer::List() {
  ASSIGN_OR_RETURN(ApiResult r,
                   client_->List(options_.kind, options_.namespace_name, Query(false)));
  if (!r.ok()) return UnavailableError("list " + options_.kind + ": " + r.Describe());
  const Json* items = FindMember(r.body, "items");
  std::map<std::string, Json> fresh;
  if (items != nullptr) {
    for (const Json& item : Elements(*items)) {
      Json copy = item;
      // List items carry no apiVersion/kind; the handlers and decoders want them.
      if (FindMember(copy, "kind") == nullptr) {
        copy["apiVersion"] = GetString(r.body, "apiVersion");
        std::string kind = GetString(r.body, "kind");
        if (kind.size() > 4 && kind.substr(kind.size() - 4) == "List") kind.resize(kind.size() - 4);
        copy["kind"] = kind;
      }
      // Json's assignment takes its argument by value: name the key before moving.
      const std::string key = ObjectKey(copy);
      fresh[key] = std::move(copy);
    }
  }
  std::vector<Json> deleted;
  {
    std::lock_guard<std::mutex> lock(mu_);
    for (const auto& [key, obj] : cache_) {
      if (!fresh.count(key)) deleted.push_back(obj);
    }
    cache_ = fresh;
    const Json* version = AtPath(r.body, {"metadata", "resourceVersion"});
    resource_version_ = version != nullptr ? AsString(*version) : "";
    need_list_ = false;
    synced_ = true;
  }
  ++lists_;
  if (options_.on_list) options_.on_list(options_.kind);
  log_->V(2, "Listed objects",
          {{"kind", options_.kind},
           {"count", std::to_string(fresh.size())},
           {"resourceVersion", resource_version()}});
  for (const Json& obj : deleted) handler_("DELETED", obj);
  for (const auto& [key, obj] : fresh) handler_("ADDED", obj);
  return Status::Ok();
}

bool Informer::OnLine(const std::string& line) {
  StatusOr<Json> event = ParseJson(line);
  if (!event.ok()) {
    log_->Error("Dropped a malformed watch event",
                {{"kind", options_.kind}, {"error", event.status().message()}});
    return true;
  }
  const std::string type = GetString(*event, "type");
  const Json* object = FindMember(*event, "object");
  if (object == nullptr) return true;
  const Json* version = AtPath(*object, {"metadata", "resourceVersion"});
  const std::string rv = version != nullptr ? AsString(*version) : "";
  if (type == "ERROR") {
    // 410 Gone (the version was compacted) or another error: start again from a list.
    log_->Info("Watch ended with an error; re-listing",
               {{"kind", options_.kind},
                {"code", std::to_string(GetInt(*object, "code"))},
                {"reason", GetString(*object, "reason")}});
    std::lock_guard<std::mutex> lock(mu_);
    need_list_ = true;
    return false;
  }
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (!rv.empty()) resource_version_ = rv;
    if (type == "BOOKMARK") return true;
    if (type == "DELETED") {
      cache_.erase(ObjectKey(*object));
    } else if (type == "ADDED" || type == "MODIFIED") {
      cache_[ObjectKey(*object)] = *object;
    } else {
      return true;
    }
  }
  handler_(type, *object);
  return true;
}

Status Informer::Watch() {
  ASSIGN_OR_RETURN(ResourceType type, ResourceOf(options_.kind));
  const std::string path = CollectionPath(type, options_.namespace_name) + "?" + Query(true);
  ASSIGN_OR_RETURN(
      HttpResponse resp,
      client_->transport()->Stream(path, [this](const std::string& line) { return OnLine(line); }));
  if (resp.status != 200) {
    std::lock_guard<std::mutex> lock(mu_);
    need_list_ = true;
    return UnavailableError("watch " + options_.kind + ": HTTP " + std::to_string(resp.status));
  }
  return Status::Ok();
}

Status Informer::SyncOnce() {
  bool need_list;
  {
    std::lock_guard<std::mutex> lock(mu_);
    need_list = need_list_;
  }
  if (need_list) RETURN_IF_ERROR(List());
  return Watch();
}

void Informer::Run(const std::atomic<bool>& stop) {
  std::chrono::milliseconds backoff = options_.min_backoff;
  while (!stop) {
    const auto started = std::chrono::steady_clock::now();
    Status s = SyncOnce();
    if (s.ok()) {
      backoff = options_.min_backoff;
      // A watch the server ends at once (a proxy, a tiny timeout) must not spin.
      if (std::chrono::steady_clock::now() - started < std::chrono::seconds(1)) {
        for (auto slept = std::chrono::milliseconds(0); slept < options_.min_backoff && !stop;
             slept += std::chrono::milliseconds(50)) {
          std::this_thread::sleep_for(std::chrono::milliseconds(50));
        }
      }
      continue;
    }
    if (stop) break;
    log_->Error("Watch failed; retrying", {{"kind", options_.kind},
                                           {"error", s.message()},
                                           {"backoff", std::to_string(backoff.count()) + "ms"}});
    for (auto slept = std::chrono::milliseconds(0); slept < backoff && !stop;
         slept += std::chrono::milliseconds(50)) {
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    backoff = std::min(backoff * 2, options_.max_backoff);
  }
}

bool Informer::HasSynced() const {
  std::lock_guard<std::mutex> lock(mu_);
  return synced_;
}

std::vector<Json> Informer::Items() const {
  std::lock_guard<std::mutex> lock(mu_);
  std::vector<Json> out;
  for (const auto& [key, obj] : cache_) out.push_back(obj);
  return out;
}

std::optional<Json> Informer::Get(const std::string& ns, const std::string& name) const {
  std::lock_guard<std::mutex> lock(mu_);
  auto it = cache_.find(ns + "/" + name);
  if (it == cache_.end()) return std::nullopt;
  return it->second;
}

std::string Informer::resource_version() const {
  std::lock_guard<std::mutex> lock(mu_);
  return resource_version_;
}

}  // namespace neuropart::op
