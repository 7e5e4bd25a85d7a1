/* test_metrics_closed_forms.c — every metric against a closed form computed here
 * (issue 4): Frechet distance, KID, precision/recall/density/coverage, Vendi,
 * tail shares, class and attribute statistics. */
#include "mb_metrics.h"
#include "mb_philox.h"
#include "testutil.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

static mb_backend *be;

static double fd_of_moments(int d, const double *mu1, const double *s1, const double *mu2,
                            const double *s2)
{
    mb_gaussian_fit a, b;
    double fd = NAN;
    CHECK(mb_gaussian_fit_moments(be, d, mu1, s1, 1, &a) == MB_OK, "%s", mb_last_error());
    CHECK(mb_gaussian_fit_moments(be, d, mu2, s2, 0, &b) == MB_OK, "%s", mb_last_error());
    CHECK(mb_frechet_distance(be, &a, &b, &fd) == MB_OK, "%s", mb_last_error());
    mb_gaussian_fit_free(be, &a);
    mb_gaussian_fit_free(be, &b);
    return fd;
}

/* n x d standard normals (seeded), scaled by `scale` and shifted by `shift`, as a
 * backend float64 array. */
static double *normal_features(int n, int d, uint64_t seed, double scale, double shift)
{
    double *host = malloc((size_t)n * d * sizeof *host);
    for (size_t i = 0; i < (size_t)n * d; i++)
        host[i] = shift + scale * mb_normal_at(seed, i);
    double *x = be->alloc(be, (size_t)n * d * sizeof(double));
    be->upload(be, x, host, (size_t)n * d * sizeof(double));
    free(host);
    return x;
}

