/* cli/metrics.c — `madbench metrics A B`: every metric of B (generated) against A
 * (the reference, real test data), like pytorch-fid's command line; and `madbench
 * features IMAGES --out F.npy`, the same feature extractor's output as a file. One
 * option table serves both (rows marked for one command or shared). A and B may
 * also be feature files (.npy features, .npz statistics: cli/metrics_files.c). */
#include "cli_internal.h"
#include "mb_dataset.h"
#include "mb_judge.h"
#include "mb_metrics.h"
#include "mb_npy.h"
#include "mb_row.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static const char *const usage_text =
    "usage: madbench metrics A B [options]\n"
    "       madbench metrics A --save-stats S.npz [options]\n"
    "\n"
    "Every metric of B (generated images) against A (the reference: real test data).\n"
    "A and B: fashion-mnist | shapes | shapes32 | an IDX images file or directory |\n"
    "CIFAR-10 batches | a folder of PNG/JPEG images (see `madbench data`);\n"
    "or both feature files: F.npy (features [N, D], float32 or float64, C order, as\n"
    "`madbench features` writes them) or S.npz (pytorch-fid statistics mu, sigma:\n"
    "then only the Frechet distance).\n"
    "\n";

static const char *const features_usage_text =
    "usage: madbench features IMAGES --out F.npy [options]\n"
    "\n"
    "The feature extractor's features of IMAGES (a data set, as for `madbench metrics`)\n"
    "as a NumPy .npy file, float32 [N, D], one row per image in the set's order.\n"
    "Features of generated images must come from the judge of the real data: give\n"
    "--judge-data REAL (the judge is trained once and cached).\n"
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
    int json, quiet, threads, split_a, split_b, split;
    const char *judge_data, *device, *save_stats, *out;
} metrics_cli;

