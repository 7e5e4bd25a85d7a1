/* stats/toy_loop.c — the self-consuming loop over R independent replicas: sample S_t
 * from theta_t, measure, build the next train set, fit theta_{t+1}. Replicas run in
 * parallel (OpenMP); each replica's random numbers depend on (seed, replica) only. */
#include "mb_toy.h"

#include <math.h>
#include <omp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Philox counters: generation in bits 40.., purpose in bits 36..39, element below. */
enum { PURPOSE_SYNTHETIC = 0, PURPOSE_FRESH_REAL = 1, PURPOSE_EM_INIT = 2 };
static uint64_t counter_base(int generation, int purpose)
{
    return ((uint64_t)generation << 40) | ((uint64_t)purpose << 36);
}

void mb_toy_config_defaults(mb_toy_config *cfg, mb_toy_kind kind)
{
    memset(cfg, 0, sizeof *cfg);
    cfg->kind = kind;
    cfg->dim = kind == MB_TOY_GMM ? 2 : 1;
    cfg->n_components = kind == MB_TOY_GMM ? 3 : 1;
    cfg->replicas = kind == MB_TOY_GMM ? 200 : 1000;
    cfg->generations = kind == MB_TOY_GMM ? 50 : 100;
    cfg->n_samples = kind == MB_TOY_GMM ? 200 : 100;
    cfg->n_real = cfg->n_samples;
    cfg->estimator = MB_STATS_MLE;
    cfg->loop = MB_TOY_FULLY_SYNTHETIC;
    cfg->lambda = 1.0;
    cfg->seed = 1;
    const mb_stats_em_config em = mb_stats_em_defaults();
    cfg->em_init = em.init;
    cfg->em_max_iter = em.max_iter;
    cfg->em_tol = em.tol;
    cfg->em_reg = em.reg;
}

mb_stats_em_config mb_toy_em_config(const mb_toy_config *cfg, mb_stats_em_init init)
{
    mb_stats_em_config em = {init, cfg->em_max_iter, cfg->em_tol, cfg->em_reg, cfg->estimator};
    return em;
}

const char *mb_toy_loop_name(mb_toy_loop l)
{
    return l == MB_TOY_FRESH_DATA ? "fresh-data" : l == MB_TOY_ACCUMULATE ? "accumulate"
                                                                           : "fully-synthetic";
}

int mb_toy_config_check(const mb_toy_config *cfg)
{
    const char *kind = cfg->kind == MB_TOY_GMM ? "toy gmm" : "toy gaussian";
    if (cfg->dim < 1 || cfg->dim > MB_STATS_MAX_DIM)
        return mb_fail(MB_EINPUT, "%s: --dim %d is out of range (expected 1..%d)", kind,
                       cfg->dim, MB_STATS_MAX_DIM);
    if (cfg->n_components < 1 || cfg->n_components > MB_STATS_MAX_COMPONENTS ||
        (cfg->kind == MB_TOY_GAUSSIAN && cfg->n_components != 1))
        return mb_fail(MB_EINPUT, "%s: --components %d is out of range (expected 1..%d)",
                       kind, cfg->n_components, MB_STATS_MAX_COMPONENTS);
    if (cfg->replicas < 1)
        return mb_fail(MB_EINPUT, "%s: --replicas %d: expected at least 1", kind,
                       cfg->replicas);
    if (cfg->generations < 1 || cfg->generations >= (1 << 23))
        return mb_fail(MB_EINPUT, "%s: --generations %d is out of range (expected 1..%d)",
                       kind, cfg->generations, (1 << 23) - 1);
    if (cfg->n_samples < cfg->dim + 1 || cfg->n_samples > (1L << 30) / (cfg->dim + 1))
        return mb_fail(MB_EINPUT,
                       "%s: --samples %ld is out of range (expected %d..%ld: a full "
                       "covariance in dimension %d needs at least %d points)",
                       kind, cfg->n_samples, cfg->dim + 1, (1L << 30) / (cfg->dim + 1),
                       cfg->dim, cfg->dim + 1);
    if (cfg->loop == MB_TOY_FRESH_DATA &&
        (cfg->n_real < 1 || cfg->n_real > (1L << 30) / (cfg->dim + 1)))
        return mb_fail(MB_EINPUT,
                       "%s: --real %ld is out of range for the fresh-data loop (expected "
                       "1..%ld real points per generation)",
                       kind, cfg->n_real, (1L << 30) / (cfg->dim + 1));
    if (!(cfg->lambda > 0) || !isfinite(cfg->lambda))
        return mb_fail(MB_EINPUT, "%s: --lambda %g: expected a positive number", kind,
                       cfg->lambda);
    if (cfg->kind == MB_TOY_GMM) {
        if (cfg->em_max_iter < 1)
            return mb_fail(MB_EINPUT, "%s: --em-max-iter %d: expected at least 1", kind,
                           cfg->em_max_iter);
        if (!(cfg->em_tol >= 0) || !(cfg->em_reg >= 0))
            return mb_fail(MB_EINPUT, "%s: --em-tol %g / --em-reg %g: expected numbers >= 0",
                           kind, cfg->em_tol, cfg->em_reg);
    }
    if (!cfg->original || cfg->original->dim != cfg->dim ||
        cfg->original->n_components != cfg->n_components)
        return mb_fail(MB_EINTERNAL, "%s: the original distribution does not match --dim "
                       "and --components", kind);
    double bytes = (double)cfg->replicas * (double)cfg->n_samples * cfg->dim * 8.0;
    if (cfg->loop == MB_TOY_ACCUMULATE)
        bytes *= cfg->generations + 1;
    if (bytes > 32e9)
        return mb_fail(MB_EINPUT,
                       "%s: --replicas %d x --samples %ld%s needs %.0f GB of samples "
                       "(expected at most 32 GB)", kind, cfg->replicas, cfg->n_samples,
                       cfg->loop == MB_TOY_ACCUMULATE ? " x --generations (accumulate)" : "",
                       bytes / 1e9);
    return MB_OK;
}

