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

static const char *const estimator_names[] = {"mle", "unbiased", NULL}; /* enum order */
static const char *const loop_names[] = {"fully-synthetic", "fresh-data", "accumulate", NULL};
static const char *const init_names[] = {"kmeans++", "warm", NULL};

typedef struct {
    mb_toy_config cfg;
    double sigma0, mean, rho, separation;
    const char *weights, *out;
    int no_plots, quiet;
} toy_options;

#define O(field) MB_OPT_AT(toy_options, field)
static const mb_option toy_table[] = {
    MB_OPT_GROUP("loop:"),
    {"replicas", MB_OPT_INT, O(cfg.replicas), "R", 1, 10000000, NULL,
     "independent chains", NULL, NULL},
    {"generations", MB_OPT_INT, O(cfg.generations), "G", 1, (1 << 23) - 1, NULL,
     "generations after the original", NULL, NULL},
    {"samples", MB_OPT_LONG, O(cfg.n_samples), "M", 2, 1L << 26, NULL,
     "synthetic points per generation, at least dim + 1", NULL, NULL},
    {"loop", MB_OPT_CHOICE, O(cfg.loop), "TYPE", 0, 0, loop_names,
     "fully-synthetic (train on S_t), fresh-data (train on --real new real points + S_t) "
     "or accumulate (train on S_0..S_t)", NULL, NULL},
    {"real", MB_OPT_LONG, O(cfg.n_real), "N", 1, 1L << 26, NULL,
     "fresh real points per generation, fresh-data loop only", "M", NULL},
    {"estimator", MB_OPT_CHOICE, O(cfg.estimator), "E", 0, 0, estimator_names,
     "mle (covariance / n) or unbiased (/ (n-1); for a GMM each component's covariance "
     "is scaled by N_k / (N_k - 1))", NULL, NULL},
    {"lambda", MB_OPT_DOUBLE, O(cfg.lambda), "L", 1e-6, 1e6, NULL,
     "sampling bias: synthetic points ~ N(mu, L Sigma)", NULL, NULL},
    {"seed", MB_OPT_U64, O(cfg.seed), "S", 0, (double)LONG_MAX, NULL,
     "Philox seed", NULL, NULL},
    {"threads", MB_OPT_INT, O(cfg.threads), "N", 0, 4096, NULL,
     "OpenMP threads; 0: OpenMP's default", NULL, NULL},
    MB_OPT_GROUP("original distribution:"),
    {"dim", MB_OPT_INT, O(cfg.dim), "d", 1, MB_STATS_MAX_DIM, NULL, "dimension", NULL, NULL},
    {"sigma0", MB_OPT_DOUBLE, O(sigma0), "s", 1e-150, 1e150, NULL,
     "standard deviation of the original (of each component)", NULL, NULL},
    {"mean", MB_OPT_DOUBLE, O(mean), "m", -1e150, 1e150, NULL, "mean in every coordinate",
     NULL, "gaussian"},
    {"rho", MB_OPT_DOUBLE, O(rho), "r", -1, 1, NULL,
     "correlation between coordinates, covariance s^2 [(1-r) I + r 11^T], "
     "-1/(d-1) < r < 1", NULL, "gaussian"},
    {"components", MB_OPT_INT, O(cfg.n_components), "K", 1, MB_STATS_MAX_COMPONENTS, NULL,
     "components", "3, or the number of --weights", "gmm"},
    {"weights", MB_OPT_STRING, O(weights), "w1,w2,..", 0, 0, NULL,
     "component weights, normalised", "equal", "gmm"},
    {"separation", MB_OPT_DOUBLE, O(separation), "D", 0, 1e150, NULL,
     "means evenly spaced on a circle of radius D in the first two coordinates "
     "(on [-D, D] for dim 1)", NULL, "gmm"},
    MB_OPT_GROUP("EM (gmm):"),
    {"em-init", MB_OPT_CHOICE, O(cfg.em_init), "I", 0, 0, init_names,
     "kmeans++ (every generation fitted from scratch: k-means++ seeding, 10 Lloyd "
     "iterations, then EM) or warm (EM starts from the previous generation's fit; "
     "theta_1 from k-means++)", NULL, "gmm"},
    {"em-max-iter", MB_OPT_INT, O(cfg.em_max_iter), "N", 1, 1000000, NULL,
     "iteration limit", NULL, "gmm"},
    {"em-tol", MB_OPT_DOUBLE, O(cfg.em_tol), "T", 0, 1e6, NULL,
     "stop when the mean log-likelihood gains less than T", NULL, "gmm"},
    {"em-reg", MB_OPT_DOUBLE, O(cfg.em_reg), "V", 0, 1e150, NULL,
     "added to every covariance diagonal; a component with responsibility below dim+1 "
     "points dies (weight 0)", NULL, "gmm"},
    MB_OPT_GROUP("output:"),
    {"out", MB_OPT_STRING, O(out), "DIR", 0, 0, NULL,
     "run folder: config.json, manifest.json, metrics.csv and metrics.jsonl (one row per "
     "generation: fitted variance mean / quantiles / closed form, drift, tail shares "
     "beyond 2 and 3 sigma_0, weights and class shares, W2 / MW2 to the original) and "
     "SVG plots (variance, tails, w2, drift, histogram, histogram_pooled; gmm: weights, "
     "classes, component_variance)", "results/runs/toy-KIND-YYYYmmdd-HHMMSS", NULL},
    {"no-plots", MB_OPT_FLAG, O(no_plots), NULL, 0, 0, NULL, "skip the SVG plots", NULL, NULL},
    {"quiet", MB_OPT_FLAG, O(quiet), NULL, 0, 0, NULL, "no progress on stderr", NULL, NULL},
};
#undef O

