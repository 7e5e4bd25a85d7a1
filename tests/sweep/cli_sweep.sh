#!/bin/bash
# cli_sweep.sh — `madbench sweep`, `collect` and the sweep report: bad sweep files exit
# 2 with one line; --list; a 2 x 2-seed sweep with -j 2 completes and a second
# invocation skips every cell; a failing cell is recorded and the sweep exits
# non-zero; two processes warming one judge train it once; collect gives cells x
# (G+1) rows that pandas.read_csv loads; the report's intervals against numbers
# worked out by hand; the page in headless Chromium.
set -u
bin=${1:?usage: cli_sweep.sh MADBENCH_BINARY}
tmp=$(mktemp -d /tmp/mb_cli_sweep_XXXXXX)
trap 'rm -rf "$tmp"' EXIT
fails=0
fail() { echo "FAIL: $*" >&2; fails=$((fails + 1)); }
export MADBENCH_CACHE=$tmp/cache

# a labelled data set small enough for a judge in seconds
. "$(dirname "$0")/small_data.sh"
data=$tmp/fm
small_data "$data" || { echo "FAIL: cannot export the small data set" >&2; exit 1; }
set_small=$(small_set "$data")

# ---- bad sweep files: exit 2, one line naming the problem ----
bad() { # NAME EXPECTED-MESSAGE FILE-TEXT [ARGS...]
    local name=$1 want=$2 text=$3
    shift 3
    printf '%s\n' "$text" >"$tmp/$name.ini"
    "$bin" sweep "$tmp/$name.ini" --list "$@" >/dev/null 2>"$tmp/err"
    local rc=$?
    [ $rc -eq 2 ] || fail "$name: exit $rc, expected 2 ($(cat "$tmp/err"))"
    [ "$(wc -l <"$tmp/err")" -eq 1 ] || fail "$name: not one line: $(cat "$tmp/err")"
    grep -q -- "$want" "$tmp/err" || fail "$name: expected '$want', got: $(cat "$tmp/err")"
}
bad unknown_key "unknown key 'generate.lambada'" "[grid]
generate.lambada = 1, 0.8"
bad empty_grid "the grid of generate.lambda is empty" "[grid]
generate.lambda ="
bad empty_value "empty value" "[grid]
generate.lambda = 1,,0.8"
bad backwards_seeds "seed range '5-1' runs backwards" "[sweep]
seeds = 5-1"
bad wrong_type "'fast' is not a number" "[grid]
generate.lambda = 1, fast"
bad wrong_enum "expected one of: fully-synthetic" "[grid]
loop.type = fully-synthetic, sideways"
bad owned_key "run.seed is set by the sweep" "[set]
run.seed = 3"
bad section "unknown section \[gird\]" "[gird]
generate.lambda = 1"
bad sweep_key "unknown key sweep.sedes" "[sweep]
sedes = 1-3"
bad bad_cell "sweep cell type-fresh-data_s1: config: loop.type = fresh-data needs" "[grid]
loop.type = fresh-data"
bad variant "'loop.type' (expected section.key=value" "[variants]
odd = loop.type"
bad cli_grid "unknown key 'model.epoch'" "" --grid model.epoch=1,2
"$bin" sweep "$tmp/none.ini" >/dev/null 2>"$tmp/err"; rc=$?
[ $rc -eq 2 ] && grep -q "none.ini: cannot open the sweep file" "$tmp/err" || fail "missing file: $rc $(cat "$tmp/err")"
# a grid line longer than a fixed line buffer (inih's 200 bytes cut it in two)
long=$(seq 100 160 | sed 's/^/0./' | paste -sd, | sed 's/,/, /g')
printf '[sweep]\nout = %s\n[grid]\ngenerate.lambda = %s\n' "$tmp/out" "$long" >"$tmp/longline.ini"
[ "$("$bin" sweep "$tmp/longline.ini" --list 2>"$tmp/err" | wc -l)" -eq 61 ] ||
    fail "a ${#long}-byte grid line: not 61 cells: $(cat "$tmp/err")"
"$bin" sweep --help | grep -q -- "--max-parallel" || fail "--help lacks --max-parallel"

