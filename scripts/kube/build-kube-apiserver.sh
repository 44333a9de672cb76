#!/usr/bin/env bash
# Prints the path of a cached kube-apiserver, building it (with the other Kubernetes components,
# in one go build: scripts/kube/build-kube.sh) on first use.
# Usage: scripts/kube/build-kube-apiserver.sh [version]   (default v1.33.13)
set -euo pipefail
bin="$("$(dirname "${BASH_SOURCE[0]}")/build-kube.sh" "$@")"
echo "${bin}/kube-apiserver"
