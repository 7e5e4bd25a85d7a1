/* test_metrics_ops.c — each metric operation of the CPU backend against a plain
 * loop on random inputs (the reference the CUDA backend's parity test compares
 * with), plus the thread-count independence of the reductions. */
#include "mb_backend.h"
#include "mb_philox.h"
#include "testutil.h"

#include <math.h>
#include <omp.h>
#include <stdlib.h>
#include <string.h>

static mb_backend *be;

static double *rnd(size_t n, uint64_t seed)
{
    double *x = malloc(n * sizeof *x);
    for (size_t i = 0; i < n; i++)
        x[i] = mb_normal_at(seed, i);
    return x;
}

static double *dev(const double *host, size_t n)
{
    double *d = be->alloc(be, n * sizeof *d);
    be->upload(be, d, host, n * sizeof *d);
    return d;
}

static double max_abs_diff(const double *a, const double *b, size_t n)
{
    double m = 0;
    for (size_t i = 0; i < n; i++)
        m = fmax(m, fabs(a[i] - b[i]));
    return m;
}

static int cmp_double(const void *a, const void *b)
{
    const double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

static void test_linear_algebra(void)
{
    const int m = 37, n = 29, k = 53;
    double *a = rnd((size_t)m * k, 1), *b = rnd((size_t)n * k, 2), *c = malloc(m * k * 8);
    double *want = malloc((size_t)m * n * 8);
    for (int i = 0; i < m; i++)
        for (int j = 0; j < n; j++) {
            double acc = 0;
            for (int t = 0; t < k; t++)
                acc += a[i * k + t] * b[j * k + t];
            want[i * n + j] = 2 * acc;
        }
    double *da = dev(a, (size_t)m * k), *db = dev(b, (size_t)n * k), *dc = be->alloc(be, m * k * 8); /* also holds [m, m] and [m, k] */
    be->gemm_f64(be, 0, 1, m, n, k, 2.0, da, k, db, k, 0.0, dc, n);
    be->download(be, c, dc, (size_t)m * n * 8);
    CHECK(max_abs_diff(c, want, (size_t)m * n) < 1e-12, "gemm_f64");

    /* sq_distances: max(|x|^2 - 2 x.y + |y|^2, 0) */
    double *xn = be->alloc(be, 64 * 8), *yn = be->alloc(be, n * 8), hn[64]; /* xn: m or k values */
    be->row_sq_norms_f64(be, da, m, k, xn);
    be->row_sq_norms_f64(be, db, n, k, yn);
    be->download(be, hn, xn, m * 8);
    double norm0 = 0;
    for (int t = 0; t < k; t++)
        norm0 += a[t] * a[t];
    CHECK_CLOSE(hn[0], norm0, 0, 1e-14, "row_sq_norms_f64");
    be->sq_distances_f64(be, m, n, k, da, db, xn, yn, dc);
    be->download(be, c, dc, (size_t)m * n * 8);
    double err = 0;
    for (int i = 0; i < m; i++)
        for (int j = 0; j < n; j++) {
            double acc = 0;
            for (int t = 0; t < k; t++)
                acc += (a[i * k + t] - b[j * k + t]) * (a[i * k + t] - b[j * k + t]);
            err = fmax(err, fabs(c[i * n + j] - acc));
        }
    CHECK(err < 1e-11, "sq_distances_f64 error %g", err);
    be->sq_distances_f64(be, m, m, k, da, da, xn, xn, dc);
    be->download(be, c, dc, (size_t)m * m * 8);
    int nonneg = 1;
    for (int i = 0; i < m * m; i++)
        nonneg &= c[i] >= 0;
    CHECK(nonneg && c[0] < 1e-10, "self distances clamped at 0 (%g)", c[0]);

    /* syevd: A V = V diag(w), ascending, orthonormal */
    const int d = 24;
    double *g = rnd((size_t)d * d, 3), *s = malloc(d * d * 8), *v = malloc(d * d * 8), w[24];
    for (int i = 0; i < d; i++)
        for (int j = 0; j < d; j++)
            s[i * d + j] = g[i * d + j] + g[j * d + i];
    double *ds = dev(s, (size_t)d * d), *dw = be->alloc(be, d * 8);
    CHECK(be->syevd_f64(be, d, ds, dw) == MB_OK, "%s", mb_last_error());
    be->download(be, v, ds, d * d * 8);
    be->download(be, w, dw, d * 8);
    double res = 0, orth = 0;
    int ascending = 1;
    for (int e = 0; e < d; e++) {
        ascending &= e == 0 || w[e - 1] <= w[e];
        for (int i = 0; i < d; i++) {
            double av = 0;
            for (int j = 0; j < d; j++)
                av += s[i * d + j] * v[j * d + e];
            res = fmax(res, fabs(av - w[e] * v[i * d + e]));
        }
        for (int f = 0; f < d; f++) {
            double dot = 0;
            for (int i = 0; i < d; i++)
                dot += v[i * d + e] * v[i * d + f];
            orth = fmax(orth, fabs(dot - (e == f)));
        }
    }
    CHECK(res < 1e-12 && orth < 1e-12 && ascending, "syevd_f64 residual %g, orthogonality %g",
          res, orth);
    double nan_m[4] = {NAN, 0, 0, 1};
    double *dn = dev(nan_m, 4);
    mb_clear_error();
    const int rc = be->syevd_f64(be, 2, dn, dw);
    CHECK(rc == MB_ENUMERIC || rc == MB_OK, "syevd on NaN returns a status");

    /* symmetrize, column means, sub_row, scale_columns, normalize_rows */
    be->upload(be, ds, g, d * d * 8);
    be->symmetrize_f64(be, ds, d);
    be->download(be, v, ds, d * d * 8);
    double asym = 0;
    for (int i = 0; i < d; i++)
        for (int j = 0; j < d; j++)
            asym = fmax(asym, fabs(v[i * d + j] - 0.5 * (g[i * d + j] + g[j * d + i])));
    CHECK(asym < 1e-15, "symmetrize_f64");
    double mean[53], hm[53];
    be->column_means_f64(be, da, m, k, xn);
    be->download(be, hm, xn, k * 8);
    for (int t = 0; t < k; t++) {
        mean[t] = 0;
        for (int i = 0; i < m; i++)
            mean[t] += a[i * k + t] / m;
    }
    CHECK(max_abs_diff(hm, mean, k) < 1e-14, "column_means_f64");
    be->sub_row_f64(be, da, m, k, xn);
    be->column_means_f64(be, da, m, k, xn);
    be->download(be, hm, xn, k * 8);
    double zero[53] = {0};
    CHECK(max_abs_diff(hm, zero, k) < 1e-14, "sub_row_f64 centres");
    for (int t = 0; t < k; t++)
        hm[t] = t;
    be->upload(be, xn, hm, k * 8);
    be->upload(be, da, a, (size_t)m * k * 8);
    be->scale_columns_f64(be, da, m, k, xn);
    be->download(be, c, da, (size_t)m * k * 8);
    CHECK(c[3 * k + 7] == a[3 * k + 7] * 7, "scale_columns_f64");
    be->upload(be, da, a, (size_t)m * k * 8);
    be->normalize_rows_f64(be, da, m, k);
    be->row_sq_norms_f64(be, da, m, k, xn);
    be->download(be, hm, xn, m * 8);
    double ones[64];
    for (int i = 0; i < m; i++)
        ones[i] = 1;
    CHECK(max_abs_diff(hm, ones, m) < 1e-14, "normalize_rows_f64");

    mb_real rx[5] = {1, -2, 3, 4, -5};
    double got[5];
    mb_real *drx = be->alloc(be, sizeof rx);
    be->upload(be, drx, rx, sizeof rx);
    be->to_f64(be, drx, ds, 5);
    be->download(be, got, ds, sizeof got);
    CHECK(got[4] == -5 && got[2] == 3, "to_f64");
    be->free(be, drx);
    free(a), free(b), free(c), free(want), free(g), free(s), free(v);
    be->free(be, da), be->free(be, db), be->free(be, dc), be->free(be, xn), be->free(be, yn);
    be->free(be, ds), be->free(be, dw), be->free(be, dn);
}

static void test_selection_and_counts(void)
{
    const int rows = 9, cols = 300;
    double *x = rnd((size_t)rows * cols, 5), *row = malloc(cols * 8), out[9];
    double *dx = dev(x, (size_t)rows * cols), *dout = be->alloc(be, rows * 8);
    const int ks[4] = {1, 6, 64, 150}; /* insertion (k <= 64) and quickselect paths */
    for (int q = 0; q < 4; q++) {
        be->row_kth_smallest_f64(be, dx, rows, cols, ks[q], dout);
        be->download(be, out, dout, rows * 8);
        int ok = 1;
        for (int i = 0; i < rows; i++) {
            memcpy(row, x + (size_t)i * cols, cols * 8);
            qsort(row, cols, 8, cmp_double);
            ok &= out[i] == row[ks[q] - 1];
        }
        CHECK(ok, "row_kth_smallest_f64 k = %d", ks[q]);
    }
    /* count_below: the four combinations */
    double radius_r[9], radius_c[300];
    for (int i = 0; i < rows; i++)
        radius_r[i] = 0.1 * i - 0.3;
    for (int j = 0; j < cols; j++)
        radius_c[j] = mb_normal_at(6, j);
    double *drr = dev(radius_r, rows), *drc = dev(radius_c, cols);
    int *counts = be->alloc(be, cols * sizeof(int)), hc[300];
    for (int mode = 0; mode < 4; mode++) {
        const int per_row_radius = mode & 1, per_row_count = mode >> 1;
        const int n_counts = per_row_count ? rows : cols;
        memset(hc, 0, sizeof hc);
        hc[0] = 5; /* counts accumulate */
        be->upload(be, counts, hc, n_counts * sizeof(int));
        be->count_below_f64(be, dx, rows, cols, per_row_radius ? drr : drc, per_row_radius,
                            counts, per_row_count);
        be->download(be, hc, counts, n_counts * sizeof(int));
        int want[300] = {0};
        want[0] = 5;
        for (int i = 0; i < rows; i++)
            for (int j = 0; j < cols; j++) {
                const double r = per_row_radius ? radius_r[i] : radius_c[j];
                want[per_row_count ? i : j] += x[(size_t)i * cols + j] < r;
            }
        CHECK(!memcmp(hc, want, n_counts * sizeof(int)), "count_below_f64 mode %d", mode);
    }
    /* poly3 kernel sums and sum_f64 */
    const int g = 40;
    double *gram = rnd((size_t)g * g, 7), *dg = dev(gram, (size_t)g * g);
    double with = 0, without = 0, plain = 0, roots = 0;
    for (int i = 0; i < g; i++)
        for (int j = 0; j < g; j++) {
            const double t = gram[i * g + j] * 0.25 + 1, v = t * t * t;
            with += v;
            without += i == j ? 0 : v;
            plain += gram[i * g + j];
            roots += sqrt(fmax(gram[i * g + j], 0));
        }
    CHECK_CLOSE(be->poly3_kernel_sum_f64(be, dg, g, g, 0.25, 0), with, 0, 1e-13, "poly3 sum");
    CHECK_CLOSE(be->poly3_kernel_sum_f64(be, dg, g, g, 0.25, 1), without, 0, 1e-13,
                "poly3 sum without diagonal");
    CHECK_CLOSE(be->sum_f64(be, dg, (size_t)g * g, 0), plain, 1e-12, 1e-12, "sum_f64");
    CHECK_CLOSE(be->sum_f64(be, dg, (size_t)g * g, 1), roots, 0, 1e-13, "sum_f64 sqrt");
    /* thread-count independence of the chunked sums */
    const size_t big = 1 << 20;
    double *hb = rnd(big, 8), *dbig = dev(hb, big);
    omp_set_num_threads(1);
    const double s1 = be->sum_f64(be, dbig, big, 1);
    omp_set_num_threads(2);
    const double s2 = be->sum_f64(be, dbig, big, 1);
    CHECK(s1 == s2, "sum_f64 identical for 1 and 2 threads: %.17g vs %.17g", s1, s2);
    free(x), free(row), free(gram), free(hb);
    be->free(be, dx), be->free(be, dout), be->free(be, drr), be->free(be, drc);
    be->free(be, counts), be->free(be, dg), be->free(be, dbig);
}

static void test_classifier_ops(void)
{
    const int rows = 6, classes = 4;
    mb_real z[24], dz[24];
    int labels[6] = {0, 1, 2, 3, 2, 1};
    for (int i = 0; i < 24; i++)
        z[i] = (mb_real)(2 * mb_normal_at(9, i));
    z[5 * 4 + 1] = z[5 * 4 + 2] = 50; /* a tie: argmax takes the first */
    mb_real *dzv = be->alloc(be, sizeof z), *ddz = be->alloc(be, sizeof dz);
    int *dl = be->alloc(be, sizeof labels), *dam = be->alloc(be, sizeof labels), am[6];
    double *acc = be->alloc(be, sizeof(double)), loss = 1.5;
    be->upload(be, dzv, z, sizeof z);
    be->upload(be, dl, labels, sizeof labels);
    be->upload(be, acc, &loss, sizeof loss);
    be->softmax_xent(be, dzv, dl, rows, classes, ddz, acc);
    be->download(be, dz, ddz, sizeof dz);
    be->download(be, &loss, acc, sizeof loss);
    double want = 0, grad_err = 0;
    for (int i = 0; i < rows; i++) {
        double mx = z[i * 4], sum = 0;
        for (int c = 1; c < classes; c++)
            mx = fmax(mx, z[i * 4 + c]);
        for (int c = 0; c < classes; c++)
            sum += exp(z[i * 4 + c] - mx);
        want += (log(sum) + mx - z[i * 4 + labels[i]]) / rows;
        for (int c = 0; c < classes; c++) {
            const double p = exp(z[i * 4 + c] - mx) / sum;
            grad_err = fmax(grad_err, fabs(dz[i * 4 + c] - (p - (c == labels[i])) / rows));
        }
    }
    CHECK_CLOSE(loss, 1.5 + want, 1e-5, 1e-5, "softmax_xent loss accumulates the batch mean");
    CHECK(grad_err < 1e-6, "softmax_xent gradient error %g", grad_err);
    be->argmax_rows(be, dzv, rows, classes, dam);
    be->download(be, am, dam, sizeof am);
    int ok = am[5] == 1;
    for (int i = 0; i < 5; i++) {
        int best = 0;
        for (int c = 1; c < classes; c++)
            best = z[i * 4 + c] > z[i * 4 + best] ? c : best;
        ok &= am[i] == best;
    }
    CHECK(ok, "argmax_rows (first on ties)");
    be->free(be, dzv), be->free(be, ddz), be->free(be, dl), be->free(be, dam), be->free(be, acc);
}

int main(void)
{
    be = mb_backend_cpu_create();
    if (!be) {
        fprintf(stderr, "%s\n", mb_last_error());
        return 1;
    }
    test_linear_algebra();
    test_selection_and_counts();
    test_classifier_ops();
    mb_backend_destroy(be);
    return mb_test_finish("test_metrics_ops");
}
