// Kubeconfig files, read through YamlReader.
#include "kube/kube_config.h"

#include <filesystem>
#include <optional>
#include <fstream>
#include <sstream>

#include "neuropart/yaml/yaml_reader.h"

namespace neuropart::op {
namespace {

StatusOr<std::string> ReadText(const std::string& path, const std::string& what) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return NotFoundError(what + ": cannot read " + path);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

// A file path relative to the kubeconfig's directory, as kubectl resolves it.
std::string Resolve(const std::string& path, const std::string& kubeconfig) {
  if (path.empty() || path[0] == '/') return path;
  return (std::filesystem::path(kubeconfig).parent_path() / path).string();
}

// The entry called `name` of the list `list_key` (clusters, users, contexts): its `item_key`.
StatusOr<std::optional<YamlReader>> Named(const YamlReader& root, const char* list_key,
                                          const char* item_key, const std::string& name) {
  if (!root.Has(list_key)) return std::optional<YamlReader>();
  ASSIGN_OR_RETURN(std::vector<YamlReader> entries, root.Child(list_key).Items());
  for (const YamlReader& e : entries) {
    std::string entry_name;
    RETURN_IF_ERROR(e.Optional("name", &entry_name));
    if (e.Has("name") && entry_name == name) return std::optional<YamlReader>(e.Child(item_key));
  }
  return std::optional<YamlReader>();
}

StatusOr<std::string> Str(const YamlReader& n, const std::string& key) {
  std::string out;
  RETURN_IF_ERROR(n.Optional(key.c_str(), &out));
  return out;
}

// PEM from `<key>-data` (base64) or from the file `<key>`.
StatusOr<std::string> Pem(const YamlReader& n, const std::string& key, const std::string& where,
                          const std::string& kubeconfig, const ReadTextFn& read) {
  ASSIGN_OR_RETURN(const std::string data, Str(n, key + "-data"));
  if (!data.empty()) {
    bool ok = false;
    std::string pem = Base64Decode(data, &ok);
    if (!ok) return InvalidArgumentError(where + "." + key + "-data: not base64");
    return pem;
  }
  ASSIGN_OR_RETURN(const std::string file, Str(n, key));
  if (file.empty()) return std::string();
  return read(Resolve(file, kubeconfig), where + "." + key);
}

Status ParseUser(const YamlReader& user, const std::string& uwhere, const std::string& path,
                 const ReadTextFn& read, ClusterConfig* c) {
  ASSIGN_OR_RETURN(c->client_cert_pem, Pem(user, "client-certificate", uwhere, path, read));
  ASSIGN_OR_RETURN(c->client_key_pem, Pem(user, "client-key", uwhere, path, read));
  RETURN_IF_ERROR(user.Optional("token", &c->token));
  ASSIGN_OR_RETURN(const std::string token_file, Str(user, "tokenFile"));
  if (!token_file.empty()) c->token_file = Resolve(token_file, path);
  if (c->client_cert_pem.empty() != c->client_key_pem.empty()) {
    return InvalidArgumentError(uwhere + ": client-certificate and client-key go together");
  }
  if (user.Has("exec") || user.Has("auth-provider")) {
    return InvalidArgumentError(uwhere + ": exec and auth-provider credentials are not supported");
  }
  return Status::Ok();
}

StatusOr<ClusterConfig> ParseKubeconfig(const YamlReader& root, const std::string& path,
                                        const std::string& context_flag, const ReadTextFn& read) {
  ClusterConfig c;
  std::string context_name = context_flag;
  if (context_name.empty()) RETURN_IF_ERROR(root.Optional("current-context", &context_name));
  if (context_name.empty()) return InvalidArgumentError(path + ": current-context: is not set");
  ASSIGN_OR_RETURN(std::optional<YamlReader> context,
                   Named(root, "contexts", "context", context_name));
  if (!context)
    return InvalidArgumentError(path + ": contexts: no context \"" + context_name + "\"");
  ASSIGN_OR_RETURN(const std::string cluster_name, Str(*context, "cluster"));
  ASSIGN_OR_RETURN(const std::string user_name, Str(*context, "user"));
  RETURN_IF_ERROR(context->Optional("namespace", &c.namespace_name));
  ASSIGN_OR_RETURN(std::optional<YamlReader> cluster,
                   Named(root, "clusters", "cluster", cluster_name));
  if (!cluster)
    return InvalidArgumentError(path + ": clusters: no cluster \"" + cluster_name + "\"");
  const std::string where = path + ": clusters[" + cluster_name + "].cluster";
  RETURN_IF_ERROR(cluster->Optional("server", &c.server));
  if (c.server.rfind("https://", 0) != 0) {
    return InvalidArgumentError(where + ".server: want an https:// URL, got \"" + c.server + "\"");
  }
  bool insecure = false;
  RETURN_IF_ERROR(cluster->Optional("insecure-skip-tls-verify", &insecure));
  if (insecure) {
    return InvalidArgumentError(where +
                                ".insecure-skip-tls-verify: is refused; TLS is always verified");
  }
  ASSIGN_OR_RETURN(c.ca_pem, Pem(*cluster, "certificate-authority", where, path, read));
  ASSIGN_OR_RETURN(std::optional<YamlReader> user, Named(root, "users", "user", user_name));
  if (user) {
    RETURN_IF_ERROR(ParseUser(*user, path + ": users[" + user_name + "].user", path, read, &c));
  }
  return c;
}

}  // namespace

std::string Base64Decode(const std::string& in, bool* ok) {
  static const std::string kAlphabet =
      "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::string out;
  int bits = 0, value = 0;
  size_t pad = 0;
  *ok = true;
  for (char ch : in) {
    if (ch == '\n' || ch == '\r' || ch == ' ') continue;
    if (ch == '=') {
      ++pad;
      continue;
    }
    const size_t d = kAlphabet.find(ch);
    if (d == std::string::npos || pad > 0) {
      *ok = false;
      return "";
    }
    value = (value << 6) | static_cast<int>(d);
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out.push_back(static_cast<char>((value >> bits) & 0xff));
    }
  }
  if (pad > 2) *ok = false;
  return out;
}

