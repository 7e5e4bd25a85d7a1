#!/bin/bash
# cli_metrics.sh — `madbench metrics`: usage, error messages and exit codes, JSON
# output, a set against itself, the shapes attribute tails, the classifier judge
# and its cache, the autoencoder judge for unlabelled data.
set -u
bin=${1:?usage: cli_metrics.sh MADBENCH_BINARY}
tmp=$(mktemp -d /tmp/mb_cli_metrics_XXXXXX)
trap 'rm -rf "$tmp"' EXIT
fails=0
fail() { echo "FAIL: $*" >&2; fails=$((fails + 1)); }
PY=python3
for p in python3 /usr/bin/python3; do
    if $p -c 'import json' 2>/dev/null; then PY=$p; break; fi
done

# expect_error CODE PATTERN ARGS...: exit code and one line naming the problem
expect_error() {
    local code=$1 pattern=$2; shift 2
    "$bin" metrics "$@" >"$tmp/out" 2>"$tmp/err"
    local rc=$?
    [ $rc -eq "$code" ] || fail "metrics $*: exit $rc, expected $code"
    grep -q -- "$pattern" "$tmp/err" || fail "metrics $*: stderr lacks '$pattern': $(cat "$tmp/err")"
}

"$bin" metrics --help >"$tmp/help" || fail "--help exit code"
grep -q -- "--features judge|pixels|random" "$tmp/help" || fail "--help lacks --features"
expect_error 2 "expected two data sets" shapes
expect_error 2 "features='inception' is not one of: judge, pixels, random" shapes shapes --features inception
expect_error 2 "expected the same shape" shapes shapes32 --n 50 --features pixels
expect_error 2 "unknown option 'bogus'" shapes shapes --bogus 1
expect_error 2 "out of range" shapes shapes --k 0
expect_error 2 "split_a='middle' is not one of: auto, train, test" shapes shapes --split-a middle --features pixels
"$bin" metrics "$tmp/missing-images-idx3-ubyte" shapes >/dev/null 2>"$tmp/err"
rc=$?
[ $rc -ne 0 ] || fail "missing file accepted"
grep -q "missing-images-idx3-ubyte" "$tmp/err" || fail "missing file not named: $(cat "$tmp/err")"

# a set against itself: FD 0, precision = recall = density = coverage = 1
"$bin" metrics shapes shapes --n 400 --features random --json --kid-subsets 5 --quiet \
    >"$tmp/self.json" 2>"$tmp/err" || fail "self comparison: $(cat "$tmp/err")"
$PY - "$tmp/self.json" <<'PYEOF' || fail "self comparison values"
import json, sys
r = json.loads(open(sys.argv[1]).read())
assert abs(r["fd"]) < 1e-9, r["fd"]
for k in ("precision", "recall", "density", "coverage"):
    assert r[k] == 1, (k, r[k])
assert r["n_ref"] == 400 and r["n_gen"] == 400 and r["dim"] == 64
assert r["features"] == "random" and r["judge_accuracy"] is None
assert abs(r["attr_beyond_2sigma"] - r["ref_attr_beyond_2sigma"]) < 1e-12
PYEOF

# train vs test part of shapes with pixel features: plausible values, attribute tails
"$bin" metrics shapes shapes --split-b train --n 500 --features pixels --json \
    --kid-subsets 10 --quiet >"$tmp/pix.json" 2>"$tmp/err" || fail "pixels: $(cat "$tmp/err")"
$PY - "$tmp/pix.json" <<'PYEOF' || fail "pixel feature values"
import json, sys
r = json.loads(open(sys.argv[1]).read())
assert r["dim"] == 784, r["dim"]
assert 0 < r["precision"] <= 1 and 0 < r["recall"] <= 1, r
assert r["fd"] > 0 and abs(sum(r["attr_hist"]) - 1) < 1e-9, r
assert 0 < r["ref_attr_beyond_2sigma"] < 0.15, r["ref_attr_beyond_2sigma"]
assert r["pixel_variance"] > 0 and r["suite_seconds"] > 0
PYEOF

# the classifier judge (labelled shapes exported to IDX): trained once, then cached
"$bin" data export shapes "$tmp/lab-images-idx3-ubyte" n=1500 kinds=disk,ellipse,square \
    >/dev/null 2>"$tmp/err" || fail "export labelled shapes: $(cat "$tmp/err")"
lab="$tmp/lab-images-idx3-ubyte"
judge_opts=(--judge-epochs 1 --judge-features 32 --cache-dir "$tmp/cache" --n 300
            --kid-subsets 5)
"$bin" metrics "$lab" "$lab" "${judge_opts[@]}" >"$tmp/j1" 2>"$tmp/e1" \
    || fail "judge run: $(cat "$tmp/e1")"
grep -q "training a CNN classifier" "$tmp/e1" || fail "judge not trained: $(cat "$tmp/e1")"
grep -q "judge accuracy on A" "$tmp/j1" || fail "judge accuracy not reported"
grep -q "class entropy" "$tmp/j1" || fail "class statistics missing"
ls "$tmp"/cache/judge-cnn-*.bin >/dev/null 2>&1 || fail "judge cache not written"
"$bin" metrics "$lab" "$lab" "${judge_opts[@]}" >"$tmp/j2" 2>"$tmp/e2" \
    || fail "cached judge run: $(cat "$tmp/e2")"
grep -q "cached:" "$tmp/j2" || fail "second run did not use the cache: $(cat "$tmp/j2")"
grep -q "training" "$tmp/e2" && fail "second run trained again"
diff <(grep "frechet" "$tmp/j1") <(grep "frechet" "$tmp/j2") >/dev/null \
    || fail "cached judge gives another FD"

# unlabelled data: the autoencoder judge
"$bin" metrics shapes shapes --split-b train --n 300 --judge-n 600 --judge-ae-epochs 1 \
    --judge-latent 8 --cache-dir "$tmp/cache" --kid-subsets 5 --json >"$tmp/ae.json" \
    2>"$tmp/err" || fail "AE judge run: $(cat "$tmp/err")"
grep -q "training an autoencoder" "$tmp/err" || fail "AE judge not trained: $(cat "$tmp/err")"
$PY -c 'import json,sys; r=json.loads(open(sys.argv[1]).read()); assert r["dim"] == 8 and r["class_entropy"] is None, r' \
    "$tmp/ae.json" || fail "AE judge output"

if [ $fails -eq 0 ]; then echo "cli_metrics: all checks passed"; fi
exit $((fails > 0))
