#!/usr/bin/env bash
# metrics_suite.sh — wall time of the whole metric suite (reference statistics +
# comparison: Gaussian fits, FD, KID, precision/recall/density/coverage, Vendi,
# effective rank, tails, classes) for N vs N features at each dimension D. The
# features are a fixed seeded random projection of Fashion-MNIST images (test
# split against the first N train images), so any D can be timed without a judge
# of that width. REPEATS runs per D; the table reports medians. Writes the table,
# the command, the machine and the date to results/bench/metrics_suite_<device>.md.
#
#   bench/metrics_suite.sh [--n 10000] [--dims "64 2048"] [--repeats 3]
#                          [--threads T] [--device cpu|cuda] [--build-dir DIR]
#                          [--out-dir DIR]
set -euo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
n=10000 dims="64 2048" repeats=3 threads=$(nproc) device=cpu
build_dir="$root/build" out_dir="$root/results/bench"
command_line="bench/metrics_suite.sh $*"

usage() { sed -n '2,13p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//'; }
die() { echo "metrics_suite: $*" >&2; exit 2; }
need_value() { [[ $# -ge 2 && -n $2 ]] || die "$1 needs a value (see --help)"; }
while [[ $# -gt 0 ]]; do
    case $1 in
    --n) need_value "$@"; n=$2; shift 2 ;;
    --dims) need_value "$@"; dims=$2; shift 2 ;;
    --repeats) need_value "$@"; repeats=$2; shift 2 ;;
    --threads) need_value "$@"; threads=$2; shift 2 ;;
    --device) need_value "$@"; device=$2; shift 2 ;;
    --build-dir) need_value "$@"; build_dir=$2; shift 2 ;;
    --out-dir) need_value "$@"; out_dir=$2; shift 2 ;;
    -h|--help) usage; exit 0 ;;
    *) die "unknown option '$1' (see --help)" ;;
    esac
done

bin="$build_dir/madbench"
if [[ ! -x $bin ]]; then
    cuda=OFF; [[ $device == cuda ]] && cuda=ON
    cmake -S "$root" -B "$build_dir" -DMADBENCH_CUDA=$cuda >/dev/null
    cmake --build "$build_dir" -j"$(nproc)" --target madbench >/dev/null
fi
py=python3
command -v python3 >/dev/null || die "python3 is needed to read the JSON output"

median() { sort -g | awk '{v[NR]=$1} END {print (NR%2) ? v[(NR+1)/2] : (v[NR/2]+v[NR/2+1])/2}'; }

mkdir -p "$out_dir"
out="$out_dir/metrics_suite_${device}.md"
cpu=$(grep -m1 "model name" /proc/cpuinfo | cut -d: -f2- | sed 's/^ *//')
{
    echo "# Metric suite wall time, $n vs $n features"
    echo
    echo "- command: \`$command_line\`"
    echo "- per run: \`madbench metrics fashion-mnist fashion-mnist --split-b train --n $n --features random --random-dim D --device $device --threads $threads --json --quiet\`"
    echo "- machine: $cpu, $(nproc) cores, $threads threads; device $device; load average at start: $(cut -d' ' -f1-3 /proc/loadavg)"
    echo "- date: $(date -u +%Y-%m-%dT%H:%MZ), madbench $("$bin" --version | cut -d' ' -f2), git $(git -C "$root" rev-parse --short HEAD 2>/dev/null || echo none)"
    echo "- suite = reference statistics (fit, R = S^1/2, whitening, k-NN radii, Vendi) + comparison; KID 100 subsets of 1000, k = 5; medians of $repeats runs"
    echo
    echo "Wall time is what a user waits; CPU time (user + system of all threads, from"
    echo "clock()) is the work done, which stays meaningful on a shared, loaded machine."
    echo
    echo "| D | suite wall (s) | suite CPU (s) | comparison only, wall (s) | FD | precision | recall |"
    echo "|---:|---:|---:|---:|---:|---:|---:|"
} >"$out.tmp"
for d in $dims; do
    suite=() cpu_s=() compare=() last=""
    for ((r = 0; r < repeats; r++)); do
        last=$("$bin" metrics fashion-mnist fashion-mnist --split-b train --n "$n" \
               --features random --random-dim "$d" --device "$device" --threads "$threads" \
               --json --quiet)
        suite+=("$($py -c 'import json,sys; print(json.loads(sys.argv[1])["suite_seconds"])' "$last")")
        cpu_s+=("$($py -c 'import json,sys; print(json.loads(sys.argv[1])["suite_cpu_seconds"])' "$last")")
        compare+=("$($py -c 'import json,sys; print(json.loads(sys.argv[1])["seconds"])' "$last")")
        echo "D=$d run $((r + 1)): suite ${suite[-1]} s wall, ${cpu_s[-1]} s CPU" >&2
    done
    row=$($py -c 'import json,sys; r=json.loads(sys.argv[1]); print("%.6g | %.4f | %.4f" % (r["fd"], r["precision"], r["recall"]))' "$last")
    printf '| %s | %.2f | %.2f | %.2f | %s |\n' "$d" "$(printf '%s\n' "${suite[@]}" | median)" \
        "$(printf '%s\n' "${cpu_s[@]}" | median)" "$(printf '%s\n' "${compare[@]}" | median)" \
        "$row" >>"$out.tmp"
done
mv "$out.tmp" "$out"
cat "$out"
