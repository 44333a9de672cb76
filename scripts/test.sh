#!/usr/bin/env bash
# The whole test suite on a fresh Debian machine: installs what it needs, builds, runs CTest
# (unit, integration and e2e labels). Safe to run again: every step is idempotent.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-deps.sh
scripts/build.sh dev

# The wire decoder faces the network: its truncation and bit-flip tests run once more under
# AddressSanitizer and UndefinedBehaviorSanitizer (a small build of just those targets).
cmake --preset asan >/dev/null
cmake --build --preset asan --target wire_test
build/asan/bin/wire_test --gtest_brief=1

ctest --preset dev "$@"
