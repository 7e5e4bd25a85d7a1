/* cli/toy.c — `madbench toy gaussian|gmm`: self-consuming loops on Gaussians and
 * Gaussian mixtures, where the collapse has closed forms. */
#include "mb_cli.h"
#include "mb_toy.h"

#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static void usage(FILE *out)
{
    fputs(
        "usage: madbench toy gaussian [options]\n"
        "       madbench toy gmm [options]\n"
        "\n"
        "R independent replicas of a fit-then-sample loop over G generations. theta_0 is the\n"
        "original distribution; step t draws S_t (M points) from theta_t (S_0 is real data;\n"
        "for t >= 1 each component is sampled from N(mu, lambda Sigma)), measures it and fits\n"
        "theta_{t+1} to the next train set. Results depend on --seed only, not on threads.\n"
        "\n"
        "loop:\n"
        "  --replicas R        independent chains (default 1000 gaussian, 200 gmm)\n"
        "  --generations G     generations after the original (default 100 gaussian, 50 gmm)\n"
        "  --samples M         synthetic points per generation, >= dim+1 (default 100 gaussian,\n"
        "                      200 gmm)\n"
        "  --loop TYPE         fully-synthetic (train on S_t; default), fresh-data (train on\n"
        "                      --real new real points + S_t), accumulate (train on S_0..S_t)\n"
        "  --real N            fresh real points per generation, fresh-data loop (default M)\n"
        "  --estimator E       mle (covariance / n; default) or unbiased (/ (n-1); for a GMM\n"
        "                      each component's covariance is scaled by N_k / (N_k - 1))\n"
        "  --lambda L          sampling bias > 0: synthetic points ~ N(mu, L Sigma) (default 1)\n"
        "  --seed S            Philox seed (default 1)\n"
        "  --threads N         OpenMP threads, 0 = OpenMP's default (default 0)\n"
        "\n"
        "original distribution:\n"
        "  --dim d             dimension, 1..64 (default 1 gaussian, 2 gmm)\n"
        "  --sigma0 s          standard deviation of the original (of each component) (default 1)\n"
        "  --mean m            gaussian: mean in every coordinate (default 0)\n"
        "  --rho r             gaussian: correlation between coordinates, covariance\n"
        "                      s^2 [(1-r) I + r 11^T], -1/(d-1) < r < 1 (default 0)\n"
        "  --components K      gmm: components, 1..16 (default 3, or the number of --weights)\n"
        "  --weights w1,w2,..  gmm: component weights, normalised (default equal)\n"
        "  --separation D      gmm: means evenly spaced on a circle of radius D in the first\n"
        "                      two coordinates (on [-D, D] for dim 1) (default 4)\n"
        "\n"
        "EM (gmm):\n"
        "  --em-init I         kmeans++ (every generation fitted from scratch: k-means++\n"
        "                      seeding, 10 Lloyd iterations, then EM; default) or warm (EM\n"
        "                      starts from the previous generation's fit; theta_1 from\n"
        "                      k-means++)\n"
        "  --em-max-iter N     iteration limit (default 200)\n"
        "  --em-tol T          stop when the mean log-likelihood gains less than T (default 1e-6)\n"
        "  --em-reg V          added to every covariance diagonal (default 1e-6); a component\n"
        "                      with responsibility below dim+1 points dies (weight 0)\n"
        "\n"
        "output:\n"
        "  --out DIR           run folder (default results/runs/toy-<kind>-<YYYYmmdd-HHMMSS>):\n"
        "                      config.json, manifest.json, metrics.csv and metrics.jsonl (one\n"
        "                      row per generation: fitted variance mean/quantiles/closed form,\n"
        "                      drift, tail shares beyond 2 and 3 sigma_0, weights and class\n"
        "                      shares, W2 / MW2 to the original) and SVG plots (variance,\n"
        "                      tails, w2, drift, histogram, histogram_pooled; gmm: weights,\n"
        "                      classes, component_variance)\n"
        "  --no-plots          skip the SVG plots\n"
        "  --quiet             no progress on stderr\n"
        "  --help              this text\n",
        out);
}

