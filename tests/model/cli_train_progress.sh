#!/bin/bash
# cli_train_progress.sh — progress that suits a log file: when stderr is not a
# terminal (a cluster job's log), training prints one line per epoch and never a
# '\r' redraw, so the log reads line by line.
set -u
bin=${1:?usage: cli_train_progress.sh MADBENCH_BINARY}
source "$(dirname "$0")/../testutil.sh" # $tmp, fail, expect, finish

"$bin" train --data shapes --n 96 --epochs 3 --batch 32 --device cpu --out "$tmp/m.ckpt" \
    >/dev/null 2>"$tmp/err" || fail "train: $(tail -3 "$tmp/err")"
grep -q $'\r' "$tmp/err" && fail "a '\\r' redraw in a log file: $(od -c "$tmp/err" | head -3)"
for e in 1 2 3; do
    n=$(grep -c "^epoch $e/3  loss " "$tmp/err")
    [ "$n" -eq 1 ] || fail "epoch $e/3: $n lines, expected 1: $(cat "$tmp/err")"
done
grep -q "batch" "$tmp/err" && fail "batch updates in a log file: $(cat "$tmp/err")"

finish cli_train_progress
