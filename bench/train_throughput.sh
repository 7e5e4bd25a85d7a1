#!/usr/bin/env bash
# train_throughput.sh — training throughput of madbench against the same network in
# PyTorch (bench/reference/mad_vae.py), eager and torch.compile (inductor), side by
# side in one run: the same Fashion-MNIST images, model, batch and optimizer, at each
# thread count of --threads. PyTorch 2.x comes from PyPI into its own venv
# (BUILD_DIR/torch-venv, pinned in bench/reference/requirements.txt), made by this
# script and never by CI; --python PY uses another interpreter instead (one with
# torch, e.g. Debian's python3 with torch 1.13, where only eager exists). A warm-up
# run of each contender, then REPEATS rounds that run every contender at every
# thread count in turn, so that all see the same machine; the tables report
# medians. Writes results/bench/train_throughput_<date>.md (per thread count, at the
# best thread count, versions, command, date, load) and the raw logs beside it.
#
#   bench/train_throughput.sh [--n 10000] [--epochs 1] [--batch 128] [--threads 1,2]
#                             [--contenders madbench,eager,compile] [--repeats 3]
#                             [--warmup-runs 1] [--device cpu|cuda] [--python PY]
#                             [--build-dir DIR] [--out-dir DIR] [--warmup-batches 5]
#
# --device cuda builds madbench with CUDA and runs every contender on the GPU (the
# venv's PyTorch wheel is the CUDA one); --threads then sets the host threads.
set -euo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
n=10000 epochs=1 batch=128 threads=1,2 repeats=3 warmup_runs=1 device=cpu python=""
contenders=madbench,eager,compile build_dir="" out_dir="$root/results/bench" warmup_batches=5
command_line="bench/train_throughput.sh $*"

usage() { sed -n '2,21p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//'; }
die() { echo "train_throughput: $*" >&2; exit 2; }
need_value() { [[ $# -ge 2 && -n $2 ]] || die "$1 needs a value (see --help)"; }
while [[ $# -gt 0 ]]; do
    case $1 in
    --n) need_value "$@"; n=$2; shift 2 ;;
    --epochs) need_value "$@"; epochs=$2; shift 2 ;;
    --batch) need_value "$@"; batch=$2; shift 2 ;;
    --threads) need_value "$@"; threads=$2; shift 2 ;;
    --contenders) need_value "$@"; contenders=$2; shift 2 ;;
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
for v in n epochs batch repeats warmup_runs warmup_batches; do
    [[ ${!v} =~ ^[0-9]+$ ]] || die "--${v//_/-} '${!v}' (expected a non-negative integer)"
done
[[ $repeats -ge 1 && $batch -ge 1 && $epochs -ge 1 ]] ||
    die "--repeats, --batch and --epochs must be at least 1"
[[ $threads =~ ^[1-9][0-9]*(,[1-9][0-9]*)*$ ]] ||
    die "--threads '$threads' (expected thread counts separated by commas, e.g. 1,2)"
[[ $contenders =~ ^(madbench|eager|compile)(,(madbench|eager|compile))*$ ]] ||
    die "--contenders '$contenders' (expected a comma list of madbench, eager, compile)"
[[ $device == cpu || $device == cuda ]] || die "--device '$device' (expected cpu or cuda)"
IFS=, read -r -a thread_list <<<"$threads"
IFS=, read -r -a contender_list <<<"$contenders"
build_dir=$(realpath -m "${build_dir:-$root/build-bench-$device}")

# ---- PyTorch: its own venv from PyPI unless --python ----
if [[ -z $python && $contenders =~ eager|compile ]]; then
    venv=$build_dir/torch-venv
    req=$root/bench/reference/requirements.txt
    if [[ ! -x $venv/bin/python ]] || ! cmp -s "$req" "$venv/requirements.stamp"; then
        echo "installing PyTorch from PyPI into $venv (several GB, once)" >&2
        rm -rf "$venv"
        /usr/bin/python3 -m venv "$venv" || die "python3 -m venv failed (Debian: python3-venv)"
        "$venv/bin/pip" install --no-input --disable-pip-version-check -r "$req" >&2 ||
            die "pip could not install $(grep -v '^#' "$req" | tr '\n' ' ')from PyPI; on a machine without PyPI pass --python PY (an interpreter with torch)"
        cp "$req" "$venv/requirements.stamp"
    fi
    python=$venv/bin/python
