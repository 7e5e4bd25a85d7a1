#!/usr/bin/env python3
"""reference_metrics.py MADBENCH — madbench's metrics against the field's reference
implementations on the very same features (CTest label `reference`).

Every case is a seeded pair of feature sets A (reference) and B (generated), written
as .npy files that both sides read. madbench runs `metrics A.npy B.npy --json`
(and from the statistics it saved with --save-stats); the references run on the
same arrays in float64 (a float32 file is widened exactly, as madbench does):

  FD                pytorch-fid calculate_frechet_distance(np.mean, np.cov)
  precision/recall/
  density/coverage  prdc.compute_prdc(real=A, fake=B, nearest_k=k)
  Vendi             vendi_score.vendi.score_dual (cosine kernel: unit rows)
  KID               cleanfid.fid.kernel_distance

Tolerances and their reasons are in TOLERANCE below and in docs. The definitions
where a reference could differ (covariance normalisation, strict `<` radii, k)
are tested so that the test fails if either side changes.
"""
import contextlib
import importlib.metadata as md
import io
import json
import os
import subprocess
import sys
import tempfile

import numpy as np
from cleanfid.fid import kernel_distance
from prdc import compute_prdc
from pytorch_fid.fid_score import calculate_frechet_distance, compute_statistics_of_path
from vendi_score import vendi

TOLERANCE = {
    # pytorch-fid takes scipy's sqrtm of the non-symmetric S1 S2 (Schur method),
    # madbench the eigenvalues of the symmetric S1^1/2 S2 S1^1/2: both are float64
    # but different algorithms; measured agreement is 1e-14 (full rank) to 1e-8
    # (rank-deficient, where sqrtm loses accuracy).
    "fd": 1e-6,
    # the same float64 statistics on both sides (the .npz holds them exactly)
    "fd_stats": 1e-9,
    # Vendi: the eigenvalues of the same d x d matrix by two LAPACK drivers
    "vendi": 1e-9,
    # KID over the whole sets (every subset is a permutation of it): one value,
    # summed in a different order
    "kid_whole": 1e-9,
    # KID over random subsets: both are means of S unbiased MMD^2 estimates on
    # independent random subsets, so they differ by about std * sqrt(2 / S)
    "kid_sigmas": 5.0,
}
K_DEFAULT = 5  # madbench's default k, the one prdc's README and the MAD paper use
KID_SUBSETS = 100

failures = []


def check(ok, what):
    print(("  ok    " if ok else "  FAIL  ") + what)
    if not ok:
        failures.append(what)


def rel(a, b):
    return abs(a - b) / max(abs(b), 1e-300)


def madbench(binary, *args):
    # one thread: madbench's results do not depend on the thread count, and on a
    # shared machine OpenMP barriers of two threads can cost several times the work
    p = subprocess.run([binary, "metrics", *args, "--json", "--quiet", "--device", "cpu",
                        "--threads", "1"], capture_output=True, text=True)
    if p.returncode != 0:
        raise SystemExit(f"madbench metrics {' '.join(args)}: exit {p.returncode}: {p.stderr}")
    return json.loads(p.stdout)


# ---- seeded feature sets ----

def gaussian(rng, n, d, rank=None, shift=0.0, noise=0.0):
    r = rank or d
    mix = rng.normal(size=(r, d)) / np.sqrt(r)
    x = rng.normal(size=(n, r)) @ mix + shift
    return x + noise * rng.normal(size=(n, d)) if noise else x


def with_duplicates(rng):
    """Real: 150 points, each twice (multiplicity 2 <= k). Generated: 100 exact
    copies of real points, 100 fresh points and one fresh point 10 times."""
    base = gaussian(rng, 150, 12)
    real = np.concatenate([base, base])[rng.permutation(300)]
    fake = np.concatenate([base[rng.choice(150, 100, replace=False)],
                           gaussian(rng, 100, 12, shift=0.2),
                           np.repeat(gaussian(rng, 1, 12, shift=3.0), 10, axis=0)])
    return real, fake[rng.permutation(210)]


def lattice(rng):
    """Integer points of {0..4}^4: squared distances are exact in float64 on both
    sides, so many distances equal a radius exactly and strict `<` matters."""
    return (rng.integers(0, 5, size=(300, 4)).astype(np.float64),
            rng.integers(0, 5, size=(260, 4)).astype(np.float64) + (rng.random((260, 4)) < 0.1))


def cases():
    rng = np.random.default_rng(20261129)
    yield "small N, D < N", np.float32, (gaussian(rng, 300, 16), gaussian(rng, 250, 16, shift=0.3))
    yield "large N, D < N", np.float32, (gaussian(rng, 3000, 48),
                                         gaussian(rng, 2600, 48, shift=0.05) * 1.1)
    yield "D > N (singular covariances)", np.float64, (gaussian(rng, 80, 128),
                                                       gaussian(rng, 70, 128, shift=0.1))
    yield "near-singular covariances", np.float64, (
        gaussian(rng, 500, 24, rank=12, noise=1e-5),
        gaussian(rng, 400, 24, rank=12, noise=1e-5, shift=0.2))
    yield "duplicated points", np.float64, with_duplicates(rng)
    yield "lattice (exact ties)", np.float64, lattice(rng)