/* What every replica compares itself with: the original's mixture moments, its
 * covariance square roots (W2) and Cholesky factors (tails). */
typedef struct {
    const mb_stats_model *m;
    double mean[MB_STATS_MAX_DIM];
    double cov[MB_STATS_MAX_DIM * MB_STATS_MAX_DIM];
    double det;
    double *sqrt_cov;                      /* [K][d][d] */
    double log_w_det[MB_STATS_MAX_COMPONENTS]; /* log w_k - log det(S_k) / 2 */
} reference;

/* Mean and covariance of the whole mixture: sum w_k [S_k + (mu_k - mu)(mu_k - mu)^T],
 * centred so that a collapsed variance is not lost to cancellation against mu mu^T. */
static void mixture_moments(const mb_stats_model *m, double *mean, double *cov)
{
    int d = m->dim;
    memset(mean, 0, sizeof(double) * d);
    memset(cov, 0, sizeof(double) * (size_t)d * d);
    for (int k = 0; k < m->n_components; k++)
        for (int a = 0; a < d && m->weight[k] > 0; a++)
            mean[a] += m->weight[k] * m->mean[(size_t)k * d + a];
    for (int k = 0; k < m->n_components; k++) {
        double w = m->weight[k];
        if (w <= 0)
            continue;
        const double *mu = m->mean + (size_t)k * d, *s = m->cov + (size_t)k * d * d;
        for (int a = 0; a < d; a++)
            for (int b = 0; b < d; b++)
                cov[a * d + b] += w * (s[a * d + b] + (mu[a] - mean[a]) * (mu[b] - mean[b]));
    }
}

/* Mahalanobis radius of x to the nearest original component, and the component
 * the original mixture's posterior favours (its Bayes classifier). */
static double tail_radius(const reference *ref, const double *x, int *component)
{
    const mb_stats_model *o = ref->m;
    int d = o->dim;
    double best = INFINITY, best_post = -INFINITY;
    for (int k = 0; k < o->n_components; k++) {
        const double *l = o->chol + (size_t)k * d * d, *mu = o->mean + (size_t)k * d;
        double y[MB_STATS_MAX_DIM], q = 0;
        for (int a = 0; a < d; a++) {
            double s = x[a] - mu[a];
            for (int b = 0; b < a; b++)
                s -= l[a * d + b] * y[b];
            y[a] = s / l[a * d + a];
            q += y[a] * y[a];
        }
        best = fmin(best, q);
        double post = ref->log_w_det[k] - 0.5 * q;
        if (post > best_post) {
            best_post = post;
            *component = k;
        }
    }
    return sqrt(best);
}

