// libFuzzer harness for the kubeconfig reader (ParseKubeconfig) and its base64 decoder, built by
// the fuzz preset (docs/fuzzing.md).
//
// Input: a kubeconfig (YAML). The files it names are never read: a path ending in "missing" is
// NotFound, any other reads as a stand-in text. Beyond "never crash": an accepted config has an
// https:// server, a client certificate exactly when it has a key, and absolute paths for the
// files it resolved; and whatever base64 decodes, encoded again, decodes to the same bytes.
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <string>

#include "fuzz_require.h"
#include "kube/kube_config.h"

namespace neuropart::op {
namespace {

StatusOr<std::string> FakeRead(const std::string& path, const std::string& what) {
  if (path.ends_with("missing")) return NotFoundError(what + ": cannot read " + path);
  return "-----BEGIN CERTIFICATE-----\n" + path + "\n-----END CERTIFICATE-----\n";
}

std::string Base64Encode(const std::string& in) {
  static constexpr char kAlphabet[] =
      "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::string out;
  for (size_t i = 0; i < in.size(); i += 3) {
    const size_t n = std::min<size_t>(3, in.size() - i);
    uint32_t v = 0;
    for (size_t k = 0; k < 3; ++k) v = (v << 8) | (k < n ? static_cast<uint8_t>(in[i + k]) : 0);
    for (size_t k = 0; k < 4; ++k) out += k <= n ? kAlphabet[(v >> (18 - 6 * k)) & 63] : '=';
  }
  return out;
}

void CheckBase64(const std::string& text) {
  bool ok = false;
  const std::string decoded = Base64Decode(text, &ok);
  if (!ok) return;
  bool again_ok = false;
  FuzzRequire(Base64Decode(Base64Encode(decoded), &again_ok) == decoded && again_ok,
              "decoded base64, encoded again, decodes to the same bytes");
}

}  // namespace
}  // namespace neuropart::op

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace neuropart;
  using namespace neuropart::op;
  const std::string text(reinterpret_cast<const char*>(data), size);
  CheckBase64(text);
  StatusOr<ClusterConfig> config = ParseKubeconfig(text, "/fuzz/kubeconfig", "", FakeRead);
  if (!config.ok()) return 0;
  FuzzRequire(config->server.starts_with("https://"), "the server is an https:// URL");
  FuzzRequire(config->client_cert_pem.empty() == config->client_key_pem.empty(),
              "a client certificate comes with its key");
  FuzzRequire(config->token_file.empty() || config->token_file.starts_with("/"),
              "a token file is resolved to an absolute path");
  return 0;
}