fi
if [[ $contenders =~ eager|compile ]]; then
    "$python" -c 'import torch, numpy' 2>/dev/null || die "$python cannot import torch and numpy"
    if [[ $contenders == *compile* ]]; then
        "$python" -c 'import sys, torch; sys.exit(not hasattr(torch, "compile"))' ||
            die "$python has torch $("$python" -c 'import torch; print(torch.__version__)'), without torch.compile (drop 'compile' from --contenders)"
    fi
    if [[ $device == cuda ]]; then
        "$python" -c 'import sys, torch; sys.exit(not torch.cuda.is_available())' ||
            die "$python: torch sees no CUDA device"
    fi
fi

# ---- build madbench: Release, its own build directory ----
cuda=OFF
[[ $device == cuda ]] && cuda=ON
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

# run CONTENDER THREADS LOG: prints images/s
run() {
    local who=$1 t=$2 log=$3
    if [[ $who == madbench ]]; then
        "$madbench" train --n "$n" --epochs "$epochs" --batch "$batch" --threads "$t" \
            --device "$device" --out "$tmp/model.ckpt" --quiet >"$log" 2>&1 ||
            { cat "$log" >&2; die "madbench train failed (log: $log)"; }
        sed -n 's/^trained: .*(\([0-9.]*\) img\/s)$/\1/p' "$log"
    else
        local flag=""
        [[ $who == compile ]] && flag=--compile
        "$python" "$root/bench/reference/mad_vae.py" --n "$n" --epochs "$epochs" \
            --batch "$batch" --threads "$t" --device "$device" \
            --warmup-batches "$warmup_batches" $flag >"$log" 2>&1 ||
            { cat "$log" >&2; die "PyTorch $who failed (log: $log)"; }
        sed -n 's/^RESULT .*"images_per_s": \([0-9.]*\).*/\1/p' "$log"
    fi
}
median() { printf '%s\n' "$@" | sort -g | awk '{v[NR] = $1} END {
    print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }

uptime_before=$(uptime)
for ((r = 1; r <= warmup_runs; r++)); do
    for t in "${thread_list[@]}"; do
        for who in "${contender_list[@]}"; do
            echo "warm-up $r/$warmup_runs: $who, $t thread(s) (not counted)" >&2
            run "$who" "$t" "$log_dir/${who}_t${t}_warmup_$r.log" >/dev/null
        done
    done
done
declare -A rates loads
for ((r = 1; r <= repeats; r++)); do
    for t in "${thread_list[@]}"; do
        for who in "${contender_list[@]}"; do
            load=$(cut -d' ' -f1 /proc/loadavg)
            rate=$(run "$who" "$t" "$log_dir/${who}_t${t}_$r.log")
            rates[$who,$t]+="$rate "
            loads[$who,$t]+="$load "
            echo "round $r/$repeats: $who, $t thread(s): $rate img/s (load $load)" >&2
        done
    done
done
uptime_after=$(uptime)

# ---- the tables ----
declare -A med
for t in "${thread_list[@]}"; do
    for who in "${contender_list[@]}"; do
        # shellcheck disable=SC2086
        med[$who,$t]=$(median ${rates[$who,$t]})
    done
done
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf (b > 0 ? "%.2fx" : "-"), a / b }'; }
faster_pytorch() { # $1: thread count, or "best"; prints "rate name"
    local best=0 best_who=- who v
    for who in "${contender_list[@]}"; do
        [[ $who == madbench ]] && continue
        if [[ $1 == best ]]; then v=${best_rate[$who]}; else v=${med[$who,$1]}; fi
        if awk -v a="$v" -v b="$best" 'BEGIN { exit !(a > b) }'; then best=$v best_who=$who; fi
    done
    echo "$best $best_who"
}
declare -A best_rate best_t
for who in "${contender_list[@]}"; do
    best_rate[$who]=0
    for t in "${thread_list[@]}"; do
        if awk -v a="${med[$who,$t]}" -v b="${best_rate[$who]}" 'BEGIN { exit !(a > b) }'; then
            best_rate[$who]=${med[$who,$t]} best_t[$who]=$t
        fi
    done
done

