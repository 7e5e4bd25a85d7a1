/* metrics/fdinf.c — FD-infinity (Chong & Forsyth 2020, "Effectively Unbiased FID
 * and Inception Score and where to find them", sec. 3): the Frechet distance is
 * biased in 1/N, so it is measured on random subsets of several sizes N_i, a line
 * FD = a + b / N is fitted by least squares and its intercept a (N -> infinity)
 * is reported. Subsets are nested prefixes of one seeded permutation. */
#include "mb_metrics.h"
#include "mb_philox.h"

#include <math.h>
#include <stdlib.h>

int mb_fd_infinity(mb_backend *be, const mb_gaussian_fit *ref, const double *x, int n, int d,
                   int points, uint64_t seed, double *fd_inf)
{
    const int n_min = n / 5 > 2 * d ? n / 5 : 2 * d;
    if (points < 2 || n_min >= n)
        return mb_fail(MB_EINPUT, "FD-infinity: needs at least 2 subset sizes between %d and "
                                  "%d samples (got %d points of %d samples in dimension %d)",
                       n_min, n, points, n, d);
    int *perm = malloc((size_t)n * sizeof *perm);
    double *inv_n = malloc((size_t)points * sizeof *inv_n);
    double *fd = malloc((size_t)points * sizeof *fd);
    int *idx = be->alloc(be, (size_t)n * sizeof(int));
    double *sub = be->alloc(be, (size_t)n * d * sizeof(double));
    int rc = MB_OK;
    if (!perm || !inv_n || !fd || !idx || !sub) {
        rc = mb_fail(MB_ENOMEM, "out of memory for FD-infinity of %d samples", n);
        goto done;
    }
    for (int i = 0; i < n; i++)
        perm[i] = i;
    for (int i = n - 1; i > 0; i--) {
        int j = (int)(mb_uniform_at(seed ^ 0xfd1full, (uint64_t)i) * (i + 1));
        j = j > i ? i : j;
        const int t = perm[i];
        perm[i] = perm[j];
        perm[j] = t;
    }
    be->upload(be, idx, perm, (size_t)n * sizeof(int));
    /* float64 rows moved as whole rows of mb_real */
    be->gather_rows(be, (mb_real *)sub, (const mb_real *)x, idx, n,
                    (size_t)d * sizeof(double) / sizeof(mb_real));
    for (int p = 0; p < points && rc == MB_OK; p++) {
        const int size = n_min + (int)((long long)(n - n_min) * p / (points - 1));
        mb_gaussian_fit fit;
        rc = mb_gaussian_fit_features(be, sub, size, d, 0, &fit);
        if (rc == MB_OK)
            rc = mb_frechet_distance(be, ref, &fit, &fd[p]);
        mb_gaussian_fit_free(be, &fit);
        inv_n[p] = 1.0 / size;
    }
    if (rc == MB_OK) { /* least squares FD = a + b x, x = 1/N */
        double mx = 0, my = 0, sxx = 0, sxy = 0;
        for (int p = 0; p < points; p++)
            mx += inv_n[p] / points, my += fd[p] / points;
        for (int p = 0; p < points; p++) {
            sxx += (inv_n[p] - mx) * (inv_n[p] - mx);
            sxy += (inv_n[p] - mx) * (fd[p] - my);
        }
        *fd_inf = my - sxy / sxx * mx;
    }
done:
    free(perm);
    free(inv_n);
    free(fd);
    be->free(be, idx);
    be->free(be, sub);
    return rc;
}
