/* mb_toy.h — self-consuming loops on Gaussians and Gaussian mixtures, where the
 * expected collapse has closed forms (Shumailov et al. 2024, "AI models collapse
 * when trained on recursively generated data", Section 3 / Supplement; Alemohammad
 * et al. 2023, Section 4 on sampling bias; Bertrand et al. 2024 on fresh data).
 *
 * One replica is a chain of models theta_0 (the original distribution), theta_1,
 * ..., theta_G. Step t (t = 0..G) draws the synthetic set S_t of n_samples points
 * from theta_t (t = 0: real data from the original, never biased; t >= 1: from
 * N(mu_t, lambda Sigma_t) per component), records the statistics of theta_t and
 * S_t, and, when t < G, fits theta_{t+1} to the train set built from S_t:
 *   fully-synthetic  S_t only (so theta_1 is fitted to M real points),
 *   fresh-data       n_real new real points + S_t,
 *   accumulate       all of S_0 .. S_t (S_0 real; Gerstgrasser et al. 2024).
 * Every random number is Philox at a counter that is a function of (seed, replica,
 * generation, purpose, element), so results do not depend on the thread count. */
#ifndef MB_TOY_H
#define MB_TOY_H

#include "mb_stats.h"

typedef enum { MB_TOY_GAUSSIAN = 0, MB_TOY_GMM = 1 } mb_toy_kind;
typedef enum {
    MB_TOY_FULLY_SYNTHETIC = 0,
    MB_TOY_FRESH_DATA = 1,
    MB_TOY_ACCUMULATE = 2
} mb_toy_loop;
typedef struct {
    mb_toy_kind kind;
    int dim, n_components;
    int replicas, generations;
    long n_samples; /* M: synthetic points per generation (n_s of the fresh-data loop) */
    long n_real;    /* n_r: fresh real points per generation (fresh-data loop only) */
    mb_stats_estimator estimator;
    mb_toy_loop loop;
    double lambda; /* sampling bias: synthetic points ~ N(mu, lambda Sigma) */
    uint64_t seed;
    const mb_stats_model *original; /* theta_0, owned by the caller */
    /* EM (GMM only) */
    mb_stats_em_init em_init;
    int em_max_iter;   /* stop after this many iterations ... */
    double em_tol;     /* ... or when the mean log-likelihood gains less than this */
    double em_reg;     /* added to every covariance diagonal (keeps EM well posed) */
    int threads;       /* OpenMP threads, 0 = the OpenMP default */
} mb_toy_config;

/* The Philox key of one replica. */
uint64_t mb_toy_replica_key(uint64_t seed, int replica);

/* Statistics of one replica at one generation (theta_t and its synthetic set S_t). */
typedef struct {
    double var;        /* fitted variance: tr(Sigma_t) / dim (mixture covariance for a GMM) */
    double log_var;    /* log(var) */
    double det_ratio;  /* det Sigma_t / det Sigma_0 (mixture covariances for a GMM) */
    double drift2;     /* |mu_t - mu_0|^2 (mixture means) */
    double tail2;      /* share of S_t beyond 2 sigma_0 (Mahalanobis radius w.r.t. the */
    double tail3;      /*   nearest original component) and beyond 3 sigma_0 */
    double min_weight; /* smallest component weight (0 once one is dead) */
    double w2;         /* W2 to theta_0: closed form (Gaussian), mixture-W2 (GMM) */
    /* per original component k (fitted components are matched to the original ones) */
    double comp_var[MB_STATS_MAX_COMPONENTS]; /* tr(Sigma_k) / dim, 0 when dead */
    double weight[MB_STATS_MAX_COMPONENTS];
    /* share of S_t that the original mixture's Bayes classifier assigns to component
     * k (the toy's "judge": minority loss without relying on the fit's labels) */
    double class_share[MB_STATS_MAX_COMPONENTS];
    double min_class_share;
} mb_toy_replica_stats;

/* What the loop hands to its observer after each generation t = 0..G. */
typedef struct {
    int generation;
    int replicas;
    const mb_toy_replica_stats *stats; /* [replicas] */
    const mb_stats_model *models;      /* [replicas] theta_t of each replica */
    const double *samples;             /* [replicas][n_samples][dim]: S_t */
    long n_samples;
} mb_toy_generation;

/* The toy loop's EM settings (em_* and estimator) as mb_stats_fit_gmm takes them. */
mb_stats_em_config mb_toy_em_config(const mb_toy_config *cfg, mb_stats_em_init init);
const char *mb_toy_loop_name(mb_toy_loop loop);

typedef int (*mb_toy_observer)(void *user, const mb_toy_generation *gen);

/* Defaults for everything but the original distribution (kind decides d and K). */
void mb_toy_config_defaults(mb_toy_config *cfg, mb_toy_kind kind);
/* MB_EINPUT naming the option (CLI spelling) that is out of range. */
int mb_toy_config_check(const mb_toy_config *cfg);
/* Runs every replica through G generations, calling `observe` (may be NULL) after
 * each; a non-zero return from it stops the run with that status. */
int mb_toy_run(const mb_toy_config *cfg, mb_toy_observer observe, void *user);

/* ---- outputs (stats/toy_output.c) ---- */
/* One row of metrics.csv / metrics.jsonl: statistics of generation t across the
 * replicas. Non-finite values (no closed form, ...) are written as empty / null. */
typedef struct {
    int generation;
    double var_mean, var_q05, var_q25, var_q50, var_q75, var_q95;
    double var_closed_form; /* E[var_t] when known (Gaussian, fully synthetic), else NaN */
    double sd_mean, log_var_mean, det_ratio_mean;
    double drift2_mean, drift_mean;
    double tail2_mean, tail2_q50, tail3_mean, tail3_q50;
    double min_weight_mean, min_weight_q50;
    double min_class_share_mean, min_class_share_q50;
    double lost_share; /* replicas where some original component's class share < 1% */
    double w2_mean, w2_q50;
    double comp_var_mean[MB_STATS_MAX_COMPONENTS], comp_var_q50[MB_STATS_MAX_COMPONENTS];
    double weight_mean[MB_STATS_MAX_COMPONENTS];
    double class_share_mean[MB_STATS_MAX_COMPONENTS];
} mb_toy_row;

/* The closed form of E[tr(Sigma_t)/d] for the fully synthetic Gaussian loop:
 * lambda^(t-1) c^t tr(Sigma_0)/d, c = (M-1)/M (MLE) or 1 (unbiased); NaN otherwise. */
double mb_toy_var_closed_form(const mb_toy_config *cfg, int t);
/* Aggregates one generation (quantiles by linear interpolation, type 7). */
int mb_toy_aggregate(const mb_toy_config *cfg, const mb_toy_generation *g, mb_toy_row *row);

/* Writes a run folder: config.json and manifest.json at open, one metrics.csv /
 * metrics.jsonl row per generation as it finishes, the SVG plots and the final
 * manifest.json at close. `command` (the command line, may be NULL) goes into
 * manifest.json. */
typedef struct mb_toy_writer mb_toy_writer;
int mb_toy_writer_open(mb_toy_writer **w, const char *dir, const mb_toy_config *cfg,
                       const char *command);
int mb_toy_writer_observe(void *writer, const mb_toy_generation *g); /* an mb_toy_observer */
const mb_toy_row *mb_toy_writer_last_row(const mb_toy_writer *w);
/* Writes the plots (unless no_plots) and frees the writer. */
int mb_toy_writer_close(mb_toy_writer *w, int no_plots);

#endif
