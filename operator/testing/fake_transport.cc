#include "testing/fake_transport.h"

namespace neuropart::op::testing {

StatusOr<HttpResponse> FakeTransport::Request(const std::string& method, const std::string& path,
                                              const std::string& body,
                                              const std::string& content_type) {
  FakeCall call{method, path, body, content_type};
  {
    std::lock_guard<std::mutex> lock(mu_);
    calls_.push_back(call);
  }
  if (!on_request) return UnavailableError("no handler");
  return on_request(call);
}

StatusOr<HttpResponse> FakeTransport::Stream(
    const std::string& path, const std::function<bool(const std::string&)>& on_line) {
  {
    std::lock_guard<std::mutex> lock(mu_);
    calls_.push_back(FakeCall{"WATCH", path, "", ""});
  }
  if (!on_stream) return UnavailableError("no stream handler");
  ASSIGN_OR_RETURN(FakeStream s, on_stream(path));
  if (s.status != 200) return HttpResponse{s.status, s.body};
  for (const std::string& line : s.lines) {
    if (!on_line(line)) break;
  }
  return HttpResponse{200, ""};
}

std::vector<FakeCall> FakeTransport::calls() const {
  std::lock_guard<std::mutex> lock(mu_);
  return calls_;
}

}  // namespace neuropart::op::testing
