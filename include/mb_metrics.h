/* mb_metrics.h — the statistics madbench reports for every generation: a
 * reference feature set (real test data, through the judge) against a generated
 * one. All statistics are float64 and go through the backend table, so they run
 * on the device of the backend. Definitions and sources: README.md, "Metrics". */
#ifndef MB_METRICS_H
#define MB_METRICS_H

#include <stdio.h>

#include "mb_backend.h"

#define MB_METRICS_MAX_CLASSES 64
#define MB_METRICS_MAX_BINS 64
#define MB_METRICS_RADIUS_BINS 40 /* bins of the Mahalanobis radius histogram */

typedef struct {
    int prdc_k;              /* k of the k-NN radii; 5 as in prdc and the MAD paper */
    int kid_subsets;         /* 100 */
    int kid_subset_size;     /* 1000, capped at min(n_ref, n_gen) */
    uint64_t seed;           /* KID subsets */
    double class_threshold;  /* a class with a smaller share counts as "vanishing": 0.01 */
    int attr_bins;           /* histogram bins of the shapes attribute: 20 */
    int fd_inf_points;       /* > 1: also FD-infinity from this many subset sizes (0: off) */
} mb_metrics_options;

void mb_metrics_options_default(mb_metrics_options *opt);

/* ---- Gaussian fit of a feature set (float64): mean, covariance with N - 1 ---- */
typedef struct {
    int n, d;
    double *mean;      /* backend [d] */
    double *cov;       /* backend [d, d] */
    double *evec;      /* backend [d, d]: column i is the eigenvector of eval[i] */
    double *eval;      /* host [d], ascending, as computed (may hold tiny negatives) */
    double *sqrt_cov;  /* backend [d, d]: R = cov^1/2 (eigenvalues clamped at 0), or NULL */
    double *whiten;    /* backend [d, d]: V diag(1/sqrt(l)) (pseudo-inverse), or NULL */
} mb_gaussian_fit;

/* Fit of x [n, d] (backend float64, left unchanged). with_ref_parts also builds
 * sqrt_cov and whiten, which only the reference set needs (computed once). */
int mb_gaussian_fit_features(mb_backend *be, const double *x, int n, int d, int with_ref_parts,
                             mb_gaussian_fit *fit);
/* Fit from given moments (host arrays), for closed-form checks. */
int mb_gaussian_fit_moments(mb_backend *be, int d, const double *mean_host,
                            const double *cov_host, int with_ref_parts, mb_gaussian_fit *fit);
void mb_gaussian_fit_free(mb_backend *be, mb_gaussian_fit *fit);

/* Frechet distance (Dowson & Landau 1982; FID, Heusel et al. 2017, as pytorch-fid
 * computes it): ||mu1 - mu2||^2 + tr S1 + tr S2 - 2 tr sqrt(S1 S2), with
 * tr sqrt(S1 S2) = sum sqrt(max(lambda_i(R S2 R), 0)), R = S1^1/2 (ref needs
 * sqrt_cov). */
int mb_frechet_distance(mb_backend *be, const mb_gaussian_fit *ref, const mb_gaussian_fit *gen,
                        double *fd);
/* FD-infinity (Chong & Forsyth 2020): FD of `points` nested random subsets of x
 * [n, d] (sizes from max(n/5, 2d) to n) against ref, a least-squares line in
 * 1/N, and its intercept. */
int mb_fd_infinity(mb_backend *be, const mb_gaussian_fit *ref, const double *x, int n, int d,
                   int points, uint64_t seed, double *fd_inf);
/* Effective rank (Roy & Vetterli 2007): exp(entropy of l_i / sum l) of the
 * eigenvalues (clamped at 0). */
double mb_effective_rank(const double *eval, int d);
/* sum log l_i; -inf when an eigenvalue is <= 0 (rank-deficient covariance). */
double mb_log_det(const double *eval, int d);
double mb_trace(const double *eval, int d);

/* Squared Mahalanobis radii of x [n, d] (backend float64) under a reference fit
 * with whiten; r2 is a host array [n]. */
int mb_mahalanobis_sq(mb_backend *be, const mb_gaussian_fit *ref, const double *x, int n,
                      double *r2);
/* The q-quantile (0..1) of v [n] with linear interpolation (numpy's default). */
double mb_quantile(const double *v, int n, double q);