# ---- --list: stable names, index order (axes in order, seeds fastest) ----
printf '[sweep]\nseeds = 1-2\nout = %s\n[grid]\ngenerate.lambda = 1, 0.6\n%s\n' "$tmp/out" "$set_small" >"$tmp/small.ini"
"$bin" sweep "$tmp/small.ini" --list >"$tmp/list" 2>"$tmp/err" || fail "--list: $(cat "$tmp/err")"
printf '0\tlambda-1_s1\tgenerate.lambda=1\tseed=1\n1\tlambda-1_s2\tgenerate.lambda=1\tseed=2\n2\tlambda-0.6_s1\tgenerate.lambda=0.6\tseed=1\n3\tlambda-0.6_s2\tgenerate.lambda=0.6\tseed=2\n' >"$tmp/list.want"
cmp -s "$tmp/list" "$tmp/list.want" || fail "--list: $(cat "$tmp/list")"
[ ! -e "$tmp/out" ] || fail "--list wrote the sweep folder"

# ---- two processes warm one judge: it is trained once ----
"$bin" sweep "$tmp/small.ini" --warm-judge >"$tmp/w1" 2>&1 &
"$bin" sweep "$tmp/small.ini" --warm-judge sweep.name=other >"$tmp/w2" 2>&1
wait $! || fail "warm-up 1: $(tail -2 "$tmp/w1")"
n=$(cat "$tmp/w1" "$tmp/w2" | grep -c "training a CNN classifier")
[ "$n" -eq 1 ] || fail "the judge was trained $n times by two processes (expected once)"
[ "$(ls "$tmp/cache"/judge-cnn-*.bin | wc -l)" -eq 1 ] || fail "cache: $(ls "$tmp/cache")"
ls "$tmp/cache" | grep -q tmp && fail "a temporary file is left in the cache"

# ---- the sweep: -j 2, then again (everything skipped) ----
"$bin" sweep "$tmp/small.ini" -j 2 >"$tmp/out1" 2>"$tmp/err1" || fail "sweep -j 2: $(tail -3 "$tmp/err1")"
sw=$tmp/out/small
printf 'index,name,generate.lambda,seed,status,exit_code,message\n0,lambda-1_s1,1,1,done,0,\n1,lambda-1_s2,1,2,done,0,\n2,lambda-0.6_s1,0.6,1,done,0,\n3,lambda-0.6_s2,0.6,2,done,0,\n' >"$tmp/cells.want"
cmp -s "$sw/cells.csv" "$tmp/cells.want" || fail "cells.csv: $(cat "$sw/cells.csv")"
grep -q "judge: test accuracy .* (cached)" "$sw/logs/lambda-1_s1.log" || fail "the cell trained its own judge"
per=$(( $(nproc) / 2 )); [ $per -ge 1 ] || per=1
grep -q "started ($per thread" "$tmp/err1" || fail "-j 2 on $(nproc) cores: expected $per threads per cell: $(grep started "$tmp/err1" | head -1)"
"$bin" sweep "$sw" -j 2 >/dev/null 2>"$tmp/err2" || fail "second sweep: $(tail -3 "$tmp/err2")"
[ "$(grep -c 'already finished, skipped' "$tmp/err2")" -eq 4 ] || fail "second run did not skip all 4 cells: $(cat "$tmp/err2")"
grep -q "started\|resumed" "$tmp/err2" && fail "second run started a cell"
"$bin" sweep "$tmp/small.ini" --index 2 >/dev/null 2>"$tmp/err3" || fail "--index 2: $(cat "$tmp/err3")"
grep -q "\[3/4\] lambda-0.6_s1: already finished" "$tmp/err3" || fail "--index 2: $(cat "$tmp/err3")"
SLURM_ARRAY_TASK_ID=9 "$bin" sweep "$sw" >/dev/null 2>"$tmp/err"; rc=$?
[ $rc -eq 2 ] && grep -q "index 9 is out of range" "$tmp/err" || fail "SLURM_ARRAY_TASK_ID=9: $rc $(cat "$tmp/err")"
"$bin" sweep "$tmp/small.ini" model.epochs=2 --list >/dev/null || fail "--list with an override"
"$bin" sweep "$tmp/small.ini" model.epochs=2 >/dev/null 2>"$tmp/err"; rc=$?
[ $rc -eq 2 ] && grep -q "holds a different sweep" "$tmp/err" || fail "changed sweep into the same folder: $rc $(cat "$tmp/err")"

