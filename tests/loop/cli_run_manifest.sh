#!/bin/bash
# cli_run_manifest.sh — manifest.json is valid JSON whatever the command line holds
# (control characters, invalid UTF-8 in the config file's name), carries the
# provenance (the build's git revision, host, OpenBLAS, the Slurm ids), and a
# report that fails at the end of a run fails the run and says so.
set -u
bin=${1:?usage: cli_run_manifest.sh MADBENCH_BINARY}
source "$(dirname "$0")/../testutil.sh" # $tmp, fail, expect, finish

config="$tmp/"$'odd\x01\x1b[1m\xff.ini' # a control character, an escape, a byte never valid in UTF-8
printf '[run]\nname = m\nout = %s\n' "$tmp" >"$config"
SLURM_JOB_ID=4242 SLURM_ARRAY_JOB_ID=4240 SLURM_ARRAY_TASK_ID=7 \
    "$bin" run "$config" data.source=shapes data.n_real=200 data.n_test=150 model.epochs=1 \
    run.generations=1 metrics.features=random metrics.kid_subset_size=100 run.device=cpu \
    --quiet >"$tmp/out" 2>"$tmp/err" || fail "run: $(tail -3 "$tmp/err")"
grep -q "results: $tmp/m (report.html" "$tmp/out" || fail "results line: $(cat "$tmp/out")"
[ -s "$tmp/m/report.html" ] || fail "report.html not written"
revision=$("$bin" --version | sed -n 's/.*(git \(.*\))$/\1/p')
[ -n "$revision" ] || fail "--version names no git revision: $("$bin" --version)"
python3 - "$tmp/m/manifest.json" "$config" "$revision" "$(hostname)" <<'PY' || fail "manifest.json"
import json, sys, os
path, config, revision, host = sys.argv[1], os.fsencode(sys.argv[2]), sys.argv[3], sys.argv[4]
text = open(path, "rb").read()
assert all(b >= 0x20 or b in b"\n" for b in text), "raw control bytes in manifest.json"
m = json.loads(text.decode("utf-8"))  # strict: invalid UTF-8 or JSON raises
# the config path as given, its invalid byte replaced by U+FFFD, the rest exact
want = config.replace(b"\xff", "\ufffd".encode()).decode("utf-8")
assert m["command"].startswith("madbench run " + want + " data.source=shapes"), m["command"]
assert m["git_revision"] == revision, (m["git_revision"], revision)
assert m["host"]["name"] == host and m["host"]["machine"], m["host"]
assert m["libraries"]["openblas"].startswith("OpenBLAS "), m["libraries"]
assert m["slurm"] == {"job_id": "4242", "array_job_id": "4240", "array_task_id": "7"}, m["slurm"]
assert m["finished"] is True and m["generations_done"] == 1
PY

# without Slurm there is no slurm member
"$bin" run --resume "$tmp/m" --quiet >/dev/null 2>"$tmp/err" || fail "resume: $(tail -3 "$tmp/err")"
python3 -c 'import json,sys; assert "slurm" not in json.load(open(sys.argv[1]))' \
    "$tmp/m/manifest.json" || fail "a slurm member outside Slurm"

# the report cannot be written: the run exits non-zero, says why, claims no report
rm -f "$tmp/m/report.html"
mkdir "$tmp/m/report.html"
expect 3 "report.html was not written" "$bin" run --resume "$tmp/m" --quiet
grep -q "report.html" "$tmp/out" && fail "stdout claims the report: $(cat "$tmp/out")"
grep -q "results: $tmp/m (metrics.csv" "$tmp/out" || fail "results line: $(cat "$tmp/out")"

finish cli_run_manifest
