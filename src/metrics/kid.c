/* metrics/kid.c — Kernel Inception Distance (Binkowski et al. 2018, "Demystifying
 * MMD GANs", eq. 3 and appendix): the unbiased MMD^2 estimate with the cubic
 * polynomial kernel k(x, y) = (x.y / d + 1)^3, averaged over random subsets of m
 * rows of each set, as torch-fidelity and clean-fid compute it. */
#include "mb_metrics.h"
#include "mb_philox.h"

#include <math.h>
#include <stdlib.h>

/* m distinct indices of 0..n-1: a partial Fisher-Yates shuffle driven by the
 * counter-based generator, so subsets depend only on (seed, subset). */
static void draw_subset(int *perm, int n, int m, uint64_t seed, uint64_t stream, int *out)
{
    for (int i = 0; i < n; i++)
        perm[i] = i;
    for (int i = 0; i < m; i++) {
        const double u = mb_uniform_at(seed, stream * 0x100000000ull + (uint64_t)i); /* (0,1] */
        int j = i + (int)((1.0 - u) * (n - i)); /* uniform in [i, n) */
        if (j >= n)
            j = n - 1;
        const int t = perm[i];
        perm[i] = perm[j];
        perm[j] = t;
        out[i] = perm[i];
    }
}

int mb_kid(mb_backend *be, const double *x, int n_x, const double *y, int n_y, int d,
           int subsets, int m, uint64_t seed, double *mean, double *std)
{
    if (m > n_x)
        m = n_x;
    if (m > n_y)
        m = n_y;
    if (m < 2 || subsets < 1)
        return mb_fail(MB_EINPUT, "KID: need subsets >= 1 of at least 2 samples (got %d "
                                  "subsets of %d from sets of %d and %d)", subsets, m, n_x, n_y);
    const size_t md = (size_t)m * d;
    const int max_n = n_x > n_y ? n_x : n_y;
    int *perm = malloc((size_t)max_n * sizeof *perm);
    int *idx_host = malloc((size_t)2 * m * sizeof *idx_host);
    double *values = malloc((size_t)subsets * sizeof *values);
    int *idx = be->alloc(be, (size_t)2 * m * sizeof(int));
    double *xs = be->alloc(be, md * sizeof(double));
    double *ys = be->alloc(be, md * sizeof(double));
    double *gram = be->alloc(be, (size_t)m * m * sizeof(double));
    int rc = MB_OK;
    if (!perm || !idx_host || !values || !idx || !xs || !ys || !gram) {
        rc = mb_fail(MB_ENOMEM, "out of memory for KID subsets of %d x %d", m, d);
        goto done;
    }
    /* gather_rows copies whole rows: a float64 row is d * 8 / sizeof(mb_real) reals */
    const size_t row_reals = (size_t)d * sizeof(double) / sizeof(mb_real);
    const double scale = 1.0 / d;
    for (int s = 0; s < subsets; s++) {
        draw_subset(perm, n_x, m, seed, 2 * (uint64_t)s, idx_host);
        draw_subset(perm, n_y, m, seed, 2 * (uint64_t)s + 1, idx_host + m);
        be->upload(be, idx, idx_host, (size_t)2 * m * sizeof(int));
        be->gather_rows(be, (mb_real *)xs, (const mb_real *)x, idx, m, row_reals);
        be->gather_rows(be, (mb_real *)ys, (const mb_real *)y, idx + m, m, row_reals);
        be->gemm_f64(be, 0, 1, m, m, d, 1.0, xs, d, xs, d, 0.0, gram, m);
        const double kxx = be->poly3_kernel_sum_f64(be, gram, m, m, scale, 1);
        be->gemm_f64(be, 0, 1, m, m, d, 1.0, ys, d, ys, d, 0.0, gram, m);
        const double kyy = be->poly3_kernel_sum_f64(be, gram, m, m, scale, 1);
        be->gemm_f64(be, 0, 1, m, m, d, 1.0, xs, d, ys, d, 0.0, gram, m);
        const double kxy = be->poly3_kernel_sum_f64(be, gram, m, m, scale, 0);
        values[s] = (kxx + kyy) / ((double)m * (m - 1)) - 2.0 * kxy / ((double)m * m);
    }
    double sum = 0;
    for (int s = 0; s < subsets; s++)
        sum += values[s];
    *mean = sum / subsets;
    double var = 0;
    for (int s = 0; s < subsets; s++)
        var += (values[s] - *mean) * (values[s] - *mean);
    *std = sqrt(var / subsets); /* population std, as torch-fidelity reports */
done:
    free(perm);
    free(idx_host);
    free(values);
    be->free(be, idx);
    be->free(be, xs);
    be->free(be, ys);
    be->free(be, gram);
    return rc;
}