# ---- a failing cell: recorded, the others run, the sweep exits non-zero ----
"$bin" sweep "$tmp/small.ini" sweep.name=failing --seeds 1 --grid generate.lambda=1 --grid provenance.tpr=0.5,1 \
    provenance.detector=1 >/dev/null 2>"$tmp/err"; rc=$?
[ $rc -eq 2 ] || fail "failing sweep: exit $rc, expected 2 (the failed cell's)"
tail -1 "$tmp/err" | grep -q "madbench: sweep: 1 of 2 cells failed.*first: lambda-1_tpr-1_s1, exit 2: generation 2: curation left no training images" ||
    fail "failing sweep message: $(tail -1 "$tmp/err")"
grep -q '^1,lambda-1_tpr-1_s1,1,1,1,failed,2,"generation 2: curation left no training images (filter, detector' "$tmp/out/failing/cells.csv" ||
    fail "failed cell not recorded: $(cat "$tmp/out/failing/cells.csv")"
grep -q '^0,lambda-1_tpr-0.5_s1,1,0.5,1,done,0,$' "$tmp/out/failing/cells.csv" || fail "the other cell did not run"

# ---- collect: cells x (G+1) rows; pandas loads it as it is ----
"$bin" collect "$sw" >"$tmp/collect.out" 2>"$tmp/err" || fail "collect: $(cat "$tmp/err")"
grep -q "12 rows" "$tmp/collect.out" || fail "collect: $(cat "$tmp/collect.out")"
head -1 "$sw/collected.csv" | grep -q '^cell,generate.lambda,seed,generation,.*,fd,' || fail "header: $(head -1 "$sw/collected.csv")"
[ "$(wc -l <"$sw/collected.jsonl")" -eq 12 ] || fail "collected.jsonl rows"
# every metrics.csv column is there, in the file's order
cols=$(head -1 "$sw/cells/lambda-1_s1/metrics.csv")
head -1 "$sw/collected.csv" | grep -q ",seed,$cols\$" || fail "metrics.csv columns not carried whole"
"$bin" collect "$sw" --out "$tmp/long.csv" >/dev/null 2>&1 && [ -s "$tmp/long.jsonl" ] || fail "collect --out"
cmp -s "$tmp/long.csv" "$sw/collected.csv" || fail "collect --out differs"
"$bin" collect "$tmp" >/dev/null 2>"$tmp/err"; rc=$?
[ $rc -eq 2 ] && grep -q "sweep.ini: no sweep file (is the folder a madbench sweep?)" "$tmp/err" || fail "collect of a non-sweep: $rc $(cat "$tmp/err")"
py=""
for p in python3 /usr/bin/python3; do $p -c 'import pandas' 2>/dev/null && { py=$p; break; }; done
if [ -z "$py" ]; then
    fail "pandas is not importable (Debian package python3-pandas; scripts/deps.sh MB_TEST_PACKAGES)"
else
    $py - "$sw/collected.csv" "$sw/collected.jsonl" <<'EOF' || fail "pandas"
import sys, pandas as pd
d = pd.read_csv(sys.argv[1])
j = pd.read_json(sys.argv[2], lines=True)
assert d.shape[0] == 12 and list(d.columns[:4]) == ["cell", "generate.lambda", "seed", "generation"], d.columns[:5]
assert d["fd"].dtype == float and d["generation"].dtype == int and d["seed"].dtype == int
assert sorted(set(d["generate.lambda"])) == [0.6, 1.0]
assert (d.groupby("cell").size() == 3).all()
assert list(j.columns) == list(d.columns) and j.shape == d.shape
assert abs(j["fd"] - d["fd"]).max() < 1e-6 * d["fd"].abs().max()
EOF
fi