static void test_fd(void)
{
    /* diagonal covariances: sum (mu1-mu2)^2 + sum (sqrt a - sqrt b)^2 */
    enum { D = 6 };
    double mu1[D], mu2[D], s1[D * D] = {0}, s2[D * D] = {0}, want = 0;
    for (int i = 0; i < D; i++) {
        mu1[i] = 0.3 * i;
        mu2[i] = 1.0 - 0.2 * i;
        const double a = 0.5 + i, b = 2.0 / (1 + i);
        s1[i * D + i] = a;
        s2[i * D + i] = b;
        want += (mu1[i] - mu2[i]) * (mu1[i] - mu2[i]) + (sqrt(a) - sqrt(b)) * (sqrt(a) - sqrt(b));
    }
    CHECK_CLOSE(fd_of_moments(D, mu1, s1, mu2, s2), want, 1e-12, 1e-12, "FD diagonal");

    /* FD(mu, S; mu, c^2 S) = (1 - c)^2 tr S for a full S = A A^T / D + I */
    double a[D * D], s[D * D], cs[D * D], tr = 0;
    for (int i = 0; i < D * D; i++)
        a[i] = mb_normal_at(7, i);
    for (int i = 0; i < D; i++)
        for (int j = 0; j < D; j++) {
            double acc = i == j;
            for (int k = 0; k < D; k++)
                acc += a[i * D + k] * a[j * D + k] / D;
            s[i * D + j] = acc;
            cs[i * D + j] = 0.49 * acc;
        }
    for (int i = 0; i < D; i++)
        tr += s[i * D + i];
    CHECK_CLOSE(fd_of_moments(D, mu1, s, mu1, cs), 0.09 * tr, 1e-12, 1e-10, "FD scaled cov");

    /* [[2,1],[1,2]] against I, equal means: 4 - 2 sqrt 3 */
    const double z2[2] = {0, 0}, sa[4] = {2, 1, 1, 2}, eye[4] = {1, 0, 0, 1};
    CHECK_CLOSE(fd_of_moments(2, z2, sa, z2, eye), 4 - 2 * sqrt(3.0), 1e-13, 1e-12, "FD 2x2");
    CHECK_CLOSE(fd_of_moments(2, z2, eye, z2, sa), 4 - 2 * sqrt(3.0), 1e-13, 1e-12,
                "FD 2x2 swapped");
    /* diag(4,1) vs [[2,1],[1,2]], mu (0,0) vs (1,2) */
    const double sb[4] = {4, 0, 0, 1}, m2[2] = {1, 2};
    CHECK_CLOSE(fd_of_moments(2, z2, sb, m2, sa), 5.771220447654342, 1e-12, 1e-12, "FD issue");
    CHECK_CLOSE(fd_of_moments(2, m2, sa, z2, sb), 5.771220447654342, 1e-12, 1e-12,
                "FD issue swapped");

    /* a sampled set against itself */
    const int n = 3000, d = 32;
    double *x = normal_features(n, d, 11, 1.5, 0.25);
    mb_gaussian_fit f1, f2;
    double fd = NAN;
    CHECK(mb_gaussian_fit_features(be, x, n, d, 1, &f1) == MB_OK, "%s", mb_last_error());
    CHECK(mb_gaussian_fit_features(be, x, n, d, 0, &f2) == MB_OK, "%s", mb_last_error());
    CHECK(mb_frechet_distance(be, &f1, &f2, &fd) == MB_OK, "%s", mb_last_error());
    CHECK(fabs(fd) < 1e-9, "FD of a set against itself: %g", fd);
    /* the sample covariance uses N - 1: check trace against a direct computation */
    double *host = malloc((size_t)n * d * sizeof *host), want_tr = 0;
    be->download(be, host, x, (size_t)n * d * sizeof(double));
    for (int j = 0; j < d; j++) {
        double m = 0, ss = 0;
        for (int i = 0; i < n; i++)
            m += host[(size_t)i * d + j];
        m /= n;
        for (int i = 0; i < n; i++)
            ss += (host[(size_t)i * d + j] - m) * (host[(size_t)i * d + j] - m);
        want_tr += ss / (n - 1);
    }
    CHECK_CLOSE(mb_trace(f1.eval, d), want_tr, 0, 1e-12, "covariance trace (N - 1)");
    CHECK_CLOSE(mb_effective_rank(f1.eval, d), d, 0, 0.05, "effective rank of isotropic set");
    free(host);
    mb_gaussian_fit_free(be, &f1);
    mb_gaussian_fit_free(be, &f2);
    be->free(be, x);

    /* FD-infinity: a sample of N(0, I) against the exact N(0, I): FD has a positive
     * bias of about d(d+1)/(2N) (FD(N) ~ a + b/N), FD-infinity removes it */
    {
        enum { DI = 8 };
        const int ns = 4000;
        double zero[DI] = {0}, eye8[DI * DI] = {0};
        for (int i = 0; i < DI; i++)
            eye8[i * DI + i] = 1;
        mb_gaussian_fit exact;
        CHECK(mb_gaussian_fit_moments(be, DI, zero, eye8, 1, &exact) == MB_OK, "%s",
              mb_last_error());
        double *s = normal_features(ns, DI, 81, 1.0, 0.0);
        mb_gaussian_fit fs;
        double fd_n = NAN, fd_inf = NAN;
        CHECK(mb_gaussian_fit_features(be, s, ns, DI, 0, &fs) == MB_OK, "%s", mb_last_error());
        CHECK(mb_frechet_distance(be, &exact, &fs, &fd_n) == MB_OK, "%s", mb_last_error());
        CHECK(mb_fd_infinity(be, &exact, s, ns, DI, 15, 5, &fd_inf) == MB_OK, "%s",
              mb_last_error());
        CHECK(fd_n > 0 && fabs(fd_inf) < fd_n, "FD-infinity %g nearer 0 than FD %g", fd_inf,
              fd_n);
        CHECK(mb_fd_infinity(be, &exact, s, 12, DI, 15, 5, &fd_inf) == MB_EINPUT,
              "FD-infinity refuses too few samples");
        mb_gaussian_fit_free(be, &fs);
        mb_gaussian_fit_free(be, &exact);
        be->free(be, s);
    }

    /* effective rank and log-det closed forms */
    const double ev[4] = {0, 1, 1, 2};
    CHECK_CLOSE(mb_effective_rank(ev, 4), exp(-(0.25 * log(0.25) * 2 + 0.5 * log(0.5))), 0,
                1e-14, "effective rank");
    const double ev2[3] = {1, 2, 4};
    CHECK_CLOSE(mb_log_det(ev2, 3), log(8.0), 0, 1e-14, "log-det");
    CHECK(isinf(mb_log_det(ev, 4)), "log-det of a singular covariance is -inf");
}

static double poly3(const double *u, const double *v, int d)
{
    double dot = 0;
    for (int i = 0; i < d; i++)
        dot += u[i] * v[i];
    const double t = dot / d + 1;
    return t * t * t;
}

