/* metrics/suite.c — every statistic of a generation against the reference set.
 * The reference's part of each metric (Gaussian fit and its square root and
 * whitening, k-NN radii and inliers, Mahalanobis percentiles, class histogram) is computed
 * once in mb_metrics_ref_create; mb_metrics_compare then costs one pass per
 * generated set. */
#include "mb_metrics.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

struct mb_metrics_ref {
    mb_backend *be;
    mb_metrics_options opt;
    int n, d;
    double *x;          /* backend [n, d] float64 features */
    mb_gaussian_fit fit;
    double *sq_radius;  /* backend [n]: k-NN radii */
    double *inlier_sq_radius; /* backend [n]: k-NN radii of the inliers, -1 for outliers */
    double mean_dist, vendi;
    double r2_q95, r2_q99;
    double radius_hi;   /* tail figure: 1.5 x the 99.9th percentile of the radius */
    double radius_hist[MB_METRICS_RADIUS_BINS];
    int n_classes;
    double class_share[MB_METRICS_MAX_CLASSES];
    float *attr;        /* host [n] or NULL */
};

void mb_metrics_options_default(mb_metrics_options *opt)
{
    opt->prdc_k = 5;
    opt->kid_subsets = 100;
    opt->kid_subset_size = 1000;
    opt->seed = 1234;
    opt->class_threshold = 0.01;
    opt->attr_bins = 20;
    opt->fd_inf_points = 0;
}

static double *to_f64_copy(mb_backend *be, const mb_real *features, int n, int d)
{
    double *x = be->alloc(be, (size_t)n * d * sizeof(double));
    if (x)
        be->to_f64(be, features, x, (size_t)n * d);
    return x;
}

/* Shares of the radii sqrt(r2[i]) in MB_METRICS_RADIUS_BINS bins over [0, hi);
 * larger radii count in the last bin. */
static void radius_histogram(const double *r2, int n, double hi, double *hist)
{
    for (int b = 0; b < MB_METRICS_RADIUS_BINS; b++)
        hist[b] = 0;
    for (int i = 0; i < n && hi > 0; i++) {
        const double b = floor(sqrt(fmax(r2[i], 0)) / hi * MB_METRICS_RADIUS_BINS);
        hist[b < MB_METRICS_RADIUS_BINS - 1 ? (int)b : MB_METRICS_RADIUS_BINS - 1] += 1.0 / n;
    }
}

void mb_metrics_ref_destroy(mb_metrics_ref *ref)
{
    if (!ref)
        return;
    mb_backend *be = ref->be;
    be->free(be, ref->x);
    be->free(be, ref->sq_radius);
    be->free(be, ref->inlier_sq_radius);
    mb_gaussian_fit_free(be, &ref->fit);
    free(ref->attr);
    free(ref);
}

/* The reference from x [n, d] (backend float64), which it takes over. */
static int ref_create(mb_metrics_ref **out, mb_backend *be, double *x, int n, int d,
                      const int *labels, int n_classes, const float *attr,
                      const mb_metrics_options *opt)
{
    *out = NULL;
    if (opt->prdc_k < 1 || opt->prdc_k >= n) {
        be->free(be, x);
        return mb_fail(MB_EINPUT, "metrics: k = %d for precision/recall needs a reference set "
                                  "of more than k samples (got %d)", opt->prdc_k, n);
    }
    mb_metrics_ref *ref = calloc(1, sizeof *ref);
    if (!ref) {
        be->free(be, x);
        return mb_fail(MB_ENOMEM, "out of memory for the metrics reference");
    }
    ref->be = be;
    ref->opt = *opt;
    ref->n = n;
    ref->d = d;
    int rc = MB_OK;
    double *r2 = malloc((size_t)n * sizeof *r2);
    ref->x = x;
    ref->sq_radius = be->alloc(be, (size_t)n * sizeof(double));
    ref->inlier_sq_radius = be->alloc(be, (size_t)n * sizeof(double));
    if (!r2 || !ref->x || !ref->sq_radius || !ref->inlier_sq_radius) {
        rc = mb_fail(MB_ENOMEM, "out of memory for %d reference features of dimension %d", n, d);
        goto fail;
    }
    if ((rc = mb_gaussian_fit_features(be, ref->x, n, d, 1, &ref->fit)) != MB_OK)
        goto fail;
    if ((rc = mb_knn_sq_radii(be, ref->x, n, d, opt->prdc_k, ref->sq_radius,
                              &ref->mean_dist)) != MB_OK)
        goto fail;
    if ((rc = mb_knn_inlier_sq_radii(be, ref->x, n, d, ref->sq_radius, 1,
                                     ref->inlier_sq_radius)) != MB_OK)
        goto fail;
    if ((rc = mb_vendi(be, ref->x, n, d, &ref->vendi)) != MB_OK)
        goto fail;
    if ((rc = mb_mahalanobis_sq(be, &ref->fit, ref->x, n, r2)) != MB_OK)
        goto fail;
    ref->r2_q95 = mb_quantile(r2, n, 0.95);
    ref->r2_q99 = mb_quantile(r2, n, 0.99);
    ref->radius_hi = 1.5 * sqrt(fmax(mb_quantile(r2, n, 0.999), 0));
    radius_histogram(r2, n, ref->radius_hi, ref->radius_hist);
    if (labels && n_classes > 0) {
        if ((rc = mb_class_histogram(labels, n, n_classes, ref->class_share)) != MB_OK)
            goto fail;
        ref->n_classes = n_classes;
    }
    if (attr) {
        ref->attr = malloc((size_t)n * sizeof *ref->attr);
        if (!ref->attr) {
            rc = mb_fail(MB_ENOMEM, "out of memory for reference attributes");
            goto fail;
        }
        memcpy(ref->attr, attr, (size_t)n * sizeof *attr);
    }
    free(r2);
    *out = ref;
    return MB_OK;
fail:
    free(r2);
    mb_metrics_ref_destroy(ref);
    return rc;
}