#define M(field) MB_OPT_AT(metrics_cli, field)
static const mb_option metrics_table[] = {
    {"features", MB_OPT_CHOICE, M(features), NULL, 0, 0, feature_names,
     "feature extractor", NULL, NULL},
    {"json", MB_OPT_FLAG, M(json), NULL, 0, 0, NULL,
     "one JSON object on stdout instead of the table", NULL, "metrics"},
    {"save-stats", MB_OPT_STRING, M(save_stats), "S.npz", 0, 0, NULL,
     "write A's mean and covariance (N - 1) as pytorch-fid's mu and sigma; with A alone, "
     "only that", "none", "metrics"},
    {"out", MB_OPT_STRING, M(out), "F.npy", 0, 0, NULL, "the features file (required)", NULL,
     "features"},
    {"n", MB_OPT_LONG, M(n), "N", 0, __INT_MAX__, NULL,
     "at most N images of each set, a seeded subset; 0: all", NULL, NULL},
    {"split-a", MB_OPT_CHOICE, M(split_a), NULL, 0, 0, split_names,
     "part of A: auto is the test part when the source has one, else all of it", NULL,
     "metrics"},
    {"split-b", MB_OPT_CHOICE, M(split_b), NULL, 0, 0, split_names,
     "part of B, as --split-a", NULL, "metrics"},
    {"split", MB_OPT_CHOICE, M(split), NULL, 0, 0, split_names,
     "part of IMAGES: auto is the test part when the source has one, else all of it", NULL,
     "features"},
    {"k", MB_OPT_INT, M(metrics.prdc_k), "K", 1, 1000, NULL,
     "k of precision / recall / density / coverage", NULL, "metrics"},
    {"kid-subsets", MB_OPT_INT, M(metrics.kid_subsets), "S", 1, 100000, NULL,
     "KID subsets", NULL, "metrics"},
    {"kid-subset-size", MB_OPT_INT, M(metrics.kid_subset_size), "M", 2, __INT_MAX__, NULL,
     "KID subset size, at most the set sizes", NULL, "metrics"},
    {"class-threshold", MB_OPT_DOUBLE, M(metrics.class_threshold), "T", 0, 1, NULL,
     "share below which a class counts as vanishing", NULL, "metrics"},
    {"fd-inf", MB_OPT_INT, M(metrics.fd_inf_points), "P", 0, 1000, NULL,
     "also FD-infinity from P subset sizes (Chong & Forsyth use 15); 0: off", NULL, "metrics"},
    {"seed", MB_OPT_U64, M(seed), "S", 0, (double)__LONG_MAX__, NULL,
     "subsets, judge initialisation, random projection", NULL, NULL},
    MB_OPT_GROUP("judge:"),
    {"judge-data", MB_OPT_STRING, M(judge_data), "SRC", 0, 0, NULL,
     "real training set of the judge", "A (or IMAGES), train split", NULL},
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

/* The rows of one command ("metrics" or "features"), marked as no variant's, so
 * that its parser and its --help see exactly its options. */
static size_t rows_of(const char *command, mb_option *rows)
{
    size_t n = 0;
    for (size_t i = 0; i < MB_ARRAY_LEN(metrics_table); i++)
        if (!metrics_table[i].only || !strcmp(metrics_table[i].only, command)) {
            rows[n] = metrics_table[i];
            rows[n++].only = NULL;
        }
    return n;
}

static int parse_options(mb_args *a, const mb_option *rows, size_t n_rows, metrics_cli *c)
{
    MB_TRY(mb_options_read(a, rows, n_rows, NULL, c));
    if (c->metrics.fd_inf_points == 1)
        return mb_fail(MB_EINPUT, "metrics: --fd-inf 1 (expected 0 = off, or at least 2 "
                                  "subset sizes; Chong & Forsyth use 15)");
    c->metrics.seed = c->judge.seed = c->seed;
    if (c->save_stats && !mb_npy_is_npz_name(c->save_stats))
        return mb_fail(MB_EINPUT, "metrics: --save-stats %s (expected a file name ending "
                                  "in .npz)", c->save_stats);
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

/* The extractor for images shaped like `ref` (loaded from ref_source): the judge is
 * trained on (or read from the cache for) --judge-data, by default the train part
 * of ref_source; ref (labelled or not) measures the classifier's accuracy. */
static int prepare(mb_judge *j, mb_backend *be, const metrics_cli *c, const char *ref_source,
                   const mb_dataset *ref)
{
    if (c->features != MB_FEATURES_JUDGE)
        return mb_judge_prepare(j, be, c->features, &c->judge, ref, ref);
    mb_dataset train = {0};
    int rc = load(&train, c->judge_data ? c->judge_data : ref_source, SPLIT_TRAIN, c->judge_n,
                  c->judge.seed);
    if (rc == MB_OK)
        rc = mb_judge_prepare(j, be, c->features, &c->judge, &train, ref);
    mb_dataset_free(&train);
    return rc;
}

static int run(mb_backend *be, const metrics_cli *c, const char *src_a, const char *src_b)
{
    mb_dataset a = {0}, b = {0};
    mb_judge j = {0};
    mb_metrics_ref *ref = NULL;
    mb_real *xa = NULL, *xb = NULL;
    int *la = NULL, *lb = NULL;
    float *attr_a = NULL, *attr_b = NULL;
    mb_metrics_result r;
    double pixel_var_a = NAN, pixel_var_b = NAN;
    int rc = load(&a, src_a, c->split_a, c->n, c->metrics.seed);
    if (rc == MB_OK && src_b)
        rc = load(&b, src_b, c->split_b, c->n, c->metrics.seed);
    if (rc == MB_OK && src_b &&
        (a.channels != b.channels || a.height != b.height || a.width != b.width))
        rc = mb_fail(MB_EINPUT, "metrics: %s holds %dx%dx%d images but %s holds %dx%dx%d "
                     "(expected the same shape)", a.source, a.channels, a.height, a.width,
                     b.source, b.channels, b.height, b.width);
    if (rc == MB_OK)
        rc = prepare(&j, be, c, src_a, &a);
    if (rc == MB_OK)
        rc = featurise(&j, &a, &xa, &la);
    /* the judge's accuracy on A itself (the cache holds the one measured at training) */
    if (rc == MB_OK && la && a.labels && a.n_classes == j.n_classes) {
        long correct = 0;
        for (int i = 0; i < a.n; i++)
            correct += la[i] == a.labels[i];
        j.test_accuracy = (double)correct / a.n;
    }
    if (rc == MB_OK && c->save_stats)
        rc = mb_cli_save_stats(be, c->save_stats, xa, NULL, a.n, j.dim);
    if (rc != MB_OK || !src_b)
        goto done;
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
        rc = mb_cli_print_metrics_json(
            &r, json_pack("{s:s, s:o, s:o, s:o, s:o, s:o, s:s}", "features",
                          mb_feature_kind_name(c->features), "judge_accuracy",
                          mb_json_real(j.test_accuracy), "pixel_variance",
                          mb_json_real(pixel_var_b), "ref_pixel_variance",
                          mb_json_real(pixel_var_a), "suite_seconds", mb_json_real(suite_seconds),
                          "suite_cpu_seconds", mb_json_real(suite_cpu_seconds), "device",
                          be->name));
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
done:
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
    return rc;
}

/* `madbench features`: the features of one set, float32 [N, D], as .npy. */
static int run_features(mb_backend *be, const metrics_cli *c, const char *source)
{
    mb_dataset ds = {0};
    mb_judge j = {0};
    mb_real *x = NULL, *staged = NULL;
    float *host = NULL;
    int rc = load(&ds, source, c->split, c->n, c->seed);
    if (rc == MB_OK)
        rc = prepare(&j, be, c, source, &ds);
    const size_t count = rc == MB_OK ? (size_t)ds.n * j.dim : 0;
    if (rc == MB_OK) {
        x = be->alloc(be, count * sizeof *x);
        staged = mb_host_alloc(count * sizeof *staged, "features");
        host = mb_host_alloc(count * sizeof *host, "features");
        rc = x && staged && host ? MB_OK : mb_fail(MB_ENOMEM, "out of memory for %d features "
                                                   "of dimension %d", ds.n, j.dim);
    }
    if (rc == MB_OK)
        rc = mb_judge_features(&j, &ds, x, NULL);
    if (rc == MB_OK) { /* the file is float32 whatever the build's real type */
        be->download(be, staged, x, count * sizeof *staged);
        for (size_t i = 0; i < count; i++)
            host[i] = (float)staged[i];
        const long shape[2] = {ds.n, j.dim};
        rc = mb_npy_write(c->out, host, 4, 2, shape);
    }
    if (rc == MB_OK)
        mb_progress("features: wrote %s (%d x %d float32, %s features of %s)\n", c->out, ds.n,
                    j.dim, mb_feature_kind_name(c->features), ds.source);
    if (x)
        be->free(be, x);
    free(staged);
    free(host);
    mb_judge_destroy(&j);
    mb_dataset_free(&ds);
    return rc;
}

/* Parses the command's rows; 1 in *help when --help was printed. */
static int command_options(const char *command, const char *usage, int argc, char **argv,
                           mb_args *a, metrics_cli *c, int *help)
{
    mb_option rows[MB_ARRAY_LEN(metrics_table)];
    const size_t n_rows = rows_of(command, rows);
    defaults(c);
    MB_TRY(mb_args_parse(a, command, argc, argv, rows, n_rows));
    *help = mb_args_help(a);
    if (*help) {
        fputs(usage, stdout);
        const void *d = c;
        mb_options_help(stdout, rows, n_rows, &d, NULL, 1);
        return MB_OK;
    }
    MB_TRY(parse_options(a, rows, n_rows, c));
    MB_TRY(mb_args_check_unused(a));
    mb_set_quiet(c->quiet);
    mb_cpu_set_threads(c->threads);
    return MB_OK;
}

int mb_cli_features(int argc, char **argv)
{
    mb_args a;
    metrics_cli c;
    int help;
    MB_TRY(command_options("features", features_usage_text, argc, argv, &a, &c, &help));
    if (help)
        return MB_OK;
    if (a.n_positional != 1)
        return mb_fail(MB_EINPUT, "features: expected one data set, got %d arguments (see "
                                  "madbench features --help)", a.n_positional);
    if (!c.out || !mb_npy_is_npy_name(c.out))
        return mb_fail(MB_EINPUT, "features: --out %s (expected a file name ending in .npy)",
                       c.out ? c.out : "missing");
    mb_backend *be = mb_backend_create(c.device);
    if (!be)
        return (int)mb_last_status();
    int rc = run_features(be, &c, a.positional[0]);
    mb_backend_destroy(be);
    return rc;
}

int mb_cli_metrics(int argc, char **argv)
{
    mb_args a;
    metrics_cli c;
    int help;
    MB_TRY(command_options("metrics", usage_text, argc, argv, &a, &c, &help));
    if (help)
        return MB_OK;
    if (a.n_positional != 2 && !(a.n_positional == 1 && c.save_stats))
        return mb_fail(MB_EINPUT, "metrics: expected two data sets A (reference) and B "
                                  "(generated), or A alone with --save-stats, got %d "
                                  "arguments (see madbench metrics --help)", a.n_positional);
    const char *src_a = a.positional[0], *src_b = a.n_positional == 2 ? a.positional[1] : NULL;
    const int file_a = mb_cli_is_feature_file(src_a);
    const int file_b = src_b && mb_cli_is_feature_file(src_b);
    if (src_b && file_a != file_b)
        return mb_fail(MB_EINPUT, "metrics: %s is a %s but %s is a %s (expected both data "
                       "sets or both feature files: write image features with `madbench "
                       "features`)", src_a, file_a ? "feature file" : "data set", src_b,
                       file_b ? "feature file" : "data set");
    if (file_a && (c.n > 0 || c.split_a != SPLIT_AUTO || c.split_b != SPLIT_AUTO))
        return mb_fail(MB_EINPUT, "metrics: --n, --split-a and --split-b select images of "
                                  "data sets (feature files are used whole)");
    mb_backend *be = mb_backend_create(c.device);
    if (!be)
        return (int)mb_last_status();
    int rc = file_a ? mb_cli_metrics_files(be, &c.metrics, c.json, c.save_stats, src_a, src_b)
                    : run(be, &c, src_a, src_b);
    mb_backend_destroy(be);
    return rc;
}
