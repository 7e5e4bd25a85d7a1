/* test_stats_toy_gmm.c — EM and the Gaussian-mixture loop. EM must recover known
 * parameters within 4 standard errors of the MLE (SEs from the usual asymptotics,
 * nearly exact for well-separated components); in the fully synthetic loop the
 * component counts follow a neutral Wright-Fisher drift (Shumailov et al. 2024,
 * Sec. 3: the light component is lost first), so the smallest class share (and,
 * with warm starts, the smallest fitted weight) goes to 0 and the total variance
 * shrinks; fresh data keeps every component alive. */
#include "mb_toy.h"
#include "testutil.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

static void test_em_recovers(void)
{
    const double weights[3] = {0.5, 0.3, 0.2};
    mb_stats_model truth, fit;
    CHECK(mb_stats_original_gmm(&truth, 2, 3, weights, 6.0, 1.0) == MB_OK, "gmm");
    /* anisotropic, correlated covariances */
    const double covs[3][4] = {{1.0, 0.3, 0.3, 0.5}, {0.4, -0.2, -0.2, 1.5}, {2.0, 0, 0, 0.3}};
    memcpy(truth.cov, covs, sizeof covs);
    CHECK(mb_stats_model_prepare(&truth) == MB_OK, "prepare");
    const long n = 20000;
    double *x = malloc(sizeof(double) * n * 2);
    mb_stats_sample(&truth, 1.0, n, mb_toy_replica_key(5, 0), 0, x);
    mb_toy_config cfg;
    mb_toy_config_defaults(&cfg, MB_TOY_GMM);
    cfg.em_tol = 1e-10;
    cfg.em_reg = 0;
    CHECK(mb_stats_model_alloc(&fit, 2, 3) == MB_OK, "alloc");
    int iters = 0;
    const mb_stats_em_config em = mb_toy_em_config(&cfg, MB_STATS_INIT_KMEANSPP);
    CHECK(mb_stats_fit_gmm(x, n, &em, 77, 0, &fit, &iters) == MB_OK,
          "EM: %s", mb_last_error());
    CHECK(iters > 1 && iters < cfg.em_max_iter, "EM converged in %d iterations", iters);
    mb_stats_match_components(&fit, &truth);
    for (int k = 0; k < 3; k++) {
        double w = truth.weight[k], se_w = sqrt(w * (1 - w) / n), nk = n * w;
        CHECK(fabs(fit.weight[k] - w) <= 4 * se_w, "weight %d: %.4f vs %.4f +- %.4f", k,
              fit.weight[k], w, 4 * se_w);
        for (int a = 0; a < 2; a++) {
            double s = covs[k][a * 3], se = sqrt(s / nk);
            CHECK(fabs(fit.mean[k * 2 + a] - truth.mean[k * 2 + a]) <= 4 * se,
                  "mean %d[%d]: %.4f vs %.4f +- %.4f", k, a, fit.mean[k * 2 + a],
                  truth.mean[k * 2 + a], 4 * se);
            for (int b = 0; b < 2; b++) {
                double sab = covs[k][a * 2 + b];
                double se_c = sqrt((covs[k][a * 3] * covs[k][b * 3] + sab * sab) / nk);
                CHECK(fabs(fit.cov[k * 4 + a * 2 + b] - sab) <= 4 * se_c,
                      "cov %d[%d][%d]: %.4f vs %.4f +- %.4f", k, a, b, fit.cov[k * 4 + a * 2 + b],
                      sab, 4 * se_c);
            }
        }
    }
    free(x);
    mb_stats_model_free(&truth);
    mb_stats_model_free(&fit);
}

