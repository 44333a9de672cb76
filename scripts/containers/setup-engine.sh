#!/usr/bin/env bash
# Makes podman usable on this kind of machine and provides the Debian base images without a
# registry. Idempotent; prints nothing on stdout.
#
# - installs podman + runc (and what the image and cluster tiers use beside them);
# - /etc/containers/containers.conf: runc, not crun (crun refuses cgroup v1 "hybrid" hosts), and
#   default ulimits at or below the current hard limits (the sandbox lacks CAP_SYS_RESOURCE, so
#   podman's raised defaults are refused). An existing file is left alone unless it is ours;
# - debian:bookworm and debian:bookworm-slim: imported from a debootstrap minbase root file system
#   cached under ${NEUROPART_CACHE:-~/.cache/neuropart}/base (about 1.5 minutes the first time).
#   Where a registry is reachable, `docker build` pulls the real images instead.
set -euo pipefail

cache="${NEUROPART_CACHE:-${HOME}/.cache/neuropart}"
sudo_cmd=()
[[ $(id -u) -eq 0 ]] || sudo_cmd=(sudo)

packages=(podman runc containerd debootstrap containernetworking-plugins iptables conntrack
  catatonit uidmap fuse-overlayfs ipset)
missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
if ((${#missing[@]})); then
  echo "setup-engine: installing ${missing[*]}" >&2
  "${sudo_cmd[@]}" apt-get update -qq
  DEBIAN_FRONTEND=noninteractive "${sudo_cmd[@]}" apt-get install -y -qq --no-install-recommends \
    "${missing[@]}" >&2
fi

conf=/etc/containers/containers.conf
marker="# written by neuropart scripts/containers/setup-engine.sh"
if [[ ! -f "${conf}" ]] || grep -qxF "${marker}" "${conf}"; then
  # Well below the sandbox's hard limits (20000 files, 96364 processes): runc refused both at
  # the hard limit itself (EPERM) and accepted these.
  nofile=8192; nproc=8192
  "${sudo_cmd[@]}" tee "${conf}.tmp" >/dev/null <<CONF
${marker}
[containers]
default_ulimits = ["nofile=${nofile}:${nofile}", "nproc=${nproc}:${nproc}"]
[engine]
runtime = "runc"
CONF
  "${sudo_cmd[@]}" mv "${conf}.tmp" "${conf}"
fi

have_image() { podman image exists "$1" 2>/dev/null; }
if ! have_image docker.io/library/debian:bookworm || ! have_image docker.io/library/debian:bookworm-slim; then
  tarball="${cache}/base/debian-bookworm-minbase.tar"
  if [[ ! -f "${tarball}" ]]; then
    echo "setup-engine: making debian:bookworm with debootstrap (about 1.5 minutes, once)" >&2
    mkdir -p "${cache}/base"
    rootfs="$(mktemp -d "${cache}/base/rootfs.XXXXXX")"
    trap '"${sudo_cmd[@]}" rm -rf "${rootfs}"' EXIT
    "${sudo_cmd[@]}" debootstrap --variant=minbase bookworm "${rootfs}" >&2
    "${sudo_cmd[@]}" tar -C "${rootfs}" -cf "${tarball}.tmp" .
    mv "${tarball}.tmp" "${tarball}"
  fi
  podman import --change 'CMD ["bash"]' "${tarball}" docker.io/library/debian:bookworm >/dev/null
  podman tag docker.io/library/debian:bookworm docker.io/library/debian:bookworm-slim
fi
