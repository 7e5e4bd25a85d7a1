#!/usr/bin/env bash
# run_schedules.sh PROGRAM [ARGS...] — runs a test program built against the host
# execution layer under three thread schedules (forward, reverse, seeded random).
# Each run must pass, and the three must read back bitwise identical data from the
# device (the layer's digest of every device-to-host copy, MB_CUDA_HOST_REPORT).
# One input seed (MB_TEST_SEED, from the clock unless set) serves all three runs;
# MB_CUDA_HOST_SCHEDULES overrides the list of schedules.
set -u
prog=$1
shift
seed=${MB_TEST_SEED:-$(date +%s)}
schedules=${MB_CUDA_HOST_SCHEDULES:-"forward reverse random:$seed"}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
echo "$(basename "$prog"): MB_TEST_SEED=$seed, schedules: $schedules"
first=""
for s in $schedules; do
    start=$(date +%s%N)
    if ! MB_TEST_SEED=$seed MB_CUDA_HOST_SCHEDULE=$s MB_CUDA_HOST_REPORT=$tmp/report \
        "$prog" "$@" >"$tmp/out" 2>&1; then
        cat "$tmp/out"
        echo "FAILED under schedule $s (MB_TEST_SEED=$seed)"
        exit 1
    fi
    line=$(tail -n 1 "$tmp/report" 2>/dev/null)
    digest=$(sed -n 's/.* digest=\([0-9a-f]*\) .*/\1/p' <<<"$line")
    printf '  %-22s %6.1f s  %s\n' "$s" "$((($(date +%s%N) - start) / 1000000))e-3" \
        "$(cut -d' ' -f2-4 <<<"$line")"
    [ -n "$digest" ] || { cat "$tmp/out"; echo "no report from the host layer under $s"; exit 1; }
    if [ -z "$first" ]; then
        first=$digest
        tail -n 3 "$tmp/out"
    elif [ "$digest" != "$first" ]; then
        echo "FAILED: schedule $s read back different data (digest $digest, first $first):"
        echo "a race between threads, or a read of memory no thread wrote"
        exit 1
    fi
done
echo "bitwise identical across schedules: digest $first"
