/* metrics/vendi.c — the Vendi score (Friedman & Dieng 2023, "The Vendi Score: A
 * Diversity Evaluation Metric for Machine Learning", def. 3.1): the exponential of
 * the Shannon entropy of the eigenvalues of K / n, with the cosine kernel
 * K = X X^T for unit rows. K / n and X^T X / n share their non-zero eigenvalues,
 * so the d x d dual is decomposed when d < n. */
#include "mb_metrics.h"

#include <math.h>
#include <stdlib.h>

static double entropy_exp(const double *eval, int n)
{
    double h = 0;
    for (int i = 0; i < n; i++)
        if (eval[i] > 0) /* 0 log 0 = 0; rounding negatives are 0 */
            h -= eval[i] * log(eval[i]);
    return exp(h);
}

/* Vendi of a symmetric matrix already scaled by 1/n (backend, overwritten). */
static int vendi_of_scaled(mb_backend *be, double *a, int n, double *vendi)
{
    double *w = be->alloc(be, (size_t)n * sizeof(double));
    double *host = malloc((size_t)n * sizeof *host);
    int rc = MB_OK;
    if (!w || !host) {
        rc = mb_fail(MB_ENOMEM, "out of memory for a %dx%d Vendi eigenproblem", n, n);
    } else {
        be->symmetrize_f64(be, a, n);
        rc = be->syevd_f64(be, n, a, w);
        if (rc == MB_OK) {
            be->download(be, host, w, (size_t)n * sizeof(double));
            *vendi = entropy_exp(host, n);
        }
    }
    be->free(be, w);
    free(host);
    return rc;
}

int mb_vendi(mb_backend *be, const double *x, int n, int d, double *vendi)
{
    const int dim = d < n ? d : n;
    double *unit = be->alloc(be, (size_t)n * d * sizeof(double));
    double *a = be->alloc(be, (size_t)dim * dim * sizeof(double));
    int rc;
    if (!unit || !a) {
        rc = mb_fail(MB_ENOMEM, "out of memory for the Vendi score of %d x %d features", n, d);
    } else {
        be->copy(be, unit, x, (size_t)n * d * sizeof(double));
        be->normalize_rows_f64(be, unit, n, d);
        if (d < n) /* X^T X / n */
            be->gemm_f64(be, 1, 0, d, d, n, 1.0 / n, unit, d, unit, d, 0.0, a, d);
        else /* X X^T / n */
            be->gemm_f64(be, 0, 1, n, n, d, 1.0 / n, unit, d, unit, d, 0.0, a, n);
        rc = vendi_of_scaled(be, a, dim, vendi);
    }
    be->free(be, unit);
    be->free(be, a);
    return rc;
}

int mb_vendi_from_kernel(mb_backend *be, const double *k_host, int n, double *vendi)
{
    double *scaled = malloc((size_t)n * n * sizeof *scaled);
    double *a = be->alloc(be, (size_t)n * n * sizeof(double));
    int rc;
    if (!scaled || !a) {
        rc = mb_fail(MB_ENOMEM, "out of memory for a %dx%d kernel", n, n);
    } else {
        for (size_t i = 0; i < (size_t)n * n; i++)
            scaled[i] = k_host[i] / n;
        be->upload(be, a, scaled, (size_t)n * n * sizeof(double));
        rc = vendi_of_scaled(be, a, n, vendi);
    }
    free(scaled);
    be->free(be, a);
    return rc;
}
