/* test_metrics_judge.c — the judge on a small synthetic problem (fast): the
 * classifier learns it, its features are normalised, the cache round-trips
 * exactly and is keyed by the data, the autoencoder judge handles unlabelled
 * data, pixel and random features have the documented shapes; and the whole
 * metric suite on judge features gives the same numbers for 1 and 2 threads. */
#include "mb_judge.h"
#include "mb_metrics.h"
#include "mb_philox.h"
#include "testutil.h"

#include <math.h>
#include <omp.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

enum { SIDE = 16, CLASSES = 4 };

/* Class c: a bright horizontal bar at rows 3c+2 .. 3c+3 over uniform noise. */
static void make_set(mb_dataset *ds, int n, uint64_t seed, int labelled)
{
    CHECK(mb_dataset_alloc(ds, n, 1, SIDE, SIDE, 1, 0) == MB_OK, "%s", mb_last_error());
    snprintf(ds->source, sizeof ds->source, "synthetic bars (seed %llu)",
             (unsigned long long)seed);
    for (int i = 0; i < n; i++) {
        const int c = (int)(mb_uniform_at(seed, (uint64_t)i) * CLASSES) % CLASSES;
        ds->labels[i] = c;
        for (int p = 0; p < SIDE * SIDE; p++) {
            const int row = p / SIDE;
            const double noise = 0.3 * mb_uniform_at(seed + 1, (uint64_t)i * SIDE * SIDE + p);
            ds->images[(size_t)i * SIDE * SIDE + p] =
                (float)(row / 3 == c + 0 && row % 3 != 0 ? 0.7 + noise : noise);
        }
    }
    ds->n_classes = CLASSES;
    if (!labelled) {
        free(ds->labels);
        ds->labels = NULL;
        ds->n_classes = 0;
    }
}

static int rm_rf(const char *dir)
{
    char cmd[600];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    return system(cmd);
}

