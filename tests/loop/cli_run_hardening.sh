#!/usr/bin/env bash
# Regression tests of the run defects an adversarial user found (issue 14): each
# check failed on the code before its fix. Sizes: oversized counts, run names that
# leave the run folder, long paths, a folder as the config file, exit codes, two
# processes in one run folder, broken or foreign state.bin and checkpoints, a
# changed configuration on --resume, and a full filesystem (a small tmpfs: needs
# root, as CI has; elsewhere the test fails loudly rather than skip).
set -uo pipefail
mb=$1
source "$(dirname "$0")/../testutil.sh"
full=$tmp/full
# a small, fast run: tiny model, random-projection features (no judge to train)
S=(data.source=shapes data.n_real=300 data.n_test=300 model.epochs=1 run.generations=2
   metrics.judge_epochs=1 run.device=cpu --quiet model.conv1=4 model.conv2=8
   metrics.features=random metrics.kid_subset_size=100 run.threads=2)

# 1. a count beyond an int: refused when set, not a heap overflow later
for n in 4294967596 3e9 1e15; do
    expect 2 "generate.n_synthetic" "$mb" run "${S[@]}" run.out="$tmp/r" run.name=big \
        generate.n_synthetic=$n
done

# 3. run.name must name a folder inside run.out
mkdir -p "$tmp/parent/out"
for name in . .. "$(printf 'a\tb')" " lead" "trail " "a ;b"; do
    expect 2 "run.name" "$mb" run "${S[@]}" run.out="$tmp/parent/out" "run.name=$name"
done
[ -z "$(ls -A "$tmp/parent/out")" ] && [ "$(ls -A "$tmp/parent")" = out ] ||
    fail "a refused run.name wrote files: $(ls -AR "$tmp/parent")"

# 9. a folder given as the config file; 11. a missing one (errno's reason); a bad device
mkdir "$tmp/conf.d"
expect 2 "folder" "$mb" run "$tmp/conf.d" "${S[@]}" run.out="$tmp/r"
expect 2 "No such file" "$mb" run "$tmp/missing.ini" "${S[@]}" run.out="$tmp/r"
expect 2 "run.device" "$mb" run "${S[@]}" run.out="$tmp/r" run.device=tpu
[ ! -e "$tmp/r" ] || fail "a refused configuration created run.out"

# 5. a run.out of ~1015 characters: every file inside it, none in a sibling
long=$tmp
while [ ${#long} -lt 800 ]; do long=$long/$(printf 'd%.0s' $(seq 1 200)); done
long=$long/$(printf 'e%.0s' $(seq 1 $((1015 - ${#long} - 1))))
mkdir -p "$long"
expect 0 "" "$mb" run "${S[@]}" run.generations=1 run.out="$long"
for f in state.bin metrics.csv metrics.jsonl manifest.json config.ini grids/gen_01.png; do
    [ -f "$long/run/$f" ] || fail "long run.out: $f is not in run.out/run"
done
[ "$(find "$tmp" -name state.bin | wc -l)" -eq 1 ] || fail "long run.out: state.bin elsewhere"

# 10. one process per run folder. Generation 3's checkpoint cannot be written (a
# folder in its way), so the run stops after generation 2 with an I/O error.
run=$tmp/lock/run
mkdir -p "$run/checkpoints/model_g03.ckpt.tmp"
"$mb" run "${S[@]}" run.out="$tmp/lock" run.generations=3 model.warm_start=1 \
    model.epochs=3 2>"$tmp/first.err" &
pid=$!
for _ in $(seq 1 600); do [ -f "$run/config.ini" ] && break; sleep 0.05; done
expect 2 "already running (pid $pid)" "$mb" run --resume "$run" --quiet
wait $pid
rc=$?
[ $rc -eq 3 ] || fail "the run with a blocked checkpoint exited $rc (expected 3): $(cat "$tmp/first.err")"
[ "$(wc -l <"$run/metrics.csv")" -eq 4 ] || fail "expected generations 0..2 in metrics.csv"
rmdir "$run/checkpoints/model_g03.ckpt.tmp"

# 11. state.bin empty, a folder or crafted; checked before anything is allocated
resume_broken() { # NAME PATTERN SETUP...: a copy of the run, broken by SETUP
    local name=$1 pattern=$2
    shift 2
    cp -r "$run" "$tmp/$name"
    (cd "$tmp/$name" && eval "$@")
    expect 2 "$pattern" "$mb" run --resume "$tmp/$name"
}
resume_broken empty "not a madbench run state" ': >state.bin'
resume_broken folder "folder" 'rm state.bin && mkdir state.bin'
# a valid CRC over a pool that claims 2^31-1 images of 28x28: 6.7 TB
resume_broken crafted "pool" python3 - <<'EOF'
import struct, zlib
d = open("state.bin", "rb").read()[:-4]
p = 8 + 4
p += 4 + struct.unpack_from("<I", d, p)[0]  # the metrics.csv header of the rows
p += 8
done = struct.unpack_from("<i", d, p)[0]
p += 4 + 4 * 8
for _ in range(2 * (done + 1)):
    p += 4 + struct.unpack_from("<I", d, p)[0]
d = d[:p] + struct.pack("<4i", 2**31 - 1, 1, 28, 28) + d[p + 16:]
open("state.bin", "wb").write(d + struct.pack("<I", zlib.crc32(d)))
EOF
# a changed configuration is refused before the data are loaded
resume_broken changed "configuration changed" 'sed -i "s/^seed = 1$/seed = 2/" config.ini'
! grep -q "^judge:" "$tmp/err" || fail "the changed configuration was noticed after loading: $(cat "$tmp/err")"
# a checkpoint of another generation is refused (warm start loads generation 2's)
resume_broken ckpt "generation 1" 'cp checkpoints/model_g01.ckpt checkpoints/model_g02.ckpt'

# the lock is released: the run itself continues
expect 0 "" "$mb" run --resume "$run" --quiet
[ "$(wc -l <"$run/metrics.csv")" -eq 5 ] || fail "the resumed run did not finish generation 3"

# 11. a full filesystem: exit 3, and no state.bin.tmp left behind (generation 1's
# pool of 300 images does not fit in 512 KiB)
if mount_tmpfs "$full" 512k; then
    expect 3 "" "$mb" run "${S[@]}" run.out="$full" model.conv1=2 model.conv2=2 model.latent=2
    leftover=$(find "$full" -name '*.tmp')
    [ -z "$leftover" ] || fail "temporary files left on the full filesystem: $leftover"
fi

finish cli_run_hardening
