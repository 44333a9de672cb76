// FakeTransport: a KubeTransport whose answers a test scripts with lambdas, recording every call.
// Test-only; thread-safe for the recording, handlers run on the caller's thread.
#ifndef NEUROPART_OPERATOR_TESTING_FAKE_TRANSPORT_H_
#define NEUROPART_OPERATOR_TESTING_FAKE_TRANSPORT_H_

#include <mutex>
#include <string>
#include <vector>

#include "kube/transport.h"

namespace neuropart::op::testing {

struct FakeCall {
  std::string method;
  std::string path;
  std::string body;
  std::string content_type;
};

struct FakeStream {
  int status = 200;
  std::vector<std::string> lines;
  std::string body;  // for a non-200 answer
};

class FakeTransport final : public KubeTransport {
 public:
  std::function<StatusOr<HttpResponse>(const FakeCall&)> on_request;
  std::function<StatusOr<FakeStream>(const std::string& path)> on_stream;

  StatusOr<HttpResponse> Request(const std::string& method, const std::string& path,
                                 const std::string& body, const std::string& content_type) override;
  StatusOr<HttpResponse> Stream(const std::string& path,
                                const std::function<bool(const std::string&)>& on_line) override;
  void Shutdown() override {}

  std::vector<FakeCall> calls() const;

 private:
  mutable std::mutex mu_;
  std::vector<FakeCall> calls_;
};

}  // namespace neuropart::op::testing

#endif  // NEUROPART_OPERATOR_TESTING_FAKE_TRANSPORT_H_