StatusOr<ClusterConfig> LoadKubeconfig(const std::string& path, const std::string& context) {
  ASSIGN_OR_RETURN(const std::string text, ReadText(path, "kubeconfig"));
  return ParseKubeconfig(text, path, context, ReadText);
}

StatusOr<ClusterConfig> ParseKubeconfig(const std::string& text, const std::string& path,
                                        const std::string& context, const ReadTextFn& read) {
  SourceMap source{path, {}};
  ASSIGN_OR_RETURN(YamlReader root, YamlReader::Parse(text, &source));
  return ParseKubeconfig(root, path, context, read);
}

StatusOr<ClusterConfig> LoadInCluster(const std::function<const char*(const char*)>& getenv,
                                      const std::string& secrets_dir) {
  const char* host = getenv("KUBERNETES_SERVICE_HOST");
  const char* port = getenv("KUBERNETES_SERVICE_PORT");
  if (host == nullptr || port == nullptr || *host == '\0') {
    return NotFoundError("not in a cluster: KUBERNETES_SERVICE_HOST is not set");
  }
  ClusterConfig c;
  const std::string h = host;
  c.server = "https://" + (h.find(':') != std::string::npos ? "[" + h + "]" : h) + ":" + port;
  ASSIGN_OR_RETURN(c.ca_pem, ReadText(secrets_dir + "/ca.crt", "in-cluster CA"));
  c.token_file = secrets_dir + "/token";
  ASSIGN_OR_RETURN(c.token, ReadText(c.token_file, "in-cluster token"));
  StatusOr<std::string> ns = ReadText(secrets_dir + "/namespace", "in-cluster namespace");
  if (ns.ok() && !ns->empty()) c.namespace_name = *ns;
  return c;
}

StatusOr<ClusterConfig> LoadClusterConfig(const std::string& kubeconfig_flag,
                                          const std::function<const char*(const char*)>& getenv) {
  if (!kubeconfig_flag.empty()) return LoadKubeconfig(kubeconfig_flag);
  if (const char* env = getenv("KUBECONFIG"); env != nullptr && *env != '\0') {
    return LoadKubeconfig(env);
  }
  StatusOr<ClusterConfig> in_cluster = LoadInCluster(getenv);
  if (in_cluster.ok() || in_cluster.status().code() != StatusCode::kNotFound) return in_cluster;
  const char* home = getenv("HOME");
  if (home == nullptr) return in_cluster.status();
  return LoadKubeconfig(std::string(home) + "/.kube/config");
}

}  // namespace neuropart::op
