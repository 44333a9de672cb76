// KubeTransport: HTTP to the API server, as the rest of the operator sees it — a request, and a
// line-by-line stream (watches). Tests substitute a scripted fake; cpprest_transport.cc is the one
// implementation over cpprestsdk (TLS verified, bearer token or client certificate), and the only
// file of kube/ that includes cpprest, so its exceptions end there.
// Implementations are safe to call from several threads at once.
#ifndef NEUROPART_OPERATOR_KUBE_TRANSPORT_H_
#define NEUROPART_OPERATOR_KUBE_TRANSPORT_H_

#include <chrono>
#include <functional>
#include <memory>
#include <string>

#include "kube/kube_config.h"
#include "neuropart/status.h"

namespace neuropart::op {

struct HttpResponse {
  int status = 0;
  std::string body;
};

class KubeTransport {
 public:
  virtual ~KubeTransport() = default;

  // `path` includes the query string. Unavailable when the server could not be reached; any HTTP
  // answer (also 4xx/5xx) is a response.
  virtual StatusOr<HttpResponse> Request(const std::string& method, const std::string& path,
                                         const std::string& body = "",
                                         const std::string& content_type = "application/json") = 0;

  // GETs `path` and calls `on_line` with each non-empty line of a 200 body as it arrives, until
  // the server ends the response or `on_line` returns false. A non-200 answer is returned with
  // its body and no line is delivered.
  virtual StatusOr<HttpResponse> Stream(const std::string& path,
                                        const std::function<bool(const std::string&)>& on_line) = 0;

  // Aborts every Stream in progress and makes later ones fail at once (shutdown).
  virtual void Shutdown() = 0;
};

std::unique_ptr<KubeTransport> NewCpprestTransport(const ClusterConfig& config,
                                                   std::chrono::seconds request_timeout);

// A plain GET of an http:// URL (the coordinator's /status), with "Authorization: Bearer
// <token>" unless the token is empty. Unavailable on any failure.
StatusOr<HttpResponse> HttpGet(const std::string& url, std::chrono::milliseconds timeout,
                               const std::string& bearer_token = "");

}  // namespace neuropart::op

#endif  // NEUROPART_OPERATOR_KUBE_TRANSPORT_H_
