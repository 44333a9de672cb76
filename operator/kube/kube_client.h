// KubeClient: typed REST calls on Kubernetes resources (get, list, create, delete, merge patch,
// replace, replace status) over a KubeTransport. Answers keep their HTTP status, because callers
// act on it (404 on delete is done, 409 on create means it exists, 409 on update means retry on
// fresh state). Thread-safe if the transport is.
#ifndef NEUROPART_OPERATOR_KUBE_KUBE_CLIENT_H_
#define NEUROPART_OPERATOR_KUBE_KUBE_CLIENT_H_

#include <string>
#include <string_view>

#include "neuropart/base/json.h"
#include "kube/transport.h"
#include "neuropart/status.h"

namespace neuropart::op {

struct ResourceType {
  std::string api_path;  // "/api/v1" or "/apis/<group>/<version>"
  std::string plural;
};

// Pod, ConfigMap, Service, NetworkPolicy, Lease, NeuralPartition. InvalidArgument otherwise.
StatusOr<ResourceType> ResourceOf(std::string_view kind);
// Namespaced collection ("" = every namespace).
std::string CollectionPath(const ResourceType& type, const std::string& ns);
std::string ObjectPath(const ResourceType& type, const std::string& ns, const std::string& name);
std::string UrlEncode(std::string_view s);

struct ApiResult {
  int status = 0;
  Json body;  // null when the body was empty or not JSON
  bool ok() const { return status >= 200 && status < 300; }
  // "409 Conflict: <message>" from a metav1.Status body.
  std::string Describe() const;
};

class KubeClient {
 public:
  explicit KubeClient(KubeTransport* transport) : transport_(transport) {}

  StatusOr<ApiResult> Get(std::string_view kind, const std::string& ns, const std::string& name);
  // `query` is appended as is ("labelSelector=...&resourceVersion=...").
  StatusOr<ApiResult> List(std::string_view kind, const std::string& ns, const std::string& query);
  StatusOr<ApiResult> Create(std::string_view kind, const std::string& ns, const Json& object);
  StatusOr<ApiResult> Delete(std::string_view kind, const std::string& ns, const std::string& name);
  StatusOr<ApiResult> MergePatch(std::string_view kind, const std::string& ns,
                                 const std::string& name, const Json& patch);
  StatusOr<ApiResult> Replace(std::string_view kind, const std::string& ns, const std::string& name,
                              const Json& object);
  StatusOr<ApiResult> ReplaceStatus(std::string_view kind, const std::string& ns,
                                    const std::string& name, const Json& object);

  KubeTransport* transport() const { return transport_; }

 private:
  StatusOr<ApiResult> Call(const std::string& method, std::string_view kind, const std::string& ns,
                           const std::string& name, const std::string& suffix, const Json* body,
                           const std::string& content_type = "application/json");
  KubeTransport* transport_;
};

}  // namespace neuropart::op

#endif  // NEUROPART_OPERATOR_KUBE_KUBE_CLIENT_H_