static void test_kid(void)
{
    /* the same m points on both sides: (2/m)(mean off-diagonal k - mean diagonal k) */
    const int m = 200, d = 8;
    double *x = normal_features(m, d, 21, 1.0, 0.0);
    double *host = malloc((size_t)m * d * sizeof *host);
    be->download(be, host, x, (size_t)m * d * sizeof(double));
    double off = 0, diag = 0;
    for (int i = 0; i < m; i++)
        for (int j = 0; j < m; j++) {
            const double k = poly3(host + (size_t)i * d, host + (size_t)j * d, d);
            if (i == j)
                diag += k;
            else
                off += k;
        }
    const double want = 2.0 / m * (off / ((double)m * (m - 1)) - diag / m);
    double mean = NAN, std = NAN;
    CHECK(mb_kid(be, x, m, x, m, d, 5, m, 3, &mean, &std) == MB_OK, "%s", mb_last_error());
    CHECK_CLOSE(mean, want, 1e-14, 1e-10, "KID same points");
    CHECK(std < 1e-12 * fabs(want) + 1e-15, "KID same points: std %g", std);
    CHECK(want < 0, "KID of a set with itself is slightly negative: %g", want);

    /* shifted distributions: clearly positive; same distribution: near 0 */
    const int n = 1500;
    double *a = normal_features(n, d, 31, 1.0, 0.0);
    double *b = normal_features(n, d, 32, 1.0, 0.0);
    double *c = normal_features(n, d, 33, 1.0, 0.5);
    double same = NAN, shifted = NAN, s1, s2;
    CHECK(mb_kid(be, a, n, b, n, d, 20, 500, 1, &same, &s1) == MB_OK, "%s", mb_last_error());
    CHECK(mb_kid(be, a, n, c, n, d, 20, 500, 1, &shifted, &s2) == MB_OK, "%s", mb_last_error());
    CHECK(fabs(same) < 3 * s1 + 1e-3, "KID same distribution %g (std %g)", same, s1);
    CHECK(shifted > 10 * s2 && shifted > 0.01, "KID shifted %g (std %g)", shifted, s2);
    /* deterministic for a seed */
    double again, s3;
    CHECK(mb_kid(be, a, n, c, n, d, 20, 500, 1, &again, &s3) == MB_OK, "%s", mb_last_error());
    CHECK(again == shifted, "KID repeatable: %.17g vs %.17g", again, shifted);
    free(host);
    be->free(be, x);
    be->free(be, a);
    be->free(be, b);
    be->free(be, c);
}

/* Brute-force PRDC on host arrays (prdc's definitions), for comparison. */
static void prdc_brute(const double *r, int n, const double *f, int m, int d, int k,
                       mb_prdc *out)
{
    double *rad_r = malloc((size_t)n * sizeof *rad_r), *rad_f = malloc((size_t)m * sizeof *rad_f);
    double *row = malloc((size_t)(n > m ? n : m) * sizeof *row);
    const double *sets[2] = {r, f};
    const int sizes[2] = {n, m};
    double *rads[2] = {rad_r, rad_f};
    for (int s = 0; s < 2; s++)
        for (int i = 0; i < sizes[s]; i++) {
            for (int j = 0; j < sizes[s]; j++) {
                double acc = 0;
                for (int t = 0; t < d; t++) {
                    const double diff = sets[s][(size_t)i * d + t] - sets[s][(size_t)j * d + t];
                    acc += diff * diff;
                }
                row[j] = sqrt(acc);
            }
            /* (k+1)-th smallest by repeated minimum removal */
            for (int rep = 0; rep <= k; rep++) {
                int best = 0;
                for (int j = 1; j < sizes[s]; j++)
                    if (row[j] < row[best])
                        best = j;
                rads[s][i] = row[best];
                row[best] = INFINITY;
            }
        }
    long long prec = 0, dens = 0, rec = 0, cov = 0;
    for (int j = 0; j < m; j++) {
        int c = 0;
        for (int i = 0; i < n; i++) {
            double acc = 0;
            for (int t = 0; t < d; t++) {
                const double diff = r[(size_t)i * d + t] - f[(size_t)j * d + t];
                acc += diff * diff;
            }
            c += sqrt(acc) < rad_r[i];
        }
        prec += c > 0;
        dens += c;
    }
    for (int i = 0; i < n; i++) {
        int c1 = 0, c2 = 0;
        for (int j = 0; j < m; j++) {
            double acc = 0;
            for (int t = 0; t < d; t++) {
                const double diff = r[(size_t)i * d + t] - f[(size_t)j * d + t];
                acc += diff * diff;
            }
            c1 += sqrt(acc) < rad_f[j];
            c2 += sqrt(acc) < rad_r[i];
        }
        rec += c1 > 0;
        cov += c2 > 0;
    }
    out->precision = (double)prec / m;
    out->recall = (double)rec / n;
    out->density = (double)dens / ((double)k * m);
    out->coverage = (double)cov / n;
    free(rad_r);
    free(rad_f);
    free(row);
}