/* The comparison of x [n, d] (backend float64, freed here). */
static int compare(mb_metrics_ref *ref, double *x, int n, const int *labels, const float *attr,
                   mb_metrics_result *r)
{
    mb_backend *be = ref->be;
    const int d = ref->d, k = ref->opt.prdc_k;
    const double t0 = mb_now_seconds();
    memset(r, 0, sizeof *r);
    r->n_ref = ref->n;
    r->n_gen = n;
    r->dim = d;
    r->prdc_k = k;
    if (k >= n) {
        be->free(be, x);
        return mb_fail(MB_EINPUT, "metrics: k = %d for precision/recall needs a generated set "
                                  "of more than k samples (got %d)", k, n);
    }
    mb_gaussian_fit fit = {0};
    double *sq_radius = be->alloc(be, (size_t)n * sizeof(double));
    double *r2 = malloc((size_t)n * sizeof *r2);
    unsigned char *inside = malloc((size_t)n);
    unsigned char *inside_inlier = malloc((size_t)n);
    int rc = MB_OK;
    if (!x || !sq_radius || !r2 || !inside || !inside_inlier) {
        rc = mb_fail(MB_ENOMEM, "out of memory for %d generated features of dimension %d", n, d);
        goto done;
    }
    if ((rc = mb_gaussian_fit_features(be, x, n, d, 0, &fit)) != MB_OK)
        goto done;
    if ((rc = mb_frechet_distance(be, &ref->fit, &fit, &r->fd)) != MB_OK)
        goto done;
    r->fd_inf = NAN;
    if (ref->opt.fd_inf_points > 1 &&
        (rc = mb_fd_infinity(be, &ref->fit, x, n, d, ref->opt.fd_inf_points, ref->opt.seed,
                             &r->fd_inf)) != MB_OK)
        goto done;
    r->kid_subsets = ref->opt.kid_subsets;
    r->kid_subset_size = ref->opt.kid_subset_size;
    if (r->kid_subset_size > n)
        r->kid_subset_size = n;
    if (r->kid_subset_size > ref->n)
        r->kid_subset_size = ref->n;
    if ((rc = mb_kid(be, ref->x, ref->n, x, n, d, ref->opt.kid_subsets,
                     ref->opt.kid_subset_size, ref->opt.seed, &r->kid_mean, &r->kid_std)) != MB_OK)
        goto done;
    if ((rc = mb_knn_sq_radii(be, x, n, d, k, sq_radius, &r->mean_pairwise_dist)) != MB_OK)
        goto done;
    if ((rc = mb_prdc_compute(be, ref->x, ref->n, ref->sq_radius, x, n, sq_radius, d, k,
                              &r->prdc, inside, ref->inlier_sq_radius, inside_inlier)) != MB_OK)
        goto done;
    if ((rc = mb_vendi(be, x, n, d, &r->vendi)) != MB_OK)
        goto done;
    r->effective_rank = mb_effective_rank(fit.eval, d);
    r->cov_trace = mb_trace(fit.eval, d);
    r->cov_log_det = mb_log_det(fit.eval, d);
    r->ref_vendi = ref->vendi;
    r->ref_mean_pairwise_dist = ref->mean_dist;
    r->ref_effective_rank = mb_effective_rank(ref->fit.eval, d);
    r->ref_cov_trace = mb_trace(ref->fit.eval, d);
    r->ref_cov_log_det = mb_log_det(ref->fit.eval, d);
    if ((rc = mb_mahalanobis_sq(be, &ref->fit, x, n, r2)) != MB_OK)
        goto done;
    /* Raw tails count every far sample. The on-manifold tails count only samples
     * inside the ball of a real inlier (precision's test without the balls of real
     * outliers, which reach into empty space) and, where a measurer judges the
     * shapes (attr), never a malformed one: junk raises off_manifold or malformed,
     * not the tail. */
    long long beyond95 = 0, beyond99 = 0, on95 = 0, on99 = 0, off = 0;
    for (int i = 0; i < n; i++) {
        const int on = inside_inlier[i] && !(attr && !isfinite(attr[i]));
        beyond95 += r2[i] > ref->r2_q95;
        beyond99 += r2[i] > ref->r2_q99;
        on95 += on && r2[i] > ref->r2_q95;
        on99 += on && r2[i] > ref->r2_q99;
        off += !inside[i];
    }
    r->tail95 = (double)beyond95 / n;
    r->tail99 = (double)beyond99 / n;
    r->tail95_on = (double)on95 / n;
    r->tail99_on = (double)on99 / n;
    r->off_manifold = (double)off / n;
    r->radius_bins = MB_METRICS_RADIUS_BINS;
    r->radius_hi = ref->radius_hi;
    radius_histogram(r2, n, ref->radius_hi, r->radius_hist);
    memcpy(r->ref_radius_hist, ref->radius_hist, sizeof ref->radius_hist);
    if (labels && ref->n_classes > 0) {
        double share[MB_METRICS_MAX_CLASSES];
        if ((rc = mb_class_histogram(labels, n, ref->n_classes, share)) != MB_OK)
            goto done;
        r->has_classes = 1;
        mb_class_stats_compute(share, ref->class_share, ref->n_classes,
                               ref->opt.class_threshold, &r->classes);
        mb_class_stats_compute(ref->class_share, ref->class_share, ref->n_classes,
                               ref->opt.class_threshold, &r->ref_classes);
    }
    if (attr && ref->attr) {
        r->has_attr = 1;
        mb_attr_stats_compute(ref->attr, ref->n, attr, n, ref->opt.attr_bins, &r->attr);
        mb_attr_stats ref_attr;
        mb_attr_stats_compute(ref->attr, ref->n, ref->attr, ref->n, ref->opt.attr_bins, &ref_attr);
        memcpy(r->ref_attr_hist, ref_attr.hist, sizeof ref_attr.hist);
    }
    r->seconds = mb_now_seconds() - t0;
done:
    mb_gaussian_fit_free(be, &fit);
    be->free(be, x);
    be->free(be, sq_radius);
    free(r2);
    free(inside);
    free(inside_inlier);
    return rc;
}

