#!/bin/bash
# cli_run_columns.sh — one description of a generation's row: the column table
# (`madbench run --list-columns`) equals the table in docs/metrics-columns.md, and
# a run's metrics.csv header, its metrics.jsonl keys and `madbench metrics --json`
# keys are exactly the table's columns, in its order; the progress line after a
# generation shows the table's progress columns.
set -u
bin=${1:?usage: cli_run_columns.sh MADBENCH_BINARY}
src=${MB_SOURCE_DIR:?MB_SOURCE_DIR names the source tree}
tmp=$(mktemp -d /tmp/mb_cli_run_columns_XXXXXX)
trap 'rm -rf "$tmp"' EXIT
fails=0
fail() { echo "FAIL: $*" >&2; fails=$((fails + 1)); }

"$bin" run --list-columns >"$tmp/table.md" || fail "--list-columns exit code"
grep '^|' "$src/docs/metrics-columns.md" >"$tmp/docs.md"
diff "$tmp/docs.md" "$tmp/table.md" >"$tmp/diff" ||
    fail "docs/metrics-columns.md differs from madbench run --list-columns (regenerate it): $(head -8 "$tmp/diff")"

"$bin" run run.out="$tmp" run.name=r data.n_real=200 data.n_test=150 model.epochs=1 \
    run.generations=1 metrics.features=random metrics.kid_subset_size=100 run.device=cpu \
    >/dev/null 2>"$tmp/err" || fail "run: $(tail -3 "$tmp/err")"
grep -Eq '^gen 1/1: FD [0-9.e+-]+  precision [0-9.]+  recall [0-9.]+  vendi [0-9.e+-]+  tail99 [0-9.]+  tail99_on [0-9.]+$' \
    "$tmp/err" || fail "progress line: $(grep 'gen 1/1: FD' "$tmp/err")"
"$bin" metrics shapes shapes --n 200 --features random --json --kid-subsets 5 --quiet \
    >"$tmp/metrics.json" 2>"$tmp/err" || fail "metrics --json: $(cat "$tmp/err")"

python3 - "$tmp/table.md" "$tmp/r" "$tmp/metrics.json" <<'PY' || fail "columns drifted"
import csv, json, sys
table, run, metrics = sys.argv[1:]
cols = []  # (name, in_csv, in_metrics_json)
for line in open(table).read().splitlines()[2:]:
    cells = [c.strip() for c in line.strip("|").split("|")]
    cols.append((cells[0].strip("`"), cells[2] == "yes", cells[3] == "yes"))
names = [c[0] for c in cols]
header = next(csv.reader(open(run + "/metrics.csv")))
assert header == [n for n, c, m in cols if c], ("metrics.csv header", header)
assert "fd_inf" in header
for row in csv.reader(open(run + "/metrics.csv")):
    assert len(row) == len(header), ("metrics.csv row length", row)
rows = [json.loads(l, object_pairs_hook=lambda kv: [k for k, v in kv])
        for l in open(run + "/metrics.jsonl")]
assert len(rows) == 2
for keys in rows:
    assert keys == names, ("metrics.jsonl keys", keys)
extras = ["features", "judge_accuracy", "pixel_variance", "ref_pixel_variance",
          "suite_seconds", "suite_cpu_seconds", "device"]
keys = json.loads(open(metrics).read(), object_pairs_hook=lambda kv: [k for k, v in kv])
assert keys == [n for n, c, m in cols if m] + extras, ("metrics --json keys", keys)
PY

[ $fails -eq 0 ] && echo "cli_run_columns: all checks passed"
exit $((fails > 0))
