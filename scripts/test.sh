#!/usr/bin/env bash
# The whole test suite on a fresh Debian machine: installs what it needs, builds, runs CTest (the
# fuzz tier in build/fuzz, then the dev build's labels: unit, integration, e2e, kind). Safe to run
# again: every step is idempotent. Arguments go to the dev build's ctest.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-deps.sh
scripts/build.sh dev

# The wire decoder faces the network: its truncation and bit-flip tests run once more under
# AddressSanitizer and UndefinedBehaviorSanitizer (a small build of just those targets).
cmake --preset asan >/dev/null
cmake --build --preset asan --target wire_test
build/asan/bin/wire_test --gtest_brief=1

# Every parser that faces input has a libFuzzer harness (clang): each replays its corpus, the
# regression cases, and fuzzes for a few seconds (docs/fuzzing.md).
scripts/build.sh fuzz
ctest --preset fuzz

ctest --preset dev "$@"