int mb_metrics_far_from_real(const mb_metrics_result *r, char *why, size_t len)
{
    const int off = r->off_manifold > MB_FAR_OFF_MANIFOLD, low = r->prdc.recall < MB_FAR_RECALL;
    const int junk = r->has_attr && r->attr.malformed > MB_FAR_MALFORMED;
    const int n = snprintf(why, len, "off_manifold %.3f%s%.2f, recall %.3f%s%.2f",
                           r->off_manifold, off ? " > " : " <= ", MB_FAR_OFF_MANIFOLD,
                           r->prdc.recall, low ? " < " : " >= ", MB_FAR_RECALL);
    if (r->has_attr && n >= 0 && (size_t)n < len)
        snprintf(why + n, len - (size_t)n, ", malformed %.3f%s%.2f", r->attr.malformed,
                 junk ? " > " : " <= ", MB_FAR_MALFORMED);
    return off || low || junk;
}

static double *f64_copy(mb_backend *be, const double *x, int n, int d)
{
    double *y = be->alloc(be, (size_t)n * d * sizeof(double));
    if (y)
        be->copy(be, y, x, (size_t)n * d * sizeof(double));
    return y;
}

int mb_metrics_ref_create(mb_metrics_ref **out, mb_backend *be, const mb_real *features, int n,
                          int d, const int *labels, int n_classes, const float *attr,
                          const mb_metrics_options *opt)
{
    return ref_create(out, be, to_f64_copy(be, features, n, d), n, d, labels, n_classes, attr,
                      opt);
}

int mb_metrics_ref_create_f64(mb_metrics_ref **out, mb_backend *be, const double *features,
                              int n, int d, const mb_metrics_options *opt)
{
    return ref_create(out, be, f64_copy(be, features, n, d), n, d, NULL, 0, NULL, opt);
}

