/* metrics/gaussian.c — Gaussian fits of feature sets in float64 and what is
 * computed from them: the Frechet distance, trace, log-determinant, effective
 * rank and Mahalanobis radii (tails). */
#include "mb_metrics.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

void mb_gaussian_fit_free(mb_backend *be, mb_gaussian_fit *fit)
{
    if (!fit)
        return;
    be->free(be, fit->mean);
    be->free(be, fit->cov);
    be->free(be, fit->evec);
    be->free(be, fit->sqrt_cov);
    be->free(be, fit->whiten);
    free(fit->eval);
    memset(fit, 0, sizeof *fit);
}

/* Eigen-decomposition of cov into evec / eval, then R = V diag(sqrt l+) V^T and
 * W = V diag(1/sqrt l) (0 for l below a relative tolerance: pseudo-inverse). */
static int finish_fit(mb_backend *be, mb_gaussian_fit *fit, int with_ref_parts)
{
    const int d = fit->d;
    const size_t dd = (size_t)d * d;
    fit->evec = be->alloc(be, dd * sizeof(double));
    double *w = be->alloc(be, (size_t)d * sizeof(double));
    fit->eval = mb_host_alloc((size_t)d * sizeof(double), "covariance eigenvalues");
    if (!fit->evec || !w || !fit->eval) {
        be->free(be, w);
        return MB_ENOMEM;
    }
    be->copy(be, fit->evec, fit->cov, dd * sizeof(double));
    int rc = be->syevd_f64(be, d, fit->evec, w);
    be->download(be, fit->eval, w, (size_t)d * sizeof(double));
    if (rc != MB_OK) {
        be->free(be, w);
        return rc;
    }
    if (with_ref_parts) {
        double *scale = malloc((size_t)d * sizeof *scale);
        double *tmp = be->alloc(be, dd * sizeof(double));
        fit->sqrt_cov = be->alloc(be, dd * sizeof(double));
        fit->whiten = be->alloc(be, dd * sizeof(double));
        if (!scale || !tmp || !fit->sqrt_cov || !fit->whiten) {
            free(scale);
            be->free(be, tmp);
            be->free(be, w);
            return mb_fail(MB_ENOMEM, "out of memory for the %dx%d reference covariance", d, d);
        }
        /* R = (V diag(l^1/4)) (V diag(l^1/4))^T is symmetric by construction. */
        for (int i = 0; i < d; i++)
            scale[i] = fit->eval[i] > 0 ? sqrt(sqrt(fit->eval[i])) : 0.0;
        be->upload(be, w, scale, (size_t)d * sizeof(double));
        be->copy(be, tmp, fit->evec, dd * sizeof(double));
        be->scale_columns_f64(be, tmp, d, d, w);
        be->gemm_f64(be, 0, 1, d, d, d, 1.0, tmp, d, tmp, d, 0.0, fit->sqrt_cov, d);
        /* whitening: eigenvalues below l_max * d * eps are treated as 0 */
        const double l_max = d ? fit->eval[d - 1] : 0.0;
        const double tol = l_max * d * 2.2e-16;
        for (int i = 0; i < d; i++)
            scale[i] = fit->eval[i] > tol ? 1.0 / sqrt(fit->eval[i]) : 0.0;
        be->upload(be, w, scale, (size_t)d * sizeof(double));
        be->copy(be, fit->whiten, fit->evec, dd * sizeof(double));
        be->scale_columns_f64(be, fit->whiten, d, d, w);
        be->synchronize(be);
        free(scale);
        be->free(be, tmp);
    }
    be->free(be, w);
    return MB_OK;
}

int mb_gaussian_fit_features(mb_backend *be, const double *x, int n, int d, int with_ref_parts,
                             mb_gaussian_fit *fit)
{
    memset(fit, 0, sizeof *fit);
    if (n < 2 || d < 1)
        return mb_fail(MB_EINPUT, "Gaussian fit: need at least 2 samples of dimension >= 1 "
                                  "(got %d samples of dimension %d)", n, d);
    if (n < d)
        mb_warn("covariance of %d samples in dimension %d is rank-deficient (N < d): "
                "the Frechet distance and log-determinant are biased; use more samples",
                n, d);
    fit->n = n;
    fit->d = d;
    const size_t nd = (size_t)n * d;
    fit->mean = be->alloc(be, (size_t)d * sizeof(double));
    fit->cov = be->alloc(be, (size_t)d * d * sizeof(double));
    double *centred = be->alloc(be, nd * sizeof(double));
    if (!fit->mean || !fit->cov || !centred) {
        be->free(be, centred);
        mb_gaussian_fit_free(be, fit);
        return MB_ENOMEM;
    }
    /* centre first, then S = Xc^T Xc / (n - 1): no one-pass sum of squares */
    be->column_means_f64(be, x, n, d, fit->mean);
    be->copy(be, centred, x, nd * sizeof(double));
    be->sub_row_f64(be, centred, n, d, fit->mean);
    be->gemm_f64(be, 1, 0, d, d, n, 1.0 / (n - 1), centred, d, centred, d, 0.0, fit->cov, d);
    be->symmetrize_f64(be, fit->cov, d);
    be->free(be, centred);
    int rc = finish_fit(be, fit, with_ref_parts);
    if (rc != MB_OK)
        mb_gaussian_fit_free(be, fit);
    return rc;
}