/* K = 1: EM is the closed-form fit, for both estimators. */
static void test_em_one_component(void)
{
    mb_stats_model g, a, b;
    CHECK(mb_stats_original_gaussian(&g, 2, 1.0, 2.0, 0.4) == MB_OK, "gaussian");
    double x[2 * 50];
    mb_stats_sample(&g, 1.0, 50, 3, 0, x);
    mb_toy_config cfg;
    mb_toy_config_defaults(&cfg, MB_TOY_GMM);
    cfg.em_reg = 0;
    mb_stats_model_alloc(&a, 2, 1);
    mb_stats_model_alloc(&b, 2, 1);
    for (int e = 0; e < 2; e++) {
        cfg.estimator = e ? MB_STATS_UNBIASED : MB_STATS_MLE;
        mb_stats_fit_gaussian(x, 50, 2, cfg.estimator, &a);
        const mb_stats_em_config em = mb_toy_em_config(&cfg, MB_STATS_INIT_KMEANSPP);
        CHECK(mb_stats_fit_gmm(x, 50, &em, 1, 0, &b, NULL) == MB_OK, "EM");
        for (int i = 0; i < 4; i++)
            CHECK_CLOSE(b.cov[i], a.cov[i], 1e-12, 1e-10, e ? "unbiased cov" : "MLE cov");
        for (int i = 0; i < 2; i++)
            CHECK_CLOSE(b.mean[i], a.mean[i], 1e-12, 1e-12, "mean");
    }
    mb_stats_model_free(&g);
    mb_stats_model_free(&a);
    mb_stats_model_free(&b);
}

typedef struct {
    int replicas, generations;
    double *min_w, *min_class, *var; /* [G + 1][R] */
} series;

static int collect(void *user, const mb_toy_generation *g)
{
    series *s = user;
    for (int r = 0; r < g->replicas; r++) {
        size_t i = (size_t)g->generation * s->replicas + r;
        s->min_w[i] = g->stats[r].min_weight;
        s->min_class[i] = g->stats[r].min_class_share;
        s->var[i] = g->stats[r].var;
    }
    return MB_OK;
}

static series run(const mb_toy_config *cfg)
{
    size_t n = (size_t)(cfg->generations + 1) * cfg->replicas;
    series s = {cfg->replicas, cfg->generations, calloc(n, sizeof(double)),
                calloc(n, sizeof(double)), calloc(n, sizeof(double))};
    CHECK(mb_toy_run(cfg, collect, &s) == MB_OK, "mb_toy_run: %s", mb_last_error());
    return s;
}

static void free_series(series *s)
{
    free(s->min_w);
    free(s->min_class);
    free(s->var);
}

static void mean_se(const double *v, int n, double *mean, double *se)
{
    double m = 0, ss = 0;
    for (int i = 0; i < n; i++)
        m += v[i];
    m /= n;
    for (int i = 0; i < n; i++)
        ss += (v[i] - m) * (v[i] - m);
    *mean = m;
    *se = sqrt(ss / (n - 1) / n);
}

/* share of replicas where some original component's class share of S_t is < 1% */
static double lost_share(const series *s, int t)
{
    int lost = 0;
    for (int r = 0; r < s->replicas; r++)
        lost += s->min_class[(size_t)t * s->replicas + r] < 0.01;
    return (double)lost / s->replicas;
}

static void base_config(mb_toy_config *cfg, const mb_stats_model *orig)
{
    mb_toy_config_defaults(cfg, MB_TOY_GMM);
    cfg->original = orig;
    cfg->replicas = 100;
    cfg->generations = 50;
    cfg->n_samples = 100;
    cfg->seed = 31;
    cfg->threads = 1; /* results do not depend on it (test_threads) */
}

/* Fully synthetic, every generation fitted from scratch (k-means++): the light
 * component's data disappear (a Wright-Fisher allele at 10% in 100 draws is lost
 * with probability 0.9, after ~25 generations on average when it is), and the
 * total variance shrinks. */