static void test_classifier(mb_backend *be, const char *cache)
{
    mb_dataset train, test;
    make_set(&train, 1536, 11, 1);
    make_set(&test, 512, 12, 1);
    mb_judge_config cfg;
    mb_judge_config_default(&cfg);
    cfg.epochs = 2;
    cfg.batch = 64;
    cfg.features = 32;
    cfg.conv1 = 8;
    cfg.conv2 = 16;
    cfg.cache_dir = cache;
    mb_judge j;
    CHECK(mb_judge_prepare(&j, be, MB_FEATURES_JUDGE, &cfg, &train, &test) == MB_OK, "%s",
          mb_last_error());
    CHECK(!j.from_cache && j.n_classes == CLASSES && j.dim == 32, "fresh classifier judge");
    CHECK(j.test_accuracy > 0.95, "judge accuracy on the synthetic test set: %g",
          j.test_accuracy);
    CHECK(access(j.cache_path, R_OK) == 0, "cache written at %s", j.cache_path);

    /* features: normalised to unit mean square on the training set */
    const size_t nf = (size_t)test.n * j.dim;
    mb_real *f1 = be->alloc(be, nf * sizeof(mb_real)), *f2 = be->alloc(be, nf * sizeof(mb_real));
    mb_real *h1 = malloc(nf * sizeof *h1), *h2 = malloc(nf * sizeof *h2);
    int *l1 = malloc(test.n * sizeof *l1), *l2 = malloc(test.n * sizeof *l2);
    CHECK(mb_judge_features(&j, &test, f1, l1) == MB_OK, "%s", mb_last_error());
    be->download(be, h1, f1, nf * sizeof(mb_real));
    double ms = 0;
    for (size_t i = 0; i < nf; i++)
        ms += (double)h1[i] * h1[i];
    CHECK_CLOSE(ms / nf, 1.0, 0.3, 0, "mean squared feature on held-out data");
    double acc = NAN;
    CHECK(mb_judge_accuracy(&j, &test, &acc) == MB_OK && acc == j.test_accuracy,
          "accuracy after normalisation %g vs %g", acc, j.test_accuracy);
    const double trained_acc = j.test_accuracy;
    double *conf = malloc(test.n * sizeof *conf), mean_conf = 0;
    CHECK(mb_judge_confidence(&j, &test, conf) == MB_OK, "%s", mb_last_error());
    int conf_ok = 1;
    for (int i = 0; i < test.n; i++) {
        conf_ok &= conf[i] >= 1.0 / CLASSES - 1e-12 && conf[i] <= 1 + 1e-12;
        mean_conf += conf[i] / test.n;
    }
    CHECK(conf_ok && mean_conf > 0.8, "confidence in [1/k, 1], mean %g", mean_conf);
    free(conf);
    char path[1024];
    snprintf(path, sizeof path, "%s", j.cache_path);
    mb_judge_destroy(&j);

    /* reloaded from the cache: the same features bit for bit, no training */
    CHECK(mb_judge_prepare(&j, be, MB_FEATURES_JUDGE, &cfg, &train, &test) == MB_OK, "%s",
          mb_last_error());
    CHECK(j.from_cache && j.test_accuracy == trained_acc, "judge loaded from cache");
    CHECK(mb_judge_features(&j, &test, f2, l2) == MB_OK, "%s", mb_last_error());
    be->download(be, h2, f2, nf * sizeof(mb_real));
    CHECK(!memcmp(h1, h2, nf * sizeof *h1) && !memcmp(l1, l2, test.n * sizeof *l1),
          "cached judge gives identical features and labels");
    mb_judge_destroy(&j);

    /* other data (one pixel changed) or another config: another cache entry */
    train.images[5] += 0.01f;
    cfg.no_cache = 1;
    cfg.epochs = 1;
    CHECK(mb_judge_prepare(&j, be, MB_FEATURES_JUDGE, &cfg, &train, NULL) == MB_OK, "%s",
          mb_last_error());
    CHECK(strcmp(j.cache_path, path) != 0 && !j.from_cache, "cache key follows the data");
    mb_judge_destroy(&j);

    /* a corrupt cache file is refused (and the judge retrained) */
    train.images[5] -= 0.01f;
    cfg.no_cache = 0;
    cfg.epochs = 2;
    FILE *f = fopen(path, "r+b");
    CHECK(f != NULL, "open %s", path);
    if (f) {
        fseek(f, 200, SEEK_SET);
        fputc(0x5a, f);
        fclose(f);
    }
    CHECK(mb_judge_prepare(&j, be, MB_FEATURES_JUDGE, &cfg, &train, &test) == MB_OK, "%s",
          mb_last_error());
    CHECK(!j.from_cache, "corrupt cache refused");

    /* the whole suite on judge features: identical for 1 and 2 threads */
    mb_metrics_options opt;
    mb_metrics_options_default(&opt);
    opt.kid_subsets = 10;
    opt.kid_subset_size = 200;
    mb_metrics_result r[2];
    for (int t = 0; t < 2; t++) {
        omp_set_num_threads(t + 1);
        mb_metrics_ref *ref = NULL;
        CHECK(mb_judge_features(&j, &test, f1, l1) == MB_OK, "%s", mb_last_error());
        CHECK(mb_metrics_ref_create(&ref, be, f1, test.n, j.dim, l1, CLASSES, NULL, &opt) ==
                  MB_OK, "%s", mb_last_error());
        int *lt = malloc(train.n * sizeof *lt);
        mb_real *ft = be->alloc(be, (size_t)train.n * j.dim * sizeof(mb_real));
        CHECK(mb_judge_features(&j, &train, ft, lt) == MB_OK, "%s", mb_last_error());
        CHECK(mb_metrics_compare(ref, ft, train.n, lt, NULL, &r[t]) == MB_OK, "%s",
              mb_last_error());
        mb_metrics_ref_destroy(ref);
        be->free(be, ft);
        free(lt);
    }
    omp_set_num_threads(2);
    r[0].seconds = r[1].seconds = 0;
    CHECK(!memcmp(&r[0], &r[1], sizeof r[0]), "metrics identical for 1 and 2 threads "
          "(fd %.17g vs %.17g, kid %.17g vs %.17g)", r[0].fd, r[1].fd, r[0].kid_mean,
          r[1].kid_mean);
    CHECK(r[0].has_classes && r[0].classes.n_classes == CLASSES, "class statistics present");
    CHECK(r[0].prdc.precision > 0.8 && r[0].prdc.recall > 0.8 && r[0].tail95 < 0.15,
          "train vs test of one distribution: precision %g recall %g tail95 %g",
          r[0].prdc.precision, r[0].prdc.recall, r[0].tail95);
    mb_judge_destroy(&j);

    be->free(be, f1);
    be->free(be, f2);
    free(h1);
    free(h2);
    free(l1);
    free(l2);
    mb_dataset_free(&train);
    mb_dataset_free(&test);
}

