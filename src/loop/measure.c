/* loop/measure.c — a run's data and measurements: the real training pool, the
 * test set (the reference of every metric), the judge and its reference
 * statistics, the watermark's false positive rate on the test set, and the
 * metrics of a set; mb_run_prepare_judge, the warm-up of a sweep. */
#include "loop_run.h"

#include <math.h>
#include <stdlib.h>

static long real_needed(const mb_run_config *c)
{
    const long n_r = lround(c->real_fraction * (double)c->n_real);
    return c->type == MB_LOOP_FRESH_DATA ? c->n_real + (long)(c->generations - 1) * n_r
                                         : c->n_real;
}

int mb_loop_load_data(run_ctx *r, mb_dataset *judge_train)
{
    const mb_run_config *c = r->cfg;
    /* one split_seed: the test_fraction hold-out is the same for all three loads */
    const uint64_t seed = (uint64_t)c->seed;
    mb_data_options opt = {.split = MB_SPLIT_TRAIN, .seed = seed, .split_seed = seed,
                           .shuffle = 1, .max_images = real_needed(c)};
    mb_data_options test = {.split = MB_SPLIT_TEST, .seed = seed + 1, .split_seed = seed,
                            .shuffle = 1, .max_images = c->n_test};
    mb_data_options all = {.split = MB_SPLIT_TRAIN, .split_seed = seed};
    MB_TRY(mb_run_config_data_options(c, &opt));
    MB_TRY(mb_run_config_data_options(c, &test));
    MB_TRY(mb_run_config_data_options(c, &all));
    /* the imbalance shapes the loop's real data only; the metrics and the judge see
     * the data set as it is */
    test.n_imbalance = all.n_imbalance = 0;
    MB_TRY(mb_dataset_load(&r->real, c->source, &opt));
    if (r->real.n < real_needed(c))
        return mb_fail(MB_EINPUT, "%s: %d training images, but this loop needs %ld "
                       "(data.n_real, loop.type, loop.real_fraction, run.generations)",
                       r->real.source, r->real.n, real_needed(c));
    MB_TRY(mb_dataset_load(&r->test, c->source, &test));
    /* the judge learns from the whole real training split, the same for every run */
    MB_TRY(mb_dataset_load(judge_train, c->source, &all));
    const size_t per = (size_t)r->real.channels * r->real.height * r->real.width;
    r->data_hash = mb_loop_fnv1a(0xcbf29ce484222325ull, r->real.images, (size_t)r->real.n * per * sizeof(float));
    return MB_OK;
}

static int is_shapes(const mb_dataset *ds) { return ds->n_attrs > 0; }

/* The radius measured from each image, NaN where malformed (shapes data only). */
static float *measure_radius(const mb_dataset *ds)
{
    float *radius = malloc((size_t)ds->n * sizeof *radius);
    if (radius && mb_shapes_radius(ds, radius) != MB_OK) {
        free(radius);
        return NULL;
    }
    return radius;
}

/* Features (and judge labels) of a set, on the backend. */
static int features_of(run_ctx *r, const mb_dataset *ds, mb_real **features, int **labels)
{
    mb_backend *be = r->be;
    *features = be->alloc(be, (size_t)ds->n * r->judge.dim * sizeof(mb_real));
    *labels = r->judge.n_classes > 0 ? malloc((size_t)ds->n * sizeof **labels) : NULL;
    if (!*features || (r->judge.n_classes > 0 && !*labels))
        return MB_ENOMEM;
    return mb_judge_features(&r->judge, ds, *features, *labels);
}

int mb_loop_prepare_metrics(run_ctx *r, const mb_dataset *judge_train)
{
    const mb_run_config *c = r->cfg;
    mb_judge_config jcfg;
    mb_judge_config_default(&jcfg);
    jcfg.epochs = c->judge_epochs;
    mb_progress("judge: %s features from %s\n", mb_feature_kind_name(c->features),
                judge_train->source);
    MB_TRY(mb_judge_prepare(&r->judge, r->be, c->features, &jcfg, judge_train, &r->test));
    if (r->judge.n_classes > 0 && isfinite(r->judge.test_accuracy))
        mb_progress("judge: test accuracy %.4f%s\n", r->judge.test_accuracy,
                    r->judge.from_cache ? " (cached)" : "");
    mb_real *features = NULL;
    int *labels = NULL;
    int rc = features_of(r, &r->test, &features, &labels);
    if (rc == MB_OK && is_shapes(&r->test) && !(r->ref_attr = measure_radius(&r->test)))
        rc = mb_fail(MB_ENOMEM, "out of memory measuring the shapes");
    if (rc == MB_OK)
        rc = mb_metrics_ref_create(&r->ref, r->be, features, r->test.n, r->judge.dim, labels,
                                   r->judge.n_classes, r->ref_attr, &c->metrics);
    if (features)
        r->be->free(r->be, features);
    free(labels);
    return rc;
}

int mb_loop_measure(run_ctx *r, const mb_dataset *ds, mb_metrics_result *res)
{
    mb_real *features = NULL;
    int *labels = NULL;
    float *attr = NULL;
    int rc = features_of(r, ds, &features, &labels);
    if (rc == MB_OK && r->ref_attr && !(attr = measure_radius(ds)))
        rc = mb_fail(MB_ENOMEM, "out of memory measuring the shapes");
    if (rc == MB_OK)
        rc = mb_metrics_compare(r->ref, features, ds->n, labels, attr, res);
    if (features)
        r->be->free(r->be, features);
    free(labels);
    free(attr);
    return rc;
}

int mb_loop_prepare_watermark(run_ctx *r)
{
    const mb_run_config *c = r->cfg;
    if (!c->watermark)
        return MB_OK;
    const size_t per = (size_t)r->test.channels * r->test.height * r->test.width;
    r->pattern = malloc(per * sizeof *r->pattern);
    if (!r->pattern)
        return mb_fail(MB_ENOMEM, "out of memory");
    mb_watermark_pattern((uint64_t)c->watermark_key, per, r->pattern);
    long flagged;
    MB_TRY(mb_watermark_check(&r->test, r->pattern, c->watermark_threshold, NULL, NULL,
                              &flagged));
    r->wm_fpr = (double)flagged / r->test.n;
    return MB_OK;
}

void mb_loop_run_free(run_ctx *r)
{
    mb_loop_state_free(&r->state);
    mb_metrics_ref_destroy(r->ref);
    mb_judge_destroy(&r->judge);
    mb_dataset_free(&r->real);
    mb_dataset_free(&r->test);
    free(r->ref_attr);
    free(r->pattern);
    mb_backend_destroy(r->be);
}

int mb_run_prepare_judge(const mb_run_config *cfg)
{
    run_ctx r = {.cfg = cfg};
    mb_dataset judge_train = {0};
    MB_TRY(mb_run_config_check(cfg));
    mb_cpu_set_threads(cfg->threads);
    r.be = mb_backend_create(cfg->device);
    if (!r.be)
        return MB_ENODEVICE;
    int rc = mb_loop_load_data(&r, &judge_train);
    if (rc == MB_OK)
        rc = mb_loop_prepare_metrics(&r, &judge_train);
    mb_dataset_free(&judge_train);
    mb_loop_run_free(&r);
    return rc;
}
