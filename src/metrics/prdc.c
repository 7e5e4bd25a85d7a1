/* metrics/prdc.c — k-NN manifold metrics. Improved precision and recall
 * (Kynkaanniemi et al. 2019, "Improved Precision and Recall Metric for Assessing
 * Generative Models", sec. 2) and density and coverage (Naeem et al. 2020,
 * "Reliable Fidelity and Diversity Metrics for Generative Models", eqs. 3-4),
 * following the reference implementation github.com/clovaai/generative-evaluation-prdc:
 * the radius of a point is the distance to its k-th nearest neighbour in its own
 * set (itself excluded), and "inside" is strict `<`. Distances are squared
 * Euclidean through GEMM, compared with squared radii (the same order). The
 * distance matrices are processed in row blocks so 50k x 50k fits in memory.
 * The real inliers (the on-manifold tails use only their balls): the samples in
 * at least one other sample's ball, an in-degree of at least 1 in the k-NN graph
 * (Hautamaki et al. 2004, "Outlier detection using k-nearest neighbour graph",
 * ODIN with threshold 1). */
#include "mb_metrics.h"

#include <stdlib.h>

/* Rows per block so that one block of distances stays under 256 MB. */
static int block_rows(int n_rows, int n_cols)
{
    const size_t budget = (size_t)256 << 20;
    size_t b = budget / ((size_t)(n_cols > 0 ? n_cols : 1) * sizeof(double));
    if (b < 1)
        b = 1;
    return b < (size_t)n_rows ? (int)b : n_rows;
}

int mb_knn_sq_radii(mb_backend *be, const double *x, int n, int d, int k, double *sq_radius,
                    double *mean_dist)
{
    if (k < 1 || k >= n)
        return mb_fail(MB_EINPUT, "k-NN radius: k = %d needs 1 <= k < number of samples (%d)",
                       k, n);
    const int rows = block_rows(n, n);
    double *norms = be->alloc(be, (size_t)n * sizeof(double));
    double *dist = be->alloc(be, (size_t)rows * n * sizeof(double));
    if (!norms || !dist) {
        be->free(be, norms);
        be->free(be, dist);
        return mb_fail(MB_ENOMEM, "out of memory for k-NN distances of %d samples", n);
    }
    be->row_sq_norms_f64(be, x, n, d, norms);
    double dist_sum = 0;
    for (int r0 = 0; r0 < n; r0 += rows) {
        const int b = r0 + rows <= n ? rows : n - r0;
        be->sq_distances_f64(be, b, n, d, x + (size_t)r0 * d, x, norms + r0, norms, dist);
        /* the row holds the point itself at distance 0: the k-th neighbour is the
         * (k+1)-th smallest, as prdc's np.partition(..., k)[..., k] */
        be->row_kth_smallest_f64(be, dist, b, n, k + 1, sq_radius + r0);
        if (mean_dist)
            dist_sum += be->sum_f64(be, dist, (size_t)b * n, 1);
    }
    if (mean_dist) /* the diagonal is 0 up to rounding (clamped at 0) */
        *mean_dist = dist_sum / ((double)n * (n - 1));
    be->free(be, norms);
    be->free(be, dist);
    return MB_OK;
}

int mb_knn_inlier_sq_radii(mb_backend *be, const double *x, int n, int d,
                           const double *sq_radius, int min_balls, double *inlier_sq_radius)
{
    const int rows = block_rows(n, n);
    double *norms = be->alloc(be, (size_t)n * sizeof(double));
    double *dist = be->alloc(be, (size_t)rows * n * sizeof(double));
    int *in_balls = be->alloc(be, (size_t)n * sizeof(int));
    int *host = malloc((size_t)n * sizeof *host);
    double *radius = malloc((size_t)n * sizeof *radius);
    int rc = MB_OK;
    if (!norms || !dist || !in_balls || !host || !radius) {
        rc = mb_fail(MB_ENOMEM, "out of memory for the k-NN inliers of %d samples", n);
        goto done;
    }
    for (int i = 0; i < n; i++)
        host[i] = 0;
    be->upload(be, in_balls, host, (size_t)n * sizeof(int));
    be->row_sq_norms_f64(be, x, n, d, norms);
    for (int r0 = 0; r0 < n; r0 += rows) {
        const int b = r0 + rows <= n ? rows : n - r0;
        be->sq_distances_f64(be, b, n, d, x + (size_t)r0 * d, x, norms + r0, norms, dist);
        /* x_i inside ball j: d(x_i, x_j) < r_j, counted per row i */
        be->count_below_f64(be, dist, b, n, sq_radius, 0, in_balls + r0, 1);
    }
    be->download(be, host, in_balls, (size_t)n * sizeof(int));
    be->download(be, radius, sq_radius, (size_t)n * sizeof(double));
    /* The count includes the point's own ball (distance 0 < r_i) unless r_i = 0;
     * an outlier's ball gets radius -1, which no distance is below. */
    for (int i = 0; i < n; i++) {
        const int other_balls = host[i] - (radius[i] > 0);
        radius[i] = other_balls >= min_balls ? radius[i] : -1;
    }
    be->upload(be, inlier_sq_radius, radius, (size_t)n * sizeof(double));
done:
    be->free(be, norms);
    be->free(be, dist);
    be->free(be, in_balls);
    free(host);
    free(radius);
    return rc;
}