/* ---- KID (Binkowski et al. 2018): unbiased MMD^2 with k(x, y) = (x.y/d + 1)^3
 * on `subsets` random subsets of m rows drawn without replacement ---- */
int mb_kid(mb_backend *be, const double *x, int n_x, const double *y, int n_y, int d,
           int subsets, int m, uint64_t seed, double *mean, double *std);

/* ---- precision, recall, density, coverage (Kynkaanniemi et al. 2019; Naeem et
 * al. 2020, prdc's definitions) ---- */
typedef struct {
    double precision, recall, density, coverage;
} mb_prdc;

/* sq_radius[i] = squared distance of x[i] to its k-th nearest neighbour in x
 * (itself excluded); x [n, d] backend float64, sq_radius backend [n]. Also the
 * mean pairwise distance over i != j when mean_dist is not NULL. Batched:
 * never more than a few hundred MB of distances at once. */
int mb_knn_sq_radii(mb_backend *be, const double *x, int n, int d, int k, double *sq_radius,
                    double *mean_dist);
/* The radii of the real inliers: inlier_sq_radius[i] = sq_radius[i] when x[i]
 * lies inside the k-NN balls of at least min_balls other samples of x
 * (d(x_i, x_j) < r_j, j != i: the precision test of x_i against the rest of
 * its own set), else -1 (a ball that holds nothing). Backend [n] arrays. */
int mb_knn_inlier_sq_radii(mb_backend *be, const double *x, int n, int d,
                           const double *sq_radius, int min_balls, double *inlier_sq_radius);
/* fake_inside (host [n_fake], may be NULL): 1 where fake sample j lies inside the
 * real manifold (some real ball holds it: the precision criterion), else 0.
 * fake_inside_inlier (host [n_fake]; with inlier_sq_radius, backend [n_real], as
 * mb_knn_inlier_sq_radii writes it; both may be NULL): 1 where the ball of some
 * real inlier holds fake sample j. */
int mb_prdc_compute(mb_backend *be, const double *real, int n_real, const double *real_sq_radius,
                    const double *fake, int n_fake, const double *fake_sq_radius, int d, int k,
                    mb_prdc *out, unsigned char *fake_inside, const double *inlier_sq_radius,
                    unsigned char *fake_inside_inlier);

/* ---- Vendi score (Friedman & Dieng 2023) with the cosine kernel:
 * exp(-sum l log l) over the eigenvalues of K / n (0 log 0 = 0), computed on the
 * d x d dual X^T X / n when d < n ---- */
int mb_vendi(mb_backend *be, const double *x, int n, int d, double *vendi);
/* The same from a given kernel matrix k_host [n, n] (k(x, x) = 1). */
int mb_vendi_from_kernel(mb_backend *be, const double *k_host, int n, double *vendi);

/* ---- class histograms (minority data) ---- */
typedef struct {
    int n_classes;
    double share[MB_METRICS_MAX_CLASSES];
    double entropy;       /* nats */
    double min_share;
    int n_below;          /* classes with share < class_threshold */
    double kl_to_ref;     /* KL(p_gen || p_ref), nats */
} mb_class_stats;

int mb_class_histogram(const int *labels, int n, int n_classes, double *share);
void mb_class_stats_compute(const double *share, const double *ref_share, int n_classes,
                            double threshold, mb_class_stats *out);

/* ---- a ground-truth attribute (shapes set): histogram over [lo, hi) of the
 * reference mu +- 4 sigma, and the shares below mu - 2 sigma and above mu + 2 sigma
 * of the reference. A value that is not finite marks a malformed sample (no shape,
 * too faint, several blobs): it is counted in `malformed` and left out of the
 * moments, the histogram and the tail shares, which are shares of the well-formed
 * samples. ---- */
typedef struct {
    int bins;
    double lo, hi, ref_mean, ref_std;
    double hist[MB_METRICS_MAX_BINS]; /* shares; values outside [lo, hi) go to the end bins */
    double below_2sigma, above_2sigma, beyond_2sigma; /* beyond = below + above */
    double ref_below_2sigma, ref_above_2sigma, ref_beyond_2sigma;
    double malformed, ref_malformed; /* shares of all samples */
} mb_attr_stats;

