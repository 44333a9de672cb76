#!/usr/bin/env bash
# Fixture of the e2e tests: makes sure kube-apiserver, etcd, kubectl and helm are there. The first
# run on a machine builds kube-apiserver, with the other Kubernetes components the kind tier uses,
# from the k8s.io/kubernetes Go module (about 35 minutes on 2 cores, cached in ~/.cache/neuropart);
# later runs find everything cached in a second. It fails loudly, never skips: without a real API
# server the e2e tests cannot say anything.
set -uo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
passed=0 failed=0
result() {
  if [[ "$1" == 0 ]]; then echo "PASS: ${*:2}"; passed=$((passed + 1)); else echo "FAIL: ${*:2}"; failed=$((failed + 1)); fi
}

"${root}/scripts/kube/install-deps.sh" >/dev/null
result $? "Debian packages of the e2e tests (etcd-server, openssl, unzip, npm, curl) are installed"

if binary="$("${root}/scripts/kube/build-kube-apiserver.sh")"; then
  version="$("${binary}" --version 2>&1)"
  [[ "${version}" == "Kubernetes v1.33."* ]]
  result $? "kube-apiserver is built and reports its version (${binary}: ${version})"
else
  result 1 "kube-apiserver could not be built by scripts/kube/build-kube-apiserver.sh (see above);" \
    "the e2e tests need it and will fail"
fi

if tools="$("${root}/scripts/kube/fetch-tools.sh")"; then
  eval "${tools}"
  # Not piped into grep -q: grep would stop reading early and kubectl's SIGPIPE fail the pipeline.
  kubectl_version="$("${KUBECTL}" version --client 2>/dev/null)"
  [[ "${kubectl_version}" == *"Client Version: v1.33"* ]]
  result $? "kubectl v1.33 is fetched (${KUBECTL})"
  helm_version="$("${HELM}" version --short 2>/dev/null)"
  [[ "${helm_version}" == v3.* ]]
  result $? "helm v3 is fetched (${HELM})"
else
  result 1 "kubectl and helm could not be fetched by scripts/kube/fetch-tools.sh"
fi
echo "${passed} passed, ${failed} failed"
((failed == 0))