static void test_prdc(void)
{
    const int n = 600, m = 500, d = 5, k = 5;
    double *x = normal_features(n, d, 41, 1.0, 0.0);
    double *y = normal_features(m, d, 42, 0.8, 0.3);
    double *rx = be->alloc(be, n * sizeof(double)), *ry = be->alloc(be, m * sizeof(double));
    double mean_dist = NAN;
    mb_prdc p;
    CHECK(mb_knn_sq_radii(be, x, n, d, k, rx, &mean_dist) == MB_OK, "%s", mb_last_error());
    /* identical sets without duplicates: all exactly 1 */
    CHECK(mb_prdc_compute(be, x, n, rx, x, n, rx, d, k, &p, NULL, NULL, NULL) == MB_OK, "%s", mb_last_error());
    CHECK(p.precision == 1 && p.recall == 1 && p.density == 1 && p.coverage == 1,
          "PRDC identical sets: %.17g %.17g %.17g %.17g", p.precision, p.recall, p.density,
          p.coverage);
    /* against a brute-force implementation of prdc's definitions */
    CHECK(mb_knn_sq_radii(be, y, m, d, k, ry, NULL) == MB_OK, "%s", mb_last_error());
    CHECK(mb_prdc_compute(be, x, n, rx, y, m, ry, d, k, &p, NULL, NULL, NULL) == MB_OK, "%s", mb_last_error());
    double *hx = malloc((size_t)n * d * sizeof *hx), *hy = malloc((size_t)m * d * sizeof *hy);
    be->download(be, hx, x, (size_t)n * d * sizeof(double));
    be->download(be, hy, y, (size_t)m * d * sizeof(double));
    mb_prdc want;
    prdc_brute(hx, n, hy, m, d, k, &want);
    CHECK_CLOSE(p.precision, want.precision, 0, 1e-15, "precision vs brute force");
    CHECK_CLOSE(p.recall, want.recall, 0, 1e-15, "recall vs brute force");
    CHECK_CLOSE(p.density, want.density, 0, 1e-15, "density vs brute force");
    CHECK_CLOSE(p.coverage, want.coverage, 0, 1e-15, "coverage vs brute force");
    CHECK(p.precision > 0.5 && p.precision < 1 && p.recall < p.precision,
          "narrower generated set: precision %g > recall %g", p.precision, p.recall);
    /* mean pairwise distance against brute force */
    double sum = 0;
    for (int i = 0; i < n; i++)
        for (int j = 0; j < n; j++) {
            double acc = 0;
            for (int t = 0; t < d; t++) {
                const double diff = hx[(size_t)i * d + t] - hx[(size_t)j * d + t];
                acc += diff * diff;
            }
            sum += sqrt(acc);
        }
    CHECK_CLOSE(mean_dist, sum / ((double)n * (n - 1)), 0, 1e-9, "mean pairwise distance");
    free(hx);
    free(hy);
    be->free(be, x);
    be->free(be, y);
    be->free(be, rx);
    be->free(be, ry);
}

