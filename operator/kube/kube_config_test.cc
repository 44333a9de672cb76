#include "kube/kube_config.h"

#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <string>
#include <vector>

namespace neuropart::op {
namespace {

class KubeConfigTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::temp_directory_path() /
           ("np-kubeconfig-" + std::to_string(::getpid()) + "-" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    std::filesystem::create_directories(dir_);
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }
  std::string Write(const std::string& name, const std::string& text) {
    const std::string path = (dir_ / name).string();
    std::ofstream(path) << text;
    return path;
  }
  std::filesystem::path dir_;
};

constexpr char kTwoContexts[] = R"(apiVersion: v1
kind: Config
current-context: admin
contexts:
- name: admin
  context: {cluster: e2e, user: admin, namespace: ml}
- name: robot
  context: {cluster: e2e, user: robot}
clusters:
- name: e2e
  cluster:
    server: https://127.0.0.1:6443
    certificate-authority: pki/ca.crt
users:
- name: admin
  user:
    client-certificate: pki/admin.crt
    client-key-data: a2V5LXBlbQ==
- name: robot
  user:
    token: s3cret
)";

TEST_F(KubeConfigTest, CurrentContextWithClientCertificates) {
  std::filesystem::create_directories(dir_ / "pki");
  Write("pki/ca.crt", "CA-PEM");
  Write("pki/admin.crt", "CERT-PEM");
  StatusOr<ClusterConfig> c = LoadKubeconfig(Write("config", kTwoContexts));
  ASSERT_TRUE(c.ok()) << c.status().ToString();
  EXPECT_EQ(c->server, "https://127.0.0.1:6443");
  EXPECT_EQ(c->ca_pem, "CA-PEM");  // relative paths resolve against the kubeconfig's folder
  EXPECT_EQ(c->client_cert_pem, "CERT-PEM");
  EXPECT_EQ(c->client_key_pem, "key-pem");  // base64 data
  EXPECT_EQ(c->namespace_name, "ml");
  EXPECT_TRUE(c->token.empty());
}

TEST_F(KubeConfigTest, NamedContextWithToken) {
  std::filesystem::create_directories(dir_ / "pki");
  Write("pki/ca.crt", "CA-PEM");
  StatusOr<ClusterConfig> c = LoadKubeconfig(Write("config", kTwoContexts), "robot");
  ASSERT_TRUE(c.ok()) << c.status().ToString();
  EXPECT_EQ(c->token, "s3cret");
  EXPECT_EQ(c->namespace_name, "default");
}

TEST(ParseKubeconfigTest, ReadsTheFilesItNamesThroughTheCallersReader) {
  std::vector<std::string> asked;
  auto read = [&asked](const std::string& path, const std::string& what) -> StatusOr<std::string> {
    asked.push_back(path);
    return "PEM of " + path;
  };
  StatusOr<ClusterConfig> c = ParseKubeconfig(kTwoContexts, "/home/me/.kube/config", "", read);
  ASSERT_TRUE(c.ok()) << c.status().ToString();
  EXPECT_EQ(asked, (std::vector<std::string>{"/home/me/.kube/pki/ca.crt",
                                             "/home/me/.kube/pki/admin.crt"}));
  EXPECT_EQ(c->ca_pem, "PEM of /home/me/.kube/pki/ca.crt");
  EXPECT_EQ(c->client_key_pem, "key-pem");
}

TEST_F(KubeConfigTest, RefusesWhatItCannotDoSafely) {
  struct Case {
    const char* name;
    std::string text;
    const char* needle;
  };
  const std::string base =
      "current-context: c\ncontexts: [{name: c, context: {cluster: k, user: u}}]\n";
  const std::vector<Case> cases = {
      {"insecure",
       base + "clusters: [{name: k, cluster: {server: 'https://x', insecure-skip-tls-verify: "
              "true}}]\n",
       "insecure-skip-tls-verify"},
      {"plain http", base + "clusters: [{name: k, cluster: {server: 'http://x'}}]\n", "https://"},
      {"no context", "current-context: nope\ncontexts: []\n", "no context \"nope\""},
      {"missing CA file",
       base + "clusters: [{name: k, cluster: {server: 'https://x', certificate-authority: "
              "/no/such}}]\n",
       "/no/such"},
      {"cert without key",
       base + "clusters: [{name: k, cluster: {server: 'https://x'}}]\n" +
           "users: [{name: u, user: {client-certificate-data: Zm9v}}]\n",
       "go together"},
      {"bad base64",
       base + "clusters: [{name: k, cluster: {server: 'https://x', certificate-authority-data: "
              "'@@'}}]\n",
       "not base64"},
      {"malformed yaml", "current-context: [\n", "config:"},
  };
  for (const Case& c : cases) {
    StatusOr<ClusterConfig> r = LoadKubeconfig(Write("config", c.text));
    ASSERT_FALSE(r.ok()) << c.name;
    EXPECT_NE(r.status().message().find(c.needle), std::string::npos)
        << c.name << ": " << r.status().message();
  }
}

TEST_F(KubeConfigTest, InCluster) {
  Write("ca.crt", "CA");
  Write("token", "tok\n");
  Write("namespace", "ops");
  std::map<std::string, std::string> env = {{"KUBERNETES_SERVICE_HOST", "10.0.0.1"},
                                            {"KUBERNETES_SERVICE_PORT", "443"}};
  auto getenv = [&](const char* n) -> const char* {
    auto it = env.find(n);
    return it == env.end() ? nullptr : it->second.c_str();
  };
  StatusOr<ClusterConfig> c = LoadInCluster(getenv, dir_.string());
  ASSERT_TRUE(c.ok()) << c.status().ToString();
  EXPECT_EQ(c->server, "https://10.0.0.1:443");
  EXPECT_EQ(c->ca_pem, "CA");
  EXPECT_EQ(c->token_file, (dir_ / "token").string());
  EXPECT_EQ(c->namespace_name, "ops");
  env.clear();
  EXPECT_EQ(LoadInCluster(getenv, dir_.string()).status().code(), StatusCode::kNotFound);
}

TEST(Base64Test, Decodes) {
  bool ok = false;
  EXPECT_EQ(Base64Decode("aGVsbG8=", &ok), "hello");
  EXPECT_TRUE(ok);
  EXPECT_EQ(Base64Decode("aGVs\nbG8h", &ok), "hello!");
  EXPECT_TRUE(ok);
  Base64Decode("a=b", &ok);
  EXPECT_FALSE(ok);
}

}  // namespace
}  // namespace neuropart::op