void mb_attr_stats_compute(const float *ref, int n_ref, const float *gen, int n_gen, int bins,
                           mb_attr_stats *out);

/* Mean over pixels of the per-pixel variance across images (N - 1), float64. */
int mb_pixel_variance(mb_backend *be, const float *images_host, int n, int pixels, double *out);

/* ---- the whole suite: the reference computed once, then any generated set ---- */
typedef struct {
    int n_ref, n_gen, dim;
    double fd;
    double fd_inf;                  /* NaN unless fd_inf_points > 1 */
    double kid_mean, kid_std;
    int kid_subsets, kid_subset_size;
    mb_prdc prdc;
    int prdc_k;
    double vendi, mean_pairwise_dist, effective_rank, cov_trace, cov_log_det;
    double ref_vendi, ref_mean_pairwise_dist, ref_effective_rank, ref_cov_trace, ref_cov_log_det;
    double tail95, tail99;          /* share beyond the reference's 95th / 99th percentile
                                       of the Mahalanobis radius under the reference fit */
    double tail95_on, tail99_on;    /* share beyond it, inside the k-NN ball of a real
                                       inlier (Kynkaanniemi et al. 2019's precision test
                                       without the balls of real outliers) and, with attr,
                                       not malformed */
    double off_manifold;            /* share outside that manifold: 1 - precision */
    int has_classes;
    mb_class_stats classes, ref_classes;
    int has_attr;
    mb_attr_stats attr;
    double seconds;
    /* The tail figure (report): histograms (shares) of the Mahalanobis radius
     * sqrt(r2) in judge space under the reference fit, the generated set and the
     * reference set itself, over [radius_lo, radius_hi) = [0, 1.5 x the reference's
     * 99.9th percentile) in radius_bins bins; larger radii count in the last bin. */
    int radius_bins;
    double radius_lo, radius_hi;
    double radius_hist[MB_METRICS_MAX_BINS];
    double ref_radius_hist[MB_METRICS_MAX_BINS];
    /* The reference set's histogram of the shapes attribute, on attr's bins. */
    double ref_attr_hist[MB_METRICS_MAX_BINS];
} mb_metrics_result;

typedef struct mb_metrics_ref mb_metrics_ref;

/* features [n, d] backend mb_real (left unchanged). labels (judge predictions,
 * host [n]) and attr (host [n]) may be NULL. */
int mb_metrics_ref_create(mb_metrics_ref **ref, mb_backend *be, const mb_real *features, int n,
                          int d, const int *labels, int n_classes, const float *attr,
                          const mb_metrics_options *opt);
int mb_metrics_compare(mb_metrics_ref *ref, const mb_real *features, int n, const int *labels,
                       const float *attr, mb_metrics_result *out);
void mb_metrics_ref_destroy(mb_metrics_ref *ref);
/* The same from float64 features (backend [n, d], left unchanged), e.g. read from
 * .npy files: no precision is lost on the way in; no labels or attributes. */
int mb_metrics_ref_create_f64(mb_metrics_ref **ref, mb_backend *be, const double *features,
                              int n, int d, const mb_metrics_options *opt);
int mb_metrics_compare_f64(mb_metrics_ref *ref, const double *features, int n,
                           mb_metrics_result *r);

/* Generation 1 is trained on real data only: when its samples are already far
 * from the real data, the loop measures the model's own error, not collapse.
 * "Far": more than MB_FAR_OFF_MANIFOLD of the samples lie off the real k-NN
 * manifold, or recall is below MB_FAR_RECALL (under a tenth of the real data is
 * covered), or, where a measurer judges the images (shapes), more than
 * MB_FAR_MALFORMED of them are malformed. The default experiment's generation 1 measured off_manifold 0.45,
 * recall 0.50: a blurry but working VAE stays clear of both. Returns 1 when far and
 * writes the reason (the numbers against the thresholds) to why. */
#define MB_FAR_OFF_MANIFOLD 0.75
#define MB_FAR_RECALL 0.1
#define MB_FAR_MALFORMED 0.5
int mb_metrics_far_from_real(const mb_metrics_result *r, char *why, size_t len);

void mb_metrics_print_table(FILE *out, const mb_metrics_result *r);
/* As JSON and CSV: mb_row.h. */

#endif
