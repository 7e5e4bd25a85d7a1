/* test_metrics_scipy.c — the Frechet distance of random feature sets against
 * pytorch-fid's computation in scipy (sqrtm of the covariance product, real part),
 * to 1e-6 relative. Needs python3 with numpy and scipy (Debian python3-scipy,
 * installed by the README's test command); fails naming the package otherwise. */
#include "mb_metrics.h"
#include "mb_philox.h"
#include "testutil.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

/* pytorch-fid's calculate_frechet_distance (src/pytorch_fid/fid_score.py). */
static const char *script =
    "import sys, numpy as np\n"
    "from scipy import linalg\n"
    "def fd(a, b, eps=1e-6):\n"
    "    mu1, mu2 = a.mean(0), b.mean(0)\n"
    "    s1, s2 = np.cov(a, rowvar=False), np.cov(b, rowvar=False)\n"
    "    diff = mu1 - mu2\n"
    "    covmean, _ = linalg.sqrtm(s1.dot(s2), disp=False)\n"
    "    if not np.isfinite(covmean).all():\n"
    "        off = np.eye(s1.shape[0]) * eps\n"
    "        covmean = linalg.sqrtm((s1 + off).dot(s2 + off))\n"
    "    if np.iscomplexobj(covmean):\n"
    "        covmean = covmean.real\n"
    "    return diff.dot(diff) + np.trace(s1) + np.trace(s2) - 2 * np.trace(covmean)\n"
    "d = int(sys.argv[3])\n"
    "a = np.fromfile(sys.argv[1], dtype=np.float64).reshape(-1, d)\n"
    "b = np.fromfile(sys.argv[2], dtype=np.float64).reshape(-1, d)\n"
    "print('%.17g' % fd(a, b))\n";

static const char *find_python(void)
{
    static const char *candidates[] = {"python3", "/usr/bin/python3"};
    for (size_t i = 0; i < MB_ARRAY_LEN(candidates); i++) {
        char cmd[256];
        snprintf(cmd, sizeof cmd, "%s -c 'import numpy, scipy.linalg' >/dev/null 2>&1",
                 candidates[i]);
        if (system(cmd) == 0)
            return candidates[i];
    }
    return NULL;
}

static int write_doubles(const char *path, const double *x, size_t n)
{
    FILE *f = fopen(path, "wb");
    if (!f)
        return -1;
    size_t w = fwrite(x, sizeof *x, n, f);
    return fclose(f) == 0 && w == n ? 0 : -1;
}

/* Features with a random linear mixing (correlated, anisotropic) and an offset. */
static void make_features(double *x, int n, int d, uint64_t seed, double shift, double mix)
{
    double *a = malloc((size_t)d * d * sizeof *a), *z = malloc((size_t)d * sizeof *z);
    for (int i = 0; i < d * d; i++)
        a[i] = (i % (d + 1) == 0) + mix * mb_normal_at(seed + 1000, i);
    for (int i = 0; i < n; i++) {
        for (int j = 0; j < d; j++)
            z[j] = mb_normal_at(seed, (uint64_t)i * d + j);
        for (int j = 0; j < d; j++) {
            double acc = shift * (j % 3 == 0);
            for (int t = 0; t < d; t++)
                acc += a[j * d + t] * z[t];
            x[(size_t)i * d + j] = acc;
        }
    }
    free(a);
    free(z);
}

static void compare(mb_backend *be, const char *python, const char *dir, int n1, int n2, int d,
                    double shift, double mix)
{
    double *a = malloc((size_t)n1 * d * sizeof *a), *b = malloc((size_t)n2 * d * sizeof *b);
    make_features(a, n1, d, 100 + d, 0.0, mix);
    make_features(b, n2, d, 200 + d, shift, 0.7 * mix);
    char pa[512], pb[512], ps[512], cmd[2048];
    snprintf(pa, sizeof pa, "%s/a.f64", dir);
    snprintf(pb, sizeof pb, "%s/b.f64", dir);
    snprintf(ps, sizeof ps, "%s/fd.py", dir);
    FILE *f = fopen(ps, "w");
    CHECK(f && fputs(script, f) >= 0 && fclose(f) == 0, "writing %s", ps);
    CHECK(write_doubles(pa, a, (size_t)n1 * d) == 0 && write_doubles(pb, b, (size_t)n2 * d) == 0,
          "writing features to %s", dir);
    snprintf(cmd, sizeof cmd, "%s %s %s %s %d", python, ps, pa, pb, d);
    FILE *p = popen(cmd, "r");
    double want = NAN;
    CHECK(p && fscanf(p, "%lf", &want) == 1, "running %s", cmd);
    if (p)
        pclose(p);

    double *xa = be->alloc(be, (size_t)n1 * d * sizeof(double));
    double *xb = be->alloc(be, (size_t)n2 * d * sizeof(double));
    be->upload(be, xa, a, (size_t)n1 * d * sizeof(double));
    be->upload(be, xb, b, (size_t)n2 * d * sizeof(double));
    mb_gaussian_fit fa, fb;
    double got = NAN;
    CHECK(mb_gaussian_fit_features(be, xa, n1, d, 1, &fa) == MB_OK, "%s", mb_last_error());
    CHECK(mb_gaussian_fit_features(be, xb, n2, d, 0, &fb) == MB_OK, "%s", mb_last_error());
    CHECK(mb_frechet_distance(be, &fa, &fb, &got) == MB_OK, "%s", mb_last_error());
    char what[128];
    snprintf(what, sizeof what, "FD vs scipy (n %d/%d, d %d)", n1, n2, d);
    CHECK_CLOSE(got, want, 0, 1e-6, what);
    printf("%s: madbench %.12g scipy %.12g\n", what, got, want);
    mb_gaussian_fit_free(be, &fa);
    mb_gaussian_fit_free(be, &fb);
    be->free(be, xa);
    be->free(be, xb);
    free(a);
    free(b);
}

int main(void)
{
    const char *python = find_python();
    if (!python) {
        fprintf(stderr, "test_metrics_scipy: no python3 with numpy and scipy found "
                        "(expected Debian packages python3-numpy and python3-scipy: "
                        "apt-get install python3-scipy)\n");
        return 1;
    }
    char dir[] = "/tmp/mb_scipy_XXXXXX";
    if (!mkdtemp(dir)) {
        perror("mkdtemp");
        return 1;
    }
    mb_backend *be = mb_backend_cpu_create();
    compare(be, python, dir, 800, 700, 16, 0.5, 0.3);
    compare(be, python, dir, 1000, 1200, 64, 0.2, 0.15);
    compare(be, python, dir, 300, 300, 8, 0.0, 0.5);
    mb_backend_destroy(be);
    char cmd[600];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    if (system(cmd) != 0)
        fprintf(stderr, "could not remove %s\n", dir);
    return mb_test_finish("test_metrics_scipy");
}
