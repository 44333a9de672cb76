#!/usr/bin/env bash
# Builds the worker and operator images from the Dockerfile with podman, unchanged (what users do
# with `docker build`), and saves each as an image archive for containerd.
#
# Usage: scripts/containers/build-images.sh      Prints, ready for `eval`:
#   WORKER_IMAGE=localhost/neuropart-worker:<tag>   OPERATOR_IMAGE=...   IMAGE_ARCHIVES=<dir>
#
# Cached: the tag is a hash of the build context (every file `git ls-files` names that
# .dockerignore lets through, as it is in the work tree), so an unchanged tree rebuilds nothing,
# and the archives live under ${NEUROPART_CACHE:-~/.cache/neuropart}/images/<tag>/.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
cache="${NEUROPART_CACHE:-${HOME}/.cache/neuropart}"
cd "${root}"

"${root}/scripts/containers/setup-engine.sh"

# Paths that do not reach the build context (.dockerignore) or do not change the binaries.
context_hash() {
  git ls-files -co --exclude-standard -z \
    | grep -zvE '^(\.git|build/|out/|neuropart-store/|tests/|bench/|examples/|manifests/|charts/|scripts/kind/|README|.*\.md$)' \
    | sort -z | xargs -0 sha256sum 2>/dev/null | sha256sum | cut -c1-16
}
tag="$(context_hash)"
archives="${cache}/images/${tag}"
mkdir -p "${archives}"

for target in worker operator; do
  image="localhost/neuropart-${target}:${tag}"
  if ! podman image exists "${image}"; then
    echo "build-images: building ${image} (podman build --target ${target})" >&2
    started=$SECONDS
    podman build --target "${target}" -t "${image}" "${root}" >&2
    echo "build-images: ${image} built in $((SECONDS - started)) s" >&2
  fi
  if [[ ! -f "${archives}/${target}.tar" ]]; then
    podman save --format docker-archive -o "${archives}/${target}.tar.tmp" "${image}" >&2
    mv "${archives}/${target}.tar.tmp" "${archives}/${target}.tar"
  fi
done
# Earlier builds' images and archives are of no further use: keep the disk from filling up. Each
# build leaves its build stage behind untagged (a gigabyte); naming this context's build stage
# keeps its layers (the package install among them) cached while the older ones are pruned.
for old in $(podman images --format '{{.Repository}}:{{.Tag}}' | grep -E '^localhost/neuropart-(worker|operator):' | grep -v ":${tag}$"); do
  podman rmi "${old}" >/dev/null 2>&1 || true  # refused while a container uses it
done
podman build -q --target build -t localhost/neuropart-build:latest "${root}" >/dev/null
podman image prune -f >/dev/null 2>&1 || true
find "${cache}/images" -mindepth 1 -maxdepth 1 -type d ! -name "${tag}" -exec rm -rf {} + 2>/dev/null || true

echo "WORKER_IMAGE=localhost/neuropart-worker:${tag}"
echo "OPERATOR_IMAGE=localhost/neuropart-operator:${tag}"
echo "IMAGE_ARCHIVES=${archives}"