per_thread_table() {
    printf '| threads |'
    for who in "${contender_list[@]}"; do printf ' %s img/s | %s img/s per thread |' "$who" "$who"; done
    [[ $contenders == *madbench* && $contenders =~ eager|compile ]] &&
        printf ' madbench / faster PyTorch |'
    printf '\n|---:|'
    for who in "${contender_list[@]}"; do printf -- '---:|---:|'; done
    [[ $contenders == *madbench* && $contenders =~ eager|compile ]] && printf -- '---:|'
    printf '\n'
    for t in "${thread_list[@]}"; do
        printf '| %s |' "$t"
        for who in "${contender_list[@]}"; do
            printf ' %s | %s |' "${med[$who,$t]}" \
                "$(awk -v a="${med[$who,$t]}" -v t="$t" 'BEGIN { printf "%.1f", a / t }')"
        done
        if [[ $contenders == *madbench* && $contenders =~ eager|compile ]]; then
            read -r fr fw < <(faster_pytorch "$t")
            printf ' %s (vs %s) |' "$(ratio "${med[madbench,$t]}" "$fr")" "$fw"
        fi
        printf '\n'
    done
}
best_table() {
    printf '| contender | best img/s | at threads |\n|---|---:|---:|\n'
    for who in "${contender_list[@]}"; do
        printf '| %s | %s | %s |\n' "$who" "${best_rate[$who]}" "${best_t[$who]}"
    done
    if [[ $contenders == *madbench* && $contenders =~ eager|compile ]]; then
        read -r fr fw < <(faster_pytorch best)
        printf '\nmadbench at its best thread count / the faster PyTorch variant at its best: **%s** (vs %s)\n' \
            "$(ratio "${best_rate[madbench]}" "$fr")" "$fw"
    fi
}

# ---- the machine and the software ----
cpu_model=$(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -1)
cores=$(nproc)
machine="$cpu_model, $cores cores"
if [[ $device == cuda ]]; then
    machine="$machine; GPU $(nvidia-smi --query-gpu=name --format=csv,noheader 2>/dev/null | head -1)"
fi
torch_version=-
python_version=-
if [[ -n $python ]]; then
    torch_version=$("$python" -c 'import torch; print(torch.__version__)')
    python_version=$("$python" -c 'import platform; print(platform.python_version())')
fi
blas=$(dpkg-query -W -f='${Package} ${Version}' libopenblas0-pthread 2>/dev/null ||
       dpkg-query -W -f='${Package} ${Version}' libopenblas0-openmp 2>/dev/null || echo unknown)
compiler=$(cc --version | head -1)
threading_env=$(env | { grep -E '^(OMP|GOMP|KMP|OPENBLAS|MKL)_' || true; } | sort | tr '\n' ' ' | sed 's/ $//')
threading_env=${threading_env:-none set}
git_rev=$(git -C "$root" rev-parse --short HEAD 2>/dev/null || echo "no commit")
load1=$(cut -d' ' -f1 /proc/loadavg)
busy=$(awk -v l="$load1" -v c="$cores" 'BEGIN {
    if (l > 1.5 * c) print "heavily loaded: other work kept more than the cores busy, so every figure is low and noisy"
    else if (l > 0.75 * c) print "loaded: other work competed for the cores, figures are low and noisy"
    else print "quiet enough: the load stayed below the core count" }')

{
    echo "# Training throughput: madbench vs PyTorch (eager and torch.compile)"
    echo
    echo "- command: \`$command_line\` (run from the repository root)"
    echo "- date: $stamp; madbench revision: $git_rev (working tree)"
    echo "- work: $epochs epoch(s) of $n Fashion-MNIST training images (the seeded subset"
    echo "  \`madbench train --n $n\` uses), batch $batch, MAD-VAE-28, Adam lr 1e-3; median of"
    echo "  $repeats rounds (every contender at every thread count in turn) after $warmup_runs"
    echo "  warm-up round(s); PyTorch takes $warmup_batches untimed steps in-process first (compilation"
    echo "  included), madbench's time includes its first step"
    echo "- machine: $machine, device $device"
    echo "- software: PyTorch $torch_version (Python $python_version, \`$python\`); $compiler;"
    echo "  $blas; threading variables: $threading_env"
    echo "- load: before: \`$uptime_before\`; after: \`$uptime_after\`"
    echo "  ($busy)"
    echo
    echo "Per thread count (median img/s, and img/s per thread):"
    echo
    per_thread_table
    echo
    echo "Each contender at its best thread count:"
    echo
    best_table
    echo
    echo "All runs (img/s, with the 1-minute load average when each started):"
    echo
    echo "| contender | threads | img/s | load |"
    echo "|---|---:|---|---|"
    for t in "${thread_list[@]}"; do
        for who in "${contender_list[@]}"; do
            echo "| $who | $t | ${rates[$who,$t]% } | ${loads[$who,$t]% } |"
        done
    done
    echo
    echo "Raw logs: \`$(realpath --relative-to="$root" "$log_dir" 2>/dev/null || echo "$log_dir")/\`"
} >"$report"

cat "$report"
echo
echo "report: $report"
