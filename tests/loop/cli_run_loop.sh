#!/usr/bin/env bash
# Every loop type, composition and mitigation runs end to end on a tiny data set,
# and metrics.csv shows each mechanism at work.
set -euo pipefail
mb=$1
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
base=(run.out="$tmp" data.n_real=300 data.n_test=200 model.epochs=1 run.generations=2
      metrics.features=random metrics.kid_subset_size=100 --quiet)
failures=0 passed=0

# value of column $3 in the row of generation $2 of run $1's metrics.csv
col() {
    awk -F, -v g="$2" -v name="$3" 'NR == 1 { for (i = 1; i <= NF; i++) c[$i] = i }
        NR > 1 && $1 == g { print $c[name] }' "$tmp/$1/metrics.csv"
}
check() { # description, awk condition on $v
    if awk -v v="$2" "BEGIN { exit !($3) }"; then
        passed=$((passed + 1))
    else
        echo "FAIL: $1: value '$2' does not satisfy $3"
        failures=$((failures + 1))
    fi
}
run() { local name=$1; shift; "$mb" run run.name="$name" "${base[@]}" "$@" >/dev/null; }

run fully loop.type=fully-synthetic
check "fully synthetic: train set 2 has no real image" "$(col fully 2 train_real)" "v == 0"
check "fully synthetic: train set 2 is 300 synthetic images" "$(col fully 2 train_synthetic)" "v == 300"
check "fully synthetic: row 0 is the real data" "$(col fully 0 train_real)" "v == 300"
[ -f "$tmp/fully/grids/gen_02.png" ] && [ -f "$tmp/fully/checkpoints/model_g02.ckpt" ] &&
    grep -q '"finished": true' "$tmp/fully/manifest.json" && passed=$((passed + 1)) ||
    { echo "FAIL: grids, checkpoints or manifest missing"; failures=$((failures + 1)); }
[ "$(wc -l <"$tmp/fully/metrics.jsonl")" -eq 3 ] && passed=$((passed + 1)) ||
    { echo "FAIL: metrics.jsonl should have 3 rows"; failures=$((failures + 1)); }

run augment loop.type=synthetic-augmentation loop.real_fraction=0.5 run.generations=3
check "augmentation: half real" "$(col augment 2 train_real)" "v == 150"
check "augmentation: half synthetic" "$(col augment 3 train_synthetic)" "v == 150"

run fresh loop.type=fresh-data loop.real_fraction=0.5
check "fresh data: 150 new real images" "$(col fresh 2 train_real)" "v == 150"

run accumulate loop.type=synthetic-augmentation loop.composition=accumulate \
    loop.real_fraction=0.5 run.generations=3
check "accumulate: synthetic part grows" "$(col accumulate 3 train_synthetic)" "v == 300"

run vae-lambda generate.lambda=0.5
run ae-gauss model.kind=ae generate.generator=ae-gauss
run ae-gmm model.kind=ae generate.generator=ae-gmm generate.gmm_components=3
run recon model.kind=ae model.loss=mse generate.generator=recon
run warm model.warm_start=1
for r in vae-lambda ae-gauss ae-gmm recon warm; do
    check "$r: metrics of generation 2" "$(col $r 2 fd)" "v > 0"
done

run filter-recon filter.fraction=0.2 filter.by=recon
check "filter: 20% of 300 dropped" "$(col filter-recon 1 filter_dropped)" "v == 60"
check "filter: next train set 240" "$(col filter-recon 2 train_synthetic)" "v == 240"

run reweight reweight.alpha=2 reweight.k=5
check "reweighting resamples with repeats" "$(col reweight 1 reweight_unique)" "v > 50 && v < 300"

run detector loop.type=synthetic-augmentation loop.real_fraction=0.5 provenance.detector=1 \
    provenance.tpr=0.9 provenance.fpr=0.1
check "detector drops about 90% of 300 synthetic" "$(col detector 1 detector_dropped_synthetic)" "v > 240 && v < 300"
check "detector drops about 10% of 150 real" "$(col detector 2 detector_dropped_real)" "v > 3 && v < 35"

run watermark loop.type=synthetic-augmentation loop.real_fraction=0.5 watermark.enabled=1
check "watermark TPR on marked images" "$(col watermark 1 wm_tpr)" "v >= 0.95"
check "watermark FPR on the real test set" "$(col watermark 1 wm_fpr)" "v <= 0.01"
check "watermark: next train set keeps the real half" "$(col watermark 2 train_real)" "v >= 145"

run export export.format=png
[ "$(find "$tmp/export/export/gen_01" -name '*.png' | wc -l)" -eq 300 ] && passed=$((passed + 1)) ||
    { echo "FAIL: export.format=png did not write 300 PNG files"; failures=$((failures + 1)); }

# bad configuration: one clear line, exit code 2
set +e
"$mb" run run.out="$tmp" loop.type=fully-synthetic loop.real_fraction=0.3 2>"$tmp/err"
rc=$?
set -e
check "bad config exits 2" "$rc" "v == 2"
[ "$(wc -l <"$tmp/err")" -eq 1 ] && grep -q "real_fraction" "$tmp/err" && passed=$((passed + 1)) ||
    { echo "FAIL: expected one error line naming real_fraction"; cat "$tmp/err"; failures=$((failures + 1)); }

# a diverging loss stops the run naming generation and epoch; row 0 stays intact
set +e
"$mb" run run.name=diverge "${base[@]}" model.lr=10 2>"$tmp/err"
rc=$?
set -e
check "NaN loss exits 5" "$rc" "v == 5"
grep -q "gen 1/2, epoch 1: the loss is" "$tmp/err" && [ "$(wc -l <"$tmp/diverge/metrics.csv")" -eq 2 ] &&
    passed=$((passed + 1)) ||
    { echo "FAIL: NaN loss message or earlier rows"; cat "$tmp/err"; failures=$((failures + 1)); }

echo "cli_run_loop: $passed passed, $failures failed"
[ "$failures" -eq 0 ]
