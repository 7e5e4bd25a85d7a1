#!/bin/bash
# cli_data.sh — `madbench data`: info on every kind of source, export round trips,
# and every bad input of issue 3 exits 2 with exactly one error line naming the file.
# Usage: cli_data.sh PATH/TO/madbench
set -u
MB="$1"
T=$(mktemp -d /tmp/mb_cli_data_XXXXXX)
trap 'rm -rf "$T"' EXIT
failures=0
checks=0

fail() { echo "cli_data.sh: FAILED: $*" >&2; failures=$((failures + 1)); }

# ok DESCRIPTION PATTERN ARGS...: exit 0 and stdout matching PATTERN (grep -E)
ok() {
    local what="$1" pattern="$2"; shift 2
    checks=$((checks + 1))
    if ! "$MB" "$@" >"$T/out" 2>"$T/err"; then
        fail "$what: exit $? ($(cat "$T/err"))"; return
    fi
    grep -Eq -- "$pattern" "$T/out" || fail "$what: output lacks /$pattern/: $(cat "$T/out")"
}

# bad DESCRIPTION PATTERN ARGS...: exit 2, one stderr line matching PATTERN
bad() {
    local what="$1" pattern="$2"; shift 2
    checks=$((checks + 1))
    "$MB" "$@" >"$T/out" 2>"$T/err"
    local rc=$?
    [ $rc -eq 2 ] || { fail "$what: exit $rc, want 2 ($(cat "$T/err"))"; return; }
    [ "$(wc -l <"$T/err")" -eq 1 ] || fail "$what: stderr is not one line: $(cat "$T/err")"
    grep -Eq -- "$pattern" "$T/err" || fail "$what: message lacks /$pattern/: $(cat "$T/err")"
}

ok "info shapes" "^images +200$" data info shapes n=200
ok "info shapes shows attributes" "radius +[56]\.[0-9]+ +1\.[0-9]+" data info shapes n=2000
ok "info shapes32 shape" "^shape +3x32x32" data info shapes32 n=10
ok "info shapes kinds" "square +100 +10\.000%" data info shapes n=1000 kinds=disk,square shares=0.9,0.1
ok "imbalance" "disk +980 +98\.000%" data info shapes n=1000 kinds=disk,square imbalance=1:0.02
ok "measure shapes" "radius error vs ground truth: mean 0\.0" data measure shapes n=300
ok "help" "usage: madbench data info" data --help

# export round trips: PNG folder and IDX .gz
ok "export png" "wrote 60 images" data export shapes "$T/png" n=60 kinds=disk,ellipse seed=3
ok "info png folder" "^classes +2$" data info "$T/png"
ok "export idx" "wrote 40 images" data export shapes "$T/s-images-idx3-ubyte.gz" n=40
ok "info idx" "^images +40$" data info "$T/s-images-idx3-ubyte.gz"
ok "export raw idx" "wrote 30 images" data export shapes "$T/r-images-idx3-ubyte" n=30
ok "export shapes32 png" "wrote 5 images" data export shapes32 "$T/png32" n=5
ok "export flat png" "wrote 7 images" data export shapes "$T/flat" n=7 --flat
checks=$((checks + 1))
[ -f "$T/flat/00000006.png" ] || fail "--flat did not write flat/00000006.png"

if [ -f /usr/share/datasets/fashion-mnist/train-images-idx3-ubyte.gz ] || [ -n "${MADBENCH_FASHION_MNIST:-}" ]; then
    ok "info fashion-mnist" "Ankle boot +1000 +10\.000%" data info fashion-mnist split=test
fi

# bad input: one line, exit 2
bad "missing source" "/nonexistent: no such file" data info /nonexistent
bad "unknown option" "unknown data option 'colour'" data info shapes colour=red
bad "bad option value" "imbalance='3'" data info shapes imbalance=3
bad "missing argument" "expected 1 argument" data info
bad "unknown subcommand" "unknown subcommand 'show'" data show shapes

head -c 500 "$T/r-images-idx3-ubyte" >"$T/cut-images-idx3-ubyte"
bad "truncated IDX" "cut-images-idx3-ubyte: truncated" data info "$T/cut-images-idx3-ubyte"

{ printf '\x00\x00\x08\x04'; tail -c +5 "$T/r-images-idx3-ubyte"; } >"$T/magic-images-idx3-ubyte"
bad "wrong magic" "magic-images-idx3-ubyte: IDX file has 4 dimensions" data info "$T/magic-images-idx3-ubyte"
{ printf 'GIF8'; tail -c +5 "$T/r-images-idx3-ubyte"; } >"$T/gif-images-idx3-ubyte"
bad "wrong magic number" "wrong magic number" data info "$T/gif-images-idx3-ubyte"

printf '\x00\x00\x08\x03\x00\x00\x00\x00\x00\x00\x00\x1c\x00\x00\x00\x1c' >"$T/zero-images-idx3-ubyte"
bad "zero images" "contains 0 images" data info "$T/zero-images-idx3-ubyte"

cp "$T/r-images-idx3-ubyte" "$T/mix-images-idx3-ubyte"
zcat "$T/s-labels-idx1-ubyte.gz" >"$T/mix-labels-idx1-ubyte"  # 40 labels for 30 images
bad "count mismatch" "has 40 labels but the images file has 30" data info "$T/mix-images-idx3-ubyte"

cp "$T/s-images-idx3-ubyte.gz" "$T/bad-images-idx3-ubyte.gz"
size=$(stat -c %s "$T/bad-images-idx3-ubyte.gz")
printf 'XXXXXXXXXXXXXXXXXXXXXXXX' | dd of="$T/bad-images-idx3-ubyte.gz" bs=1 seek=$((size / 2)) conv=notrunc 2>/dev/null
bad "corrupt gzip" "bad-images-idx3-ubyte.gz: corrupt or truncated gzip stream" data info "$T/bad-images-idx3-ubyte.gz"
head -c $((size / 2)) "$T/s-images-idx3-ubyte.gz" >"$T/half-images-idx3-ubyte.gz"
bad "truncated gzip" "half-images-idx3-ubyte.gz: corrupt or truncated gzip" data info "$T/half-images-idx3-ubyte.gz"

mkdir -p "$T/mixed"
cp "$T/png/00_disk/"*.png "$T/mixed/" && cp "$T/png32/00_disk/00000000.png" "$T/mixed/zzz.png"
bad "mixed-size folder" "zzz.png: image is 32x32 but .* is 28x28" data info "$T/mixed"
ok "mixed-size folder resized" "^shape +1x16x16" data info "$T/mixed" resize=16x16

mkdir -p "$T/broken"
cp "$T/png/00_disk/"*.png "$T/broken/" && printf 'not a png' >"$T/broken/zzz.png"
bad "unreadable image" "zzz.png: cannot read the image" data info "$T/broken"
mkdir -p "$T/empty"
bad "empty folder" "empty: contains 0 images" data info "$T/empty"

head -c 3000 /dev/zero >"$T/batch.bin"
bad "CIFAR truncated" "batch.bin: truncated" data info "$T/batch.bin"

bad "export into a non-empty folder" "not empty" data export shapes "$T/png" n=5

echo "cli_data.sh: $checks checks, $((checks - failures)) passed, $failures failed"
[ $failures -eq 0 ]
