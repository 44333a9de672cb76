// The cpprestsdk listener behind HealthServer; its exceptions end here.
#include "kube/health_server.h"

#include <cpprest/http_listener.h>

#include <exception>

namespace neuropart::op {

struct HealthServer::Impl {
  std::unique_ptr<web::http::experimental::listener::http_listener> listener;
  std::function<bool()> ready;
};

HealthServer::HealthServer(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}

HealthServer::~HealthServer() {
  try {
    impl_->listener->close().wait();
  } catch (const std::exception&) {
    // closing a listener that failed is not an error worth reporting at shutdown
  }
}

StatusOr<std::unique_ptr<HealthServer>> HealthServer::Start(const std::string& address,
                                                            std::function<bool()> ready) {
  const std::string host_port =
      !address.empty() && address[0] == ':' ? "0.0.0.0" + address : address;
  auto impl = std::make_unique<Impl>();
  impl->ready = std::move(ready);
  try {
    impl->listener = std::make_unique<web::http::experimental::listener::http_listener>(
        "http://" + host_port + "/");
    Impl* raw = impl.get();
    impl->listener->support(web::http::methods::GET, [raw](web::http::http_request req) {
      const std::string path = req.relative_uri().path();
      if (path == "/healthz") {
        req.reply(web::http::status_codes::OK, "ok");
      } else if (path == "/readyz") {
        const bool ok = raw->ready();
        req.reply(ok ? web::http::status_codes::OK : web::http::status_codes::ServiceUnavailable,
                  ok ? "ok" : "not ready");
      } else {
        req.reply(web::http::status_codes::NotFound, "not found");
      }
    });
    impl->listener->open().wait();
  } catch (const std::exception& e) {
    return UnavailableError("health: cannot listen on " + host_port + ": " + e.what());
  }
  return std::unique_ptr<HealthServer>(new HealthServer(std::move(impl)));
}

}  // namespace neuropart::op
