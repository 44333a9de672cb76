// KubeTransport over cpprestsdk. Every cpprest/boost exception is caught in this file.
#include <cpprest/containerstream.h>
#include <cpprest/http_client.h>

#include <atomic>
#include <fstream>
#include <mutex>
#include <sstream>

#include "kube/transport.h"

namespace neuropart::op {
namespace {

using web::http::client::http_client;
using web::http::client::http_client_config;

class CpprestTransport final : public KubeTransport {
 public:
  CpprestTransport(const ClusterConfig& config, std::chrono::seconds timeout)
      : config_(config), client_(config.server, MakeConfig(config, timeout)) {}

  StatusOr<HttpResponse> Request(const std::string& method, const std::string& path,
                                 const std::string& body,
                                 const std::string& content_type) override {
    try {
      web::http::http_request req(method);
      req.set_request_uri(path);
      AddAuth(&req);
      if (!body.empty()) req.set_body(body, content_type);
      web::http::http_response resp = client_.request(req, cancel_.get_token()).get();
      return HttpResponse{resp.status_code(), resp.extract_utf8string(true).get()};
    } catch (const std::exception& e) {
      return UnavailableError(method + " " + path + ": " + e.what());
    }
  }

  StatusOr<HttpResponse> Stream(const std::string& path,
                                const std::function<bool(const std::string&)>& on_line) override {
    if (shutdown_) return UnavailableError("GET " + path + ": shutting down");
    try {
      web::http::http_request req(web::http::methods::GET);
      req.set_request_uri(path);
      AddAuth(&req);
      web::http::http_response resp = client_.request(req, cancel_.get_token()).get();
      if (resp.status_code() != 200) {
        return HttpResponse{resp.status_code(), resp.extract_utf8string(true).get()};
      }
      concurrency::streams::istream in = resp.body();
      while (!shutdown_) {
        concurrency::streams::container_buffer<std::string> line;
        const size_t n = in.read_line(line).get();
        if (n == 0 && in.is_eof()) break;
        if (!line.collection().empty() && !on_line(line.collection())) break;
      }
      return HttpResponse{200, ""};
    } catch (const std::exception& e) {
      return UnavailableError("GET " + path + ": " + e.what());
    }
  }

  void Shutdown() override {
    shutdown_ = true;
    cancel_.cancel();
  }

 private:
  static http_client_config MakeConfig(const ClusterConfig& c, std::chrono::seconds timeout) {
    http_client_config config;
    config.set_timeout(timeout);
    config.set_validate_certificates(true);
    const std::string ca = c.ca_pem, cert = c.client_cert_pem, key = c.client_key_pem;
    config.set_ssl_context_callback([ca, cert, key](boost::asio::ssl::context& ctx) {
      if (!ca.empty()) ctx.add_certificate_authority(boost::asio::buffer(ca.data(), ca.size()));
      if (!cert.empty()) {
        ctx.use_certificate_chain(boost::asio::buffer(cert.data(), cert.size()));
        ctx.use_private_key(boost::asio::buffer(key.data(), key.size()),
                            boost::asio::ssl::context::pem);
      }
    });
    return config;
  }

  void AddAuth(web::http::http_request* req) const {
    std::string token = config_.token;
    if (!config_.token_file.empty()) {  // projected tokens rotate: read the current one
      std::ifstream in(config_.token_file);
      std::stringstream s;
      s << in.rdbuf();
      if (!s.str().empty()) token = s.str();
    }
    while (!token.empty() && (token.back() == '\n' || token.back() == ' ')) token.pop_back();
    if (!token.empty()) req->headers().add("Authorization", "Bearer " + token);
    req->headers().add("Accept", "application/json");
  }

  const ClusterConfig config_;
  http_client client_;
  pplx::cancellation_token_source cancel_;
  std::atomic<bool> shutdown_{false};
};

}  // namespace

std::unique_ptr<KubeTransport> NewCpprestTransport(const ClusterConfig& config,
                                                   std::chrono::seconds request_timeout) {
  return std::make_unique<CpprestTransport>(config, request_timeout);
}

StatusOr<HttpResponse> HttpGet(const std::string& url, std::chrono::milliseconds timeout,
                               const std::string& bearer_token) {
  try {
    http_client_config config;
    config.set_timeout(timeout);
    http_client client(url, config);
    web::http::http_request request(web::http::methods::GET);
    if (!bearer_token.empty()) request.headers().add("Authorization", "Bearer " + bearer_token);
    web::http::http_response resp = client.request(request).get();
    return HttpResponse{resp.status_code(), resp.extract_utf8string(true).get()};
  } catch (const std::exception& e) {
    return UnavailableError("GET " + url + ": " + e.what());
  }
}

}  // namespace neuropart::op
