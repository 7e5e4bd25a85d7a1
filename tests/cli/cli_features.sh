#!/bin/bash
# cli_features.sh — `madbench features` and `madbench metrics` on feature files:
# features written as .npy give the same metrics as the images they came from
# (float32 and float64 files alike); --save-stats writes pytorch-fid's mu and sigma
# (NumPy's mean and np.cov); a .npz reference gives the same Frechet distance;
# every unsupported file is refused with exit 2 and one line naming it.
set -u
bin=${1:?usage: cli_features.sh MADBENCH_BINARY}
tmp=$(mktemp -d /tmp/mb_cli_features_XXXXXX)
trap 'rm -rf "$tmp"' EXIT
fails=0
fail() { echo "FAIL: $*" >&2; fails=$((fails + 1)); }
PY=
for p in python3 /usr/bin/python3; do
    if $p -c 'import numpy' 2>/dev/null; then PY=$p; break; fi
done
[ -n "$PY" ] || { echo "FAIL: no python3 with numpy (scripts/deps.sh installs python3-numpy)"; exit 1; }

# expect_error CODE PATTERN COMMAND ARGS...: exit code and one line naming the problem
expect_error() {
    local code=$1 pattern=$2; shift 2
    "$bin" "$@" >"$tmp/out" 2>"$tmp/err"
    local rc=$?
    [ $rc -eq "$code" ] || fail "$*: exit $rc, expected $code"
    grep -q -- "$pattern" "$tmp/err" || fail "$*: stderr lacks '$pattern': $(cat "$tmp/err")"
    [ "$(wc -l <"$tmp/err")" -eq 1 ] || fail "$*: more than one line: $(cat "$tmp/err")"
}

"$bin" features --help >"$tmp/help" || fail "features --help exit code"
grep -q -- "--out F.npy" "$tmp/help" || fail "features --help lacks --out"
grep -q -- "--judge-data" "$tmp/help" || fail "features --help lacks the judge options"
expect_error 2 "expected one data set" features
expect_error 2 "expected a file name ending in .npy" features shapes --features random
expect_error 2 "expected a file name ending in .npy" features shapes --out f.txt

common=(--features random --n 300 --quiet)
"$bin" features shapes "${common[@]}" --out "$tmp/a.npy" || fail "features of A"
"$bin" features shapes "${common[@]}" --split train --out "$tmp/b.npy" || fail "features of B"
"$bin" metrics shapes shapes "${common[@]}" --split-b train --kid-subsets 10 --json \
    >"$tmp/images.json" 2>"$tmp/err" || fail "metrics on images: $(cat "$tmp/err")"
"$bin" metrics "$tmp/a.npy" "$tmp/b.npy" --kid-subsets 10 --json --quiet \
    --save-stats "$tmp/a.npz" >"$tmp/files.json" 2>"$tmp/err" || fail "metrics on files: $(cat "$tmp/err")"
"$bin" metrics shapes "${common[@]}" --save-stats "$tmp/images.npz" 2>"$tmp/err" \
    || fail "save-stats of images: $(cat "$tmp/err")"
$PY - "$tmp" <<'PYEOF' || fail "float64 copies"
import numpy as np, sys
t = sys.argv[1]
a = np.load(t + "/a.npy")
assert a.dtype == np.float32 and a.shape == (300, 64) and a.flags.c_contiguous, (a.dtype, a.shape)
np.save(t + "/b64.npy", np.load(t + "/b.npy").astype(np.float64))
np.save(t + "/f16.npy", a.astype(np.float16))
np.save(t + "/i32.npy", a.astype(np.int32))
np.save(t + "/fortran.npy", np.asfortranarray(a))
np.save(t + "/big.npy", a.astype(">f4"))
np.save(t + "/vector.npy", a[0])
np.save(t + "/cube.npy", a.reshape(3, 100, 64))
np.save(t + "/narrow.npy", a[:, :32])
bad = a.copy(); bad[7, 3] = np.nan
np.save(t + "/nan.npy", bad)
np.savez(t + "/nosigma.npz", mu=a.mean(0))
np.savez(t + "/mismatch.npz", mu=a.mean(0), sigma=np.cov(a[:, :32], rowvar=False))
PYEOF
"$bin" metrics "$tmp/a.npy" "$tmp/b64.npy" --kid-subsets 10 --json --quiet \
    >"$tmp/files64.json" 2>"$tmp/err" || fail "metrics on float64 files: $(cat "$tmp/err")"
"$bin" metrics "$tmp/a.npz" "$tmp/b.npy" --json --quiet >"$tmp/stats.json" 2>"$tmp/err" \
    || fail "metrics from statistics: $(cat "$tmp/err")"
"$bin" metrics "$tmp/a.npz" "$tmp/a.npz" --quiet >"$tmp/self.txt" 2>"$tmp/err" \
    || fail "statistics against themselves: $(cat "$tmp/err")"
$PY - "$tmp" <<'PYEOF' || fail "feature-file metrics"
import json, sys
import numpy as np
t = sys.argv[1]
img, f32, f64, st = (json.loads(open(t + "/" + n).read())
                     for n in ("images.json", "files.json", "files64.json", "stats.json"))
# the same float32 features, widened exactly: the very same numbers
for k in ("fd", "kid", "kid_std", "precision", "recall", "density", "coverage", "vendi",
          "mean_pairwise_dist", "effective_rank", "cov_log_det", "tail95", "tail99"):
    assert f32[k] == img[k], (k, f32[k], img[k])
    assert f64[k] == img[k], (k, f64[k], img[k])
