#include "kube/kube_client.h"

#include <cctype>
#include <cstdio>

namespace neuropart::op {

StatusOr<ResourceType> ResourceOf(std::string_view kind) {
  if (kind == "Pod") return ResourceType{"/api/v1", "pods"};
  if (kind == "ConfigMap") return ResourceType{"/api/v1", "configmaps"};
  if (kind == "Secret") return ResourceType{"/api/v1", "secrets"};
  if (kind == "Service") return ResourceType{"/api/v1", "services"};
  if (kind == "Event") return ResourceType{"/api/v1", "events"};
  if (kind == "NetworkPolicy") return ResourceType{"/apis/networking.k8s.io/v1", "networkpolicies"};
  if (kind == "Lease") return ResourceType{"/apis/coordination.k8s.io/v1", "leases"};
  if (kind == "NeuralPartition")
    return ResourceType{"/apis/neuropart.io/v1alpha1", "neuralpartitions"};
  return InvalidArgumentError("unknown kind \"" + std::string(kind) + "\"");
}

std::string CollectionPath(const ResourceType& type, const std::string& ns) {
  if (ns.empty()) return type.api_path + "/" + type.plural;
  return type.api_path + "/namespaces/" + ns + "/" + type.plural;
}

std::string ObjectPath(const ResourceType& type, const std::string& ns, const std::string& name) {
  return CollectionPath(type, ns) + "/" + name;
}

std::string UrlEncode(std::string_view s) {
  std::string out;
  for (unsigned char c : s) {
    if (std::isalnum(c) || c == '-' || c == '_' || c == '.' || c == '~') {
      out.push_back(static_cast<char>(c));
    } else {
      char buf[4];
      std::snprintf(buf, sizeof(buf), "%%%02X", c);
      out += buf;
    }
  }
  return out;
}

std::string ApiResult::Describe() const {
  std::string out = std::to_string(status);
  if (!GetString(body, "reason").empty()) out += " " + GetString(body, "reason");
  if (!GetString(body, "message").empty()) out += ": " + GetString(body, "message");
  return out;
}

StatusOr<ApiResult> KubeClient::Call(const std::string& method, std::string_view kind,
                                     const std::string& ns, const std::string& name,
                                     const std::string& suffix, const Json* body,
                                     const std::string& content_type) {
  ASSIGN_OR_RETURN(ResourceType type, ResourceOf(kind));
  std::string path = name.empty() ? CollectionPath(type, ns) : ObjectPath(type, ns, name);
  path += suffix;
  ASSIGN_OR_RETURN(HttpResponse resp,
                   transport_->Request(method, path, body ? DumpJson(*body) : "", content_type));
  ApiResult r;
  r.status = resp.status;
  if (!resp.body.empty()) {
    StatusOr<Json> j = ParseJson(resp.body);
    if (j.ok()) r.body = std::move(j).value();
  }
  return r;
}

StatusOr<ApiResult> KubeClient::Get(std::string_view kind, const std::string& ns,
                                    const std::string& name) {
  return Call("GET", kind, ns, name, "", nullptr);
}

StatusOr<ApiResult> KubeClient::List(std::string_view kind, const std::string& ns,
                                     const std::string& query) {
  return Call("GET", kind, ns, "", query.empty() ? "" : "?" + query, nullptr);
}

StatusOr<ApiResult> KubeClient::Create(std::string_view kind, const std::string& ns,
                                       const Json& object) {
  return Call("POST", kind, ns, "", "", &object);
}

StatusOr<ApiResult> KubeClient::Delete(std::string_view kind, const std::string& ns,
                                       const std::string& name) {
  const Json options = Json::object(
      {{"apiVersion", "v1"}, {"kind", "DeleteOptions"}, {"propagationPolicy", "Background"}});
  return Call("DELETE", kind, ns, name, "", &options);
}

StatusOr<ApiResult> KubeClient::MergePatch(std::string_view kind, const std::string& ns,
                                           const std::string& name, const Json& patch) {
  return Call("PATCH", kind, ns, name, "", &patch, "application/merge-patch+json");
}

StatusOr<ApiResult> KubeClient::Replace(std::string_view kind, const std::string& ns,
                                        const std::string& name, const Json& object) {
  return Call("PUT", kind, ns, name, "", &object);
}

StatusOr<ApiResult> KubeClient::ReplaceStatus(std::string_view kind, const std::string& ns,
                                              const std::string& name, const Json& object) {
  return Call("PUT", kind, ns, name, "/status", &object);
}

}  // namespace neuropart::op