int mb_gaussian_fit_moments(mb_backend *be, int d, const double *mean_host,
                            const double *cov_host, int with_ref_parts, mb_gaussian_fit *fit)
{
    memset(fit, 0, sizeof *fit);
    fit->n = 0;
    fit->d = d;
    fit->mean = be->alloc(be, (size_t)d * sizeof(double));
    fit->cov = be->alloc(be, (size_t)d * d * sizeof(double));
    if (!fit->mean || !fit->cov) {
        mb_gaussian_fit_free(be, fit);
        return MB_ENOMEM;
    }
    be->upload(be, fit->mean, mean_host, (size_t)d * sizeof(double));
    be->upload(be, fit->cov, cov_host, (size_t)d * d * sizeof(double));
    int rc = finish_fit(be, fit, with_ref_parts);
    if (rc != MB_OK)
        mb_gaussian_fit_free(be, fit);
    return rc;
}

double mb_trace(const double *eval, int d)
{
    double t = 0;
    for (int i = 0; i < d; i++)
        t += eval[i];
    return t;
}

double mb_log_det(const double *eval, int d)
{
    double s = 0;
    for (int i = 0; i < d; i++) {
        if (!(eval[i] > 0))
            return -INFINITY;
        s += log(eval[i]);
    }
    return s;
}

double mb_effective_rank(const double *eval, int d)
{
    double total = 0;
    for (int i = 0; i < d; i++)
        total += eval[i] > 0 ? eval[i] : 0;
    if (!(total > 0))
        return 0.0;
    double h = 0;
    for (int i = 0; i < d; i++) {
        const double p = (eval[i] > 0 ? eval[i] : 0) / total;
        if (p > 0)
            h -= p * log(p);
    }
    return exp(h);
}

int mb_frechet_distance(mb_backend *be, const mb_gaussian_fit *ref, const mb_gaussian_fit *gen,
                        double *fd)
{
    const int d = ref->d;
    if (gen->d != d)
        return mb_fail(MB_EINPUT, "Frechet distance: feature dimensions differ (%d vs %d)", d,
                       gen->d);
    if (!ref->sqrt_cov)
        return mb_fail(MB_EINTERNAL, "Frechet distance: the reference fit has no square root");
    const size_t dd = (size_t)d * d;
    double *tmp = be->alloc(be, dd * sizeof(double));
    double *c = be->alloc(be, dd * sizeof(double));
    double *w = be->alloc(be, (size_t)d * sizeof(double));
    double *host = malloc((size_t)3 * d * sizeof *host);
    if (!tmp || !c || !w || !host) {
        be->free(be, tmp);
        be->free(be, c);
        be->free(be, w);
        free(host);
        return mb_fail(MB_ENOMEM, "out of memory for a %dx%d Frechet distance", d, d);
    }
    /* C = R S2 R, symmetrised: same eigenvalues as S1 S2, but symmetric */
    be->gemm_f64(be, 0, 0, d, d, d, 1.0, ref->sqrt_cov, d, gen->cov, d, 0.0, tmp, d);
    be->gemm_f64(be, 0, 0, d, d, d, 1.0, tmp, d, ref->sqrt_cov, d, 0.0, c, d);
    be->symmetrize_f64(be, c, d);
    int rc = be->syevd_f64(be, d, c, w);
    if (rc == MB_OK) {
        be->download(be, host, w, (size_t)d * sizeof(double));
        be->download(be, host + d, ref->mean, (size_t)d * sizeof(double));
        be->download(be, host + 2 * d, gen->mean, (size_t)d * sizeof(double));
        double tr_sqrt = 0, mean_term = 0;
        for (int i = 0; i < d; i++) {
            tr_sqrt += sqrt(host[i] > 0 ? host[i] : 0);
            const double diff = host[d + i] - host[2 * d + i];
            mean_term += diff * diff;
        }
        *fd = mean_term + mb_trace(ref->eval, d) + mb_trace(gen->eval, d) - 2 * tr_sqrt;
    }
    be->free(be, tmp);
    be->free(be, c);
    be->free(be, w);
    free(host);
    return rc;
}

int mb_mahalanobis_sq(mb_backend *be, const mb_gaussian_fit *ref, const double *x, int n,
                      double *r2)
{
    const int d = ref->d;
    if (!ref->whiten)
        return mb_fail(MB_EINTERNAL, "Mahalanobis radius: the reference fit has no whitening");
    const size_t nd = (size_t)n * d;
    double *centred = be->alloc(be, nd * sizeof(double));
    double *z = be->alloc(be, nd * sizeof(double));
    double *norms = be->alloc(be, (size_t)n * sizeof(double));
    int rc = MB_OK;
    if (!centred || !z || !norms) {
        rc = mb_fail(MB_ENOMEM, "out of memory for the Mahalanobis radii of %d samples", n);
    } else {
        /* r^2 = ||(x - mu) V diag(1/sqrt l)||^2 */
        be->copy(be, centred, x, nd * sizeof(double));
        be->sub_row_f64(be, centred, n, d, ref->mean);
        be->gemm_f64(be, 0, 0, n, d, d, 1.0, centred, d, ref->whiten, d, 0.0, z, d);
        be->row_sq_norms_f64(be, z, n, d, norms);
        be->download(be, r2, norms, (size_t)n * sizeof(double));
    }
    be->free(be, centred);
    be->free(be, z);
    be->free(be, norms);
    return rc;
}

static int cmp_double(const void *a, const void *b)
{
    const double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

double mb_quantile(const double *v, int n, double q)
{
    if (n <= 0)
        return NAN;
    double *s = malloc((size_t)n * sizeof *s);
    if (!s)
        return NAN;
    memcpy(s, v, (size_t)n * sizeof *s);
    qsort(s, (size_t)n, sizeof *s, cmp_double);
    const double pos = q * (n - 1);
    const int lo = (int)floor(pos);
    const int hi = lo + 1 < n ? lo + 1 : lo;
    const double out = s[lo] + (pos - lo) * (s[hi] - s[lo]);
    free(s);
    return out;
}
