#!/usr/bin/env bash
# Builds one Go program from a published module, statically, into the cache, and prints its path.
#
# Usage: scripts/kube/build-go-binary.sh NAME MODULE VERSION [PACKAGE] [TAGS]
#   e.g. build-go-binary.sh etcd go.etcd.io/etcd/server/v3 v3.5.21
#        build-go-binary.sh coredns github.com/coredns/coredns v1.12.0
# The binary lands in ${NEUROPART_CACHE:-~/.cache/neuropart}/gobin/NAME-VERSION; a cached one
# returns at once. The program is built from a small module that requires MODULE@VERSION (rather
# than `go install MODULE@VERSION`, which refuses modules with replace directives, as etcd's).
set -euo pipefail
name="$1" module="$2" version="$3" package="${4:-$2}" tags="${5:-}"
cache="${NEUROPART_CACHE:-${HOME}/.cache/neuropart}"
binary="${cache}/gobin/${name}-${version}"
if [[ -x "${binary}" ]]; then
  echo "${binary}"
  exit 0
fi
command -v go >/dev/null 2>&1 || { echo "build-go-binary: no Go toolchain on PATH" >&2; exit 1; }
mkdir -p "${cache}/gobin" "${cache}/go/mod" "${cache}/go/build"
work="$(mktemp -d "${cache}/gobin/build.XXXXXX")"
trap 'rm -rf "${work}"' EXIT
printf 'module neuropart.io/build-%s\n\ngo 1.24.0\n\nrequire %s %s\n' "${name}" "${module}" "${version}" \
  >"${work}/go.mod"
export GOMODCACHE="${cache}/go/mod" GOCACHE="${cache}/go/build" GOTOOLCHAIN=local CGO_ENABLED=0
export GOFLAGS="-mod=mod -buildvcs=false"
started=$SECONDS
echo "build-go-binary: building ${name} from ${module}@${version}" >&2
(
  cd "${work}"
  nice -n 10 go mod download "${module}" >&2
  nice -n 10 go build -trimpath ${tags:+-tags "${tags}"} -ldflags "-s -w" -o "${binary}.tmp" "${package}" >&2
)
mv "${binary}.tmp" "${binary}"
echo "build-go-binary: ${name} built in $((SECONDS - started)) s" >&2
echo "${binary}"
