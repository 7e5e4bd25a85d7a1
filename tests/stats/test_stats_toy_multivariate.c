/* test_stats_toy_multivariate.c — the d-D Gaussian loop against its closed forms, each
 * checked as |replica mean - closed form| <= 4 standard errors (SE computed from the
 * replicas):
 *  - sampling bias, unbiased estimator: E[Sigma_t] = lambda^(t-1) Sigma_0 entrywise
 *    (S_0 is real data, so the first fit sees no bias; Alemohammad et al. 2023, Sec. 4
 *    write lambda^t counting the original as a biased sampler);
 *  - E[det Sigma_t] / det Sigma_0 = lambda^(d(t-1)) (prod_{i=1..d} (M-i)/(M-1))^t
 *    (unbiased; (M-i)/M for MLE): det of a Wishart matrix W_d(M-1, Sigma) is det Sigma
 *    times independent chi-squares with M-1, ..., M-d degrees of freedom (Muirhead,
 *    "Aspects of Multivariate Statistical Theory", Thm 3.2.15). */
#include "mb_toy.h"
#include "testutil.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#define D 3

typedef struct {
    int replicas, generations;
    double *cov; /* [G + 1][R][D * D] */
    double *det; /* [G + 1][R] */
} series;

static int collect(void *user, const mb_toy_generation *g)
{
    series *s = user;
    for (int r = 0; r < g->replicas; r++) {
        memcpy(s->cov + ((size_t)g->generation * s->replicas + r) * D * D, g->models[r].cov,
               sizeof(double) * D * D);
        s->det[(size_t)g->generation * s->replicas + r] = g->stats[r].det_ratio;
    }
    return MB_OK;
}

static series run(mb_toy_config *cfg)
{
    series s = {cfg->replicas, cfg->generations, NULL, NULL};
    s.cov = calloc((size_t)(cfg->generations + 1) * cfg->replicas * D * D, sizeof(double));
    s.det = calloc((size_t)(cfg->generations + 1) * cfg->replicas, sizeof(double));
    CHECK(mb_toy_run(cfg, collect, &s) == MB_OK, "mb_toy_run: %s", mb_last_error());
    return s;
}

/* mean and SE of values[i * stride] */
static void mean_se(const double *v, int n, int stride, double *mean, double *se)
{
    double m = 0, ss = 0;
    for (int i = 0; i < n; i++)
        m += v[(size_t)i * stride];
    m /= n;
    for (int i = 0; i < n; i++)
        ss += (v[(size_t)i * stride] - m) * (v[(size_t)i * stride] - m);
    *mean = m;
    *se = sqrt(ss / (n - 1) / n);
}

static double det_factor(long M, mb_stats_estimator est)
{
    double f = 1;
    for (int i = 1; i <= D; i++)
        f *= (double)(M - i) / (double)(est == MB_STATS_MLE ? M : M - 1);
    return f;
}

static void configure(mb_toy_config *cfg, const mb_stats_model *orig, mb_stats_estimator est,
                      double lambda, uint64_t seed)
{
    mb_toy_config_defaults(cfg, MB_TOY_GAUSSIAN);
    cfg->dim = D;
    cfg->original = orig;
    cfg->n_samples = 20;
    cfg->replicas = 10000;
    cfg->generations = 5;
    cfg->estimator = est;
    cfg->lambda = lambda;
    cfg->seed = seed;
    cfg->threads = 1; /* results do not depend on it (test_stats_toy_gaussian checks) */
}

static void test_bias_and_det(const mb_stats_model *orig)
{
    mb_toy_config cfg;
    configure(&cfg, orig, MB_STATS_UNBIASED, 0.8, 21);
    series s = run(&cfg);
    int R = cfg.replicas;
    for (int t = 1; t <= cfg.generations; t++) {
        for (int e = 0; e < D * D; e++) {
            double m, se, want = pow(cfg.lambda, t - 1) * orig->cov[e];
            mean_se(s.cov + (size_t)t * R * D * D + e, R, D * D, &m, &se);
            CHECK(fabs(m - want) <= 4 * se, "E[Sigma_%d][%d][%d] = %.5f +- %.2g, closed form "
                  "%.5f", t, e / D, e % D, m, 4 * se, want);
        }
        double m, se;
        double want = pow(pow(cfg.lambda, D), t - 1) *
                      pow(det_factor(cfg.n_samples, cfg.estimator), t);
        mean_se(s.det + (size_t)t * R, R, 1, &m, &se);
        CHECK(fabs(m - want) <= 4 * se, "unbiased, lambda %.1f: E[det Sigma_%d]/det Sigma_0 = "
              "%.5f +- %.2g, closed form %.5f", cfg.lambda, t, m, 4 * se, want);
    }
    /* power: the same data reject lambda^t (bias on the real data too) at t = 5 */
    double m, se;
    mean_se(s.cov + (size_t)5 * R * D * D, R, D * D, &m, &se);
    CHECK(fabs(m - pow(cfg.lambda, 5) * orig->cov[0]) > 4 * se,
          "E[Sigma_5][0][0] = %.5f does not reject lambda^5 Sigma_0", m);
    free(s.cov);
    free(s.det);
}

static void test_det_mle(const mb_stats_model *orig)
{
    mb_toy_config cfg;
    configure(&cfg, orig, MB_STATS_MLE, 1.0, 22);
    series s = run(&cfg);
    int R = cfg.replicas;
    double m = 0, se = 0;
    for (int t = 1; t <= cfg.generations; t++) {
        double want = pow(det_factor(cfg.n_samples, MB_STATS_MLE), t);
        mean_se(s.det + (size_t)t * R, R, 1, &m, &se);
        CHECK(fabs(m - want) <= 4 * se, "MLE: E[det Sigma_%d]/det Sigma_0 = %.5f +- %.2g, "
              "closed form %.5f", t, m, 4 * se, want);
    }
    double wrong = pow(det_factor(cfg.n_samples, MB_STATS_UNBIASED), 5);
    CHECK(fabs(m - wrong) > 4 * se, "MLE det at t=5 (%.5f) does not reject the unbiased "
          "closed form %.5f", m, wrong);
    free(s.cov);
    free(s.det);
}

int main(void)
{
    mb_stats_model orig;
    /* sigma0 = 1.5, correlation 0.5: a full covariance, so off-diagonals are checked */
    CHECK(mb_stats_original_gaussian(&orig, D, 0.0, 1.5, 0.5) == MB_OK, "original");
    test_bias_and_det(&orig);
    test_det_mle(&orig);
    mb_stats_model_free(&orig);
    /* rho outside (-1/(d-1), 1) is rejected with a message naming the option */
    mb_stats_model bad;
    int rc = mb_stats_original_gaussian(&bad, D, 0.0, 1.0, -0.6);
    CHECK(rc == MB_EINPUT && strstr(mb_last_error(), "--rho"), "rho -0.6 in 3-D: rc %d, %s",
          rc, mb_last_error());
    return mb_test_finish("test_stats_toy_multivariate");
}
