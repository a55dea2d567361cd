#!/usr/bin/env bash
# Sets doppel up (scripts/setup.sh), builds it, and runs every default test suite with ctest;
# then the unit tests again under AddressSanitizer and UBSan (scripts/test-sanitize, build-asan/).
# Slow suites (label "slow") are left out; run them with: ctest --test-dir build -L slow
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
ctest --test-dir build --output-on-failure -j "$(nproc)" -LE slow "$@"
scripts/test-sanitize