int mb_metrics_compare(mb_metrics_ref *ref, const mb_real *features, int n, const int *labels,
                       const float *attr, mb_metrics_result *r)
{
    return compare(ref, to_f64_copy(ref->be, features, n, ref->d), n, labels, attr, r);
}

int mb_metrics_compare_f64(mb_metrics_ref *ref, const double *features, int n,
                           mb_metrics_result *r)
{
    return compare(ref, f64_copy(ref->be, features, n, ref->d), n, NULL, NULL, r);
}

void mb_metrics_print_table(FILE *out, const mb_metrics_result *r)
{
    fprintf(out, "%-28s %14s %14s\n", "metric", "generated", "reference");
    fprintf(out, "%-28s %14d %14d\n", "samples N", r->n_gen, r->n_ref);
    fprintf(out, "%-28s %14d\n", "feature dimension", r->dim);
    fprintf(out, "%-28s %14.6g\n", "frechet distance", r->fd);
    if (isfinite(r->fd_inf))
        fprintf(out, "%-28s %14.6g\n", "frechet distance infinity", r->fd_inf);
    fprintf(out, "%-28s %14.6g  (std %.3g, %d subsets of %d)\n", "kid", r->kid_mean, r->kid_std,
            r->kid_subsets, r->kid_subset_size);
    fprintf(out, "%-28s %14.6g  (k = %d)\n", "precision", r->prdc.precision, r->prdc_k);
    fprintf(out, "%-28s %14.6g\n", "recall", r->prdc.recall);
    fprintf(out, "%-28s %14.6g\n", "density", r->prdc.density);
    fprintf(out, "%-28s %14.6g\n", "coverage", r->prdc.coverage);
    fprintf(out, "%-28s %14.6g %14.6g\n", "vendi score", r->vendi, r->ref_vendi);
    fprintf(out, "%-28s %14.6g %14.6g\n", "mean pairwise distance", r->mean_pairwise_dist,
            r->ref_mean_pairwise_dist);
    fprintf(out, "%-28s %14.6g %14.6g\n", "effective rank", r->effective_rank,
            r->ref_effective_rank);
    fprintf(out, "%-28s %14.6g %14.6g\n", "covariance trace", r->cov_trace, r->ref_cov_trace);
    fprintf(out, "%-28s %14.6g %14.6g\n", "covariance log-det", r->cov_log_det,
            r->ref_cov_log_det);
    fprintf(out, "%-28s %14.6g %14.6g\n", "tail share > ref p95", r->tail95, 0.05);
    fprintf(out, "%-28s %14.6g %14.6g\n", "tail share > ref p99", r->tail99, 0.01);
    fprintf(out, "%-28s %14.6g\n", "on-manifold tail > ref p95", r->tail95_on);
    fprintf(out, "%-28s %14.6g\n", "on-manifold tail > ref p99", r->tail99_on);
    fprintf(out, "%-28s %14.6g\n", "off the real manifold", r->off_manifold);
    if (r->has_classes) {
        const mb_class_stats *c = &r->classes, *q = &r->ref_classes;
        fprintf(out, "%-28s %14.6g %14.6g\n", "class entropy (nats)", c->entropy, q->entropy);
        fprintf(out, "%-28s %14.6g %14.6g\n", "smallest class share", c->min_share, q->min_share);
        fprintf(out, "%-28s %14d %14d\n", "classes below threshold", c->n_below, q->n_below);
        fprintf(out, "%-28s %14.6g\n", "class KL(gen || ref)", c->kl_to_ref);
        fprintf(out, "%-28s", "class shares");
        for (int i = 0; i < c->n_classes; i++)
            fprintf(out, " %.4f", c->share[i]);
        fputc('\n', out);
    }
    if (r->has_attr) {
        fprintf(out, "%-28s %14.6g %14.6g\n", "attr share beyond 2 sigma", r->attr.beyond_2sigma,
                r->attr.ref_beyond_2sigma);
        fprintf(out, "%-28s %14.6g %14.6g\n", "attr share below mu-2sigma", r->attr.below_2sigma,
                r->attr.ref_below_2sigma);
        fprintf(out, "%-28s %14.6g %14.6g\n", "attr share above mu+2sigma", r->attr.above_2sigma,
                r->attr.ref_above_2sigma);
        fprintf(out, "%-28s %14.6g %14.6g\n", "malformed shapes", r->attr.malformed,
                r->attr.ref_malformed);
    }
    fprintf(out, "%-28s %14.3f\n", "seconds", r->seconds);
}
