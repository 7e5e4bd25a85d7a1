#!/usr/bin/env bash
# cli_toy.sh — `madbench toy` end to end: outputs exist and are well-formed, bad
# input exits 2 with a message naming the option.
# Usage: cli_toy.sh PATH/TO/madbench
set -u
mb="$1"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
failures=0
fail() { echo "cli_toy: FAIL: $*" >&2; failures=$((failures + 1)); }

# expect_error CODE PATTERN ARGS...: exit code CODE and PATTERN in stderr
expect_error() {
    local code="$1" pattern="$2"
    shift 2
    "$mb" "$@" >"$tmp/out" 2>"$tmp/err"
    local rc=$?
    [ "$rc" -eq "$code" ] || fail "'$*' exited $rc, expected $code"
    grep -q -- "$pattern" "$tmp/err" || fail "'$*': stderr lacks '$pattern': $(cat "$tmp/err")"
}

# ---- a Gaussian run: files, rows, columns, plots ----
"$mb" toy gaussian --replicas 200 --generations 8 --samples 30 --estimator unbiased \
    --lambda 0.9 --seed 7 --out "$tmp/g" --quiet >"$tmp/g.out" 2>"$tmp/g.err" ||
    fail "gaussian run failed: $(cat "$tmp/g.err")"
for f in config.json manifest.json metrics.csv metrics.jsonl variance.svg tails.svg w2.svg drift.svg \
    histogram.svg histogram_pooled.svg; do
    [ -s "$tmp/g/$f" ] || fail "gaussian run: $f missing or empty"
done
[ "$(wc -l <"$tmp/g/metrics.csv")" -eq 10 ] || fail "metrics.csv: expected header + 9 rows"
[ "$(wc -l <"$tmp/g/metrics.jsonl")" -eq 9 ] || fail "metrics.jsonl: expected 9 lines"
head -1 "$tmp/g/metrics.csv" | grep -q "^generation,var_mean,.*,w2_mean,w2_q50$" ||
    fail "metrics.csv header: $(head -1 "$tmp/g/metrics.csv")"
[ -s "$tmp/g.err" ] && fail "--quiet still printed: $(cat "$tmp/g.err")"
grep -q "results: $tmp/g" "$tmp/g.out" || fail "summary lacks the results folder"
if command -v python3 >/dev/null; then
    python3 - "$tmp/g" <<'EOF' || fail "JSON / CSV content"
import csv, json, math, sys
d = sys.argv[1]
cfg = json.load(open(f"{d}/config.json"))
assert cfg["kind"] == "gaussian" and cfg["estimator"] == "unbiased" and cfg["lambda"] == 0.9
rows = [json.loads(l) for l in open(f"{d}/metrics.jsonl")]
assert [r["generation"] for r in rows] == list(range(9))
csv_rows = list(csv.DictReader(open(f"{d}/metrics.csv")))
for r, c in zip(rows, csv_rows):
    assert math.isclose(r["var_mean"], float(c["var_mean"]), rel_tol=1e-9)
# closed form column: lambda^(t-1) sigma0^2 (unbiased)
assert all(math.isclose(r["var_closed_form"], 0.9 ** (r["generation"] - 1), rel_tol=1e-9)
           for r in rows[1:])
assert rows[0]["w2_mean"] == 0 and rows[0]["var_mean"] == 1
man = json.load(open(f"{d}/manifest.json"))
assert man["finished"] is True and man["generations_done"] == 8
assert man["command"].startswith("madbench toy gaussian --replicas 200")
EOF
fi
if command -v xmllint >/dev/null; then
    xmllint --noout "$tmp"/g/*.svg || fail "SVG not well-formed"
fi

# the same seed gives the same metrics, whatever the thread count
"$mb" toy gaussian --replicas 200 --generations 8 --samples 30 --estimator unbiased \
    --lambda 0.9 --seed 7 --threads 1 --out "$tmp/g1" --quiet --no-plots >/dev/null ||
    fail "run with --threads 1 failed"
cmp -s "$tmp/g/metrics.csv" "$tmp/g1/metrics.csv" || fail "--threads 1 changes metrics.csv"
[ -e "$tmp/g1/variance.svg" ] && fail "--no-plots still wrote plots"

# ---- a GMM run with every loop type ----
for loop in fully-synthetic fresh-data accumulate; do
    "$mb" toy gmm --replicas 20 --generations 4 --samples 60 --weights 0.6,0.3,0.1 \
        --loop "$loop" --em-init warm --out "$tmp/m-$loop" --quiet >"$tmp/m.out" 2>&1 ||
        fail "gmm --loop $loop failed: $(cat "$tmp/m.out")"
    for f in metrics.csv weights.svg classes.svg component_variance.svg; do
        [ -s "$tmp/m-$loop/$f" ] || fail "gmm --loop $loop: $f missing"
    done
done
head -1 "$tmp/m-fully-synthetic/metrics.csv" | grep -q "comp2_class_share_mean" ||
    fail "gmm metrics.csv lacks per-component columns"
grep -q '"real": 60' "$tmp/m-fresh-data/config.json" || fail "fresh-data: --real default M"

# ---- progress on stderr ----
"$mb" toy gaussian --replicas 10 --generations 3 --out "$tmp/p" --no-plots 2>"$tmp/p.err" \
    >/dev/null || fail "progress run failed"
grep -q "generation 3/3" "$tmp/p.err" || fail "no progress line: $(cat "$tmp/p.err")"

# ---- bad input: exit 2, the option named, what was expected ----
expect_error 2 "estimator='median' is not one of: mle, unbiased" toy gaussian --estimator median
expect_error 2 "loop='mixed' is not one of" toy gaussian --loop mixed
expect_error 2 "samples=1 is out of range" toy gaussian --samples 1
expect_error 2 "samples=2 is out of range (expected 4" toy gaussian --dim 3 --samples 2
expect_error 2 "lambda='abc' is not a number" toy gaussian --lambda abc
expect_error 2 "lambda=0 is out of range" toy gaussian --lambda 0
expect_error 2 "rho" toy gaussian --dim 3 --rho -0.9
expect_error 2 "weights has 2 values but components=3" toy gmm --weights 1,2 --components 3
expect_error 2 "weights='1,-2'" toy gmm --weights 1,-2
expect_error 2 "real only applies to --loop fresh-data" toy gaussian --real 5
expect_error 2 "unknown option 'weights'" toy gaussian --weights 1,2
expect_error 2 "unknown kind 'poisson'" toy poisson
expect_error 2 "expected a kind" toy
expect_error 2 "unexpected argument 'extra'" toy gaussian extra

# ---- one help text for both kinds (every option it lists is read: cli_docs.sh) ----
"$mb" toy --help >"$tmp/help" || fail "toy --help failed"
"$mb" toy gmm --help | cmp -s - "$tmp/help" || fail "toy gmm --help differs from toy --help"

if [ "$failures" -ne 0 ]; then
    echo "cli_toy: $failures failures" >&2
    exit 1
fi
echo "cli_toy: all checks passed"