assert f32["features"] == "file" and f32["n_ref"] == 300 and f32["dim"] == 64
# pytorch-fid's statistics: mean and np.cov (N - 1), float64
a = np.load(t + "/a.npy").astype(np.float64)
with np.load(t + "/a.npz") as s:
    assert sorted(s.files) == ["mu", "sigma"], s.files
    mu, sigma = s["mu"], s["sigma"]
assert mu.dtype == np.float64 and mu.shape == (64,) and sigma.shape == (64, 64)
assert np.allclose(mu, a.mean(0), rtol=0, atol=1e-12), abs(mu - a.mean(0)).max()
assert np.allclose(sigma, np.cov(a, rowvar=False), rtol=1e-12, atol=1e-12)
with np.load(t + "/images.npz") as s:
    assert np.array_equal(s["mu"], mu) and np.array_equal(s["sigma"], sigma)
# the Frechet distance from statistics equals the one from the samples
assert st["statistics_only"] is True and st["n_ref"] is None and st["n_gen"] == 300
assert abs(st["fd"] - f32["fd"]) <= 1e-9 * f32["fd"], (st["fd"], f32["fd"])
PYEOF
grep -Eq "frechet distance +-?[0-9.e-]+ " "$tmp/self.txt" || fail "no FD line: $(cat "$tmp/self.txt")"
fd_self=$(awk '/frechet distance/ {print $3}' "$tmp/self.txt")
$PY -c "import sys; sys.exit(0 if abs(float('$fd_self')) < 1e-9 else 1)" \
    || fail "FD of statistics against themselves: $fd_self"

# the judge of a labelled set: features of its width, the judge read from the cache
"$bin" data export shapes "$tmp/lab-images-idx3-ubyte" n=600 kinds=disk,square \
    >/dev/null 2>"$tmp/err" || fail "export labelled shapes: $(cat "$tmp/err")"
for i in 1 2; do
    "$bin" features "$tmp/lab-images-idx3-ubyte" --judge-epochs 1 --judge-features 16 \
        --cache-dir "$tmp/cache" --n 100 --out "$tmp/judge$i.npy" 2>"$tmp/err$i" \
        || fail "judge features: $(cat "$tmp/err$i")"
done
grep -q "training a CNN classifier" "$tmp/err1" || fail "judge not trained: $(cat "$tmp/err1")"
grep -q "training" "$tmp/err2" && fail "second features run trained the judge again"
cmp -s "$tmp/judge1.npy" "$tmp/judge2.npy" || fail "cached judge gives other features"
$PY -c "import numpy as np, sys; a = np.load(sys.argv[1]); assert a.shape == (100, 16), a.shape" \
    "$tmp/judge1.npy" || fail "judge features shape"

# refused: exit 2, one line naming the file and what was expected
expect_error 2 "f16.npy: array of type '<f2'" metrics "$tmp/f16.npy" "$tmp/b.npy"
expect_error 2 "i32.npy: array of type '<i4'" metrics "$tmp/a.npy" "$tmp/i32.npy"
expect_error 2 "fortran.npy: array in Fortran order" metrics "$tmp/fortran.npy" "$tmp/b.npy"
expect_error 2 "big.npy: array of type '>f4'" metrics "$tmp/big.npy" "$tmp/b.npy"
expect_error 2 "vector.npy: array of shape (64,) (expected features" metrics "$tmp/vector.npy" "$tmp/b.npy"
expect_error 2 "cube.npy: array has more than 2 dimensions" metrics "$tmp/cube.npy" "$tmp/b.npy"
expect_error 2 "nan.npy: value \[7, 3\] is NaN" metrics "$tmp/a.npy" "$tmp/nan.npy"
expect_error 2 "dimension 64 but .*narrow.npy of dimension 32" metrics "$tmp/a.npy" "$tmp/narrow.npy"
expect_error 2 "nosigma.npz: no array 'sigma'" metrics "$tmp/nosigma.npz" "$tmp/b.npy"
expect_error 2 "mismatch.npz: mu of shape (64,) and sigma of shape (32, 32)" metrics "$tmp/mismatch.npz" "$tmp/b.npy"
cp "$tmp/a.npz" "$tmp/renamed.npy"
expect_error 2 "renamed.npy: not a NumPy .npy file" metrics "$tmp/renamed.npy" "$tmp/b.npy"
expect_error 2 "is a feature file but shapes is a data set" metrics "$tmp/a.npy" shapes
expect_error 2 "expected a file name ending in .npz" metrics "$tmp/a.npy" --save-stats "$tmp/s.txt"
expect_error 2 "holds statistics already" metrics "$tmp/a.npz" --save-stats "$tmp/s.npz"
expect_error 2 "feature files are used whole" metrics "$tmp/a.npy" "$tmp/b.npy" --n 10
expect_error 2 "or A alone with --save-stats" metrics "$tmp/a.npy"
expect_error 2 "missing.npy: cannot open" metrics "$tmp/missing.npy" "$tmp/b.npy"
expect_error 2 "missing.npz: cannot open" metrics "$tmp/missing.npz" "$tmp/b.npy"

[ $fails -eq 0 ] && echo "cli_features: all checks passed"
exit $((fails > 0))
