/* cli/metrics.c — `madbench metrics A B`: every metric of B (generated) against A
 * (the reference, real test data), like pytorch-fid's command line. */
#include "mb_cli.h"
#include "mb_dataset.h"
#include "mb_judge.h"
#include "mb_metrics.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static const char *const usage_text =
    "usage: madbench metrics A B [options]\n"
    "\n"
    "Every metric of B (generated images) against A (the reference: real test data).\n"
    "A and B: fashion-mnist | shapes | shapes32 | an IDX images file or directory |\n"
    "CIFAR-10 batches | a folder of PNG/JPEG images (see `madbench data`).\n"
    "\n";

static const char *const feature_names[] = {"judge", "pixels", "random", NULL}; /* enum order */
static const char *const split_names[] = {"auto", "train", "test", NULL};
enum { SPLIT_AUTO, SPLIT_TRAIN, SPLIT_TEST };

typedef struct {
    mb_judge_config judge;
    mb_metrics_options metrics;
    int features; /* mb_feature_kind */
    long n, judge_n;
    uint64_t seed; /* of both the metrics and the judge */
    int json, quiet, threads, split_a, split_b;
    const char *judge_data, *device;
} metrics_cli;

#define M(field) MB_OPT_AT(metrics_cli, field)
static const mb_option metrics_table[] = {
    {"features", MB_OPT_CHOICE, M(features), NULL, 0, 0, feature_names,
     "feature extractor", NULL, NULL},
    {"json", MB_OPT_FLAG, M(json), NULL, 0, 0, NULL,
     "one JSON object on stdout instead of the table", NULL, NULL},
    {"n", MB_OPT_LONG, M(n), "N", 0, __INT_MAX__, NULL,
     "at most N images of A and of B; 0: all", NULL, NULL},
    {"split-a", MB_OPT_CHOICE, M(split_a), NULL, 0, 0, split_names,
     "part of A: auto is the test part when the source has one, else all of it", NULL, NULL},
    {"split-b", MB_OPT_CHOICE, M(split_b), NULL, 0, 0, split_names,
     "part of B, as --split-a", NULL, NULL},
    {"k", MB_OPT_INT, M(metrics.prdc_k), "K", 1, 1000, NULL,
     "k of precision / recall / density / coverage", NULL, NULL},
    {"kid-subsets", MB_OPT_INT, M(metrics.kid_subsets), "S", 1, 100000, NULL,
     "KID subsets", NULL, NULL},
    {"kid-subset-size", MB_OPT_INT, M(metrics.kid_subset_size), "M", 2, __INT_MAX__, NULL,
     "KID subset size, at most the set sizes", NULL, NULL},
    {"class-threshold", MB_OPT_DOUBLE, M(metrics.class_threshold), "T", 0, 1, NULL,
     "share below which a class counts as vanishing", NULL, NULL},
    {"fd-inf", MB_OPT_INT, M(metrics.fd_inf_points), "P", 0, 1000, NULL,
     "also FD-infinity from P subset sizes (Chong & Forsyth use 15); 0: off", NULL, NULL},
    {"seed", MB_OPT_U64, M(seed), "S", 0, (double)__LONG_MAX__, NULL,
     "KID subsets, judge initialisation, random projection", NULL, NULL},
    MB_OPT_GROUP("judge:"),
    {"judge-data", MB_OPT_STRING, M(judge_data), "SRC", 0, 0, NULL,
     "real training set of the judge", "A, train split", NULL},
    {"judge-n", MB_OPT_LONG, M(judge_n), "N", 0, __INT_MAX__, NULL,
     "at most N training images; 0: all", NULL, NULL},
    {"judge-epochs", MB_OPT_INT, M(judge.epochs), "E", 0, 10000, NULL,
     "classifier epochs", NULL, NULL},
    {"judge-ae-epochs", MB_OPT_INT, M(judge.ae_epochs), "E", 0, 10000, NULL,
     "autoencoder epochs (unlabelled data)", NULL, NULL},
    {"judge-features", MB_OPT_INT, M(judge.features), "F", 1, 65536, NULL,
     "classifier feature width", NULL, NULL},
    {"judge-latent", MB_OPT_INT, M(judge.ae_latent), "D", 1, 4096, NULL,
     "autoencoder latent size (unlabelled data)", NULL, NULL},
    {"random-dim", MB_OPT_INT, M(judge.random_dim), "D", 1, 65536, NULL,
     "width of the random projection", NULL, NULL},
    {"cache-dir", MB_OPT_STRING, M(judge.cache_dir), "DIR", 0, 0, NULL, "judge cache",
     "$MADBENCH_CACHE, else ~/.cache/madbench", NULL},
    {"no-cache", MB_OPT_FLAG, M(judge.no_cache), NULL, 0, 0, NULL,
     "train the judge afresh and do not store it", NULL, NULL},
    MB_OPT_GROUP("device:"),
    {"device", MB_OPT_STRING, M(device), "D", 0, 0, NULL, "cpu, cuda or auto", NULL, NULL},
    {"threads", MB_OPT_INT, M(threads), "T", 0, 1024, NULL,
     "CPU threads; 0: all cores", NULL, NULL},
    {"quiet", MB_OPT_FLAG, M(quiet), NULL, 0, 0, NULL, "no progress lines", NULL, NULL},
};
#undef M