static void test_ae_pixels_random(mb_backend *be, const char *cache)
{
    mb_dataset train;
    make_set(&train, 512, 21, 0);
    mb_judge_config cfg;
    mb_judge_config_default(&cfg);
    cfg.ae_epochs = 1;
    cfg.ae_latent = 8;
    cfg.batch = 64;
    cfg.conv1 = 8;
    cfg.conv2 = 8;
    cfg.cache_dir = cache;
    mb_judge j;
    CHECK(mb_judge_prepare(&j, be, MB_FEATURES_JUDGE, &cfg, &train, NULL) == MB_OK, "%s",
          mb_last_error());
    CHECK(j.is_ae && j.dim == 8 && j.n_classes == 0, "unlabelled data: autoencoder judge");
    mb_real *f = be->alloc(be, (size_t)train.n * SIDE * SIDE * sizeof(mb_real));
    CHECK(mb_judge_features(&j, &train, f, NULL) == MB_OK, "%s", mb_last_error());
    CHECK(be->all_finite(be, f, (size_t)train.n * j.dim), "AE features finite");
    mb_judge_destroy(&j);
    CHECK(mb_judge_prepare(&j, be, MB_FEATURES_JUDGE, &cfg, &train, NULL) == MB_OK &&
              j.from_cache, "AE judge from cache: %s", mb_last_error());
    mb_judge_destroy(&j);

    /* pixels: the images themselves */
    CHECK(mb_judge_prepare(&j, be, MB_FEATURES_PIXELS, &cfg, &train, NULL) == MB_OK, "%s",
          mb_last_error());
    CHECK(j.dim == SIDE * SIDE, "pixel features dimension %d", j.dim);
    CHECK(mb_judge_features(&j, &train, f, NULL) == MB_OK, "%s", mb_last_error());
    mb_real px;
    be->download(be, &px, f + 7 * SIDE * SIDE + 33, sizeof px);
    CHECK(px == (mb_real)train.images[7 * SIDE * SIDE + 33], "pixel feature = pixel");
    mb_judge_destroy(&j);

    /* random projection: seeded, distance-preserving on average */
    cfg.random_dim = 48;
    CHECK(mb_judge_prepare(&j, be, MB_FEATURES_RANDOM, &cfg, &train, NULL) == MB_OK, "%s",
          mb_last_error());
    CHECK(j.dim == 48, "random projection dimension");
    CHECK(mb_judge_features(&j, &train, f, NULL) == MB_OK, "%s", mb_last_error());
    mb_real *h = malloc((size_t)train.n * 48 * sizeof *h);
    be->download(be, h, f, (size_t)train.n * 48 * sizeof *h);
    double ratio = 0;
    for (int i = 0; i < 100; i++) {
        double a = 0, b = 0;
        for (int t = 0; t < 48; t++)
            a += ((double)h[i * 48 + t] - h[(i + 1) * 48 + t]) *
                 ((double)h[i * 48 + t] - h[(i + 1) * 48 + t]);
        for (int p = 0; p < SIDE * SIDE; p++) {
            const double d = (double)train.images[i * SIDE * SIDE + p] -
                             train.images[(i + 1) * SIDE * SIDE + p];
            b += d * d;
        }
        ratio += a / b / 100;
    }
    CHECK_CLOSE(ratio, 1.0, 0.25, 0, "random projection preserves squared distances");
    free(h);
    mb_judge_destroy(&j);
    mb_feature_kind k;
    CHECK(mb_feature_kind_parse("pixels", &k) == MB_OK && k == MB_FEATURES_PIXELS, "parse");
    CHECK(mb_feature_kind_parse("inception", &k) == MB_EINPUT, "unknown features refused");
    be->free(be, f);
    mb_dataset_free(&train);
}

int main(void)
{
    mb_set_quiet(1);
    mb_backend *be = mb_backend_cpu_create();
    char cache[] = "/tmp/mb_judge_test_XXXXXX";
    if (!be || !mkdtemp(cache)) {
        fprintf(stderr, "setup failed: %s\n", mb_last_error());
        return 1;
    }
    test_classifier(be, cache);
    test_ae_pixels_random(be, cache);
    if (rm_rf(cache))
        fprintf(stderr, "could not remove %s\n", cache);
    mb_backend_destroy(be);
    return mb_test_finish("test_metrics_judge");
}
