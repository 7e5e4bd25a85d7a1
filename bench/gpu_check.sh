#!/usr/bin/env bash
# gpu_check.sh — the CUDA backend's checks on a machine with an NVIDIA GPU:
# configure for sm_90 (H100 / H200), build, run the gpu test suite, run every gpu
# test under compute-sanitizer memcheck and racecheck, run the TF32 / BF16 GEMM
# variants of the op tests, and `madbench run --device cuda` on the default
# experiment (configs/fully-synthetic.ini).
#
# Writes results/gpu/<UTC date>/: environment.txt (GPU name, driver, CUDA, git
# revision, date, command), one log per step whose first line is the command,
# and summary.txt (exit code and seconds of every step). Exits 1 when a step
# failed, 2 when no GPU is visible.
#
# usage: bench/gpu_check.sh [BUILD_DIR]            (default: build-gpu)
# environment:
#   GPU_CHECK_STEPS    steps to run, comma-separated, in this order (default all
#                      but cpu): build,gpu,memcheck,racecheck,gemm,run,cpu
#                      (split them over several calls where one command may only
#                      run for a limited time; the build folder is reused)
#   GPU_CHECK_ARCH     CMAKE_CUDA_ARCHITECTURES (default 90)
#   GPU_CHECK_TIMEOUT  seconds allowed per step (default: no limit)
#   GPU_CHECK_RUN_ARGS arguments of `madbench run` replacing the default ones
#   GPU_CHECK_OUT      results folder (default results/gpu/<UTC date>)
#   COMPUTE_SANITIZER  path of compute-sanitizer when it is not on PATH
set -u

root=$(cd "$(dirname "$0")/.." && pwd)
build=${1:-$root/build-gpu}
arch=${GPU_CHECK_ARCH:-90}
steps=",${GPU_CHECK_STEPS:-build,gpu,memcheck,racecheck,gemm,run},"
out=${GPU_CHECK_OUT:-$root/results/gpu/$(date -u +%Y-%m-%dT%H%M%SZ)}
mkdir -p "$out"
summary=$out/summary.txt
failed=0

# compute-sanitizer ships with the CUDA toolkit (bin/, or compute-sanitizer/ in
# older layouts) and in NVIDIA's sanitizer wheels; COMPUTE_SANITIZER overrides.
sanitizer=${COMPUTE_SANITIZER:-$(command -v compute-sanitizer)}
for c in /usr/local/cuda/bin/compute-sanitizer /usr/local/cuda/compute-sanitizer/compute-sanitizer \
         /opt/nvidia/compute-sanitizer/compute-sanitizer; do
    [ -n "$sanitizer" ] || { [ -x "$c" ] && sanitizer=$c; }
done
nvcc=$(command -v nvcc || echo /usr/local/cuda/bin/nvcc)
wants() { [[ $steps == *",$1,"* ]]; }

if ! nvidia-smi -L >/dev/null 2>&1; then
    echo "gpu_check: no NVIDIA GPU visible (nvidia-smi -L failed): nothing to check" >&2
    echo "no GPU visible (nvidia-smi -L failed)" >> "$summary"
    exit 2
fi

{
    echo "date:    $(date -u '+%Y-%m-%d %H:%M:%S UTC')"
    echo "host:    $(hostname)"
    echo "command: $0 $* (GPU_CHECK_STEPS=${steps:1:-1})"
    echo "git:     $(git -C "$root" rev-parse HEAD 2>/dev/null || echo 'no commit')" \
         "$(git -C "$root" status --porcelain 2>/dev/null | grep -q . && echo '(with local changes)')"
    echo "arch:    CMAKE_CUDA_ARCHITECTURES=$arch"
    echo
    nvidia-smi --query-gpu=name,driver_version,memory.total,compute_cap,clocks.max.sm \
               --format=csv
    echo
    nvidia-smi
    echo
    "$nvcc" --version
    echo
    echo "CPU: $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2-) x $(nproc)"
} >> "$out/environment.txt" 2>&1

# step NAME CMD...: runs CMD with its output in NAME.log and records the exit code.
step() {
    local name=$1
    shift
    local start=$SECONDS rc
    echo "\$ $*" > "$out/$name.log"
    if [ -n "${GPU_CHECK_TIMEOUT:-}" ]; then
        timeout "$GPU_CHECK_TIMEOUT" "$@" >> "$out/$name.log" 2>&1
    else
        "$@" >> "$out/$name.log" 2>&1
    fi
    rc=$?
    printf '%-30s rc=%-3d %5ds  %s\n' "$name" "$rc" "$((SECONDS - start))" "$*" | tee -a "$summary"
    [ "$rc" -eq 0 ] || failed=1
    return "$rc"
}

if wants build; then
    step configure cmake -S "$root" -B "$build" -DCMAKE_BUILD_TYPE=Release \
        -DCMAKE_CUDA_ARCHITECTURES="$arch" || exit 1
    step build cmake --build "$build" -j "$(nproc)" || exit 1
fi

wants gpu && step ctest_gpu ctest --test-dir "$build" -L gpu --output-on-failure

if { wants memcheck || wants racecheck; } && [ -z "$sanitizer" ]; then
    echo "compute-sanitizer not found (PATH, /usr/local/cuda, COMPUTE_SANITIZER):" \
         "memcheck and racecheck NOT run" | tee -a "$summary"
    failed=1
fi
for exe in "$build"/gpu_*; do
    if [ ! -f "$exe" ] || [ ! -x "$exe" ]; then continue; fi
    t=$(basename "$exe")
    [ -n "$sanitizer" ] && wants memcheck && step "memcheck_$t" env MB_SOURCE_DIR="$root" "$sanitizer" \
        --tool memcheck --leak-check full --error-exitcode 1 "$exe"
    [ -n "$sanitizer" ] && wants racecheck && step "racecheck_$t" env MB_SOURCE_DIR="$root" "$sanitizer" \
        --tool racecheck --error-exitcode 1 "$exe"
done

# The TF32 / BF16 GEMM paths against their own bounds (gpu_backend_ops reads the mode).
if wants gemm; then
    for math in tf32 bf16; do
        step "backend_ops_$math" env MADBENCH_GEMM_MATH=$math MB_SOURCE_DIR="$root" \
            "$build/gpu_backend_ops"
    done
fi

if wants run; then
    run_args=("$root/configs/fully-synthetic.ini" run.device=cuda "run.out=$out/runs")
    if [ -n "${GPU_CHECK_RUN_ARGS:-}" ]; then
        read -r -a run_args <<< "$GPU_CHECK_RUN_ARGS"
    fi
    step run_default_cuda "$build/madbench" run "${run_args[@]}"
fi

wants cpu && step ctest_cpu ctest --test-dir "$build" -L cpu --output-on-failure -j "$(nproc)"

echo "gpu_check: logs in $out" | tee -a "$summary"
exit "$failed"