int mb_prdc_compute(mb_backend *be, const double *real, int n_real, const double *real_sq_radius,
                    const double *fake, int n_fake, const double *fake_sq_radius, int d, int k,
                    mb_prdc *out, unsigned char *fake_inside, const double *inlier_sq_radius,
                    unsigned char *fake_inside_inlier)
{
    const int rows = block_rows(n_real, n_fake);
    double *real_norms = be->alloc(be, (size_t)n_real * sizeof(double));
    double *fake_norms = be->alloc(be, (size_t)n_fake * sizeof(double));
    double *dist = be->alloc(be, (size_t)rows * n_fake * sizeof(double));
    int *fake_in_real = be->alloc(be, (size_t)n_fake * sizeof(int));  /* density counts */
    int *real_in_fake = be->alloc(be, (size_t)n_real * sizeof(int));  /* recall */
    int *real_covered = be->alloc(be, (size_t)n_real * sizeof(int));  /* coverage */
    int *fake_in_inlier = inlier_sq_radius ? be->alloc(be, (size_t)n_fake * sizeof(int)) : NULL;
    int *host = malloc((size_t)(n_real > n_fake ? n_real : n_fake) * sizeof *host);
    int rc = MB_OK;
    if (!real_norms || !fake_norms || !dist || !fake_in_real || !real_in_fake || !real_covered ||
        !host || (inlier_sq_radius && !fake_in_inlier)) {
        rc = mb_fail(MB_ENOMEM, "out of memory for precision/recall of %d x %d samples", n_real,
                     n_fake);
        goto done;
    }
    for (int i = 0; i < n_real; i++)
        host[i] = 0;
    be->upload(be, real_in_fake, host, (size_t)n_real * sizeof(int));
    be->upload(be, real_covered, host, (size_t)n_real * sizeof(int));
    for (int j = 0; j < n_fake; j++)
        host[j] = 0;
    be->upload(be, fake_in_real, host, (size_t)n_fake * sizeof(int));
    if (fake_in_inlier)
        be->upload(be, fake_in_inlier, host, (size_t)n_fake * sizeof(int));
    be->row_sq_norms_f64(be, real, n_real, d, real_norms);
    be->row_sq_norms_f64(be, fake, n_fake, d, fake_norms);
    for (int r0 = 0; r0 < n_real; r0 += rows) {
        const int b = r0 + rows <= n_real ? rows : n_real - r0;
        be->sq_distances_f64(be, b, n_fake, d, real + (size_t)r0 * d, fake, real_norms + r0,
                             fake_norms, dist);
        /* fake j inside real ball i: d(x_i, y_j) < r_i, counted per fake sample */
        be->count_below_f64(be, dist, b, n_fake, real_sq_radius + r0, 1, fake_in_real, 0);
        /* real i inside some fake ball j: d(x_i, y_j) < s_j */
        be->count_below_f64(be, dist, b, n_fake, fake_sq_radius, 0, real_in_fake + r0, 1);
        /* real ball i holds some fake sample */
        be->count_below_f64(be, dist, b, n_fake, real_sq_radius + r0, 1, real_covered + r0, 1);
        /* fake j inside the ball of a real inlier */
        if (fake_in_inlier)
            be->count_below_f64(be, dist, b, n_fake, inlier_sq_radius + r0, 1, fake_in_inlier, 0);
    }
    long long inside = 0, hits = 0;
    be->download(be, host, fake_in_real, (size_t)n_fake * sizeof(int));
    for (int j = 0; j < n_fake; j++) {
        inside += host[j] > 0;
        hits += host[j];
        if (fake_inside)
            fake_inside[j] = host[j] > 0;
    }
    out->precision = (double)inside / n_fake;
    out->density = (double)hits / ((double)k * n_fake);
    be->download(be, host, real_in_fake, (size_t)n_real * sizeof(int));
    long long recalled = 0;
    for (int i = 0; i < n_real; i++)
        recalled += host[i] > 0;
    out->recall = (double)recalled / n_real;
    be->download(be, host, real_covered, (size_t)n_real * sizeof(int));
    long long covered = 0;
    for (int i = 0; i < n_real; i++)
        covered += host[i] > 0;
    out->coverage = (double)covered / n_real;
    if (fake_in_inlier && fake_inside_inlier) {
        be->download(be, host, fake_in_inlier, (size_t)n_fake * sizeof(int));
        for (int j = 0; j < n_fake; j++)
            fake_inside_inlier[j] = host[j] > 0;
    }
done:
    be->free(be, real_norms);
    be->free(be, fake_norms);
    be->free(be, dist);
    be->free(be, fake_in_real);
    be->free(be, real_in_fake);
    be->free(be, real_covered);
    be->free(be, fake_in_inlier);
    free(host);
    return rc;
}
