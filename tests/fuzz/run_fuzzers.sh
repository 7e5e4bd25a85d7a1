#!/bin/bash
# run_fuzzers.sh — builds the data-reader fuzz targets (clang + libFuzzer + ASan +
# UBSan) and runs each one. CI: a short fixed count of executions per target;
# by hand: as long as you like.
#
#   tests/fuzz/run_fuzzers.sh                 # 3000 executions per target (CI)
#   RUNS=-1 SECONDS_EACH=3600 tests/fuzz/run_fuzzers.sh  # one hour per target
#   TARGETS=fuzz_idx RUNS=-1 SECONDS_EACH=600 JOBS=4 tests/fuzz/run_fuzzers.sh
#
# Environment: RUNS (executions per target, -1 = unlimited), SECONDS_EACH
# (-max_total_time, 0 = unlimited), TARGETS (default all four), BUILD (build
# folder, default build-fuzz), CORPUS (kept corpora, default $BUILD/corpus),
# JOBS (parallel fuzzing processes per target), SEED (libFuzzer's -seed; CI's
# default 1 makes the short pass the same on every run; 0 = a new one each run).
# Inputs that once crashed a reader are kept in tests/fuzz/regressions/<kind>/
# and run first. Crash inputs land in $BUILD/artifacts/; the script exits 1 if
# any target found one.
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
RUNS=${RUNS:-3000}
SECONDS_EACH=${SECONDS_EACH:-0}
TARGETS=${TARGETS:-"fuzz_idx fuzz_cifar fuzz_folder fuzz_npy"}
BUILD=$(realpath -m "${BUILD:-$ROOT/build-fuzz}")
CORPUS=$(realpath -m "${CORPUS:-$BUILD/corpus}")
JOBS=${JOBS:-1}
SEED=${SEED:-1}

mkdir -p "$BUILD"
cmake -S "$ROOT" -B "$BUILD" -DCMAKE_C_COMPILER=clang -DMADBENCH_CUDA=OFF \
      -DMADBENCH_FUZZ=ON -DCMAKE_BUILD_TYPE=Debug >"$BUILD/configure.log" 2>&1 ||
    { cat "$BUILD/configure.log"; exit 1; }
cmake --build "$BUILD" -j"$(nproc)" --target $TARGETS fuzz_make_seeds >/dev/null

SEEDS=$BUILD/seeds
rm -rf "$SEEDS"
"$BUILD/fuzz_make_seeds" "$SEEDS"
mkdir -p "$BUILD/artifacts"
cd "$BUILD" # libFuzzer -jobs writes its fuzz-N.log files here
status=0
for t in $TARGETS; do
    kind=${t#fuzz_}
    mkdir -p "$CORPUS/$kind"
    echo "== $t: runs=$RUNS max_total_time=$SECONDS_EACH jobs=$JOBS"
    args=(-runs="$RUNS" -max_total_time="$SECONDS_EACH" -max_len=65536 -timeout=10
          -rss_limit_mb=2048 -seed="$SEED" -print_final_stats=1
          -artifact_prefix="$BUILD/artifacts/$t-")
    if [ "$JOBS" -gt 1 ]; then
        args+=(-jobs="$JOBS" -workers="$JOBS")
    fi
    dirs=("$CORPUS/$kind" "$SEEDS/$kind")
    if [ -d "$ROOT/tests/fuzz/regressions/$kind" ]; then
        dirs+=("$ROOT/tests/fuzz/regressions/$kind")
    fi
    if ! "$BUILD/$t" "${args[@]}" "${dirs[@]}" 2>"$BUILD/$t.log"; then
        echo "$t: FAILED (see $BUILD/$t.log and $BUILD/artifacts/)"
        tail -40 "$BUILD/$t.log"
        status=1
    fi
    grep -E "^stat::number_of_executed_units|^#[0-9]+ +DONE|crash-|leak-|timeout-" \
        "$BUILD/$t.log" | tail -3 || true
done
exit $status
