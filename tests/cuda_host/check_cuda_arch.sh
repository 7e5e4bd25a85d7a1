#!/usr/bin/env bash
# check_cuda_arch.sh LIBMB_CUDA.a "ARCHS" — every object of the CUDA backend holds
# exactly the GPU code that CMAKE_CUDA_ARCHITECTURES asked for: NN-real an sm_NN
# binary (cubin), NN-virtual compute_NN PTX, NN both. Reads the .nv_fatbin section
# of each object (no cuobjdump needed): a container header (magic 0xBA55ED50, its
# size at byte 6, the payload size at byte 8), then entries with the kind at byte
# 0 (1 PTX, 2 cubin), the header size at byte 4, the payload size at byte 8 and
# the architecture at byte 28.
set -euo pipefail
lib=$1 archs=$2
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
want=""
for a in ${archs//;/ }; do
    n=${a%%-*}
    case $a in
    *-real) want="$want cubin:$n" ;;
    *-virtual) want="$want ptx:$n" ;;
    *) want="$want cubin:$n ptx:$n" ;;
    esac
done
want=$(tr ' ' '\n' <<<"$want" | sed '/^$/d' | sort -u | tr '\n' ' ')
echo "CMAKE_CUDA_ARCHITECTURES=$archs: every object must hold: $want"
cd "$tmp"
ar x "$lib"
bad=0 n=0
for o in *.o; do
    objcopy -O binary --only-section=.nv_fatbin "$o" "$o.fatbin" 2>/dev/null || continue
    [ -s "$o.fatbin" ] || continue
    got=$(python3 - "$o.fatbin" <<'PY'
import struct, sys
d = open(sys.argv[1], "rb").read()
found, off = set(), 0
while off + 16 <= len(d):
    magic, _, hsize, fsize = struct.unpack_from("<IHHQ", d, off)
    if magic != 0xBA55ED50:
        break
    e, end = off + hsize, off + hsize + fsize
    while e < end:
        kind, _, ehs, psize = struct.unpack_from("<HHIQ", d, e)
        found.add(("ptx" if kind == 1 else "cubin" if kind == 2 else f"kind{kind}") +
                  ":" + str(struct.unpack_from("<I", d, e + 28)[0]))
        e += ehs + psize
    off = end
print(" ".join(sorted(found)) + " ")
PY
)
    n=$((n + 1))
    if [ "$got" != "$want" ]; then
        echo "FAIL: $o holds: $got"
        bad=$((bad + 1))
    fi
done
[ "$n" -gt 0 ] || { echo "FAIL: no object of $lib holds GPU code"; exit 1; }
echo "$n objects checked, $bad wrong"
[ "$bad" -eq 0 ]
