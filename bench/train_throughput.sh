#!/usr/bin/env bash
# train_throughput.sh — CPU (or GPU) training throughput of madbench against the same
# network in PyTorch (bench/reference/mad_vae.py): one epoch on the same Fashion-MNIST
# images, same batch, same thread count. A warm-up run of each, then REPEATS runs of
# each, interleaved (madbench, PyTorch, madbench, ...) so that both see the same
# machine conditions; the table reports medians. Writes the table, the command and
# the date to results/bench/train_throughput_<date>.md and the raw logs beside it.
#
#   bench/train_throughput.sh [--n 10000] [--epochs 1] [--batch 128] [--threads T]
#                             [--repeats 3] [--warmup-runs 1] [--device cpu|cuda]
#                             [--python PY]
#                             [--build-dir DIR] [--out-dir DIR]
#
# --device cuda builds madbench with CUDA and runs both on the GPU. Documented in
# README.md, "Benchmarks".
set -euo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
n=10000 epochs=1 batch=128 threads=$(nproc) repeats=3 warmup_runs=1 device=cpu python=""
build_dir="" out_dir="$root/results/bench" warmup_batches=5
command_line="bench/train_throughput.sh $*"

usage() { sed -n '2,15p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//'; }
die() { echo "train_throughput: $*" >&2; exit 2; }
need_value() { [[ $# -ge 2 && -n $2 ]] || die "$1 needs a value (see --help)"; }
while [[ $# -gt 0 ]]; do
    case $1 in
    --n) need_value "$@"; n=$2; shift 2 ;;
    --epochs) need_value "$@"; epochs=$2; shift 2 ;;
    --batch) need_value "$@"; batch=$2; shift 2 ;;
    --threads) need_value "$@"; threads=$2; shift 2 ;;
    --repeats) need_value "$@"; repeats=$2; shift 2 ;;
    --warmup-runs) need_value "$@"; warmup_runs=$2; shift 2 ;;
    --device) need_value "$@"; device=$2; shift 2 ;;
    --python) need_value "$@"; python=$2; shift 2 ;;
    --build-dir) need_value "$@"; build_dir=$2; shift 2 ;;
    --out-dir) need_value "$@"; out_dir=$2; shift 2 ;;
    --warmup-batches) need_value "$@"; warmup_batches=$2; shift 2 ;;
    -h|--help) usage; exit 0 ;;
    *) die "unknown option '$1' (see --help)" ;;
    esac
done
for v in n epochs batch threads repeats warmup_runs warmup_batches; do
    [[ ${!v} =~ ^[0-9]+$ ]] || die "--${v//_/-} '${!v}' (expected a non-negative integer)"
done
[[ $repeats -ge 1 && $threads -ge 1 && $batch -ge 1 && $epochs -ge 1 ]] ||
    die "--repeats, --threads, --batch and --epochs must be at least 1"
[[ $device == cpu || $device == cuda ]] || die "--device '$device' (expected cpu or cuda)"

# ---- a Python that has torch (pyenv shims may hide Debian's python3-torch) ----
if [[ -z $python ]]; then
    for candidate in python3 /usr/bin/python3; do
        if command -v "$candidate" >/dev/null &&
            "$candidate" -c 'import torch, numpy' 2>/dev/null; then
            python=$candidate
            break
        fi
    done
    [[ -n $python ]] || die "no python3 with torch and numpy found (Debian: apt-get install python3-torch; or pass --python PY)"
fi

# ---- build madbench: Release, its own build directory ----
cuda=OFF
[[ $device == cuda ]] && cuda=ON
build_dir=${build_dir:-$root/build-bench-$device}
echo "building madbench (Release, MADBENCH_CUDA=$cuda) in $build_dir" >&2
build_log=$(mktemp)
if ! { cmake -S "$root" -B "$build_dir" -DCMAKE_BUILD_TYPE=Release -DMADBENCH_CUDA=$cuda &&
       cmake --build "$build_dir" --target madbench -j "$(nproc)"; } >"$build_log" 2>&1; then
    tail -20 "$build_log" >&2
    rm -f "$build_log"
    die "building madbench failed (output above)"
fi
rm -f "$build_log"
madbench=$build_dir/madbench

# ---- where the results go ----
date_utc=$(date -u +%Y-%m-%d)
stamp=$(date -u '+%Y-%m-%d %H:%M UTC')
mkdir -p "$out_dir"
name=train_throughput_${date_utc}
for ((i = 2; ; i++)); do # a second run on the same day gets _2, _3...
    [[ -e $out_dir/$name.md || -e $out_dir/${name}_logs ]] || break
    name=train_throughput_${date_utc}_$i
done
log_dir=$out_dir/${name}_logs
report=$out_dir/$name.md
mkdir -p "$log_dir"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