# ---- the comparisons ----

def prdc_reference(a, b, k):
    with contextlib.redirect_stdout(io.StringIO()):  # prdc prints the set sizes
        return {key: float(v) for key, v in compute_prdc(a, b, k).items()}


def prdc_direct(a, b, k, inside=np.less):
    """PRDC from distances computed directly as sum (x - y)^2. A copy of a point
    then gives bit-identical distances, so a distance that equals a radius in exact
    arithmetic (a generated copy of a real point that is another real point's k-th
    neighbour) equals it here too, and `inside` (< or <=) decides it as exact
    arithmetic would."""
    def sq(x, y):
        return np.concatenate([((x[i:i + 64, None] - y[None]) ** 2).sum(-1)
                               for i in range(0, len(x), 64)])
    d_ab = sq(a, b)
    r_a = np.sort(sq(a, a), axis=1)[:, k]
    r_b = np.sort(sq(b, b), axis=1)[:, k]
    in_real = inside(d_ab, r_a[:, None])
    return {"precision": in_real.any(0).mean(), "recall": inside(d_ab, r_b[None]).any(1).mean(),
            "density": in_real.sum(0).mean() / k, "coverage": inside(d_ab.min(1), r_a).mean()}


def compare_prdc(mb, ref, k, label, bounds=None):
    """madbench == prdc exactly (density through its integer hit count: the division
    rounds differently on each side). With bounds (duplicated points): madbench and
    prdc both expand ||x||^2 + ||y||^2 - 2 x.y with BLAS, where an exact tie falls
    either way by rounding, so each must lie between the exact-arithmetic values
    with ties outside (`<`, the definition) and inside (`<=`)."""
    for key in ("precision", "recall", "coverage", "density"):
        if bounds is None:
            ok = mb[key] == ref[key] if key != "density" else rel(mb[key], ref[key]) < 1e-12
            check(ok, f"{label} {key}: madbench {mb[key]!r} == prdc {ref[key]!r}")
        else:
            lo, hi = bounds[0][key], bounds[1][key]
            eps = 1e-12 * hi
            ok = all(lo - eps <= v <= hi + eps for v in (mb[key], ref[key]))
            check(ok, f"{label} {key}: madbench {mb[key]:.6g}, prdc {ref[key]:.6g} within "
                      f"exact [{lo:.6g} (<), {hi:.6g} (<=)]")