static void defaults(metrics_cli *c)
{
    *c = (metrics_cli){.features = MB_FEATURES_JUDGE, .seed = 1234, .device = "auto"};
    mb_judge_config_default(&c->judge);
    mb_metrics_options_default(&c->metrics);
}

static int parse_options(mb_args *a, metrics_cli *c)
{
    MB_TRY(mb_options_read(a, metrics_table, MB_ARRAY_LEN(metrics_table), NULL, c));
    if (c->metrics.fd_inf_points == 1)
        return mb_fail(MB_EINPUT, "metrics: --fd-inf 1 (expected 0 = off, or at least 2 "
                                  "subset sizes; Chong & Forsyth use 15)");
    c->metrics.seed = c->judge.seed = c->seed;
    return MB_OK;
}

/* split "auto": the test part of a source that has one, else all of it (a folder
 * or IDX file of generated images). */
static int load(mb_dataset *ds, const char *source, int split, long n, uint64_t seed)
{
    mb_data_options opt = {.max_images = n, .seed = seed, .split_seed = seed, .shuffle = n > 0,
                           .split = split == SPLIT_TRAIN ? MB_SPLIT_TRAIN : MB_SPLIT_TEST};
    const int is_auto = split == SPLIT_AUTO;
    int rc = mb_dataset_load(ds, source, &opt);
    if (rc == MB_OK || !is_auto)
        return rc;
    char first[1024];
    snprintf(first, sizeof first, "%s", mb_last_error());
    opt.split = MB_SPLIT_TRAIN;
    if (mb_dataset_load(ds, source, &opt) == MB_OK) {
        mb_progress("metrics: %s: no test part, using all of it (%s)\n", source, first);
        return MB_OK;
    }
    return mb_fail(rc, "%s", first); /* the test-part error is the informative one */
}

/* The shapes radius measured on every image (real and generated alike), NaN
 * where the image is malformed. */
static int measure_radius(const mb_dataset *ds, float **out)
{
    *out = mb_host_alloc((size_t)ds->n * sizeof **out, "radii");
    return *out ? mb_shapes_radius(ds, *out) : MB_ENOMEM;
}

/* Features (and judge labels) of one set; *x is a backend array the caller frees. */
static int featurise(mb_judge *j, const mb_dataset *ds, mb_real **x, int **labels)
{
    *x = j->be->alloc(j->be, (size_t)ds->n * j->dim * sizeof(mb_real));
    *labels = j->n_classes ? mb_host_alloc((size_t)ds->n * sizeof **labels, "labels") : NULL;
    if (!*x || (j->n_classes && !*labels))
        return MB_ENOMEM;
    return mb_judge_features(j, ds, *x, *labels);
}