static void measure(const reference *ref, const mb_stats_model *m, const double *samples,
                    long n, mb_toy_replica_stats *st)
{
    int d = m->dim, K = m->n_components;
    double mean[MB_STATS_MAX_DIM], cov[MB_STATS_MAX_DIM * MB_STATS_MAX_DIM];
    memset(st, 0, sizeof *st);
    mixture_moments(m, mean, cov);
    double trace = 0;
    st->drift2 = 0;
    for (int a = 0; a < d; a++) {
        trace += cov[a * d + a];
        st->drift2 += (mean[a] - ref->mean[a]) * (mean[a] - ref->mean[a]);
    }
    st->var = trace / d;
    st->log_var = log(st->var);
    st->det_ratio = mb_stats_det(d, cov) / ref->det;
    st->min_weight = 1;
    for (int k = 0; k < K; k++) {
        double tr = 0;
        for (int a = 0; a < d; a++)
            tr += m->cov[(size_t)k * d * d + a * d + a];
        st->weight[k] = m->weight[k] > 0 ? m->weight[k] : 0;
        st->comp_var[k] = m->weight[k] > 0 ? tr / d : 0;
        st->min_weight = fmin(st->min_weight, st->weight[k]);
    }
    st->w2 = mb_stats_mixture_w2(m, ref->m, ref->sqrt_cov);
    long beyond2 = 0, beyond3 = 0;
    for (long i = 0; i < n; i++) {
        int k = 0;
        double r = tail_radius(ref, samples + (size_t)i * d, &k);
        beyond2 += r > 2;
        beyond3 += r > 3;
        st->class_share[k] += 1.0 / (double)n;
    }
    st->tail2 = (double)beyond2 / (double)n;
    st->tail3 = (double)beyond3 / (double)n;
    st->min_class_share = 1;
    for (int k = 0; k < K; k++)
        st->min_class_share = fmin(st->min_class_share, st->class_share[k]);
}

/* One replica's state beyond its model: the accumulated train set (accumulate). */
typedef struct {
    double *accumulated; /* [(G + 1) M][d] or NULL */
    long n_accumulated;
} replica_data;

static int fit_next(const mb_toy_config *cfg, int t, int r, const double *synthetic,
                    replica_data *rd, double *scratch, mb_stats_model *m)
{
    int d = cfg->dim;
    long M = cfg->n_samples;
    uint64_t key = mb_toy_replica_key(cfg->seed, r);
    const double *train = synthetic;
    long n = M;
    if (cfg->loop == MB_TOY_FRESH_DATA) {
        /* n_r new real points, then S_t */
        mb_stats_sample(cfg->original, 1.0, cfg->n_real, key,
                        counter_base(t, PURPOSE_FRESH_REAL), scratch);
        memcpy(scratch + (size_t)cfg->n_real * d, synthetic, sizeof(double) * (size_t)M * d);
        train = scratch;
        n = cfg->n_real + M;
    } else if (cfg->loop == MB_TOY_ACCUMULATE) {
        memcpy(rd->accumulated + (size_t)rd->n_accumulated * d, synthetic,
               sizeof(double) * (size_t)M * d);
        rd->n_accumulated += M;
        train = rd->accumulated;
        n = rd->n_accumulated;
    }
    if (cfg->kind == MB_TOY_GAUSSIAN)
        return mb_stats_fit_gaussian(train, n, d, cfg->estimator, m);
    const mb_stats_em_config em =
        mb_toy_em_config(cfg, t == 0 ? MB_STATS_INIT_KMEANSPP : cfg->em_init);
    MB_TRY(mb_stats_fit_gmm(train, n, &em, key, counter_base(t + 1, PURPOSE_EM_INIT), m, NULL));
    mb_stats_match_components(m, cfg->original);
    return MB_OK;
}

/* The first error raised on a worker thread (mb_fail's message is thread-local). */
typedef struct {
    int status;
    char message[1024];
} worker_error;

static void keep_error(worker_error *e, int rc)
{
#pragma omp critical(mb_toy_error)
    if (rc != MB_OK && e->status == MB_OK) {
        e->status = rc;
        snprintf(e->message, sizeof e->message, "%s", mb_last_error());
    }
}