def run_case(binary, tmp, name, dtype, a, b, ties):
    print(f"== {name}: A {a.shape}, B {b.shape}, {np.dtype(dtype).name}")
    a, b = a.astype(dtype), b.astype(dtype)
    fa, fb, stats = (os.path.join(tmp, f) for f in ("a.npy", "b.npy", "a.npz"))
    np.save(fa, a)
    np.save(fb, b)
    a, b = a.astype(np.float64), b.astype(np.float64)
    m = min(len(a), len(b), 1000) // 2
    mb = madbench(binary, fa, fb, "--kid-subsets", str(KID_SUBSETS), "--kid-subset-size", str(m),
                  "--save-stats", stats)
    # FD: pytorch-fid on np.mean / np.cov (N - 1), as calculate_activation_statistics
    mu_a, sig_a, mu_b, sig_b = a.mean(0), np.cov(a, rowvar=False), b.mean(0), np.cov(b, rowvar=False)
    with contextlib.redirect_stdout(io.StringIO()):
        fd_ref = calculate_frechet_distance(mu_a, sig_a, mu_b, sig_b)
    check(rel(mb["fd"], fd_ref) < TOLERANCE["fd"],
          f"FD: madbench {mb['fd']:.12g} vs pytorch-fid {fd_ref:.12g} (rel {rel(mb['fd'], fd_ref):.1e})")
    # FD from the saved statistics: read by pytorch-fid's own loader and by madbench
    mu_s, sig_s = compute_statistics_of_path(stats, None, 0, 0, "cpu")
    check(np.allclose(mu_s, mu_a, rtol=1e-12, atol=1e-14) and
          np.allclose(sig_s, sig_a, rtol=1e-12, atol=1e-14),
          "--save-stats: mu = np.mean, sigma = np.cov (N - 1) within 1e-12")
    n = len(a)
    check(not np.allclose(sig_s, sig_a * (n - 1) / n, rtol=1e-9, atol=0),
          f"--save-stats: sigma differs from the 1/N covariance (the N - 1 check can fail)")
    with contextlib.redirect_stdout(io.StringIO()):
        fd_ref_stats = calculate_frechet_distance(mu_s, sig_s, mu_b, sig_b)
    mb_stats = madbench(binary, stats, fb)
    check(rel(mb_stats["fd"], mb["fd"]) < TOLERANCE["fd_stats"] and
          rel(mb_stats["fd"], fd_ref_stats) < TOLERANCE["fd"],
          f"FD from A.npz: madbench {mb_stats['fd']:.12g}, from samples {mb['fd']:.12g}, "
          f"pytorch-fid {fd_ref_stats:.12g}")
    # PRDC, madbench's default k and Kynkaanniemi et al.'s k = 3
    for k in (K_DEFAULT, 3):
        bounds = (prdc_direct(a, b, k), prdc_direct(a, b, k, np.less_equal)) if ties else None
        mb_k = mb if k == K_DEFAULT else madbench(binary, fa, fb, "--k", str(k),
                                                  "--kid-subsets", "1")
        compare_prdc(mb_k, prdc_reference(a, b, k), k, f"k={k}", bounds)
    # Vendi with the cosine kernel, of both sets
    for key, x in (("vendi", b), ("ref_vendi", a)):
        v = vendi.score_dual(x)
        check(rel(mb[key], v) < TOLERANCE["vendi"],
              f"{key}: madbench {mb[key]:.12g} vs vendi-score {v:.12g} (rel {rel(mb[key], v):.1e})")
    # KID (a) over the whole sets: equal sizes, one subset = all rows
    w = min(len(a), len(b))
    fa_w, fb_w = os.path.join(tmp, "aw.npy"), os.path.join(tmp, "bw.npy")
    np.save(fa_w, a[:w])
    np.save(fb_w, b[:w])
    kid_w = madbench(binary, fa_w, fb_w, "--kid-subsets", "1", "--kid-subset-size", str(w))["kid"]
    kid_w_ref = kernel_distance(a[:w], b[:w], num_subsets=1, max_subset_size=w)
    scale = max(abs(kid_w_ref), 1e-3 * np.mean((a[:w] @ a[:w].T / a.shape[1] + 1) ** 3))
    check(abs(kid_w - kid_w_ref) < TOLERANCE["kid_whole"] * scale,
          f"KID whole sets ({w} rows): madbench {kid_w:.10g} vs clean-fid {kid_w_ref:.10g}")
    # (b) over random subsets of m rows without replacement, drawn independently per
    # subset on each side (madbench: Philox partial Fisher-Yates; clean-fid:
    # np.random.choice): equal within the standard error of the difference
    np.random.seed(20261129)
    kid_ref = kernel_distance(a, b, num_subsets=KID_SUBSETS, max_subset_size=m)
    band = TOLERANCE["kid_sigmas"] * mb["kid_std"] * np.sqrt(2.0 / KID_SUBSETS)
    check(mb["kid_subset_size"] == m and abs(mb["kid"] - kid_ref) <= band,
          f"KID {KID_SUBSETS} subsets of {m}: madbench {mb['kid']:.6g} vs clean-fid "
          f"{kid_ref:.6g} (|diff| {abs(mb['kid'] - kid_ref):.2g} <= {band:.2g})")
    return a, b


def main():
    binary = sys.argv[1]
    print("references: " + ", ".join(f"{p} {md.version(p)}" for p in
                                     ("pytorch-fid", "prdc", "vendi-score", "clean-fid")) +
          f"; numpy {np.__version__}")
    with tempfile.TemporaryDirectory(prefix="mb_reference_") as tmp:
        for name, dtype, (a, b) in cases():
            a, b = run_case(binary, tmp, name, dtype, a, b, name.startswith("duplicated"))
            if name.startswith("lattice"):
                # strict `<` is the definition: `<=` gives other numbers on these ties,
                # and madbench's are the `<` ones (integer distances are exact)
                loose = prdc_direct(a, b, K_DEFAULT, np.less_equal)
                strict = prdc_direct(a, b, K_DEFAULT)
                mb = madbench(binary, os.path.join(tmp, "a.npy"), os.path.join(tmp, "b.npy"),
                              "--kid-subsets", "1")
                check(any(loose[k] != strict[k] for k in strict) and
                      all(rel(mb[k], strict[k]) < 1e-12 for k in strict),
                      f"lattice: madbench = exact `<` {strict}; `<=` would give {loose}")
        # a statistics file written as pytorch-fid writes it (np.savez_compressed)
        rng = np.random.default_rng(7)
        a, b = gaussian(rng, 400, 20), gaussian(rng, 300, 20, shift=0.1)
        ref_npz, fb = os.path.join(tmp, "ptfid.npz"), os.path.join(tmp, "b.npy")
        np.savez_compressed(ref_npz, mu=a.mean(0), sigma=np.cov(a, rowvar=False))
        np.save(fb, b)
        with contextlib.redirect_stdout(io.StringIO()):
            fd_ref = calculate_frechet_distance(a.mean(0), np.cov(a, rowvar=False), b.mean(0),
                                                np.cov(b, rowvar=False))
        fd = madbench(binary, ref_npz, fb)["fd"]
        print("== pytorch-fid's own statistics file (np.savez_compressed)")
        check(rel(fd, fd_ref) < TOLERANCE["fd"], f"FD from it: madbench {fd:.12g} vs {fd_ref:.12g}")
    if failures:
        print(f"reference_metrics: {len(failures)} comparisons FAILED", file=sys.stderr)
        return 1
    print("reference_metrics: every comparison passed")
    return 0


if __name__ == "__main__":
    sys.exit(main())