static void test_vendi(void)
{
    /* n identical points: 1 */
    const int n = 50, d = 7;
    double *host = malloc((size_t)n * d * sizeof *host);
    for (int i = 0; i < n; i++)
        for (int j = 0; j < d; j++)
            host[(size_t)i * d + j] = 1.0 + j;
    double *x = be->alloc(be, (size_t)n * d * sizeof(double));
    be->upload(be, x, host, (size_t)n * d * sizeof(double));
    double v = NAN;
    CHECK(mb_vendi(be, x, n, d, &v) == MB_OK, "%s", mb_last_error());
    CHECK_CLOSE(v, 1.0, 1e-9, 0, "Vendi identical points");
    be->free(be, x);
    /* n orthonormal points: n (both the primal n <= d and the dual d < n routes) */
    const int q = 6;
    double e[6 * 6] = {0};
    for (int i = 0; i < q; i++)
        e[i * q + i] = 2.5; /* scale does not matter for the cosine kernel */
    x = be->alloc(be, sizeof e);
    be->upload(be, x, e, sizeof e);
    CHECK(mb_vendi(be, x, q, q, &v) == MB_OK, "%s", mb_last_error());
    CHECK_CLOSE(v, q, 1e-9, 0, "Vendi orthonormal points");
    CHECK(mb_vendi(be, x, q, q - 1, &v) == MB_OK, "%s", mb_last_error()); /* rows of width 5 */
    be->free(be, x);
    /* the kernel */
    const double k[9] = {1, .9, 0, .9, 1, 0, 0, 0, 1};
    CHECK(mb_vendi_from_kernel(be, k, 3, &v) == MB_OK, "%s", mb_last_error());
    CHECK_CLOSE(v, 2.1573, 5e-5, 0, "Vendi of K = [[1,.9,0],[.9,1,0],[0,0,1]]");
    /* dual route equals the primal one: random points, d < n */
    const int nn = 40, dd = 5;
    double *y = normal_features(nn, dd, 51, 1.0, 0.2);
    double *hy = malloc((size_t)nn * dd * sizeof *hy), *kk = malloc((size_t)nn * nn * sizeof *kk);
    be->download(be, hy, y, (size_t)nn * dd * sizeof(double));
    for (int i = 0; i < nn; i++)
        for (int j = 0; j < nn; j++) {
            double dot = 0, ni = 0, nj = 0;
            for (int t = 0; t < dd; t++) {
                dot += hy[i * dd + t] * hy[j * dd + t];
                ni += hy[i * dd + t] * hy[i * dd + t];
                nj += hy[j * dd + t] * hy[j * dd + t];
            }
            kk[i * nn + j] = dot / sqrt(ni * nj);
        }
    double primal = NAN, dual = NAN;
    CHECK(mb_vendi_from_kernel(be, kk, nn, &primal) == MB_OK, "%s", mb_last_error());
    CHECK(mb_vendi(be, y, nn, dd, &dual) == MB_OK, "%s", mb_last_error());
    CHECK_CLOSE(dual, primal, 0, 1e-9, "Vendi dual vs primal");
    free(hy);
    free(kk);
    be->free(be, y);
    free(host);
}

static void test_tails(void)
{
    const int n = 20000, d = 8;
    double *x = normal_features(n, d, 61, 1.0, 0.0);
    double *y = normal_features(n, d, 62, 1.0, 0.0);
    mb_gaussian_fit fit;
    CHECK(mb_gaussian_fit_features(be, x, n, d, 1, &fit) == MB_OK, "%s", mb_last_error());
    double *rx = malloc((size_t)n * sizeof *rx), *ry = malloc((size_t)n * sizeof *ry);
    CHECK(mb_mahalanobis_sq(be, &fit, x, n, rx) == MB_OK, "%s", mb_last_error());
    CHECK(mb_mahalanobis_sq(be, &fit, y, n, ry) == MB_OK, "%s", mb_last_error());
    const double q95 = mb_quantile(rx, n, 0.95), q99 = mb_quantile(rx, n, 0.99);
    /* chi-square(8) quantiles: 15.507 and 20.090 */
    CHECK_CLOSE(q95, 15.507, 0.6, 0, "95th percentile of r^2");
    CHECK_CLOSE(q99, 20.090, 1.2, 0, "99th percentile of r^2");
    int self95 = 0, b95 = 0, b99 = 0;
    for (int i = 0; i < n; i++) {
        self95 += rx[i] > q95;
        b95 += ry[i] > q95;
        b99 += ry[i] > q99;
    }
    CHECK_CLOSE((double)self95 / n, 0.05, 1e-4, 0, "own tail share");
    CHECK_CLOSE((double)b95 / n, 0.05, 0.006, 0, "tail share beyond p95");
    CHECK_CLOSE((double)b99 / n, 0.01, 0.003, 0, "tail share beyond p99");
    /* a collapsed (narrower) set has fewer samples in the tails */
    double *z = normal_features(n, d, 63, 0.7, 0.0);
    CHECK(mb_mahalanobis_sq(be, &fit, z, n, ry) == MB_OK, "%s", mb_last_error());
    int c95 = 0;
    for (int i = 0; i < n; i++)
        c95 += ry[i] > q95;
    CHECK((double)c95 / n < 0.01, "narrow set tail share %g", (double)c95 / n);
    const double v[5] = {5, 1, 4, 2, 3};
    CHECK_CLOSE(mb_quantile(v, 5, 0.9), 4.6, 1e-14, 0, "quantile interpolation");
    free(rx);
    free(ry);
    mb_gaussian_fit_free(be, &fit);
    be->free(be, x);
    be->free(be, y);
    be->free(be, z);
}

