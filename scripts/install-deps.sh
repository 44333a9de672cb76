#!/usr/bin/env bash
# Installs every Debian package neuropart needs to build, test and benchmark.
# Usage: scripts/install-deps.sh [--build-only]
#   --build-only: just what compiling the shipped binaries needs (-DBUILD_TESTING=OFF), as the
#   Dockerfile's build stage uses.
# Idempotent: packages already present are skipped; apt-get runs only when something is missing.
set -euo pipefail

packages=(
  build-essential cmake ninja-build pkg-config
  libcpprest-dev libssl-dev libzmq3-dev cppzmq-dev libeigen3-dev libyaml-cpp-dev
  prometheus-cpp-dev zlib1g-dev nlohmann-json3-dev libcli11-dev
  libopenblas-openmp-dev  # the engine's GEMM (OpenBLAS on OpenMP: see CMakeLists.txt)
)
if [[ "${1:-}" != "--build-only" ]]; then
  packages+=(git libgtest-dev libgmock-dev libbenchmark-dev
             dataset-fashion-mnist python3 python3-numpy python3-torch
             libopenblas0-pthread  # the BLAS bench/torch_mlp_step.py gives Debian's torch
             clang-14 libclang-rt-14-dev libfuzzer-14-dev libomp-14-dev)  # the fuzz preset
             # (sanitizer and libFuzzer runtimes; OpenMP: configure)
fi

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done

if ((${#missing[@]})); then
  echo "install-deps: installing ${missing[*]}"
  sudo_cmd=()
  [[ $(id -u) -eq 0 ]] || sudo_cmd=(sudo)
  "${sudo_cmd[@]}" apt-get update -qq
  DEBIAN_FRONTEND=noninteractive "${sudo_cmd[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}"
else
  echo "install-deps: all packages present"
fi