# ---- the report ----
"$bin" report "$sw" --baseline lambda=1 >"$tmp/rep.out" 2>"$tmp/err" || fail "report: $(cat "$tmp/err")"
page=$sw/report.html
[ -s "$page" ] || fail "no report.html"
grep -q '95% Student-t' "$page" || fail "the page does not say which interval"
grep -q 'class="band"' "$page" || fail "no confidence band in the plots"
grep -q 'data-cmp="fd" data-group="1"' "$page" || fail "no comparison of group 1"
for f in "$sw"/plots/*.svg; do xmllint --noout "$f" || fail "not well-formed: $f"; done
"$bin" report "$sw" --baseline lambda=7 >/dev/null 2>"$tmp/err"; rc=$?
[ $rc -eq 2 ] && grep -q "matches 0 groups" "$tmp/err" || fail "--baseline lambda=7: $rc $(cat "$tmp/err")"
"$bin" report "$sw" --baseline colour=red >/dev/null 2>"$tmp/err"; rc=$?
[ $rc -eq 2 ] && grep -q "one of the sweep's varying keys" "$tmp/err" || fail "--baseline colour=red: $rc $(cat "$tmp/err")"

# numbers worked out by hand: the same cells with made-up metrics (generations 0..2)
#   lambda 1:   s1 fd 1, 5, 9 (never doubles: counts as 3);  s2 fd 1, 5, 14 (doubles at 2)
#   lambda 0.6: s1 fd 1, 5, 13;                              s2 fd 1, 5, 18
# FD at the last generation, paired differences 4, 4: +4 [4, 4];
# generations until FD doubles, differences 2-3, 2-2: mean -0.5, s = 0.7071, n = 2,
#   t(0.975, 1) = 12.7062: -0.5 ± 6.353 = [-6.853, 5.853];
# lambda 1's FD at the last generation: 11.5 ± 12.7062 * 2.5 = [-20.27, 43.27];
# its generations-to-doubling 3 (censored) and 2: median 2.5 beyond G = 2 ("> 2"),
# IQR 2.25-2.75.
hand=$tmp/hand
cp -r "$sw" "$hand"
write() { printf 'generation,fd,tail99,recall\n0,1,0.01,0.9\n1,5,0.008,0.8\n2,%s,0.004,0.7\n' "$2" >"$hand/cells/$1/metrics.csv"; }
write lambda-1_s1 9; write lambda-1_s2 14; write lambda-0.6_s1 13; write lambda-0.6_s2 18
"$bin" report "$hand" >/dev/null 2>"$tmp/err" || fail "report of the hand-made sweep: $(cat "$tmp/err")"
expect() { # KIND KEY GROUP TEXT
    grep -q "data-$1=\"$2\" data-group=\"$3\">$4" "$hand/report.html" ||
        fail "hand: $1 $2 group $3 expected '$4', got '$(grep -o "data-$1=\"$2\" data-group=\"$3\">[^/]*" "$hand/report.html")'"
}
expect cmp fd 1 '+4 <span class="ci">\[4, 4\]'
expect cmp fd_doubles 1 '-0.5 <span class="ci">\[-6.853, 5.853\]'
expect last fd 0 '11.5 <span class="ci">\[-20.27, 43.27\]'
expect speed fd 0 '\&gt; 2 <span class="ci">(IQR 2.25–2.75)'
expect speed fd 1 '2 <span class="ci">(IQR 2–2)'

# ---- headless Chromium ----
. "$(dirname "$0")/../report/chromium.sh"
if [ -z "$chrome" ]; then
    fail "chromium not installed (Debian package chromium; scripts/deps.sh MB_TEST_PACKAGES)"
else
    page_clean "$page"
    grep -q '<h1>Sweep report' "$page.dom" || fail "not the sweep report"
    n_fig=$(grep -o '<figure class="plot"><svg' "$page" | wc -l)
    [ "$n_fig" -ge 8 ] || fail "only $n_fig plots"
    line=$(page_check "$page")
    [ "$line" = "images=0 loaded=0 svgs=$n_fig drawn=$n_fig" ] || fail "chromium: '$line', expected $n_fig SVGs drawn"
fi

[ $fails -eq 0 ] && echo "cli_sweep: all checks passed"
exit $((fails > 0))
