/* mb_stats.h — Gaussians and Gaussian mixtures: fitting (moments, EM), sampling,
 * 2-Wasserstein distances and the small dense algebra and special functions they
 * need. Used by the image loop's latent generators (ae-gauss, ae-gmm:
 * src/loop/generate.c) and by the toy loops with closed forms (mb_toy.h).
 * Sources: src/stats/ (model.c, em.c, linalg.c, metrics.c). */
#ifndef MB_STATS_H
#define MB_STATS_H

#include "mb_common.h"

#define MB_STATS_MAX_DIM 64
#define MB_STATS_MAX_COMPONENTS 16

/* Covariance normalisation: divide by n (maximum likelihood) or by n - 1. For a
 * GMM "unbiased" multiplies each fitted covariance by N_k / (N_k - 1) after EM,
 * N_k = the component's responsibility sum. */
typedef enum { MB_STATS_MLE = 0, MB_STATS_UNBIASED = 1 } mb_stats_estimator;
/* EM initialisation: k-means++ seeding + 10 Lloyd iterations on every fit (a fit
 * from scratch, as the image loop trains from scratch; the default), or a warm
 * start from the previous generation's model (theta_1 is always seeded by
 * k-means++: warm-starting it from the original would leak the truth). */
typedef enum { MB_STATS_INIT_KMEANSPP = 0, MB_STATS_INIT_WARM = 1 } mb_stats_em_init;

/* EM settings: stop after max_iter iterations or when the mean log-likelihood
 * gains less than tol; reg is added to every covariance diagonal (keeps EM well
 * posed); estimator as above. */
typedef struct {
    mb_stats_em_init init;
    int max_iter;
    double tol, reg;
    mb_stats_estimator estimator;
} mb_stats_em_config;

/* k-means++ seeding, at most 200 iterations, tol = reg = 1e-6, maximum likelihood. */
mb_stats_em_config mb_stats_em_defaults(void);

/* A Gaussian mixture (K = 1: a Gaussian). A component with weight 0 is dead: it
 * is never sampled and never refitted. */
typedef struct {
    int dim, n_components;
    double *weight; /* [K] */
    double *mean;   /* [K][dim] */
    double *cov;    /* [K][dim][dim], row-major, symmetric */
    double *chol;   /* [K][dim][dim] lower Cholesky factor of cov (mb_stats_model_prepare) */
} mb_stats_model;

int mb_stats_model_alloc(mb_stats_model *m, int dim, int n_components);
void mb_stats_model_free(mb_stats_model *m);
void mb_stats_model_copy(mb_stats_model *dst, const mb_stats_model *src);
/* Cholesky factors of every live component's covariance (MB_ENUMERIC if one is not
 * positive semi-definite). */
int mb_stats_model_prepare(mb_stats_model *m);
/* Original distributions: a Gaussian with mean `mean` in every coordinate and
 * covariance sigma0^2 [(1 - rho) I + rho 11^T]; a mixture with the given weights
 * (NULL: equal), component means evenly spaced on a circle of radius `separation`
 * in the first two coordinates (on a line for dim 1) and covariance sigma0^2 I. */
int mb_stats_original_gaussian(mb_stats_model *m, int dim, double mean, double sigma0,
                               double rho);
int mb_stats_original_gmm(mb_stats_model *m, int dim, int n_components, const double *weights,
                          double separation, double sigma0);

/* n points from the model (covariances scaled by lambda) into out[n][dim], from
 * Philox stream `key` at counters in [base, base + 2^36) (see stats/model.c); point i
 * is a function of (key, base, i) only. The model must be prepared. */
void mb_stats_sample(const mb_stats_model *m, double lambda, long n, uint64_t key,
                     uint64_t counter_base, double *out);

/* Sample mean and covariance of x[n][dim] (divisor n or n - 1) into component 0 of
 * m (K must be 1). */
int mb_stats_fit_gaussian(const double *x, long n, int dim, mb_stats_estimator est,
                          mb_stats_model *m);

/* EM fit of m's K components to x[n][dim]. Initialisation: em->init = warm uses m
 * as it is; kmeans++ seeds from Philox stream (key, counter_base). Stops after
 * em->max_iter iterations or when the mean log-likelihood gains less than em->tol. A
 * component whose responsibility sum falls below dim + 1 points dies (weight 0).
 * *iterations (may be NULL) receives the number of iterations run. */
int mb_stats_fit_gmm(const double *x, long n, const mb_stats_em_config *em, uint64_t key,
                     uint64_t counter_base, mb_stats_model *m, int *iterations);
/* Reorders m's components to match the reference's (greedy, nearest means first). */
void mb_stats_match_components(mb_stats_model *m, const mb_stats_model *reference);

/* ---- distances ---- */
/* Squared 2-Wasserstein distance between N(m1, S1) and N(m0, S0) given
 * sqrt_s0 = S0^{1/2}: |m1 - m0|^2 + tr S1 + tr S0 - 2 tr (S0^1/2 S1 S0^1/2)^1/2
 * (Dowson & Landau 1982; Givens & Shortt 1984). */
double mb_stats_gauss_w2_sq(int dim, const double *m1, const double *s1, const double *m0,
                            const double *s0, const double *sqrt_s0);
/* Symmetric square root of a positive semi-definite matrix (eigen-decomposition). */
int mb_stats_sqrtm(int dim, const double *s, double *out);
/* Mixture-Wasserstein distance MW2 (Delon & Desolneux 2020, "A Wasserstein-type
 * distance in the space of Gaussian mixture models", Eq. 4.2): exact discrete
 * optimal transport between the component weights with cost W2^2 between
 * components; an upper bound of W2 that equals it for K = 1. sqrt_ref holds
 * cov^{1/2} of each reference component. */
double mb_stats_mixture_w2(const mb_stats_model *m, const mb_stats_model *ref,
                           const double *sqrt_ref);
/* Exact discrete optimal transport cost between a[n1] and b[n2] (equal sums) with
 * cost[n1][n2] (successive shortest paths); n1, n2 <= MB_STATS_MAX_COMPONENTS. */
double mb_stats_ot_cost(int n1, int n2, const double *a, const double *b, const double *cost);

/* ---- small dense helpers (dim <= MB_STATS_MAX_DIM) ---- */
/* Lower Cholesky factor of a symmetric positive semi-definite matrix; returns the
 * number of non-positive pivots (set to 0), or -1 when one is clearly negative. */
int mb_stats_cholesky(int dim, const double *a, double *l);
double mb_stats_det(int dim, const double *a); /* via Cholesky; 0 if singular */

/* ---- special functions for the closed forms ---- */
double mb_stats_digamma(double x);
/* c4(M) = sqrt(2/(M-1)) Gamma(M/2) / Gamma((M-1)/2): E[s] = c4 sigma for n = M. */
double mb_stats_c4(double m);

#endif