static int parse_choice(mb_args *a, const char *name, const char *const *choices, int n,
                        int fallback, int *out)
{
    const char *v = mb_args_str(a, name, NULL);
    if (!v) {
        *out = fallback;
        return MB_OK;
    }
    for (int i = 0; i < n; i++)
        if (!strcmp(v, choices[i])) {
            *out = i;
            return MB_OK;
        }
    char expected[256] = "";
    for (int i = 0; i < n; i++)
        snprintf(expected + strlen(expected), sizeof expected - strlen(expected), "%s%s",
                 i ? ", " : "", choices[i]);
    return mb_fail(MB_EINPUT, "%s: option %s='%s' is not one of: %s", a->command, name, v,
                   expected);
}

/* "w1,w2,..." -> positive weights; returns how many (or -1 after mb_fail). */
static int parse_weights(const char *command, const char *s, double *w)
{
    int n = 0;
    const char *p = s;
    while (*p) {
        char *end;
        double v = strtod(p, &end);
        if (end == p || !(v > 0) || !isfinite(v) || (*end && *end != ',') ||
            n == MB_STATS_MAX_COMPONENTS) {
            mb_fail(MB_EINPUT, "%s: option weights='%s': expected 1..%d positive numbers "
                    "separated by commas", command, s, MB_STATS_MAX_COMPONENTS);
            return -1;
        }
        w[n++] = v;
        p = *end ? end + 1 : end;
    }
    if (n == 0)
        mb_fail(MB_EINPUT, "%s: option weights is empty (expected w1,w2,...)", command);
    return n ? n : -1;
}

typedef struct {
    mb_toy_writer *writer;
    const mb_toy_config *cfg;
    const char *name;
    double start, last_print;
} progress_state;

static int observe(void *user, const mb_toy_generation *g)
{
    progress_state *ps = user;
    MB_TRY(mb_toy_writer_observe(ps->writer, g));
    double now = mb_now_seconds();
    int G = ps->cfg->generations;
    if (now - ps->last_print >= 1.0 || g->generation == G) {
        const mb_toy_row *row = mb_toy_writer_last_row(ps->writer);
        double elapsed = now - ps->start;
        double eta = g->generation > 0 ? elapsed * (G - g->generation) / g->generation : 0;
        mb_progress("%s: generation %d/%d  var mean %.4g median %.4g  W2 %.4g  "
                    "beyond 3 sigma_0 %.4f  [%.1f s, ETA %.0f s]\n",
                    ps->name, g->generation, G, row->var_mean, row->var_q50, row->w2_mean,
                    row->tail3_mean, elapsed, eta);
        ps->last_print = now;
    }
    return MB_OK;
}

