// HttpGet: a minimal blocking HTTP/1.0 GET over a plain socket, for tests of the worker's HTTP
// endpoints (it shares no code with the servers it checks). Test code only; thread-safe.
#ifndef NEUROPART_WORKER_TEST_HTTP_H_
#define NEUROPART_WORKER_TEST_HTTP_H_

#include <string>

#include "neuropart/status.h"

namespace neuropart::worker {

struct HttpResponse {
  int status = 0;
  std::string body;
};

StatusOr<HttpResponse> HttpGet(int port, const std::string& path);  // to 127.0.0.1

}  // namespace neuropart::worker

#endif  // NEUROPART_WORKER_TEST_HTTP_H_