int mb_toy_run(const mb_toy_config *cfg, mb_toy_observer observe, void *user)
{
    MB_TRY(mb_toy_config_check(cfg));
    int d = cfg->dim, K = cfg->n_components, R = cfg->replicas, G = cfg->generations;
    long M = cfg->n_samples;
    size_t dd = (size_t)d * d;
    int threads = cfg->threads > 0 ? cfg->threads : omp_get_max_threads();

    reference ref = {.m = cfg->original};
    mixture_moments(cfg->original, ref.mean, ref.cov);
    ref.det = mb_stats_det(d, ref.cov);
    for (int k = 0; k < K; k++)
        ref.log_w_det[k] = log(cfg->original->weight[k]) -
                           0.5 * log(mb_stats_det(d, cfg->original->cov + k * dd));
    mb_stats_model *models = mb_host_alloc(sizeof(mb_stats_model) * (size_t)R, "toy models");
    mb_toy_replica_stats *stats =
        mb_host_alloc(sizeof(mb_toy_replica_stats) * (size_t)R, "toy statistics");
    replica_data *rdata = mb_host_alloc(sizeof(replica_data) * (size_t)R, "toy replicas");
    double *samples = mb_host_alloc(sizeof(double) * (size_t)R * M * d, "toy samples");
    long scratch_points = cfg->loop == MB_TOY_FRESH_DATA ? cfg->n_real + M : 1;
    double *scratch =
        mb_host_alloc(sizeof(double) * (size_t)threads * scratch_points * d, "toy scratch");
    ref.sqrt_cov = mb_host_alloc(sizeof(double) * K * dd, "toy reference");
    int rc = models && stats && rdata && samples && scratch && ref.sqrt_cov ? MB_OK
                                                                            : MB_ENOMEM;
    for (int k = 0; k < K && rc == MB_OK; k++)
        rc = mb_stats_sqrtm(d, cfg->original->cov + k * dd, ref.sqrt_cov + k * dd);
    if (rc == MB_OK && !(ref.det > 0))
        rc = mb_fail(MB_EINPUT, "toy: the original distribution's covariance is singular "
                     "(expected --sigma0 > 0 and -1/(dim-1) < --rho < 1)");
    for (int r = 0; r < R && rc == MB_OK; r++) {
        rc = mb_stats_model_alloc(&models[r], d, K);
        if (rc == MB_OK)
            mb_stats_model_copy(&models[r], cfg->original);
        if (rc == MB_OK && cfg->loop == MB_TOY_ACCUMULATE) {
            rdata[r].accumulated = mb_host_alloc(sizeof(double) * (size_t)(G + 1) * M * d,
                                                 "toy accumulated train set");
            if (!rdata[r].accumulated)
                rc = MB_ENOMEM;
        }
    }

    worker_error err = {MB_OK, ""};
    for (int t = 0; t <= G && rc == MB_OK; t++) {
#pragma omp parallel for num_threads(threads) schedule(dynamic, 4)
        for (int r = 0; r < R; r++) {
            double *s = samples + (size_t)r * M * d;
            uint64_t key = mb_toy_replica_key(cfg->seed, r);
            /* S_0 is real data: never biased. */
            mb_stats_sample(&models[r], t == 0 ? 1.0 : cfg->lambda, M, key,
                            counter_base(t, PURPOSE_SYNTHETIC), s);
            measure(&ref, &models[r], s, M, &stats[r]);
        }
        if (observe) {
            mb_toy_generation gen = {t, R, stats, models, samples, M};
            rc = observe(user, &gen);
            if (rc != MB_OK)
                break;
        }
        if (t == G)
            break;
#pragma omp parallel for num_threads(threads) schedule(dynamic, 1)
        for (int r = 0; r < R; r++) {
            double *mine = scratch + (size_t)omp_get_thread_num() * scratch_points * d;
            int frc = fit_next(cfg, t, r, samples + (size_t)r * M * d, &rdata[r], mine,
                               &models[r]);
            if (frc != MB_OK)
                keep_error(&err, frc);
        }
        if (err.status != MB_OK)
            rc = mb_fail(err.status, "%s: fitting generation %d: %s",
                         cfg->kind == MB_TOY_GMM ? "toy gmm" : "toy gaussian", t + 1,
                         err.message);
    }

    for (int r = 0; models && r < R; r++) {
        if (models[r].weight)
            mb_stats_model_free(&models[r]);
        if (rdata)
            free(rdata[r].accumulated);
    }
    free(models);
    free(stats);
    free(rdata);
    free(samples);
    free(scratch);
    free(ref.sqrt_cov);
    return rc;
}
