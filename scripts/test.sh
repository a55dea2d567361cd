#!/usr/bin/env bash
# Sets doppel up (scripts/setup.sh), builds it, and runs every default test suite with ctest;
# then, from one clang build with AddressSanitizer and UBSan (scripts/test-sanitize, build-asan/),
# the unit tests again and each fuzz target of fuzz/ for 12 s (one summary line per target; a
# crash fails with its reproducer's path). CI runs this (.ci/run); HACKING.md "What CI runs".
# Slow suites (label "slow") are left out; run them with: ctest --test-dir build -L slow
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
ctest --test-dir build --output-on-failure -j "$(nproc)" -LE slow "$@"
scripts/test-sanitize
