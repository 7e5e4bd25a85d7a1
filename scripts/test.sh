#!/usr/bin/env bash
# Quick start (b): install what is missing, build, run the whole test suite:
# a short fuzzing pass over the data readers (tests/fuzz, 3000 executions per
# target), then every CTest test. GPU tests (label gpu) skip themselves when no
# CUDA device is present.
set -euo pipefail
MB_ROOT=$(cd "$(dirname "$0")/.." && pwd)
. "$MB_ROOT/scripts/deps.sh"
mb_install_packages $MB_BUILD_PACKAGES $MB_TEST_PACKAGES
mb_build "$MB_ROOT/build-test"
BUILD="$MB_ROOT/build-fuzz" bash "$MB_ROOT/tests/fuzz/run_fuzzers.sh"
ctest --test-dir "$MB_ROOT/build-test" --output-on-failure -j 2 "$@"
