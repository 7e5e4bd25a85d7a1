#!/usr/bin/env bash
# profile_train.sh — where madbench's CPU training time goes, per backend op: `perf
# record` (DWARF call graphs) of `madbench train` at one thread, then the share of
# the samples under each op of the backend table (cpu_* functions, children
# included: a GEMM's OpenBLAS kernels count for the GEMM) and the top functions by
# their own samples. Writes results/bench/profile_train_<date>.md with the command,
# the date, the load and the raw `perf report` beside it.
#
#   bench/profile_train.sh [--n 10000] [--epochs 1] [--threads 1] [--build-dir DIR]
#                          [--out-dir DIR]
#
# Needs perf (Debian: linux-perf) and kernel.perf_event_paranoid <= 2.
set -euo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
n=10000 epochs=1 threads=1 build_dir="$root/build-bench-cpu" out_dir="$root/results/bench"
command_line="bench/profile_train.sh $*"
die() { echo "profile_train: $*" >&2; exit 2; }
while [[ $# -gt 0 ]]; do
    case $1 in
    --n) n=${2:?}; shift 2 ;;
    --epochs) epochs=${2:?}; shift 2 ;;
    --threads) threads=${2:?}; shift 2 ;;
    --build-dir) build_dir=${2:?}; shift 2 ;;
    --out-dir) out_dir=${2:?}; shift 2 ;;
    -h|--help) sed -n '2,12p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) die "unknown option '$1' (see --help)" ;;
    esac
done
command -v perf >/dev/null || die "perf not found (Debian: apt-get install linux-perf)"

echo "building madbench (Release) in $build_dir" >&2
cmake -S "$root" -B "$build_dir" -DCMAKE_BUILD_TYPE=Release -DMADBENCH_CUDA=OFF >/dev/null
cmake --build "$build_dir" --target madbench -j "$(nproc)" >/dev/null

mkdir -p "$out_dir"
name=profile_train_$(date -u +%Y-%m-%d)
for ((i = 2; ; i++)); do
    [[ -e $out_dir/$name.md ]] || break
    name=profile_train_$(date -u +%Y-%m-%d)_$i
done
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
uptime_before=$(uptime)
perf record -F 499 --call-graph dwarf,16384 -o "$tmp/perf.data" -- \
    "$build_dir/madbench" train --n "$n" --epochs "$epochs" --threads "$threads" \
    --device cpu --out "$tmp/model.ckpt" --quiet >"$tmp/train.log" 2>"$tmp/perf.log" ||
    { cat "$tmp/perf.log" >&2; die "perf record failed"; }
uptime_after=$(uptime)
perf report -i "$tmp/perf.data" --children --sort symbol --stdio --no-demangle \
    -g none --percent-limit 0.5 >"$out_dir/$name.children.txt" 2>/dev/null
perf report -i "$tmp/perf.data" --no-children --sort dso,symbol --stdio -g none \
    --percent-limit 0.5 >"$out_dir/$name.self.txt" 2>/dev/null

{
    echo "# Where madbench's CPU training time goes"
    echo
    echo "- command: \`$command_line\`; profiled: \`madbench train --n $n --epochs $epochs --threads $threads\`"
    echo "- $(sed -n 's/^trained: //p' "$tmp/train.log") (slowed by perf's sampling)"
    echo "- date: $(date -u '+%Y-%m-%d %H:%M UTC'); revision $(git -C "$root" rev-parse --short HEAD)"
    echo "- load: before \`$uptime_before\`; after \`$uptime_after\`"
    echo
    echo "Per backend op: share of the training steps' samples (mb_model_train_step = 100%;"
    echo "the op's callees included, so a GEMM's OpenBLAS kernels count for the GEMM):"
    echo
    echo "| op | share of the step |"
    echo "|---|---:|"
    awk '$3 == "[.]" { sym = $4; v = $1; sub(/%/, "", v)
            if (sym == "mb_model_train_step") step = v
            if (sym ~ /^cpu_/) { sub(/\..*/, "", sym); if (v > op[sym]) op[sym] = v } }
         END { for (o in op) printf "%s %.1f\n", o, 100 * op[o] / step }' \
        "$out_dir/$name.children.txt" | sort -k2 -g -r | head -20 |
        awk '{ printf "| %s | %s%% |\n", $1, $2 }'
    echo
    echo "Top functions by their own samples:"
    echo
    echo "| function (library) | share |"
    echo "|---|---:|"
    awk '/^ +[0-9.]+%/ && $3 == "[.]" { printf "| %s (%s) | %s |\n", $4, $2, $1 }' \
        "$out_dir/$name.self.txt" | head -15
    echo
    echo "Raw reports: \`$name.children.txt\`, \`$name.self.txt\` beside this file."
} >"$out_dir/$name.md"
cat "$out_dir/$name.md"