static void defaults(toy_options *o, mb_toy_kind kind)
{
    *o = (toy_options){.sigma0 = 1, .separation = 4};
    mb_toy_config_defaults(&o->cfg, kind);
    o->cfg.n_real = 0;       /* unset: --samples */
    o->cfg.n_components = 0; /* unset: 3, or the number of --weights */
}

static void usage(FILE *out)
{
    fputs(
        "usage: madbench toy gaussian [options]\n"
        "       madbench toy gmm [options]\n"
        "\n"
        "R independent replicas of a fit-then-sample loop over G generations. theta_0 is the\n"
        "original distribution; step t draws S_t (M points) from theta_t (S_0 is real data;\n"
        "for t >= 1 each component is sampled from N(mu, lambda Sigma)), measures it and fits\n"
        "theta_{t+1} to the next train set. Results depend on --seed only, not on threads.\n",
        out);
    toy_options gaussian, gmm;
    defaults(&gaussian, MB_TOY_GAUSSIAN);
    defaults(&gmm, MB_TOY_GMM);
    const void *d[] = {&gaussian, &gmm};
    const char *const variants[] = {"gaussian", "gmm"};
    mb_options_help(out, toy_table, MB_ARRAY_LEN(toy_table), d, variants, 2);
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

/* Checks that need more than one option, then the original distribution. */
static int finish_options(const char *command, toy_options *o, mb_stats_model *original)
{
    mb_toy_config *cfg = &o->cfg;
    if (cfg->n_samples < cfg->dim + 1)
        return mb_fail(MB_EINPUT, "%s: option samples=%ld is out of range (expected %d..%ld)",
                       command, cfg->n_samples, cfg->dim + 1, 1L << 26);
    if (cfg->n_real && cfg->loop != MB_TOY_FRESH_DATA)
        return mb_fail(MB_EINPUT, "%s: option real only applies to --loop fresh-data", command);
    if (!cfg->n_real)
        cfg->n_real = cfg->n_samples;
    if (cfg->kind == MB_TOY_GAUSSIAN) {
        cfg->n_components = 1;
        MB_TRY(mb_stats_original_gaussian(original, cfg->dim, o->mean, o->sigma0, o->rho));
    } else {
        double weights[MB_STATS_MAX_COMPONENTS];
        int n_weights = 0;
        if (o->weights && (n_weights = parse_weights(command, o->weights, weights)) < 0)
            return MB_EINPUT;
        if (!cfg->n_components)
            cfg->n_components = n_weights ? n_weights : 3;
        if (n_weights && n_weights != cfg->n_components)
            return mb_fail(MB_EINPUT, "%s: option weights has %d values but components=%d "
                           "(expected one weight per component)", command, n_weights,
                           cfg->n_components);
        MB_TRY(mb_stats_original_gmm(original, cfg->dim, cfg->n_components,
                                     n_weights ? weights : NULL, o->separation, o->sigma0));
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

    mb_args a;
    MB_TRY(mb_args_parse(&a, name, argc - 1, argv + 1, toy_table, MB_ARRAY_LEN(toy_table)));
    for (int i = 0; i < a.n_positional; i++)
        if (!strcmp(a.positional[i], "-h")) {
            usage(stdout);
            return MB_OK;
        }
    if (mb_args_help(&a)) {
        usage(stdout);
        return MB_OK;
    }
    if (a.n_positional)
        return mb_fail(MB_EINPUT, "%s: unexpected argument '%s' (options are --name value)",
                       name, a.positional[0]);
    char default_out[256];
    {
        char stamp[32];
        time_t now = time(NULL);
        struct tm tm;
        localtime_r(&now, &tm);
        strftime(stamp, sizeof stamp, "%Y%m%d-%H%M%S", &tm);
        snprintf(default_out, sizeof default_out, "results/runs/toy-%s-%s", argv[0], stamp);
    }
    toy_options o;
    defaults(&o, kind);
    o.out = default_out;
    mb_stats_model original = {0};
    int rc = mb_options_read(&a, toy_table, MB_ARRAY_LEN(toy_table), argv[0], &o);
    if (rc == MB_OK)
        rc = mb_args_check_unused(&a);
    if (rc == MB_OK)
        rc = finish_options(name, &o, &original);
    if (rc == MB_OK)
        rc = mb_toy_config_check(&o.cfg);
    const mb_toy_config cfg = o.cfg;
    const char *out = o.out;
    mb_set_quiet(o.quiet);
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
        int crc = mb_toy_writer_close(ps.writer, o.no_plots);
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
