#!/usr/bin/env bash
# madbench_run.sh MADBENCH MADBENCH_CUDA_HOST — `madbench run --device cuda` of a
# small shapes experiment (2 generations) runs to the end on the host execution
# layer, and its metrics.csv matches the CPU run of the same config within the
# tolerances of the CUDA parity tests (docs/cuda-host.md; tests/gpu/gpu_generation.c):
# generation 0 relative 1e-3 + absolute 1e-6, later generations relative 1e-2 +
# absolute 1e-2 (the loss relative 1e-3), integer columns and empty cells identical.
set -euo pipefail
cpu=$1 host=$2
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
cfg=("$MB_SOURCE_DIR/configs/shapes-bell-curve.ini" run.out="$tmp" run.generations=2
     data.n_real=256 data.n_test=128 model.epochs=1 metrics.features=pixels
     metrics.kid_subsets=4 metrics.kid_subset_size=64 run.seed=11 --quiet)
# the error paths of device creation: no device (exit 6), too little memory (exit 4),
# an unknown device name (exit 2)
expect_exit() { # code, pattern, command...
    local code=$1 pattern=$2 rc=0
    shift 2
    "$@" >"$tmp/out" 2>&1 || rc=$?
    if [ "$rc" -ne "$code" ] || ! grep -q "$pattern" "$tmp/out"; then
        echo "FAIL: $* (${MB_CUDA_HOST_DEVICES:+devices=$MB_CUDA_HOST_DEVICES}): exit $rc, want $code and '$pattern':"
        cat "$tmp/out"
        exit 1
    fi
}
MB_CUDA_HOST_DEVICES=0 expect_exit 6 "no CUDA device" "$host" run run.device=cuda run.out="$tmp" --quiet
MB_CUDA_HOST_MEMORY=$((16 << 20)) expect_exit 4 "out of memory\|device memory" \
    "$host" run run.device=cuda run.out="$tmp" --quiet
expect_exit 2 "expected cpu, cuda or auto" "$host" run run.device=gpu run.out="$tmp" --quiet

export MB_CUDA_HOST_SCHEDULE=random:${MB_TEST_SEED:-$(date +%s)}
echo "host layer schedule: $MB_CUDA_HOST_SCHEDULE"
"$cpu" run "${cfg[@]}" run.name=cpu run.device=cpu
MB_CUDA_HOST_REPORT="$tmp/report" "$host" run "${cfg[@]}" run.name=cuda run.device=cuda
grep -q '"finished": true' "$tmp/cuda/manifest.json" || { echo "FAIL: the cuda run did not finish"; exit 1; }
grep -q 'host emulation' "$tmp/cuda/manifest.json" || { echo "FAIL: manifest does not name the host emulation"; exit 1; }
echo "host layer: $(cut -d' ' -f1-4 "$tmp/report")"
awk -F, '
    FNR == 1 { file++; if (file == 1) for (i = 1; i <= NF; i++) name[i] = $i; next }
    file == 1 { cpu[FNR, 0] = NF; for (i = 1; i <= NF; i++) cpu[FNR, i] = $i; rows = FNR; next }
    {
        if (NF != cpu[FNR, 0]) { printf "FAIL: row %d has %d cells, cpu %d\n", FNR, NF, cpu[FNR, 0]; bad++ }
        for (i = 2; i <= NF; i++) {
            a = cpu[FNR, i]; b = $i; gen = FNR - 2
            if (a == "" || b == "") { if (a != b) { printf "FAIL: gen %d %s: cpu \"%s\", cuda \"%s\"\n", gen, name[i], a, b; bad++ } continue }
            if (a !~ /[.eE]/) { atol = 0; rtol = 0 }
            else if (gen == 0) { atol = 1e-6; rtol = 1e-3 }
            else if (name[i] == "loss") { atol = 0; rtol = 1e-3 }
            else { atol = 1e-2; rtol = 1e-2 }
            d = a - b; if (d < 0) d = -d; m = a < 0 ? -a : a
            if (d > atol + rtol * m) { printf "FAIL: gen %d %s: cuda %s, cpu %s\n", gen, name[i], b, a; bad++ }
            checked++
        }
        seen = FNR
    }
    END {
        if (seen != rows || rows != 4) { printf "FAIL: %d rows on the host layer, %d on the cpu (expected 3 generations + header)\n", seen, rows; bad++ }
        printf "madbench_run: %d cells compared, %d outside the tolerances\n", checked, bad
        exit bad > 0
    }' "$tmp/cpu/metrics.csv" "$tmp/cuda/metrics.csv"
