#!/bin/bash
# cli_report_run.sh — `madbench run` writes RUN/report.html and RUN/plots/ when it
# finishes and again on --resume; metrics.jsonl carries the histograms of the tail
# figure (Mahalanobis radius; on the shapes set the measured attribute too).
set -u
bin=${1:?usage: cli_report_run.sh MADBENCH_BINARY}
tmp=$(mktemp -d /tmp/mb_cli_report_run_XXXXXX)
trap 'rm -rf "$tmp"' EXIT
fails=0
fail() { echo "FAIL: $*" >&2; fails=$((fails + 1)); }
base=(run.out="$tmp" data.n_real=200 data.n_test=150 model.epochs=1 run.generations=2
      metrics.features=random metrics.kid_subset_size=100 --quiet)

"$bin" run run.name=fm "${base[@]}" >"$tmp/out" 2>"$tmp/err" || fail "run: $(tail -3 "$tmp/err")"
grep -q "results: $tmp/fm (report.html" "$tmp/out" || fail "results line: $(cat "$tmp/out")"
[ -s "$tmp/fm/report.html" ] || fail "fm/report.html not written"
[ -s "$tmp/fm/plots/metric_fd.svg" ] && [ -s "$tmp/fm/plots/tail_gen_02.svg" ] ||
    fail "fm/plots incomplete: $(ls "$tmp/fm/plots" 2>&1 | head -5)"
for f in "$tmp"/fm/plots/*.svg; do xmllint --noout "$f" || fail "not well-formed: $f"; done
grep -c '"radius_hist":\[' "$tmp/fm/metrics.jsonl" | grep -qx 3 || fail "radius_hist not in every row"
python3 - "$tmp/fm/metrics.jsonl" <<'PY' || fail "radius histograms"
import json, sys
for line in open(sys.argv[1]):
    r = json.loads(line)
    assert r["radius_lo"] == 0 and r["radius_hi"] > 0, r["radius_hi"]
    for k in ("radius_hist", "ref_radius_hist"):
        assert len(r[k]) == 40 and abs(sum(r[k]) - 1) < 1e-9, (k, sum(r[k]))
    # bins to 1.5 x the real 99.9th percentile: the reference's last third is empty
    assert sum(r["ref_radius_hist"][30:]) == 0, r["ref_radius_hist"]
PY
n_img=$(grep -o '<img alt="generation [0-9]*" src="data:image/png;base64,' "$tmp/fm/report.html" | wc -l)
[ "$n_img" -eq 3 ] || fail "fm/report.html embeds $n_img grids, expected 3"

# --resume (nothing left to do) writes the report again
rm -f "$tmp/fm/report.html"
"$bin" run --resume "$tmp/fm" --quiet >/dev/null 2>"$tmp/err" || fail "resume: $(tail -3 "$tmp/err")"
[ -s "$tmp/fm/report.html" ] || fail "resume did not write report.html"

# shapes: the measured radius and the reference's histogram of it
"$bin" run run.name=sh data.source=shapes "${base[@]}" >/dev/null 2>"$tmp/err" ||
    fail "shapes run: $(tail -3 "$tmp/err")"
python3 - "$tmp/sh/metrics.jsonl" <<'PY' || fail "shapes histograms"
import json, sys
for line in open(sys.argv[1]):
    r = json.loads(line)
    assert len(r["attr_hist"]) == len(r["ref_attr_hist"]) == 20
    assert abs(sum(r["ref_attr_hist"]) - 1) < 1e-9
PY
grep -q "measured radius" "$tmp/sh/report.html" || fail "shapes report lacks the attribute tail figure"

[ $fails -eq 0 ] && echo "cli_report_run: all checks passed"
exit $((fails > 0))
