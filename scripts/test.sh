#!/usr/bin/env bash
# The whole test suite on a fresh Debian machine: installs what it needs, builds, runs CTest
# (unit, integration and e2e labels). Safe to run again: every step is idempotent.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-deps.sh
scripts/build.sh dev
ctest --preset dev "$@"