static void test_loop(const mb_stats_model *orig)
{
    mb_toy_config cfg;
    base_config(&cfg, orig);
    series full = run(&cfg);
    int R = cfg.replicas, G = cfg.generations;
    double p1 = lost_share(&full, 1), pg = lost_share(&full, G);
    double se_g = sqrt(fmax(pg * (1 - pg), 1.0 / R) / R);
    CHECK(p1 < 0.05, "replicas with a class share < 1%% at t=1: %.3f (expected ~0)", p1);
    CHECK(pg - 4 * se_g > 0.4, "replicas with a class share < 1%% at t=%d: %.3f +- %.3f "
          "should exceed 0.4", G, pg, 4 * se_g);
    double m1, se1, mg, seg;
    mean_se(full.min_class + R, R, &m1, &se1);
    mean_se(full.min_class + (size_t)G * R, R, &mg, &seg);
    CHECK(mg + 4 * seg < m1 - 4 * se1, "smallest class share: t=1 %.4f +- %.4f, t=%d "
          "%.4f +- %.4f (light component 0.1)", m1, 4 * se1, G, mg, 4 * seg);
    /* total variance shrinks: E[var_G] well below var_0 (exact at t = 0) */
    double var0 = full.var[0], vg, sev;
    mean_se(full.var + (size_t)G * R, R, &vg, &sev);
    CHECK(vg + 4 * sev < 0.9 * var0, "total variance: t=0 %.3f, t=%d %.3f +- %.3f", var0, G,
          vg, 4 * sev);
    free_series(&full);

    /* warm start: a component that falls under dim + 1 points dies, so the smallest
     * fitted weight itself goes to 0 */
    cfg.em_init = MB_STATS_INIT_WARM;
    series warm = run(&cfg);
    mean_se(warm.min_w + R, R, &m1, &se1);
    mean_se(warm.min_w + (size_t)G * R, R, &mg, &seg);
    CHECK(m1 - 4 * se1 > 0.05 && mg + 4 * seg < 0.05, "warm start: smallest fitted weight "
          "t=1 %.4f +- %.4f, t=%d %.4f +- %.4f", m1, 4 * se1, G, mg, 4 * seg);
    free_series(&warm);

    /* fresh data: 100 real points per generation keep the light component */
    base_config(&cfg, orig);
    cfg.loop = MB_TOY_FRESH_DATA;
    cfg.n_real = 100;
    cfg.generations = 30;
    series fresh = run(&cfg);
    double pf = lost_share(&fresh, 30), vf, sef;
    CHECK(pf <= 0.02, "fresh data: replicas with a class share < 1%% at t=30: %.3f", pf);
    mean_se(fresh.var + (size_t)30 * R, R, &vf, &sef);
    CHECK(vf - 4 * sef > 0.8 * var0, "fresh data: total variance at t=30 %.3f +- %.3f should "
          "stay near var_0 = %.3f", vf, 4 * sef, var0);
    free_series(&fresh);
}

/* Same numbers with 1 and 2 threads, warm and k-means++ initialisation, accumulate. */
static void test_threads(const mb_stats_model *orig)
{
    mb_toy_config cfg;
    mb_toy_config_defaults(&cfg, MB_TOY_GMM);
    cfg.original = orig;
    cfg.replicas = 17;
    cfg.generations = 6;
    cfg.n_samples = 60;
    for (int variant = 0; variant < 2; variant++) {
        cfg.em_init = variant ? MB_STATS_INIT_KMEANSPP : MB_STATS_INIT_WARM;
        cfg.loop = variant ? MB_TOY_ACCUMULATE : MB_TOY_FULLY_SYNTHETIC;
        cfg.threads = 1;
        series a = run(&cfg);
        cfg.threads = 2;
        series b = run(&cfg);
        size_t bytes = sizeof(double) * (cfg.generations + 1) * cfg.replicas;
        CHECK(!memcmp(a.var, b.var, bytes) && !memcmp(a.min_w, b.min_w, bytes) &&
                  !memcmp(a.min_class, b.min_class, bytes),
              "variant %d: 1 and 2 threads differ", variant);
        free_series(&a);
        free_series(&b);
    }
}

int main(void)
{
    test_em_recovers();
    test_em_one_component();
    const double weights[3] = {0.45, 0.45, 0.1};
    mb_stats_model orig;
    CHECK(mb_stats_original_gmm(&orig, 2, 3, weights, 6.0, 1.0) == MB_OK, "gmm");
    test_loop(&orig);
    test_threads(&orig);
    mb_stats_model_free(&orig);
    return mb_test_finish("test_stats_toy_gmm");
}
