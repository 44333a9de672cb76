// ClusterConfig: how to reach and authenticate to the API server, from a kubeconfig file (its
// current context, or a named one) or from inside a pod (the service-account token and CA).
//
// Certificates and keys are kept as PEM text (files are read here; *-data fields are base64
// decoded), so the HTTP layer never reads files. TLS is always verified: a kubeconfig with
// insecure-skip-tls-verify is refused. kube_config.cc is the yaml-cpp adapter: its exceptions
// end there. Pure functions over the files they read; thread-safe.
#ifndef NEUROPART_OPERATOR_KUBE_KUBE_CONFIG_H_
#define NEUROPART_OPERATOR_KUBE_KUBE_CONFIG_H_

#include <functional>
#include <string>

#include "neuropart/status.h"

namespace neuropart::op {

struct ClusterConfig {
  std::string server;  // https://host:port
  std::string ca_pem;  // trusted CA certificates
  std::string client_cert_pem;
  std::string client_key_pem;
  std::string token;       // bearer token (static)
  std::string token_file;  // bearer token re-read from this file (in-cluster, rotated)
  std::string namespace_name = "default";
};

// Reads `path`; `context` empty means current-context. InvalidArgument names the field.
StatusOr<ClusterConfig> LoadKubeconfig(const std::string& path, const std::string& context = "");

// Reads the file at `path` (a certificate or key a kubeconfig names); `what` names the field for
// messages. LoadKubeconfig reads the disk; tests and the fuzzer pass their own.
using ReadTextFn =
    std::function<StatusOr<std::string>(const std::string& path, const std::string& what)>;

// LoadKubeconfig over the text of the kubeconfig at `path`, which names it in messages and
// resolves the relative paths of the files it names, read through `read`.
StatusOr<ClusterConfig> ParseKubeconfig(const std::string& text, const std::string& path,
                                        const std::string& context, const ReadTextFn& read);

// In a pod: KUBERNETES_SERVICE_HOST/PORT from `getenv`, token, CA and namespace under
// `secrets_dir` (/var/run/secrets/kubernetes.io/serviceaccount). NotFound outside a cluster.
StatusOr<ClusterConfig> LoadInCluster(
    const std::function<const char*(const char*)>& getenv,
    const std::string& secrets_dir = "/var/run/secrets/kubernetes.io/serviceaccount");

// --kubeconfig, else $KUBECONFIG, else in-cluster, else ~/.kube/config.
StatusOr<ClusterConfig> LoadClusterConfig(const std::string& kubeconfig_flag,
                                          const std::function<const char*(const char*)>& getenv);

std::string Base64Decode(const std::string& in, bool* ok);

}  // namespace neuropart::op

#endif  // NEUROPART_OPERATOR_KUBE_KUBE_CONFIG_H_
