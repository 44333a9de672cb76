#!/usr/bin/env bash
# The main job: trains the Fashion-MNIST MLP split across three worker processes on 127.0.0.1.
# Installs what it needs, builds the release preset, then runs. Extra arguments go to `run`.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-deps.sh
scripts/build.sh release
exec build/release/bin/neuropart run examples/mnist-percentage.yaml --store neuropart-store "$@"
