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
    "\n"
    "  --features judge|pixels|random  feature extractor (default judge)\n"
    "  --json                one JSON object on stdout instead of the table\n"
    "  --n N                 at most N images of A and of B (default: all)\n"
    "  --split-a S, --split-b S  part of A / B: auto (the test part when the source\n"
    "                        has one, else all of it), train or test (default auto)\n"
    "  --k K                 k of precision/recall/density/coverage (default 5)\n"
    "  --kid-subsets S       KID subsets (default 100)\n"
    "  --kid-subset-size M   KID subset size (default 1000, at most the set sizes)\n"
    "  --class-threshold T   share below which a class counts as vanishing (0.01)\n"
    "  --fd-inf P            also FD-infinity from P subset sizes (Chong & Forsyth: 15)\n"
    "  --seed S              KID subsets, judge initialisation, random projection (1234)\n"
    "judge:\n"
    "  --judge-data SRC      real training set of the judge (default: A, train split)\n"
    "  --judge-n N           at most N training images (default: all)\n"
    "  --judge-epochs E      classifier epochs (default 5); --judge-ae-epochs (5)\n"
    "  --judge-features F    classifier feature width (default 128); --judge-latent (32)\n"
    "  --random-dim D        width of the random projection (default 64)\n"
    "  --cache-dir DIR       judge cache (default $MADBENCH_CACHE, ~/.cache/madbench)\n"
    "  --no-cache            train the judge afresh and do not store it\n"
    "  --device D            cpu, cuda or auto (default auto)\n"
    "  --threads T           CPU threads (default: all cores)\n"
    "  --quiet               no progress lines\n";

typedef struct {
    mb_judge_config judge;
    mb_metrics_options metrics;
    mb_feature_kind features;
    long n, judge_n;
    int json;
    const char *split_a, *split_b, *judge_data;
} metrics_cli;

static int parse_split(const char *s, mb_split *out, int *is_auto)
{
    *is_auto = !strcmp(s, "auto");
    if (*is_auto || !strcmp(s, "train") || !strcmp(s, "test")) {
        *out = strcmp(s, "train") ? MB_SPLIT_TEST : MB_SPLIT_TRAIN;
        return MB_OK;
    }
    return mb_fail(MB_EINPUT, "metrics: split '%s' (expected auto, train or test)", s);
}

static int parse_options(mb_args *a, metrics_cli *c)
{
    long k, subsets, subset_size, seed, epochs, ae_epochs, feat, latent, rdim, fd_inf;
    mb_judge_config_default(&c->judge);
    mb_metrics_options_default(&c->metrics);
    MB_TRY(mb_feature_kind_parse(mb_args_str(a, "features", "judge"), &c->features));
    c->json = mb_args_flag(a, "json");
    MB_TRY(mb_args_long(a, "n", 0, 0, __INT_MAX__, &c->n));
    MB_TRY(mb_args_long(a, "judge_n", 0, 0, __INT_MAX__, &c->judge_n));
    MB_TRY(mb_args_long(a, "k", 5, 1, 1000, &k));
    MB_TRY(mb_args_long(a, "kid_subsets", 100, 1, 100000, &subsets));
    MB_TRY(mb_args_long(a, "kid_subset_size", 1000, 2, __INT_MAX__, &subset_size));
    MB_TRY(mb_args_double(a, "class_threshold", 0.01, 0, 1, &c->metrics.class_threshold));
    MB_TRY(mb_args_long(a, "seed", 1234, 0, __LONG_MAX__, &seed));
    MB_TRY(mb_args_long(a, "judge_epochs", c->judge.epochs, 0, 10000, &epochs));
    MB_TRY(mb_args_long(a, "judge_ae_epochs", c->judge.ae_epochs, 0, 10000, &ae_epochs));
    MB_TRY(mb_args_long(a, "judge_features", c->judge.features, 1, 65536, &feat));
    MB_TRY(mb_args_long(a, "judge_latent", c->judge.ae_latent, 1, 4096, &latent));
    MB_TRY(mb_args_long(a, "random_dim", c->judge.random_dim, 1, 65536, &rdim));
    MB_TRY(mb_args_long(a, "fd_inf", 0, 0, 1000, &fd_inf));
    if (fd_inf == 1)
        return mb_fail(MB_EINPUT, "metrics: --fd-inf 1 (expected 0 = off, or at least 2 "
                                  "subset sizes; Chong & Forsyth use 15)");
    c->metrics.fd_inf_points = (int)fd_inf;
    c->metrics.prdc_k = (int)k;
    c->metrics.kid_subsets = (int)subsets;
    c->metrics.kid_subset_size = (int)subset_size;
    c->metrics.seed = (uint64_t)seed;
    c->judge.seed = (uint64_t)seed;
    c->judge.epochs = (int)epochs;
    c->judge.ae_epochs = (int)ae_epochs;
    c->judge.features = (int)feat;
    c->judge.ae_latent = (int)latent;
    c->judge.random_dim = (int)rdim;
    c->judge.cache_dir = mb_args_str(a, "cache_dir", NULL);
    c->judge.no_cache = mb_args_flag(a, "no_cache");
    c->split_a = mb_args_str(a, "split_a", "auto");
    c->split_b = mb_args_str(a, "split_b", "auto");
    c->judge_data = mb_args_str(a, "judge_data", NULL);
    return MB_OK;
}

/* split "auto": the test part of a source that has one, else all of it (a folder
 * or IDX file of generated images). */
static int load(mb_dataset *ds, const char *source, const char *split, long n, uint64_t seed)
{
    mb_data_options opt = {.max_images = n, .seed = seed, .shuffle = n > 0};
    int is_auto;
    MB_TRY(parse_split(split, &opt.split, &is_auto));
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
        rc = load(&train, c->judge_data ? c->judge_data : src_a, "train", c->judge_n,
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
    static const char *const flags[] = {"json", "quiet", "no-cache", "help", NULL};
    mb_args a;
    MB_TRY(mb_args_parse(&a, "metrics", argc, argv, flags));
    if (mb_args_flag(&a, "help")) {
        fputs(usage_text, stdout);
        return MB_OK;
    }
    if (a.n_positional != 2)
        return mb_fail(MB_EINPUT, "metrics: expected two data sets A (reference) and B "
                                  "(generated), got %d arguments (see madbench metrics --help)",
                       a.n_positional);
    metrics_cli c;
    MB_TRY(parse_options(&a, &c));
    mb_set_quiet(mb_args_flag(&a, "quiet"));
    long threads;
    MB_TRY(mb_args_long(&a, "threads", 0, 0, 1024, &threads));
    const char *device = mb_args_str(&a, "device", "auto");
    MB_TRY(mb_args_check_unused(&a));
    mb_cpu_set_threads((int)threads);
    mb_backend *be = mb_backend_create(device);
    if (!be)
        return (int)mb_last_status();
    int rc = run(be, &c, a.positional[0], a.positional[1]);
    mb_backend_destroy(be);
    return rc;
}
