#!/usr/bin/env bash
# A run killed with SIGKILL in the middle of generation 2 and resumed writes the
# same metrics.csv, byte for byte, as an uninterrupted run with the same seed.
set -euo pipefail
mb=$1
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
args=(run.out="$tmp" data.n_real=600 data.n_test=300 model.epochs=4 run.generations=3
      metrics.features=random metrics.kid_subset_size=100 run.threads=2 --quiet)
"$mb" run run.name=straight "${args[@]}" >/dev/null

"$mb" run run.name=killed "${args[@]}" >/dev/null 2>&1 &
pid=$!
# rows 0 and 1 written (3 lines with the header): generation 2 is training now
for _ in $(seq 1 1200); do
    if [ -f "$tmp/killed/metrics.csv" ] && [ "$(wc -l <"$tmp/killed/metrics.csv")" -ge 3 ]; then
        break
    fi
    sleep 0.05
done
sleep 0.3
kill -9 "$pid"
wait "$pid" 2>/dev/null || true
lines=$(wc -l <"$tmp/killed/metrics.csv")
if [ "$lines" -ne 3 ]; then
    echo "FAIL: expected the kill inside generation 2; metrics.csv had $lines lines"
    exit 1
fi
"$mb" run --resume "$tmp/killed" --quiet >/dev/null
if ! cmp "$tmp/straight/metrics.csv" "$tmp/killed/metrics.csv"; then
    diff "$tmp/straight/metrics.csv" "$tmp/killed/metrics.csv" || true
    echo "FAIL: the resumed run's metrics.csv differs from the uninterrupted run's"
    exit 1
fi
# train_log.csv: a row per epoch; the resumed run's rows are the uninterrupted run's
# but for the seconds (wall-clock time), and each generation's last loss is metrics.csv's
cut -d, -f1-3 "$tmp/straight/train_log.csv" >"$tmp/straight.log"
cut -d, -f1-3 "$tmp/killed/train_log.csv" >"$tmp/killed.log"
if ! cmp "$tmp/straight.log" "$tmp/killed.log"; then
    diff "$tmp/straight.log" "$tmp/killed.log" || true
    echo "FAIL: the resumed run's train_log.csv differs from the uninterrupted run's"
    exit 1
fi
python3 - "$tmp/straight" <<'PY'
import csv, sys
d = sys.argv[1]
log = list(csv.DictReader(open(f"{d}/train_log.csv")))
assert [(r["generation"], r["epoch"]) for r in log] == \
    [(str(g), str(e)) for g in (1, 2, 3) for e in (1, 2, 3, 4)], "rows of train_log.csv"
assert all(float(r["seconds"]) > 0 for r in log), "seconds"
rows = {r["generation"]: r for r in csv.DictReader(open(f"{d}/metrics.csv"))}
for g in ("1", "2", "3"):
    assert log[int(g) * 4 - 1]["loss"] == rows[g]["loss"], (g, log[int(g) * 4 - 1], rows[g]["loss"])
PY
# resuming a finished run changes nothing
"$mb" run --resume "$tmp/killed" --quiet >/dev/null
cmp "$tmp/straight/metrics.csv" "$tmp/killed/metrics.csv"
# a second run into the same folder is refused with one clear line
if "$mb" run run.name=killed "${args[@]}" 2>"$tmp/err"; then
    echo "FAIL: a run over an existing one was accepted"
    exit 1
fi
grep -q "already exists" "$tmp/err"
echo "cli_run_resume: 1 passed, 0 failed"