static int read_options(mb_args *a, mb_toy_kind kind, mb_toy_config *cfg,
                        mb_stats_model *original)
{
    long v;
    mb_toy_config_defaults(cfg, kind);
    MB_TRY(mb_args_long(a, "replicas", cfg->replicas, 1, 10000000, &v));
    cfg->replicas = (int)v;
    MB_TRY(mb_args_long(a, "generations", cfg->generations, 1, (1 << 23) - 1, &v));
    cfg->generations = (int)v;
    MB_TRY(mb_args_long(a, "dim", cfg->dim, 1, MB_STATS_MAX_DIM, &v));
    cfg->dim = (int)v;
    MB_TRY(mb_args_long(a, "samples", cfg->n_samples, cfg->dim + 1, 1L << 26, &cfg->n_samples));
    MB_TRY(mb_args_long(a, "real", cfg->n_samples, 1, 1L << 26, &cfg->n_real));
    MB_TRY(mb_args_double(a, "lambda", 1.0, 1e-6, 1e6, &cfg->lambda));
    MB_TRY(mb_args_long(a, "seed", 1, 0, LONG_MAX, &v));
    cfg->seed = (uint64_t)v;
    MB_TRY(mb_args_long(a, "threads", 0, 0, 4096, &v));
    cfg->threads = (int)v;
    int choice;
    static const char *const estimators[] = {"mle", "unbiased"};
    MB_TRY(parse_choice(a, "estimator", estimators, 2, MB_STATS_MLE, &choice));
    cfg->estimator = (mb_stats_estimator)choice;
    static const char *const loops[] = {"fully-synthetic", "fresh-data", "accumulate"};
    MB_TRY(parse_choice(a, "loop", loops, 3, MB_TOY_FULLY_SYNTHETIC, &choice));
    cfg->loop = (mb_toy_loop)choice;
    if (mb_args_str(a, "real", NULL) && cfg->loop != MB_TOY_FRESH_DATA)
        return mb_fail(MB_EINPUT, "%s: option real only applies to --loop fresh-data",
                       a->command);
    double sigma0;
    MB_TRY(mb_args_double(a, "sigma0", 1.0, 1e-150, 1e150, &sigma0));

    if (kind == MB_TOY_GAUSSIAN) {
        double mean, rho;
        MB_TRY(mb_args_double(a, "mean", 0.0, -1e150, 1e150, &mean));
        MB_TRY(mb_args_double(a, "rho", 0.0, -1.0, 1.0, &rho));
        MB_TRY(mb_stats_original_gaussian(original, cfg->dim, mean, sigma0, rho));
    } else {
        double weights[MB_STATS_MAX_COMPONENTS];
        int n_weights = 0;
        const char *ws = mb_args_str(a, "weights", NULL);
        if (ws && (n_weights = parse_weights(a->command, ws, weights)) < 0)
            return MB_EINPUT;
        MB_TRY(mb_args_long(a, "components", n_weights ? n_weights : 3, 1,
                            MB_STATS_MAX_COMPONENTS, &v));
        cfg->n_components = (int)v;
        if (n_weights && n_weights != cfg->n_components)
            return mb_fail(MB_EINPUT, "%s: option weights has %d values but components=%d "
                           "(expected one weight per component)", a->command, n_weights,
                           cfg->n_components);
        double separation;
        MB_TRY(mb_args_double(a, "separation", 4.0, 0.0, 1e150, &separation));
        static const char *const inits[] = {"kmeans++", "warm"}; /* mb_stats_em_init order */
        MB_TRY(parse_choice(a, "em_init", inits, 2, MB_STATS_INIT_KMEANSPP, &choice));
        cfg->em_init = (mb_stats_em_init)choice;
        MB_TRY(mb_args_long(a, "em_max_iter", cfg->em_max_iter, 1, 1000000, &v));
        cfg->em_max_iter = (int)v;
        MB_TRY(mb_args_double(a, "em_tol", cfg->em_tol, 0.0, 1e6, &cfg->em_tol));
        MB_TRY(mb_args_double(a, "em_reg", cfg->em_reg, 0.0, 1e150, &cfg->em_reg));
        MB_TRY(mb_stats_original_gmm(original, cfg->dim, cfg->n_components,
                                     n_weights ? weights : NULL, separation, sigma0));
    }
    cfg->original = original;
    return MB_OK;
}

static void join_command(char *buf, size_t size, const char *kind, int argc, char **argv)
{
    snprintf(buf, size, "madbench toy %s", kind);
    for (int i = 0; i < argc; i++)
        snprintf(buf + strlen(buf), size - strlen(buf), " %s", argv[i]);
}