static void test_classes_and_attrs(void)
{
    const int labels[10] = {0, 0, 0, 0, 1, 1, 1, 2, 2, 0};
    double share[3], ref[3] = {0.4, 0.4, 0.2};
    CHECK(mb_class_histogram(labels, 10, 3, share) == MB_OK, "%s", mb_last_error());
    CHECK(share[0] == 0.5 && share[1] == 0.3 && share[2] == 0.2, "histogram");
    mb_class_stats s;
    mb_class_stats_compute(share, ref, 3, 0.25, &s);
    CHECK_CLOSE(s.entropy, -(0.5 * log(0.5) + 0.3 * log(0.3) + 0.2 * log(0.2)), 0, 1e-14,
                "class entropy");
    CHECK(s.min_share == 0.2 && s.n_below == 1, "min share %g, below %d", s.min_share, s.n_below);
    CHECK_CLOSE(s.kl_to_ref, 0.5 * log(0.5 / 0.4) + 0.3 * log(0.3 / 0.4), 0, 1e-14, "class KL");
    const int bad[2] = {0, 3};
    CHECK(mb_class_histogram(bad, 2, 3, share) == MB_EINPUT, "label out of range refused");

    /* attribute: N(10, 2) reference; a set squeezed to the middle loses the tails */
    const int n = 20000;
    float *r = malloc(n * sizeof *r), *g = malloc(n * sizeof *g);
    for (int i = 0; i < n; i++) {
        r[i] = (float)(10 + 2 * mb_normal_at(71, i));
        g[i] = (float)(10 + 1 * mb_normal_at(72, i));
    }
    mb_attr_stats a;
    mb_attr_stats_compute(r, n, r, n, 20, &a);
    CHECK_CLOSE(a.beyond_2sigma, 0.0455, 0.005, 0, "reference share beyond 2 sigma");
    double total = 0;
    for (int b = 0; b < a.bins; b++)
        total += a.hist[b];
    CHECK_CLOSE(total, 1.0, 1e-9, 0, "histogram sums to 1");
    CHECK_CLOSE(a.below_2sigma, 0.02275, 0.003, 0, "reference share below mu - 2 sigma");
    CHECK_CLOSE(a.above_2sigma, 0.02275, 0.003, 0, "reference share above mu + 2 sigma");
    CHECK(a.malformed == 0, "no malformed reference sample: %g", a.malformed);
    mb_attr_stats_compute(r, n, g, n, 20, &a);
    CHECK(a.beyond_2sigma < 0.001, "squeezed attribute beyond 2 sigma: %g", a.beyond_2sigma);
    /* shifted by +1 sigma: upper tail 1 - Phi(1) = 0.1587, lower Phi(-3) = 0.00135;
     * a quarter of the samples malformed (NaN) and far-away junk values in them
     * change neither the histogram's total nor the tails */
    for (int i = 0; i < n; i++)
        g[i] = i % 4 == 0 ? NAN : (float)(12 + 2 * mb_normal_at(73, i));
    mb_attr_stats_compute(r, n, g, n, 20, &a);
    CHECK_CLOSE(a.above_2sigma, 0.1587, 0.01, 0, "shifted: upper tail");
    CHECK_CLOSE(a.below_2sigma, 0.00135, 0.001, 0, "shifted: lower tail");
    CHECK_CLOSE(a.malformed, 0.25, 1e-12, 0, "malformed share");
    CHECK_CLOSE(a.ref_below_2sigma, 0.02275, 0.003, 0, "reference lower tail beside it");
    total = 0;
    for (int b = 0; b < a.bins; b++)
        total += a.hist[b];
    CHECK_CLOSE(total, 1.0, 1e-9, 0, "histogram of the well-formed samples sums to 1");
    free(r);
    free(g);

    /* per-pixel variance: two images 0 and 1 everywhere -> variance 0.5 */
    float img[8] = {0, 0, 0, 0, 1, 1, 1, 1};
    double pv = NAN;
    CHECK(mb_pixel_variance(be, img, 2, 4, &pv) == MB_OK, "%s", mb_last_error());
    CHECK_CLOSE(pv, 0.5, 1e-15, 0, "per-pixel variance");
}

int main(void)
{
    be = mb_backend_cpu_create();
    if (!be) {
        fprintf(stderr, "%s\n", mb_last_error());
        return 1;
    }
    test_fd();
    test_kid();
    test_prdc();
    test_vendi();
    test_tails();
    test_classes_and_attrs();
    mb_backend_destroy(be);
    return mb_test_finish("test_metrics_closed_forms");
}