static int run(mb_backend *be, const metrics_cli *c, const char *src_a, const char *src_b)
{
    mb_dataset a = {0}, b = {0}, train = {0};
    mb_judge j = {0};
    mb_metrics_ref *ref = NULL;
    mb_real *xa = NULL, *xb = NULL;
    int *la = NULL, *lb = NULL;
    float *attr_a = NULL, *attr_b = NULL;
    mb_metrics_result r;
    double pixel_var_a = NAN, pixel_var_b = NAN;
    int rc = load(&a, src_a, c->split_a, c->n, c->metrics.seed);
    if (rc == MB_OK)
        rc = load(&b, src_b, c->split_b, c->n, c->metrics.seed);
    if (rc == MB_OK && (a.channels != b.channels || a.height != b.height || a.width != b.width))
        rc = mb_fail(MB_EINPUT, "metrics: %s holds %dx%dx%d images but %s holds %dx%dx%d "
                     "(expected the same shape)", a.source, a.channels, a.height, a.width,
                     b.source, b.channels, b.height, b.width);
    if (rc == MB_OK && c->features == MB_FEATURES_JUDGE)
        rc = load(&train, c->judge_data ? c->judge_data : src_a, SPLIT_TRAIN, c->judge_n,
                  c->judge.seed);
    if (rc == MB_OK)
        rc = mb_judge_prepare(&j, be, c->features, &c->judge,
                              c->features == MB_FEATURES_JUDGE ? &train : &a, &a);
    if (rc == MB_OK)
        rc = featurise(&j, &a, &xa, &la);
    /* the judge's accuracy on A itself (the cache holds the one measured at training) */
    if (rc == MB_OK && la && a.labels && a.n_classes == j.n_classes) {
        long correct = 0;
        for (int i = 0; i < a.n; i++)
            correct += la[i] == a.labels[i];
        j.test_accuracy = (double)correct / a.n;
    }
    if (rc == MB_OK)
        rc = featurise(&j, &b, &xb, &lb);
    if (rc == MB_OK && a.n_attrs > 0) {
        rc = measure_radius(&a, &attr_a);
        if (rc == MB_OK)
            rc = measure_radius(&b, &attr_b);
    }
    const double t_suite = mb_now_seconds();
    const clock_t cpu_suite = clock(); /* process CPU time, all threads */
    if (rc == MB_OK)
        rc = mb_metrics_ref_create(&ref, be, xa, a.n, j.dim, la, j.n_classes, attr_a,
                                   &c->metrics);
    if (rc == MB_OK)
        rc = mb_metrics_compare(ref, xb, b.n, lb, attr_b, &r);
    const double suite_seconds = mb_now_seconds() - t_suite; /* reference + comparison */
    const double suite_cpu_seconds = (double)(clock() - cpu_suite) / CLOCKS_PER_SEC;
    const int p = a.channels * a.height * a.width;
    if (rc == MB_OK)
        rc = mb_pixel_variance(be, a.images, a.n, p, &pixel_var_a);
    if (rc == MB_OK)
        rc = mb_pixel_variance(be, b.images, b.n, p, &pixel_var_b);
    if (rc == MB_OK && c->json) {
        char extra[512], acc[32] = "null";
        if (isfinite(j.test_accuracy))
            snprintf(acc, sizeof acc, "%.17g", j.test_accuracy);
        snprintf(extra, sizeof extra,
                 "\"features\":\"%s\",\"judge_accuracy\":%s,\"pixel_variance\":%.17g,"
                 "\"ref_pixel_variance\":%.17g,\"suite_seconds\":%.6f,"
                 "\"suite_cpu_seconds\":%.6f,\"device\":\"%s\"",
                 mb_feature_kind_name(c->features), acc, pixel_var_b, pixel_var_a,
                 suite_seconds, suite_cpu_seconds, be->name);
        mb_metrics_print_json(stdout, &r, extra);
    } else if (rc == MB_OK) {
        printf("reference A: %s (%d images)\ngenerated B: %s (%d images)\n", a.source, a.n,
               b.source, b.n);
        printf("features: %s, dimension %d", mb_feature_kind_name(c->features), j.dim);
        if (c->features == MB_FEATURES_JUDGE)
            printf(" (%s judge%s%s)", j.is_ae ? "autoencoder" : "CNN classifier",
                   j.from_cache ? ", cached: " : "", j.from_cache ? j.cache_path : "");
        if (isfinite(j.test_accuracy))
            printf("; judge accuracy on A %.4f", j.test_accuracy);
        printf("\ndevice: %s (%s)\n\n", be->name, be->device_name);
        mb_metrics_print_table(stdout, &r);
        printf("%-28s %14.6g %14.6g\n", "per-pixel variance", pixel_var_b, pixel_var_a);
        printf("%-28s %14.3f  (reference statistics + comparison; CPU %.3f s)\n",
               "suite seconds", suite_seconds, suite_cpu_seconds);
    }
    if (xa)
        be->free(be, xa);
    if (xb)
        be->free(be, xb);
    mb_metrics_ref_destroy(ref);
    mb_judge_destroy(&j);
    free(la);
    free(lb);
    free(attr_a);
    free(attr_b);
    mb_dataset_free(&a);
    mb_dataset_free(&b);
    mb_dataset_free(&train);
    return rc;
}

int mb_cli_metrics(int argc, char **argv)
{
    mb_args a;
    metrics_cli c;
    defaults(&c);
    MB_TRY(mb_args_parse(&a, "metrics", argc, argv, metrics_table, MB_ARRAY_LEN(metrics_table)));
    if (mb_args_help(&a)) {
        fputs(usage_text, stdout);
        const void *d = &c;
        mb_options_help(stdout, metrics_table, MB_ARRAY_LEN(metrics_table), &d, NULL, 1);
        return MB_OK;
    }
    if (a.n_positional != 2)
        return mb_fail(MB_EINPUT, "metrics: expected two data sets A (reference) and B "
                                  "(generated), got %d arguments (see madbench metrics --help)",
                       a.n_positional);
    MB_TRY(parse_options(&a, &c));
    MB_TRY(mb_args_check_unused(&a));
    mb_set_quiet(c.quiet);
    mb_cpu_set_threads(c.threads);
    mb_backend *be = mb_backend_create(c.device);
    if (!be)
        return (int)mb_last_status();
    int rc = run(be, &c, a.positional[0], a.positional[1]);
    mb_backend_destroy(be);
    return rc;
}