int mb_cli_toy(int argc, char **argv)
{
    if (argc < 1 || !strcmp(argv[0], "--help") || !strcmp(argv[0], "-h")) {
        usage(argc < 1 ? stderr : stdout);
        return argc < 1 ? mb_fail(MB_EINPUT, "toy: expected a kind: gaussian or gmm (see "
                                             "madbench toy --help)")
                        : MB_OK;
    }
    mb_toy_kind kind;
    if (!strcmp(argv[0], "gaussian"))
        kind = MB_TOY_GAUSSIAN;
    else if (!strcmp(argv[0], "gmm"))
        kind = MB_TOY_GMM;
    else
        return mb_fail(MB_EINPUT, "toy: unknown kind '%s' (expected gaussian or gmm)", argv[0]);
    const char *name = kind == MB_TOY_GMM ? "toy gmm" : "toy gaussian";

    static const char *const flags[] = {"help", "no-plots", "quiet", NULL};
    mb_args a;
    MB_TRY(mb_args_parse(&a, name, argc - 1, argv + 1, flags));
    for (int i = 0; i < a.n_positional; i++)
        if (!strcmp(a.positional[i], "-h")) {
            usage(stdout);
            return MB_OK;
        }
    if (mb_args_flag(&a, "help")) {
        usage(stdout);
        return MB_OK;
    }
    if (a.n_positional)
        return mb_fail(MB_EINPUT, "%s: unexpected argument '%s' (options are --name value)",
                       name, a.positional[0]);
    int no_plots = mb_args_flag(&a, "no_plots");
    mb_set_quiet(mb_args_flag(&a, "quiet"));
    char default_out[256];
    {
        char stamp[32];
        time_t now = time(NULL);
        struct tm tm;
        localtime_r(&now, &tm);
        strftime(stamp, sizeof stamp, "%Y%m%d-%H%M%S", &tm);
        snprintf(default_out, sizeof default_out, "results/runs/toy-%s-%s", argv[0], stamp);
    }
    const char *out = mb_args_str(&a, "out", default_out);

    mb_toy_config cfg;
    mb_stats_model original = {0};
    int rc = read_options(&a, kind, &cfg, &original);
    if (rc == MB_OK)
        rc = mb_args_check_unused(&a);
    if (rc == MB_OK)
        rc = mb_toy_config_check(&cfg);
    char command[4096];
    join_command(command, sizeof command, argv[0], argc - 1, argv + 1);
    progress_state ps = {NULL, &cfg, name, mb_now_seconds(), 0};
    if (rc == MB_OK)
        rc = mb_toy_writer_open(&ps.writer, out, &cfg, command);
    if (rc == MB_OK) {
        mb_progress("%s: %d replicas x %d generations, M=%ld, %s loop -> %s\n", name,
                    cfg.replicas, cfg.generations, cfg.n_samples,
                    cfg.loop == MB_TOY_FRESH_DATA ? "fresh-data"
                    : cfg.loop == MB_TOY_ACCUMULATE ? "accumulate" : "fully-synthetic", out);
        rc = mb_toy_run(&cfg, observe, &ps);
        const mb_toy_row *last = mb_toy_writer_last_row(ps.writer);
        mb_toy_row final_row = last ? *last : (mb_toy_row){0};
        int n_done = last != NULL;
        int crc = mb_toy_writer_close(ps.writer, no_plots);
        if (rc == MB_OK)
            rc = crc;
        if (rc == MB_OK && n_done) {
            printf("%s: %d generations x %d replicas in %.1f s\n", name, cfg.generations,
                   cfg.replicas, mb_now_seconds() - ps.start);
            const mb_toy_row *f = &final_row;
            printf("generation %d: fitted variance mean %.6g", f->generation, f->var_mean);
            if (isfinite(f->var_closed_form))
                printf(" (closed form %.6g)", f->var_closed_form);
            printf(", median %.6g; %s %.4g; share beyond 2 / 3 sigma_0: mean %.4f / %.4f, "
                   "median %.4f / %.4f\n", f->var_q50, kind == MB_TOY_GMM ? "MW2" : "W2",
                   f->w2_mean, f->tail2_mean, f->tail3_mean, f->tail2_q50, f->tail3_q50);
            if (kind == MB_TOY_GMM)
                printf("smallest fitted weight %.4f, smallest class share %.4f, replicas with "
                       "a class share < 1%%: %.3f\n", f->min_weight_mean,
                       f->min_class_share_mean, f->lost_share);
            printf("results: %s\n", out);
        }
    }
    if (original.weight)
        mb_stats_model_free(&original);
    return rc;
}
