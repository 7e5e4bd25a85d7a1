#!/usr/bin/env bash
# Regression tests of the file defects an adversarial user found (issue 14): each
# check failed on the code before its fix. Writers on a full filesystem (a small
# tmpfs: needs root, as CI has; elsewhere the test fails loudly rather than skip),
# readers given a FIFO or a device, raw bytes in messages, an oversized PNG, and
# paths too long to hold.
set -uo pipefail
mb=$1
source "$(dirname "$0")/../testutil.sh"
expect_timeout=20 # a reader that blocks on a FIFO is stopped
full=$tmp/full
small=$tmp/small

# one small finished run for the report and sample checks
"$mb" run data.source=shapes data.n_real=300 data.n_test=300 model.epochs=1 run.generations=1 \
    run.device=cpu --quiet model.conv1=4 model.conv2=8 metrics.features=random \
    metrics.kid_subset_size=100 run.threads=2 run.out="$tmp" run.name=run >/dev/null ||
    { echo "FAIL: the small run failed"; exit 1; }
run=$tmp/run

# 2, 4, 11. a full filesystem: exit 3 and no partial file, never a crash or exit 0
if mount_tmpfs "$full" 64k; then
    dd if=/dev/zero of="$full/fill" bs=4k 2>/dev/null # until the filesystem is full
    expect 3 "$full/" "$mb" report "$run" --out "$full/r.html"
    expect 3 "$full/png" "$mb" data export shapes "$full/png" n=2000
    expect 3 "$full/s.png" "$mb" sample "$run/checkpoints/model_g01.ckpt" --out "$full/s.png" \
        --device cpu
    expect 3 "$full/x-images-idx3-ubyte" "$mb" data export shapes "$full/x-images-idx3-ubyte" n=2000
    [ ! -e "$full/x-images-idx3-ubyte" ] || fail "a partial IDX file was left behind"
    left=$(find "$full" -name '*.tmp' -o -name '*.png' -size -1 | head -5)
    [ -z "$left" ] || fail "partial files left on the full filesystem: $left"
fi

# 8. readers open regular files only: a FIFO would block them forever
mkfifo "$tmp/fifo.ini"
expect 2 "FIFO" "$mb" run "$tmp/fifo.ini"
mkdir -p "$tmp/images/cat"
python3 - "$tmp/images/cat/0.png" <<'EOF'
import struct, sys, zlib
def chunk(kind, data):
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))
raw = b"".join(b"\0" + bytes(8) for _ in range(8))
png = (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", 8, 8, 8, 0, 0, 0, 0)) +
       chunk(b"IDAT", zlib.compress(raw)) + chunk(b"IEND", b""))
open(sys.argv[1], "wb").write(png)
EOF
mkfifo "$tmp/images/cat/1.png"
expect 2 "FIFO" "$mb" data info "$tmp/images"
cp -r "$run" "$tmp/state_fifo"
rm "$tmp/state_fifo/state.bin" && mkfifo "$tmp/state_fifo/state.bin"
expect 2 "FIFO" "$mb" run --resume "$tmp/state_fifo"
cp -r "$run" "$tmp/grid_fifo"
rm "$tmp/grid_fifo/grids/gen_01.png" && mkfifo "$tmp/grid_fifo/grids/gen_01.png"
expect 2 "FIFO" "$mb" report "$tmp/grid_fifo"
# a grid that is /dev/zero: never read (the report goes to a small tmpfs, so the
# code before the fix stopped at a full 1 MiB, not a full disk)
cp -r "$run" "$tmp/grid_zero"
ln -sf /dev/zero "$tmp/grid_zero/grids/gen_01.png"
if mount_tmpfs "$small" 1m; then
    expect 2 "device" "$mb" report "$tmp/grid_zero" --out "$small/r.html"
fi

# 11. bytes from a file are escaped in messages, never written raw to a terminal
printf '[run]\n\033]0;owned\007\033[31mkey = 1\n' >"$tmp/escape.ini"
expect 2 'x1b' "$mb" run "$tmp/escape.ini"
! grep -q $'\033' "$tmp/err" && ! grep -q $'\007' "$tmp/err" || fail "raw control bytes in: $(cat -v "$tmp/err")"

# 11. a PNG over the size limit says so (stb_image calls it "unknown image type")
mkdir -p "$tmp/huge"
python3 - "$tmp/huge/0.png" <<'EOF'
import struct, sys, zlib
ihdr = struct.pack(">IIBBBBB", 65535, 65535, 8, 0, 0, 0, 0)
open(sys.argv[1], "wb").write(b"\x89PNG\r\n\x1a\n" + struct.pack(">I", 13) + b"IHDR" + ihdr +
                              struct.pack(">I", zlib.crc32(b"IHDR" + ihdr)))
EOF
expect 2 "65535x65535, over the size limit" "$mb" data info "$tmp/huge"

# 5. a path that does not fit is refused (exit 2), never truncated
deep=$tmp
while [ ${#deep} -lt 4200 ]; do deep=$deep/$(printf 'p%.0s' $(seq 1 200)); done
expect 2 "path" "$mb" report "$run" --out "$deep/r.html"

finish cli_files_hardening
