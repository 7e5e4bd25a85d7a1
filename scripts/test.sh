#!/usr/bin/env bash
# Quick start (b): install what is missing, build, run the whole test suite.
# GPU tests (label gpu) skip themselves when no CUDA device is present.
set -euo pipefail
MB_ROOT=$(cd "$(dirname "$0")/.." && pwd)
. "$MB_ROOT/scripts/deps.sh"
mb_install_packages $MB_BUILD_PACKAGES $MB_TEST_PACKAGES
mkdir -p "$MB_ROOT/build-test"
mb_build "$MB_ROOT/build-test"
ctest --test-dir "$MB_ROOT/build-test" --output-on-failure -j 2 "$@"
