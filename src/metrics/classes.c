/* metrics/classes.c — minority data and tails of a ground-truth attribute: the
 * judge's class histogram of a generation (entropy, smallest share, vanishing
 * classes, KL to the reference histogram; cf. Shumailov et al. 2024, where the
 * tails of the distribution vanish first) and the histogram of a measured
 * attribute of the shapes set with its share beyond mu +- 2 sigma of the real
 * distribution. Also the per-pixel variance of a set of images. */
#include "mb_metrics.h"

#include <math.h>
#include <stdlib.h>

int mb_class_histogram(const int *labels, int n, int n_classes, double *share)
{
    if (n_classes < 1 || n_classes > MB_METRICS_MAX_CLASSES)
        return mb_fail(MB_EINPUT, "class histogram: %d classes (expected 1..%d)", n_classes,
                       MB_METRICS_MAX_CLASSES);
    long long count[MB_METRICS_MAX_CLASSES] = {0};
    for (int i = 0; i < n; i++) {
        if (labels[i] < 0 || labels[i] >= n_classes)
            return mb_fail(MB_EINPUT, "class histogram: label %d of sample %d is outside "
                                      "0..%d", labels[i], i, n_classes - 1);
        count[labels[i]]++;
    }
    for (int c = 0; c < n_classes; c++)
        share[c] = n ? (double)count[c] / n : 0.0;
    return MB_OK;
}

void mb_class_stats_compute(const double *share, const double *ref_share, int n_classes,
                            double threshold, mb_class_stats *out)
{
    out->n_classes = n_classes;
    out->entropy = 0;
    out->min_share = n_classes ? share[0] : 0;
    out->n_below = 0;
    out->kl_to_ref = 0;
    for (int c = 0; c < n_classes; c++) {
        const double p = share[c];
        out->share[c] = p;
        if (p > 0)
            out->entropy -= p * log(p);
        if (p < out->min_share)
            out->min_share = p;
        out->n_below += p < threshold;
        if (ref_share && p > 0) /* KL(p || q), 0 log 0 = 0; infinite where q = 0 < p */
            out->kl_to_ref += ref_share[c] > 0 ? p * log(p / ref_share[c]) : INFINITY;
    }
}

/* Mean and std (N - 1) of the finite values of v; *n_ok = their number. */
static void moments(const float *v, int n, double *mean, double *std, int *n_ok)
{
    double s = 0;
    int m = 0;
    for (int i = 0; i < n; i++)
        if (isfinite(v[i])) {
            s += v[i];
            m++;
        }
    *mean = m ? s / m : 0;
    double ss = 0;
    for (int i = 0; i < n; i++)
        if (isfinite(v[i]))
            ss += (v[i] - *mean) * (v[i] - *mean);
    *std = m > 1 ? sqrt(ss / (m - 1)) : 0;
    *n_ok = m;
}

/* Shares of the finite values of v below lo and above hi, and of the values that
 * are not finite (malformed samples) among all n. */
static void tails(const float *v, int n, double lo, double hi, double *below, double *above,
                  double *malformed)
{
    long long b = 0, a = 0, m = 0;
    for (int i = 0; i < n; i++) {
        m += !isfinite(v[i]);
        b += isfinite(v[i]) && v[i] < lo;
        a += isfinite(v[i]) && v[i] > hi;
    }
    *below = n > m ? (double)b / (n - m) : NAN;
    *above = n > m ? (double)a / (n - m) : NAN;
    *malformed = n ? (double)m / n : NAN;
}

void mb_attr_stats_compute(const float *ref, int n_ref, const float *gen, int n_gen, int bins,
                           mb_attr_stats *out)
{
    if (bins < 1)
        bins = 1;
    if (bins > MB_METRICS_MAX_BINS)
        bins = MB_METRICS_MAX_BINS;
    out->bins = bins;
    int n_ok;
    moments(ref, n_ref, &out->ref_mean, &out->ref_std, &n_ok);
    const double sd = out->ref_std > 0 ? out->ref_std : 1.0;
    out->lo = out->ref_mean - 4 * sd;
    out->hi = out->ref_mean + 4 * sd;
    for (int b = 0; b < bins; b++)
        out->hist[b] = 0;
    long long n_gen_ok = 0;
    for (int i = 0; i < n_gen; i++)
        n_gen_ok += isfinite(gen[i]);
    for (int i = 0; i < n_gen; i++) {
        if (!isfinite(gen[i]))
            continue;
        int b = (int)floor((gen[i] - out->lo) / (out->hi - out->lo) * bins);
        b = b < 0 ? 0 : b >= bins ? bins - 1 : b;
        out->hist[b] += 1.0 / (double)n_gen_ok;
    }
    const double lo2 = out->ref_mean - 2 * out->ref_std, hi2 = out->ref_mean + 2 * out->ref_std;
    tails(gen, n_gen, lo2, hi2, &out->below_2sigma, &out->above_2sigma, &out->malformed);
    tails(ref, n_ref, lo2, hi2, &out->ref_below_2sigma, &out->ref_above_2sigma,
          &out->ref_malformed);
    out->beyond_2sigma = out->below_2sigma + out->above_2sigma;
    out->ref_beyond_2sigma = out->ref_below_2sigma + out->ref_above_2sigma;
}

int mb_pixel_variance(mb_backend *be, const float *images_host, int n, int pixels, double *out)
{
    if (n < 2)
        return mb_fail(MB_EINPUT, "per-pixel variance needs at least 2 images (got %d)", n);
    const size_t np = (size_t)n * pixels;
    mb_real *host = malloc(np * sizeof *host);
    mb_real *x = be->alloc(be, np * sizeof(mb_real));
    double *xd = be->alloc(be, np * sizeof(double));
    double *mean = be->alloc(be, (size_t)pixels * sizeof(double));
    double *norms = be->alloc(be, (size_t)n * sizeof(double));
    int rc = MB_OK;
    if (!host || !x || !xd || !mean || !norms) {
        rc = mb_fail(MB_ENOMEM, "out of memory for the per-pixel variance of %d images", n);
    } else {
        for (size_t i = 0; i < np; i++)
            host[i] = (mb_real)images_host[i];
        be->upload(be, x, host, np * sizeof(mb_real));
        be->to_f64(be, x, xd, np);
        be->column_means_f64(be, xd, n, pixels, mean);
        be->sub_row_f64(be, xd, n, pixels, mean);
        be->row_sq_norms_f64(be, xd, n, pixels, norms);
        *out = be->sum_f64(be, norms, (size_t)n, 0) / ((double)(n - 1) * pixels);
    }
    free(host);
    be->free(be, x);
    be->free(be, xd);
    be->free(be, mean);
    be->free(be, norms);
    return rc;
}
