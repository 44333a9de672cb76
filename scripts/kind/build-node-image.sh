#!/usr/bin/env bash
# Builds the kind node image for this machine without a registry, and prints, for `eval`:
#   KIND=<kind binary>  KIND_NODE_IMAGE=localhost/neuropart-kind-node:<tag>
#
# Inputs, each built or fetched once and cached under ${NEUROPART_CACHE:-~/.cache/neuropart}:
# - Kubernetes v1.33 (kubelet, kubeadm and the control-plane components) from the k8s.io/kubernetes
#   Go module in one go build (scripts/kube/build-kube.sh); kubectl from scripts/kube/fetch-tools.sh;
# - etcd and CoreDNS at the versions kubeadm asks for, from their Go modules; kind v0.33.0;
# - the component images kubeadm names (`kubeadm config images list`), built FROM scratch around
#   those binaries (kube-proxy on Debian, for iptables), and the pause image (Debian's catatonit);
# - kube-router v2.1.0 from its Go module, the NetworkPolicy enforcer of the node's network add-on;
# - kind's node files (images/base/files in the kind module) and node.Dockerfile.
# The node image's tag hashes all of them, so it is rebuilt only when an input changes.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "${here}/../.." && pwd)"
cache="${NEUROPART_CACHE:-${HOME}/.cache/neuropart}"
k8s_version="${KUBE_VERSION:-v1.33.13}"
kind_version="v0.33.0"

"${root}/scripts/containers/setup-engine.sh"
kube_bin="$("${root}/scripts/kube/build-kube.sh" "${k8s_version}")"
eval "$("${root}/scripts/kube/fetch-tools.sh")"  # KUBECTL, HELM
kind="$("${root}/scripts/kube/build-go-binary.sh" kind sigs.k8s.io/kind "${kind_version}")"

# registry.k8s.io/kube-apiserver:v1.33.13 ... registry.k8s.io/pause:3.10, registry.k8s.io/etcd:3.5.21-0
mapfile -t images < <("${kube_bin}/kubeadm" config images list --kubernetes-version "${k8s_version}" 2>/dev/null)
((${#images[@]} >= 7)) || { echo "build-node-image: kubeadm listed no images" >&2; exit 1; }

tag_of() { printf '%s\n' "${images[@]}" | grep -m1 "/$1:" | sed 's/.*://'; }
etcd_tag="$(tag_of etcd)"            # 3.5.21-0
coredns_tag="$(tag_of coredns)"      # v1.12.0
etcd="$("${root}/scripts/kube/build-go-binary.sh" etcd go.etcd.io/etcd/server/v3 "v${etcd_tag%-*}")"
coredns="$("${root}/scripts/kube/build-go-binary.sh" coredns github.com/coredns/coredns "${coredns_tag}")"
# The NetworkPolicy enforcer of the node's network add-on (node-files/kind/manifests/default-cni.yaml).
kube_router_version="v2.1.0"
kube_router="$("${root}/scripts/kube/build-go-binary.sh" kube-router \
  github.com/cloudnativelabs/kube-router/v2 "${kube_router_version}" \
  github.com/cloudnativelabs/kube-router/v2/cmd/kube-router)"
images+=("localhost/neuropart-kube-router:${kube_router_version}")

# Contents only (not paths), so that every clone of the repository finds the same image.
inputs_hash="$(
  {
    find "${here}" -type f -print0 | sort -z | xargs -0 cat
    cat "${kube_bin}"/* "${etcd}" "${coredns}" "${kube_router}" "${KUBECTL}" /usr/bin/catatonit | sha256sum
    echo "${kind_version} ${images[*]}"
  } | sha256sum | cut -c1-16
)"
node_image="localhost/neuropart-kind-node:${inputs_hash}"
if ! podman image exists "${node_image}"; then
  started=$SECONDS
  ctx="$(mktemp -d "${cache}/kind-node.XXXXXX")"
  trap 'rm -rf "${ctx}"' EXIT
  mkdir -p "${ctx}/bin" "${ctx}/images" "${ctx}/component"
  # The component images: each built from its binary, saved as an archive for the node.
  for image in "${images[@]}"; do
    name="$(basename "${image%%:*}")"
    rm -rf "${ctx}/component"/*
    case "${name}" in
      pause) cp /usr/bin/catatonit "${ctx}/component/"; file="${here}/pause.Dockerfile" ;;
      kube-proxy) cp "${kube_bin}/kube-proxy" "${ctx}/component/"; file="${here}/kube-proxy.Dockerfile" ;;
      neuropart-kube-router) cp "${kube_router}" "${ctx}/component/kube-router"; file="${here}/kube-router.Dockerfile" ;;
      etcd) cp "${etcd}" "${ctx}/component/etcd"; file="${here}/component.Dockerfile" ;;
      coredns) cp "${coredns}" "${ctx}/component/coredns"; file="${here}/component.Dockerfile" ;;
      *) cp "${kube_bin}/${name}" "${ctx}/component/"; file="${here}/component.Dockerfile" ;;
    esac
    echo "build-node-image: ${image}" >&2
    podman build -q -f "${file}" --build-arg "BINARY=${name}" -t "${image}" "${ctx}/component" >&2
    podman save --format docker-archive -o "${ctx}/images/${name}.tar" "${image}" >&2
  done
  cp "${kube_bin}/kubelet" "${kube_bin}/kubeadm" "${KUBECTL}" "${ctx}/bin/"
  kind_module="${cache}/go/mod/sigs.k8s.io/kind@${kind_version}"
  cp -r "${kind_module}/images/base/files" "${ctx}/kind-files"
  chmod -R u+w "${ctx}/kind-files"
  cp -r "${here}/node-files" "${ctx}/node-files"
  echo "build-node-image: ${node_image}" >&2
  podman build -f "${here}/node.Dockerfile" -t "${node_image}" "${ctx}" >&2
  echo "build-node-image: built in $((SECONDS - started)) s" >&2
fi
# Earlier node images (a gigabyte each) are of no further use.
for old in $(podman images --format '{{.Repository}}:{{.Tag}}' | grep '^localhost/neuropart-kind-node:' | grep -v ":${inputs_hash}$"); do
  podman rmi "${old}" >/dev/null 2>&1 || true  # refused while a container uses it
done
echo "KIND=${kind}"
echo "KIND_NODE_IMAGE=${node_image}"
