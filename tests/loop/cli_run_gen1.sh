#!/usr/bin/env bash
# The generation-1 warning on a digits-like ImageFolder made here
# (tests/loop/make_digits.py: 10 classes, 2,000 training and 500 test images;
# nothing downloaded). Stated outcome: an undertrained model (1 epoch on 500
# images) is already far from the real data at generation 1, so the run warns on
# stderr naming model.epochs and data.n_real, and records gen1_broken = 1 in
# metrics.csv and in manifest.json; a trained one (15 epochs on 2,000 images) does
# not warn and records gen1_broken = 0.
set -euo pipefail
mb=$1
source "$(dirname "$0")/../testutil.sh"
export MADBENCH_CACHE="$tmp/cache" # one judge for both runs, trained here
python3 "$MB_SOURCE_DIR/tests/loop/make_digits.py" "$tmp/digits" 2000 500
common=(run.out="$tmp" data.source="$tmp/digits" data.n_test=500 run.generations=1
        metrics.judge_epochs=2 --quiet)
"$mb" run run.name=under model.epochs=1 data.n_real=500 "${common[@]}" >/dev/null 2>"$tmp/under.err"
"$mb" run run.name=trained model.epochs=15 data.n_real=2000 "${common[@]}" >/dev/null \
    2>"$tmp/trained.err"

col() { csv_col "$tmp/$1/metrics.csv" "$2" "$3"; }
check() { # WHAT COMMAND...: the command succeeds
    checks=$((checks + 1))
    "${@:2}" || fail "$1"
}
for run in under trained; do
    echo "$run: generation 1 off_manifold $(col $run 1 off_manifold) recall $(col $run 1 recall)" \
         "precision $(col $run 1 precision) gen1_broken $(col $run 1 gen1_broken)"
done
check "undertrained: warning on stderr" grep -q "generation 1 is already far" "$tmp/under.err"
check "undertrained: the warning names model.epochs and data.n_real" \
    grep -q "model.epochs or data.n_real" "$tmp/under.err"
check "undertrained: gen1_broken = 1 in metrics.csv" [ "$(col under 1 gen1_broken)" = 1 ]
check "undertrained: generation 0 has no verdict" [ -z "$(col under 0 gen1_broken)" ]
check "undertrained: manifest.json records it" python3 -c '
import json, sys
m = json.load(open(sys.argv[1]))
sys.exit(not (m["gen1_broken"] is True and "recall" in m["gen1_warning"]))' "$tmp/under/manifest.json"
check "undertrained: the report warns first" grep -q 'id="gen1-warning"' "$tmp/under/report.html"
check "trained: no warning" bash -c "! grep -q 'already far' '$tmp/trained.err'"
check "trained: gen1_broken = 0 in metrics.csv" [ "$(col trained 1 gen1_broken)" = 0 ]
check "trained: manifest.json records no warning" python3 -c '
import json, sys
m = json.load(open(sys.argv[1]))
sys.exit(not (m["gen1_broken"] is False and "gen1_warning" not in m))' "$tmp/trained/manifest.json"
check "trained: no warning in the report" bash -c "! grep -q 'id=\"gen1-warning\"' '$tmp/trained/report.html'"
finish cli_run_gen1
