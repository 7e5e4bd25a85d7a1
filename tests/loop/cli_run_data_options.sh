#!/bin/bash
# cli_run_data_options.sh — every data option is a run key data.<option>: an image
# folder without train/ and test/ runs with data.test_fraction (held out the same
# way for the loop, the metrics and the judge), data.channels / data.resize reach
# the reader, the keys round-trip through config.ini (--resume reads them back),
# and a bad value is refused up front naming the key.
set -u
bin=${1:?usage: cli_run_data_options.sh MADBENCH_BINARY}
source "$(dirname "$0")/../testutil.sh" # $tmp, fail, expect, finish

"$bin" data export shapes "$tmp/folder" n=400 >/dev/null 2>"$tmp/err" ||
    { echo "FAIL: export: $(cat "$tmp/err")" >&2; exit 1; }
base=(run.out="$tmp" data.source="$tmp/folder" data.n_real=200 data.n_test=150 model.epochs=1
      run.generations=1 metrics.features=random metrics.kid_subset_size=50 run.device=cpu --quiet)

# without a test part and without data.test_fraction: an error that names the key
expect 2 "test_fraction" "$bin" run run.name=none "${base[@]}"

"$bin" run run.name=tf "${base[@]}" data.test_fraction=0.25 data.channels=3 data.resize=32x24 \
    >/dev/null 2>"$tmp/err" || fail "test_fraction run: $(tail -3 "$tmp/err")"
python3 - "$tmp/tf/manifest.json" <<'PY' || fail "manifest of the test_fraction run"
import json, sys
m = json.load(open(sys.argv[1]))
# 400 images, a quarter held out: 200 of the 300 train images, all 100 test images
assert (m["train_images"], m["test_images"]) == (200, 100), (m["train_images"], m["test_images"])
assert m["image_shape"] == [3, 32, 24], m["image_shape"]
PY
for kv in "test_fraction = 0.25" "channels = 3" "resize = 32x24" "noise = "; do
    grep -qx "$kv" "$tmp/tf/config.ini" || fail "config.ini lacks '$kv'"
done
# --resume reads the keys back: nothing changed, nothing left to do
"$bin" run --resume "$tmp/tf" --quiet >/dev/null 2>"$tmp/err" || fail "resume: $(tail -3 "$tmp/err")"

# the shapes options reach the generator; bad values stop the run before any work
"$bin" run run.name=sh data.source=shapes data.kinds=disk,square data.noise=0.05 \
    "${base[@]:2}" run.out="$tmp" >/dev/null 2>"$tmp/err" || fail "shapes options: $(tail -3 "$tmp/err")"
grep -qx "kinds = disk,square" "$tmp/sh/config.ini" || fail "kinds not in config.ini"
for bad in data.test_fraction=1.5 data.channels=2 data.resize=0 data.kinds=circle; do
    expect 2 "${bad%%=*}" "$bin" run run.name=bad "${base[@]}" "$bad"
    [ -e "$tmp/bad" ] && fail "$bad: a run folder was created"
done

finish cli_run_data_options
