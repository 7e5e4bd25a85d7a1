#!/usr/bin/env bash
# mutants.sh [WORK_DIR] — proof that the cuda-host suite catches bugs in kernels/.
# Each mutation below changes one thing in a copy of kernels/ (the real files are
# never touched); the copy is built against the host execution layer
# (-DMB_CUDA_HOST_KERNELS) and the suite runs, cheapest test first, until a test
# fails. A mutation that builds and passes every test "survives" and fails this
# script. Writes the table to tests/cuda_host/mutants.md (docs/cuda-host.md).
# Takes 10-30 minutes on 2 quiet cores (hours on a loaded one), so it is not part
# of CTest. MB_MUTANTS=REGEX runs only the mutations whose kind matches.
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
work=${1:-$(mktemp -d /tmp/madbench_mutants_XXXXXX)}
mkdir -p "$work"
table=$root/tests/cuda_host/mutants.md

# kind | file | exact text (must occur once) | replacement; files that one kernel
# file includes first, mb_cuda.cuh (every kernel file recompiles) last
mutations=(
"off-by-one bound|conv.cu|            if (oh >= g.out_h)|            if (oh > g.out_h)"
"wrong stride|elementwise.cu|e < per_channel; e += blockDim.x)|e < per_channel; e += 32)"
"swapped indices|conv.cu|y[idx] = x[(i * cols + j) * inner + r];|y[idx] = x[(j * rows + i) * inner + r];"
"missing bounds guard|conv.cu|        if (ih >= 0 \&\& ih < g.height \&\& iw >= 0 \&\& iw < g.width)|        if (ih >= 0 \&\& iw >= 0)"
"wrong cuBLAS transpose flag|gemm.cu|cublasGemmEx(impl->cublas, mb_op(trans_b), mb_op(trans_a)|cublasGemmEx(impl->cublas, mb_op(trans_a), mb_op(trans_b)"
"race on a shared histogram (no barrier between clearing and counting)|distances.cu|            hist[b] = 0;
        __syncthreads();|            hist[b] = 0;"
"missing stream synchronisation before a host read|reduce.cu|                                  cudaMemcpyDeviceToHost, impl->stream));
    MB_CUDA_CHECK(cudaStreamSynchronize(impl->stream));
    return impl->host_result[0];|                                  cudaMemcpyDeviceToHost, impl->stream));
    return impl->host_result[0];"
"wrong cuBLAS leading dimension|linalg.cu|a, lda, \&beta, c, ldc));|a, lda, \&beta, c, n > 1 ? n - 1 : 1));"
"race on a shared histogram (no barrier before thread 0 scans it)|distances.cu|                atomicAdd(\&hist[(key >> shift) \& 255u], 1u);
        }
        __syncthreads();|                atomicAdd(\&hist[(key >> shift) \& 255u], 1u);
        }"
"shared state read before it is written|distances.cu|        rank = (unsigned)(k - 1);|        (void)k;"
"removed barrier|mb_cuda.cuh|        warp_sums[warp] = v;
    __syncthreads();|        warp_sums[warp] = v;"
"wrong shuffle offset|mb_cuda.cuh|for (int off = 16; off > 0; off >>= 1)|for (int off = 8; off > 0; off >>= 1)"
)

# the suite, cheapest first: program (or script) and arguments
suite=(
"cuda_host_gpu_backend_ops|bash $root/tests/cuda_host/run_schedules.sh $work/build/gpu_backend_ops_host"
"cuda_host_gpu_generation|bash $root/tests/cuda_host/run_schedules.sh $work/build/gpu_generation_host"
"cuda_host_madbench_run|bash $root/tests/cuda_host/madbench_run.sh $work/build/madbench $work/build/madbench_cuda_host"
"cuda_host_gpu_train_step|bash $root/tests/cuda_host/run_schedules.sh $work/build/gpu_train_step_host"
)
targets=(gpu_backend_ops_host gpu_generation_host gpu_train_step_host madbench madbench_cuda_host)

pristine() { rm -rf "$work/kernels"; cp -r "$root/kernels" "$work/kernels"; }
pristine
echo "mutants: building in $work/build" >&2
cmake -S "$root" -B "$work/build" -DCMAKE_BUILD_TYPE=Release -DMADBENCH_CUDA=OFF \
    -DMB_CUDA_HOST_KERNELS="$work/kernels" >"$work/configure.log"
cmake --build "$work/build" -j 2 --target "${targets[@]}" >"$work/build.log" 2>&1 ||
    { tail -20 "$work/build.log"; exit 1; }

export MB_SOURCE_DIR=$root MB_TEST_SEED=${MB_TEST_SEED:-20261129}
{
    echo "Run of $(date -u +%Y-%m-%d) on kernels/ at $(git -C "$root" rev-parse --short HEAD), MB_TEST_SEED=$MB_TEST_SEED."
    echo
    echo "| # | mutation | file | caught by | first report |"
    echo "|---|---|---|---|---|"
} >"$work/mutants.md"
survivors=0 n=0
for m in "${mutations[@]}"; do
    IFS='|' read -r kind file old new <<<"${m//$'\n'/$'\x01'}"
    old=${old//$'\x01'/$'\n'} new=${new//$'\x01'/$'\n'}
    [[ $kind =~ ${MB_MUTANTS:-.} ]] || continue # MB_MUTANTS=REGEX: only those kinds
    n=$((n + 1))
    pristine
    OLD="$old" NEW="$new" python3 - "$work/kernels/$file" <<'EOF'
import os, sys
path = sys.argv[1]
old, new = os.environ["OLD"].replace("\\&", "&"), os.environ["NEW"].replace("\\&", "&")
text = open(path).read()
if text.count(old) != 1:
    sys.exit(f"mutants.sh: {path}: the text to mutate occurs {text.count(old)} times:\n{old}")
open(path, "w").write(text.replace(old, new))
EOF
    echo "mutant $n: $kind ($file)" >&2
    if ! cmake --build "$work/build" -j 2 --target "${targets[@]}" >"$work/build.log" 2>&1; then
        tail -20 "$work/build.log" >&2
        echo "mutants.sh: mutant $n does not build: a mutation must compile" >&2
        exit 1
    fi
    caught="" report=""
    for t in "${suite[@]}"; do
        name=${t%%|*}
        if ! timeout 900 ${t#*|} >"$work/out.log" 2>&1; then
            caught=$name
            # the layer's own report first, else the test's first failed check
            report=$( (grep -m1 "cuda-host:" "$work/out.log" ||
                grep -m1 -E "check failed|FAIL|CUDA error|Aborted|Segmentation" "$work/out.log") |
                sed "s|$work/||g; s|$root/||g; s/.*\(cuda-host:\|check failed\|FAIL\)/\1/; s/|/\\\\|/g" |
                cut -c1-170)
            break
        fi
    done
    if [ -z "$caught" ]; then
        caught="**survived**" survivors=$((survivors + 1))
    fi
    echo "  -> $caught: $report" >&2
    echo "| $n | $kind | kernels/$file | $caught | \`${report:-}\` |" >>"$work/mutants.md"
done
cp "$work/mutants.md" "$table"
pristine
echo "mutants: $n mutations, $((n - survivors)) caught, $survivors survived; table in $table" >&2
[ "$survivors" -eq 0 ]
