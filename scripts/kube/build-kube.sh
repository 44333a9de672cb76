#!/usr/bin/env bash
# Builds the Kubernetes components neuropart's tests run (kube-apiserver, kube-controller-manager,
# kube-scheduler, kubelet, kube-proxy, kubeadm) from the k8s.io/kubernetes Go module in ONE `go
# build` invocation, so they share the compile cache, and caches them under
# ${NEUROPART_CACHE:-~/.cache/neuropart}/kube/<version>/bin. Prints that directory on stdout (and
# nothing else); exits at once when every binary is cached.
#
# Usage: scripts/kube/build-kube.sh [version]          (default v1.33.13)
# Env:   NEUROPART_CACHE, KUBE_BUILD_PROCS (go -p, default: all cores)
#
# Upstream's own main packages are built as they are (k8s.io/kubernetes/cmd/<name>), statically
# (CGO_ENABLED=0) as upstream does, with its version ldflags so that clients see no skew. A cold
# build takes 25-40 minutes on 2 cores; with the Go build cache warm, a minute.
set -euo pipefail

version="${1:-${KUBE_VERSION:-v1.33.13}}"
if [[ ! "${version}" =~ ^v1\.([0-9]+)\.([0-9]+)$ ]]; then
  echo "build-kube: version must look like v1.33.13, got '${version}'" >&2
  exit 2
fi
minor="${BASH_REMATCH[1]}"
staging_version="v0.${minor}.${BASH_REMATCH[2]}"
components=(kube-apiserver kube-controller-manager kube-scheduler kubelet kube-proxy kubeadm)

cache="${NEUROPART_CACHE:-${HOME}/.cache/neuropart}"
bin="${cache}/kube/${version}/bin"
missing=()
for c in "${components[@]}"; do [[ -x "${bin}/${c}" ]] || missing+=("${c}"); done
if ((${#missing[@]} == 0)); then
  echo "${bin}"
  exit 0
fi
command -v go >/dev/null 2>&1 || { echo "build-kube: no Go toolchain on PATH (need go >= 1.24)" >&2; exit 1; }

# k8s.io/kubernetes requires its staging modules at v0.0.0 and replaces them with local folders;
# those replace lines do not apply outside its own module, so each is pinned to its release here.
staging_modules=(
  api apiextensions-apiserver apimachinery apiserver cli-runtime client-go cloud-provider
  cluster-bootstrap code-generator component-base component-helpers controller-manager cri-api
  cri-client csi-translation-lib dynamic-resource-allocation endpointslice externaljwt kms
  kube-aggregator kube-controller-manager kube-proxy kube-scheduler kubectl kubelet metrics
  mount-utils pod-security-admission sample-apiserver sample-cli-plugin sample-controller
)

mkdir -p "${cache}/go/mod" "${cache}/go/build" "${bin}"
work="$(mktemp -d "${cache}/kube-build.XXXXXX")"
trap 'rm -rf "${work}"' EXIT
{
  printf 'module neuropart.io/kube-build\n\ngo 1.24.0\n\nrequire k8s.io/kubernetes %s\n\nreplace (\n' "${version}"
  for m in "${staging_modules[@]}"; do printf '\tk8s.io/%s => k8s.io/%s %s\n' "${m}" "${m}" "${staging_version}"; done
  printf ')\n'
} >"${work}/go.mod"

export GOMODCACHE="${cache}/go/mod" GOCACHE="${cache}/go/build" GOTOOLCHAIN=local CGO_ENABLED=0
export GOFLAGS="-mod=mod -buildvcs=false"

pkg="k8s.io/component-base/version"
ldflags="-s -w -X ${pkg}.gitVersion=${version} -X ${pkg}.gitMajor=1 -X ${pkg}.gitMinor=${minor}"
ldflags+=" -X ${pkg}.gitTreeState=clean -X ${pkg}.buildDate=$(date -u +%Y-%m-%dT%H:%M:%SZ)"
# The client-go copy of the version package is what some code paths report.
ldflags+=" -X k8s.io/client-go/pkg/version.gitVersion=${version}"
ldflags+=" -X k8s.io/client-go/pkg/version.gitMajor=1 -X k8s.io/client-go/pkg/version.gitMinor=${minor}"

packages=()
for c in "${missing[@]}"; do packages+=("k8s.io/kubernetes/cmd/${c}"); done
started=$(date +%s)
echo "build-kube: building ${missing[*]} ${version} (one go build; cold: 25-40 min on 2 cores)" >&2
(
  cd "${work}"
  nice -n 10 go mod download k8s.io/kubernetes >&2
  nice -n 10 go build -p "${KUBE_BUILD_PROCS:-$(nproc)}" -trimpath -tags providerless \
    -ldflags "${ldflags}" -o "${work}/out/" "${packages[@]}" >&2
)
for c in "${missing[@]}"; do mv "${work}/out/${c}" "${bin}/${c}"; done
echo "build-kube: built in $(( $(date +%s) - started )) s" >&2
echo "${bin}"
