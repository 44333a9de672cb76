#!/usr/bin/env bash
# Builds a real kube-apiserver from the k8s.io/kubernetes Go module and caches
# the binary under ~/.cache/neuropart/kube-apiserver-<version>. Prints the
# binary's path on stdout (and nothing else); exits at once when it is cached.
#
# Usage: scripts/kube/build-kube-apiserver.sh [version]   (default v1.33.13)
# Env:   NEUROPART_CACHE (default ~/.cache/neuropart), KUBE_BUILD_PROCS (go -p, default 1)
#
# The build is niced and runs one package at a time because the 2 cores are
# shared with C++ builds; a cold build takes 15-30 minutes.
set -euo pipefail

version="${1:-${KUBE_APISERVER_VERSION:-v1.33.13}}"
if [[ ! "${version}" =~ ^v1\.([0-9]+)\.([0-9]+)$ ]]; then
  echo "build-kube-apiserver: version must look like v1.33.13, got '${version}'" >&2
  exit 2
fi
minor="${BASH_REMATCH[1]}"
patch="${BASH_REMATCH[2]}"
staging_version="v0.${minor}.${patch}"

cache="${NEUROPART_CACHE:-${HOME}/.cache/neuropart}"
binary="${cache}/kube-apiserver-${version}"
if [[ -x "${binary}" ]]; then
  echo "${binary}"
  exit 0
fi

if ! command -v go >/dev/null 2>&1; then
  echo "build-kube-apiserver: no Go toolchain on PATH (need go >= 1.24)" >&2
  exit 1
fi

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
# k8s.io/kubernetes requires these at v0.0.0 and replaces them with local
# folders; those replace lines do not apply outside its module, so every
# staging module is pinned to its published version here.
staging_modules=(
  api apiextensions-apiserver apimachinery apiserver cli-runtime client-go
  cloud-provider cluster-bootstrap code-generator component-base
  component-helpers controller-manager cri-api cri-client csi-translation-lib
  dynamic-resource-allocation endpointslice externaljwt kms kube-aggregator
  kube-controller-manager kube-proxy kube-scheduler kubectl kubelet metrics
  mount-utils pod-security-admission sample-apiserver sample-cli-plugin
  sample-controller
)

mkdir -p "${cache}/go/mod" "${cache}/go/build"
work="$(mktemp -d "${cache}/kube-apiserver-build.XXXXXX")"
trap 'rm -rf "${work}"' EXIT
cp "${here}/apiserver/main.go" "${work}/main.go"

{
  echo "module neuropart.io/kube-apiserver"
  echo
  echo "go 1.24.0"
  echo
  echo "require k8s.io/kubernetes ${version}"
  echo
  echo "replace ("
  for m in "${staging_modules[@]}"; do
    echo "	k8s.io/${m} => k8s.io/${m} ${staging_version}"
  done
  echo ")"
} >"${work}/go.mod"

export GOMODCACHE="${cache}/go/mod"
export GOCACHE="${cache}/go/build"
export GOFLAGS="-mod=mod -buildvcs=false"
export GOTOOLCHAIN=local
export CGO_ENABLED=0
export GOMAXPROCS="${GOMAXPROCS:-1}"

build_date="$(date -u +%Y-%m-%dT%H:%M:%SZ)"
pkg="k8s.io/component-base/version"
ldflags="-s -w"
ldflags+=" -X ${pkg}.gitVersion=${version}"
ldflags+=" -X ${pkg}.gitMajor=1 -X ${pkg}.gitMinor=${minor}"
ldflags+=" -X ${pkg}.gitTreeState=clean -X ${pkg}.buildDate=${build_date}"
# The client-go copy of the version package is what some code paths report.
ldflags+=" -X k8s.io/client-go/pkg/version.gitVersion=${version}"
ldflags+=" -X k8s.io/client-go/pkg/version.gitMajor=1"
ldflags+=" -X k8s.io/client-go/pkg/version.gitMinor=${minor}"

started=$(date +%s)
echo "build-kube-apiserver: building kube-apiserver ${version} in ${work}" >&2
(
  cd "${work}"
  nice -n 19 go mod tidy >&2
  nice -n 19 go build -p "${KUBE_BUILD_PROCS:-1}" -trimpath -tags providerless \
    -ldflags "${ldflags}" -o "${binary}.tmp" . >&2
)
mv "${binary}.tmp" "${binary}"
echo "build-kube-apiserver: built in $(( $(date +%s) - started )) s" >&2
echo "${binary}"