run_madbench() { # $1: log file; prints images/s
    "$madbench" train --n "$n" --epochs "$epochs" --batch "$batch" --threads "$threads" \
        --device "$device" --out "$tmp/model.ckpt" --quiet >"$1" 2>&1 ||
        { cat "$1" >&2; die "madbench train failed (log: $1)"; }
    sed -n 's/^trained: .*(\([0-9.]*\) img\/s)$/\1/p' "$1"
}
run_pytorch() { # $1: log file; prints images/s
    "$python" "$root/bench/reference/mad_vae.py" --n "$n" --epochs "$epochs" --batch "$batch" \
        --threads "$threads" --device "$device" --warmup-batches "$warmup_batches" \
        >"$1" 2>&1 || { cat "$1" >&2; die "PyTorch run failed (log: $1)"; }
    sed -n 's/^RESULT .*"images_per_s": \([0-9.]*\).*/\1/p' "$1"
}
median() { printf '%s\n' "$@" | sort -g | awk '{v[NR] = $1} END {
    print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }

load_before=$(cut -d' ' -f1-3 /proc/loadavg)
for ((r = 1; r <= warmup_runs; r++)); do
    echo "warm-up run $r/$warmup_runs of each (not counted)" >&2
    run_madbench "$log_dir/madbench_warmup_$r.log" >/dev/null
    run_pytorch "$log_dir/pytorch_warmup_$r.log" >/dev/null
done
mb_rates=() pt_rates=() loads=()
for ((r = 1; r <= repeats; r++)); do
    loads+=("$(cut -d' ' -f1 /proc/loadavg)")
    mb_rates+=("$(run_madbench "$log_dir/madbench_$r.log")")
    pt_rates+=("$(run_pytorch "$log_dir/pytorch_$r.log")")
    echo "repeat $r/$repeats: madbench ${mb_rates[-1]} img/s, PyTorch ${pt_rates[-1]} img/s" >&2
done
load_after=$(cut -d' ' -f1-3 /proc/loadavg)
mb=$(median "${mb_rates[@]}")
pt=$(median "${pt_rates[@]}")
ratio=$(awk -v a="$mb" -v b="$pt" 'BEGIN { printf "%.2f", a / b }')

# ---- the machine ----
cpu_model=$(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -1)
cores=$(nproc)
torch_version=$("$python" -c 'import torch; print(torch.__version__)')
if [[ $device == cuda ]]; then
    gpu=$(nvidia-smi --query-gpu=name --format=csv,noheader 2>/dev/null | head -1)
    machine="$cpu_model, $cores cores; GPU $gpu"
else
    machine="$cpu_model, $cores cores"
fi
blas=$(dpkg-query -W -f='${Package} ${Version}' libopenblas0-pthread 2>/dev/null ||
       dpkg-query -W -f='${Package} ${Version}' libopenblas0-openmp 2>/dev/null || echo unknown)
compiler=$(cc --version | head -1)
threading_env=$(env | grep -E '^(OMP|GOMP|KMP|OPENBLAS|MKL)_' | sort | tr '\n' ' ' | sed 's/ $//')
threading_env=${threading_env:-none set}
git_rev=$(git -C "$root" rev-parse --short HEAD 2>/dev/null || echo "no commit")

table=$(cat <<EOF
| machine | device | threads | PyTorch | madbench img/s | PyTorch img/s | ratio |
|---|---|---:|---|---:|---:|---:|
| $machine | $device | $threads | $torch_version | $mb | $pt | ${ratio}x |
EOF
)
{
    echo "# Training throughput: madbench vs PyTorch"
    echo
    echo "- command: \`$command_line\` (run from the repository root)"
    echo "- date: $stamp; madbench revision: $git_rev (working tree)"
    echo "- work: $epochs epoch(s) of $n Fashion-MNIST training images (the seeded subset"
    echo "  \`madbench train --n $n\` uses), batch $batch, MAD-VAE-28, Adam; median of"
    echo "  $repeats interleaved runs after $warmup_runs warm-up run(s) of each; PyTorch also takes"
    echo "  $warmup_batches untimed warm-up steps in-process, madbench's time includes its first step"
    echo "- software: $compiler; $blas; Python \`$python\`"
    echo "- environment (threading variables, applied to both programs): $threading_env"
    echo "- load average (1/5/15 min) before: $load_before; after: $load_after"
    echo
    echo "$table"
    echo
    echo "All runs (img/s):"
    echo
    echo "| repeat | load (1 min) | madbench | PyTorch |"
    echo "|---:|---:|---:|---:|"
    for ((r = 0; r < repeats; r++)); do
        echo "| $((r + 1)) | ${loads[r]} | ${mb_rates[r]} | ${pt_rates[r]} |"
    done
    echo
    echo "Raw logs: \`$(realpath --relative-to="$root" "$log_dir" 2>/dev/null || echo "$log_dir")/\`"
} >"$report"

echo
echo "$table"
echo
echo "report: $report"
