/* loop/run.c — `madbench run`: the generations of a self-consuming loop.
 *
 * Generation 0 measures the real training set itself (the baseline row). Each
 * generation g = 1..G then trains a model on train set g, draws the synthetic set
 * S_g, measures it against the real test set, and curates the next train set:
 * S_g is watermarked, filtered, reweighted and screened by the provenance
 * detector, then joins the pool (replace: the pool is S_g; accumulate: all of
 * S_1..S_g), and train set g+1 = the real part of the loop type + the pool.
 * After every generation the state (rows, pool) is saved atomically; --resume
 * continues from it and, every random choice being a function of (seed,
 * generation), gives the same numbers as an uninterrupted run. */
#include "loop_state.h"
#include "mb_files.h"
#include "mb_image.h"
#include "mb_philox.h"
#include "mb_provenance.h"
#include "mb_report.h"
#include "mb_row.h"

#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

typedef struct {
    const mb_run_config *cfg;
    const char *command_line;
    char dir[MB_PATH_LEN];
    mb_backend *be;
    mb_dataset real;      /* the real training pool: T_1, then the real parts */
    mb_dataset test;      /* the reference set of every metric */
    mb_judge judge;
    mb_metrics_ref *ref;
    float *ref_attr;      /* shapes: measured radius of the test images */
    float *pattern;       /* watermark */
    double wm_fpr;        /* watermark detector on the real test set */
    uint64_t data_hash;
    mb_loop_state state;
    char started[32];
} run_ctx;

static const char *phase_names[MB_N_PHASES] = {"train", "generate", "metrics", "curate"};

/* out = the run folder / rel; MB_EINPUT when it does not fit (never truncated). */
static int path_in(const run_ctx *r, char *out, size_t len, const char *rel)
{
    return mb_path(out, len, "%s/%s", r->dir, rel);
}

static int make_dir(const char *path)
{
    if (mkdir(path, 0755) && errno != EEXIST)
        return mb_fail(MB_EIO, "%s: cannot create folder: %s", path, strerror(errno));
    return MB_OK;
}

static uint64_t fnv1a(uint64_t h, const void *data, size_t n)
{
    const unsigned char *p = data;
    for (size_t i = 0; i < n; i++)
        h = (h ^ p[i]) * 0x100000001b3ull;
    return h;
}

static void now_iso(char *out, size_t len)
{
    time_t t = time(NULL);
    struct tm tm;
    gmtime_r(&t, &tm);
    strftime(out, len, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

/* ---- data, judge and the reference statistics ---- */

static long real_needed(const mb_run_config *c)
{
    const long n_r = lround(c->real_fraction * (double)c->n_real);
    return c->type == MB_LOOP_FRESH_DATA ? c->n_real + (long)(c->generations - 1) * n_r
                                         : c->n_real;
}

static int load_data(run_ctx *r, mb_dataset *judge_train)
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
    r->data_hash = fnv1a(0xcbf29ce484222325ull, r->real.images, (size_t)r->real.n * per * sizeof(float));
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

static int prepare_metrics(run_ctx *r, const mb_dataset *judge_train)
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

static int measure(run_ctx *r, const mb_dataset *ds, mb_metrics_result *res)
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

/* ---- rows ---- */

/* metrics.csv and metrics.jsonl rewritten whole from the state's rows, so a
 * resumed run can never leave a half row or a duplicate. */
static int write_tables(const run_ctx *r)
{
    const char *names[2] = {"metrics.csv", "metrics.jsonl"};
    for (int t = 0; t < 2; t++) {
        char path[MB_PATH_LEN];
        mb_out_file out;
        MB_TRY(path_in(r, path, sizeof path, names[t]));
        MB_TRY(mb_out_open(&out, path));
        if (t == 0)
            mb_row_print_csv_header(out.f);
        for (int g = 0; g <= r->state.generations_done; g++)
            fputs(t == 0 ? r->state.csv_rows[g] : r->state.json_rows[g], out.f);
        MB_TRY(mb_out_close(&out, MB_OK));
    }
    return MB_OK;
}

/* Generation 1 (trained on real data only) far from the real data? From its
 * recorded row, so that a resumed run knows too: -1 before generation 1 is done,
 * else 0 or 1 with the numbers against the thresholds in why. */
static int gen1_far(const run_ctx *r, char *why, size_t len)
{
    json_t *row = r->state.generations_done >= 1 && r->state.json_rows[1]
                      ? json_loads(r->state.json_rows[1], 0, NULL)
                      : NULL;
    if (!row)
        return -1;
    mb_metrics_result m = {.off_manifold = mb_json_number(row, "off_manifold")};
    m.prdc.recall = mb_json_number(row, "recall");
    json_decref(row);
    return mb_metrics_far_from_real(&m, why, len);
}

/* manifest.json: provenance, the data and judge, progress and timing (docs/loop.md). */
static int write_manifest(const run_ctx *r, int finished)
{
    char path[MB_PATH_LEN], updated[32], hash[20];
    MB_TRY(path_in(r, path, sizeof path, "manifest.json"));
    now_iso(updated, sizeof updated);
    snprintf(hash, sizeof hash, "%016llx", (unsigned long long)r->data_hash);
    json_t *seconds = json_object();
    for (int p = 0; seconds && p < MB_N_PHASES; p++)
        json_object_set_new(seconds, phase_names[p], json_real(r->state.seconds[p]));
    json_t *m = json_pack("{s:o, s:o, s:o, s:o, s:s, s:[i,i,i], s:i, s:i, s:s, s:i, s:o, s:s, "
                          "s:s, s:i, s:i, s:b, s:o}",
                          "command", mb_json_text(r->command_line),
                          "backend", mb_json_text(r->be->name),
                          "device", mb_json_text(r->be->device_name),
                          "dataset", mb_json_text(r->real.source),
                          "dataset_hash", hash,
                          "image_shape", r->real.channels, r->real.height, r->real.width,
                          "train_images", r->real.n, "test_images", r->test.n,
                          "features", mb_feature_kind_name(r->cfg->features),
                          "feature_dim", r->judge.dim,
                          "judge_test_accuracy", mb_json_real(r->judge.test_accuracy),
                          "started", r->started, "updated", updated,
                          "generations_done", r->state.generations_done,
                          "generations", r->cfg->generations, "finished", finished,
                          "seconds", seconds);
    char why[160];
    const int far = gen1_far(r, why, sizeof why);
    if (m && far >= 0) {
        json_object_set_new(m, "gen1_broken", json_boolean(far));
        if (far)
            json_object_set_new(m, "gen1_warning", json_string(why));
    }
    int rc = m ? mb_provenance_add(m, r->be->name)
               : mb_fail(MB_ENOMEM, "%s: out of memory building the manifest", path);
    if (rc == MB_OK)
        rc = mb_json_write_file(m, path);
    json_decref(m);
    return rc;
}

static int write_grid(const run_ctx *r, const mb_dataset *ds, int g)
{
    char rel[64], path[MB_PATH_LEN];
    snprintf(rel, sizeof rel, "grids/gen_%02d.png", g);
    MB_TRY(path_in(r, path, sizeof path, rel));
    const int n = ds->n < 64 ? ds->n : 64;
    return n ? mb_write_png_grid(path, ds->images, n, ds->channels, ds->height, ds->width, 8)
             : MB_OK;
}

static int export_set(const run_ctx *r, const mb_dataset *ds, int g)
{
    char rel[64], path[MB_PATH_LEN];
    if (r->cfg->export_format == MB_EXPORT_PNG) {
        snprintf(rel, sizeof rel, "export/gen_%02d", g);
        MB_TRY(path_in(r, path, sizeof path, rel));
        MB_TRY(make_dir(path));
        return mb_png_folder_write(ds, path);
    }
    if (r->cfg->export_format == MB_EXPORT_IDX) {
        snprintf(rel, sizeof rel, "export/gen_%02d-images-idx3-ubyte.gz", g);
        MB_TRY(path_in(r, path, sizeof path, rel));
        return mb_idx_write(ds, path, NULL);
    }
    return MB_OK;
}

/* train_log.csv: one row per training epoch. Rewritten whole after each
 * generation's training, from the rows of earlier generations plus this one's, so
 * that a resumed run (which redoes the generation in progress) ends with the rows
 * of an uninterrupted run; only the seconds column, wall-clock time, differs. */
static int write_train_log(const run_ctx *r, int g, const double *loss, const double *seconds)
{
    char path[MB_PATH_LEN], line[256];
    FILE *in = NULL;
    mb_out_file out;
    MB_TRY(path_in(r, path, sizeof path, "train_log.csv"));
    if (access(path, F_OK) == 0) /* absent before the first generation */
        MB_TRY(mb_fopen_regular(path, "the training log", &in));
    int rc = mb_out_open(&out, path);
    if (rc == MB_OK) {
        fputs("generation,epoch,loss,seconds\n", out.f);
        while (in && fgets(line, sizeof line, in)) {
            char *end;
            const long row_g = strtol(line, &end, 10); /* the header parses as no number */
            if (end != line && *end == ',' && row_g < g)
                fputs(line, out.f);
        }
        for (int e = 0; e < r->cfg->epochs; e++)
            fprintf(out.f, "%d,%d,%.10g,%.3f\n", g, e + 1, loss[e], seconds[e]);
        rc = mb_out_close(&out, MB_OK);
    }
    if (in)
        fclose(in);
    return rc;
}

/* ---- the generations ---- */

/* Real part of train set g >= 2: the first n_r real images every time
 * (synthetic-augmentation) or a new slice each generation (fresh-data), minus
 * what the provenance detector or the watermark check flags. */
static int real_part(run_ctx *r, int g, mb_dataset *out, mb_generation_info *gi)
{
    const mb_run_config *c = r->cfg;
    memset(out, 0, sizeof *out);
    if (c->type == MB_LOOP_FULLY_SYNTHETIC)
        return MB_OK;
    const long n_r = lround(c->real_fraction * (double)c->n_real);
    const long first = c->type == MB_LOOP_FRESH_DATA ? c->n_real + (long)(g - 2) * n_r : 0;
    int *idx = malloc((size_t)n_r * sizeof *idx);
    long *ids = malloc((size_t)n_r * sizeof *ids);
    unsigned char *keep = malloc((size_t)n_r);
    mb_dataset part = {0};
    int rc = idx && ids && keep ? MB_OK : mb_fail(MB_ENOMEM, "out of memory");
    for (long i = 0; rc == MB_OK && i < n_r; i++)
        idx[i] = (int)(first + i), ids[i] = first + i;
    if (rc == MB_OK)
        rc = mb_loop_select(&part, &r->real, idx, (int)n_r);
    memset(keep, 1, (size_t)n_r);
    if (rc == MB_OK && c->detector)
        rc = mb_loop_detector_keep(c, &part, mb_loop_stream(c, 0, MB_PURPOSE_DETECTOR), ids,
                                   keep, gi->detector_dropped);
    if (rc == MB_OK && c->watermark) {
        double *score = malloc((size_t)n_r * sizeof *score);
        if (!score)
            rc = mb_fail(MB_ENOMEM, "out of memory");
        else
            mb_watermark_scores(&part, r->pattern, score);
        for (long i = 0; rc == MB_OK && i < n_r; i++)
            if (score[i] > c->watermark_threshold && keep[i])
                keep[i] = 0, gi->detector_dropped[0]++;
        free(score);
    }
    if (rc == MB_OK)
        rc = mb_loop_take(out, &part, keep);
    mb_dataset_free(&part);
    free(idx), free(ids), free(keep);
    return rc;
}

/* Curates S_g into the pool (see the file comment). */
static int curate(run_ctx *r, mb_model *m, int g, mb_dataset *synth, mb_generation_info *gi)
{
    const mb_run_config *c = r->cfg;
    const int n = synth->n;
    unsigned char *keep = malloc((size_t)n);
    double *score = malloc((size_t)n * sizeof *score);
    long *ids = malloc((size_t)n * sizeof *ids);
    int rc = keep && score && ids ? MB_OK : mb_fail(MB_ENOMEM, "out of memory curating");
    mb_dataset kept = {0}, resampled = {0};
    if (rc != MB_OK)
        goto done;
    memset(keep, 1, (size_t)n);

    if (c->watermark) { /* mark every synthetic image, then check them as a reader would */
        mb_watermark_embed(synth, r->pattern, c->watermark_eps);
        mb_watermark_scores(synth, r->pattern, score);
        long flagged = 0;
        for (int i = 0; i < n; i++)
            if (score[i] > c->watermark_threshold)
                keep[i] = 0, flagged++;
        gi->wm_tpr = n ? (double)flagged / n : NAN;
        gi->detector_dropped[1] += flagged;
    }
    if (c->detector) {
        for (int i = 0; i < n; i++)
            ids[i] = ((long)g << 32) | i;
        unsigned char *flags = malloc((size_t)n);
        if (!flags) {
            rc = mb_fail(MB_ENOMEM, "out of memory");
            goto done;
        }
        mb_loop_detector_keep(c, synth, mb_loop_stream(c, 0, MB_PURPOSE_DETECTOR), ids, flags,
                              gi->detector_dropped);
        for (int i = 0; i < n; i++)
            keep[i] &= flags[i];
        free(flags);
    }
    if (c->filter_fraction > 0) { /* verification: drop the worst share */
        if (c->filter_by == MB_FILTER_RECON) {
            if ((rc = mb_loop_recon_errors(m, synth, score)) != MB_OK)
                goto done;
            for (int i = 0; i < n; i++)
                score[i] = -score[i]; /* high error = bad */
        } else if ((rc = mb_judge_confidence(&r->judge, synth, score)) != MB_OK) {
            goto done;
        }
        unsigned char *best = malloc((size_t)n);
        if (!best) {
            rc = mb_fail(MB_ENOMEM, "out of memory");
            goto done;
        }
        mb_loop_keep_best(score, n, c->filter_fraction, best);
        for (int i = 0; i < n; i++) {
            gi->filter_dropped += keep[i] && !best[i];
            keep[i] &= best[i];
        }
        free(best);
    }
    if ((rc = mb_loop_take(&kept, synth, keep)) != MB_OK)
        goto done;

    if (c->reweight_alpha > 0 && kept.n > c->reweight_k) {
        /* rarity = distance to the k-th nearest neighbour in feature space;
         * resampling with weight rarity^alpha keeps the tails on purpose */
        mb_backend *be = r->be;
        mb_real *features = NULL;
        int *labels = NULL;
        double *f64 = NULL, *radius = NULL;
        int *idx = malloc((size_t)kept.n * sizeof *idx);
        rc = features_of(r, &kept, &features, &labels);
        const size_t nd = (size_t)kept.n * r->judge.dim;
        if (rc == MB_OK) {
            f64 = be->alloc(be, nd * sizeof *f64);
            radius = be->alloc(be, (size_t)kept.n * sizeof *radius);
            rc = f64 && radius && idx ? MB_OK : MB_ENOMEM;
        }
        if (rc == MB_OK) {
            be->to_f64(be, features, f64, nd);
            rc = mb_knn_sq_radii(be, f64, kept.n, r->judge.dim, c->reweight_k, radius, NULL);
        }
        if (rc == MB_OK) {
            be->download(be, score, radius, (size_t)kept.n * sizeof *score);
            for (int i = 0; i < kept.n; i++)
                score[i] = pow(sqrt(fmax(score[i], 0)) + 1e-12, c->reweight_alpha);
            mb_loop_resample(score, kept.n, mb_loop_stream(c, g, MB_PURPOSE_RESAMPLE), idx);
            gi->reweight_unique = 0;
            for (int i = 0; i < kept.n; i++)
                gi->reweight_unique += i == 0 || idx[i] != idx[i - 1];
            rc = mb_loop_select(&resampled, &kept, idx, kept.n);
        }
        if (features)
            be->free(be, features);
        if (f64)
            be->free(be, f64);
        if (radius)
            be->free(be, radius);
        free(labels), free(idx);
        if (rc != MB_OK)
            goto done;
        mb_dataset_free(&kept);
        kept = resampled;
        memset(&resampled, 0, sizeof resampled);
    }

    /* the synthetic quota of the next train set: a seeded random subset */
    const long n_r = c->type == MB_LOOP_FULLY_SYNTHETIC ? 0 : lround(c->real_fraction * (double)c->n_real);
    const long quota = c->n_real - n_r;
    if (kept.n > quota) {
        int *order = malloc((size_t)kept.n * sizeof *order);
        if (!order) {
            rc = mb_fail(MB_ENOMEM, "out of memory");
            goto done;
        }
        for (int i = 0; i < kept.n; i++)
            order[i] = i;
        const uint64_t stream = mb_loop_stream(c, g, MB_PURPOSE_TRIM);
        for (int i = 0; i < (int)quota; i++) { /* partial Fisher-Yates */
            int j = i + (int)(mb_uniform_at(stream, (uint64_t)i) * (kept.n - i));
            j = j < kept.n ? j : kept.n - 1;
            const int t = order[i];
            order[i] = order[j], order[j] = t;
        }
        rc = mb_loop_select(&resampled, &kept, order, (int)quota);
        free(order);
        if (rc != MB_OK)
            goto done;
        mb_dataset_free(&kept);
        kept = resampled;
        memset(&resampled, 0, sizeof resampled);
    }

    if (c->composition == MB_COMPOSE_ACCUMULATE && r->state.pool.n) {
        mb_dataset joined;
        if ((rc = mb_loop_concat(&joined, &r->state.pool, &kept)) != MB_OK)
            goto done;
        mb_dataset_free(&r->state.pool);
        r->state.pool = joined;
    } else {
        mb_dataset_free(&r->state.pool);
        r->state.pool = kept;
        memset(&kept, 0, sizeof kept);
    }
done:
    mb_dataset_free(&kept);
    mb_dataset_free(&resampled);
    free(keep), free(score), free(ids);
    return rc;
}

static int one_generation(run_ctx *r, int g, double run_start, int first_g)
{
    const mb_run_config *c = r->cfg;
    mb_backend *be = r->be;
    mb_row row = {.info = {.generation = g, .loss = NAN, .wm_tpr = NAN, .wm_fpr = NAN,
                           .wm_passthrough = NAN, .reweight_unique = -1, .gen1_broken = NAN}};
    mb_generation_info *gi = &row.info;
    if (c->watermark)
        gi->wm_fpr = r->wm_fpr;
    mb_dataset train = {0}, real = {0}, synth = {0};
    mb_model model = {0};
    char label[64], eta[32] = "?";
    int rc = MB_OK;
    if (g > first_g) {
        const double per = (mb_now_seconds() - run_start) / (g - first_g);
        mb_format_duration(eta, sizeof eta, per * (c->generations - g + 1));
    }
    snprintf(label, sizeof label, "gen %d/%d", g, c->generations);

    /* train set g */
    if (g == 1) {
        int *idx = malloc((size_t)c->n_real * sizeof *idx);
        for (long i = 0; idx && i < c->n_real; i++)
            idx[i] = (int)i;
        rc = idx ? mb_loop_select(&train, &r->real, idx, (int)c->n_real) : MB_ENOMEM;
        free(idx);
    } else {
        rc = real_part(r, g, &real, gi);
        if (rc == MB_OK)
            rc = mb_loop_concat(&train, &real, &r->state.pool);
    }
    if (rc != MB_OK)
        goto done;
    gi->train_images = train.n;
    for (int i = 0; i < train.n; i++)
        gi->train_real += train.origin[i] == MB_ORIGIN_REAL;
    gi->train_synthetic = train.n - gi->train_real;
    if (train.n == 0) {
        rc = mb_fail(MB_EINPUT, "generation %d: curation left no training images (filter, "
                     "detector or watermark dropped everything)", g);
        goto done;
    }
    mb_progress("%s: train on %d images (%ld real, %ld synthetic), run ETA %s\n", label,
                train.n, gi->train_real, gi->train_synthetic, eta);

    /* train model g: from scratch, or warm-started from model g-1 */
    double t0 = mb_now_seconds();
    char ckpt[MB_PATH_LEN], rel[64];
    /* a warm start takes generation g-1's checkpoint of this run, and no other */
    const mb_checkpoint_tag previous = {g - 1, r->state.config_hash};
    const mb_checkpoint_tag tag = {g, r->state.config_hash};
    mb_model_config mcfg = c->model;
    mcfg.channels = train.channels, mcfg.height = train.height, mcfg.width = train.width;
    mcfg.seed = mb_loop_stream(c, g, MB_PURPOSE_MODEL);
    if (c->warm_start && g > 1) {
        snprintf(rel, sizeof rel, "checkpoints/model_g%02d.ckpt", g - 1);
        rc = path_in(r, ckpt, sizeof ckpt, rel);
        if (rc == MB_OK)
            rc = mb_checkpoint_load(&model, be, ckpt, &previous);
    } else {
        rc = mb_model_create(&model, be, &mcfg);
    }
    double *losses = malloc((size_t)c->epochs * sizeof *losses);
    double *epoch_s = malloc((size_t)c->epochs * sizeof *epoch_s);
    mb_train_options topt = {.epochs = c->epochs, .progress = 1, .label = label,
                             .seed = mb_loop_stream(c, g, MB_PURPOSE_SHUFFLE),
                             .epoch_seconds = epoch_s};
    if (rc == MB_OK)
        rc = losses && epoch_s ? mb_train(&model, &train, &topt, losses) : MB_ENOMEM;
    if (rc == MB_OK) {
        gi->loss = losses[c->epochs - 1];
        rc = write_train_log(r, g, losses, epoch_s);
    }
    free(losses);
    free(epoch_s);
    if (rc == MB_OK) {
        snprintf(rel, sizeof rel, "checkpoints/model_g%02d.ckpt", g);
        rc = path_in(r, ckpt, sizeof ckpt, rel);
        if (rc == MB_OK)
            rc = mb_checkpoint_save(&model, ckpt, &tag);
    }
    gi->seconds[MB_PHASE_TRAIN] = mb_now_seconds() - t0;
    if (rc != MB_OK)
        goto done;

    /* S_g */
    t0 = mb_now_seconds();
    const long n_synth = c->n_synthetic ? c->n_synthetic : c->n_real;
    mb_progress("%s: generate %ld images (%s)\n", label, n_synth,
                (const char *[]){"vae", "ae-gauss", "ae-gmm", "recon"}[c->generator]);
    rc = mb_loop_generate(c, &model, &train, g, n_synth, &synth);
    if (rc == MB_OK && c->watermark && g > 1) {
        /* does the mark survive a model trained on marked images? */
        double *score = malloc((size_t)synth.n * sizeof *score);
        long hits = 0;
        if (score) {
            mb_watermark_scores(&synth, r->pattern, score);
            for (int i = 0; i < synth.n; i++)
                hits += score[i] > c->watermark_threshold;
            gi->wm_passthrough = (double)hits / synth.n;
        }
        free(score);
    }
    gi->seconds[MB_PHASE_GENERATE] = mb_now_seconds() - t0;
    if (rc == MB_OK)
        rc = write_grid(r, &synth, g);
    if (rc == MB_OK)
        rc = export_set(r, &synth, g);
    if (rc != MB_OK)
        goto done;

    t0 = mb_now_seconds();
    mb_progress("%s: metrics\n", label);
    rc = measure(r, &synth, &row.metrics);
    gi->seconds[MB_PHASE_METRICS] = mb_now_seconds() - t0;
    if (rc != MB_OK)
        goto done;
    char figures[256];
    mb_row_progress(&row, figures, sizeof figures);
    mb_progress("%s: %s\n", label, figures);
    char why[160];
    const int far = g == 1 ? mb_metrics_far_from_real(&row.metrics, why, sizeof why)
                           : gen1_far(r, why, sizeof why);
    gi->gen1_broken = far >= 0 ? far : NAN;
    if (g == 1 && gi->gen1_broken > 0)
        mb_warn("generation 1 is already far from the real data (%s): it was trained on real "
                "data only, so this loop measures the model's own error, not collapse. Likely "
                "cause: an undertrained model; raise model.epochs or data.n_real", why);

    t0 = mb_now_seconds();
    if (g < c->generations)
        rc = curate(r, &model, g, &synth, gi);
    gi->seconds[MB_PHASE_CURATE] = mb_now_seconds() - t0;
    if (rc != MB_OK)
        goto done;

    r->state.csv_rows[g] = mb_row_text(&row, MB_ROW_CSV);
    r->state.json_rows[g] = mb_row_text(&row, MB_ROW_JSON);
    if (!r->state.csv_rows[g] || !r->state.json_rows[g]) {
        rc = mb_fail(MB_ENOMEM, "out of memory formatting rows");
        goto done;
    }
    for (int p = 0; p < MB_N_PHASES; p++)
        r->state.seconds[p] += gi->seconds[p];
    r->state.generations_done = g;
    char path[MB_PATH_LEN];
    rc = path_in(r, path, sizeof path, "state.bin");
    if (rc == MB_OK)
        rc = mb_loop_state_save(&r->state, path);
    if (rc == MB_OK)
        rc = write_tables(r);
    if (rc == MB_OK)
        rc = write_manifest(r, g == c->generations);
done:
    mb_model_destroy(&model);
    mb_dataset_free(&train);
    mb_dataset_free(&real);
    mb_dataset_free(&synth);
    return rc;
}

/* Row 0: the real training set T_1 against the test set (the baseline). */
static int generation_zero(run_ctx *r)
{
    const mb_run_config *c = r->cfg;
    mb_dataset t1 = {0};
    int *idx = malloc((size_t)c->n_real * sizeof *idx);
    for (long i = 0; idx && i < c->n_real; i++)
        idx[i] = (int)i;
    int rc = idx ? mb_loop_select(&t1, &r->real, idx, (int)c->n_real) : MB_ENOMEM;
    free(idx);
    mb_row row = {.info = {.loss = NAN, .wm_tpr = NAN, .wm_fpr = NAN, .wm_passthrough = NAN,
                           .reweight_unique = -1, .gen1_broken = NAN, .train_images = t1.n, .train_real = t1.n}};
    if (c->watermark)
        row.info.wm_fpr = r->wm_fpr;
    const double t0 = mb_now_seconds();
    mb_progress("gen 0: metrics of the real training set\n");
    if (rc == MB_OK)
        rc = measure(r, &t1, &row.metrics);
    row.info.seconds[MB_PHASE_METRICS] = mb_now_seconds() - t0;
    if (rc == MB_OK)
        rc = write_grid(r, &t1, 0);
    if (rc == MB_OK) {
        r->state.csv_rows[0] = mb_row_text(&row, MB_ROW_CSV);
        r->state.json_rows[0] = mb_row_text(&row, MB_ROW_JSON);
        r->state.seconds[MB_PHASE_METRICS] += row.info.seconds[MB_PHASE_METRICS];
        r->state.generations_done = 0;
        char path[MB_PATH_LEN];
        rc = path_in(r, path, sizeof path, "state.bin");
        if (rc == MB_OK)
            rc = mb_loop_state_save(&r->state, path);
    }
    if (rc == MB_OK)
        rc = write_tables(r);
    mb_dataset_free(&t1);
    return rc;
}

/* Hash of the run's config.ini without its first line (which names the version
 * only), so that a resumed run can tell whether its configuration changed. */
static int config_hash(const char *config_path, uint64_t *hash)
{
    char *text;
    size_t len;
    MB_TRY(mb_read_file(config_path, "config file", (size_t)1 << 20, &text, &len));
    const char *nl = memchr(text, '\n', len);
    const size_t skip = nl ? (size_t)(nl - text) + 1 : 0;
    *hash = fnv1a(0xcbf29ce484222325ull, text + skip, len - skip);
    free(text);
    return MB_OK;
}

/* One run or resume at a time in a run folder: an exclusive lock on run.lock for
 * the life of the process (released by the kernel however the process ends). */
static int lock_run_folder(const run_ctx *r, int *fd)
{
    char path[MB_PATH_LEN];
    MB_TRY(path_in(r, path, sizeof path, "run.lock"));
    *fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0644);
    if (*fd < 0)
        return mb_fail(MB_EIO, "%s: cannot create the lock file: %s", path, strerror(errno));
    if (flock(*fd, LOCK_EX | LOCK_NB)) {
        const int e = errno;
        char pid[32] = "";
        const ssize_t n = e == EWOULDBLOCK ? pread(*fd, pid, sizeof pid - 1, 0) : -1;
        pid[n > 0 ? n : 0] = 0;
        pid[strcspn(pid, "\n")] = 0;
        close(*fd);
        *fd = -1;
        if (e == EWOULDBLOCK)
            return mb_fail(MB_EINPUT, "%s: already running (pid %s) (expected one run or "
                           "resume at a time in a run folder)", r->dir, pid[0] ? pid : "?");
        return mb_fail(MB_EIO, "%s: cannot lock: %s", path, strerror(e));
    }
    char pid[32];
    const int n = snprintf(pid, sizeof pid, "%ld\n", (long)getpid());
    if (ftruncate(*fd, 0) || pwrite(*fd, pid, (size_t)n, 0) != n)
        mb_warn("%s: cannot record the pid: %s", path, strerror(errno));
    return MB_OK;
}

/* The run once its folder is locked: start, or continue from state.bin. */
static int run_locked(run_ctx *r, int resume)
{
    const mb_run_config *cfg = r->cfg;
    char path[MB_PATH_LEN], state_path[MB_PATH_LEN];
    MB_TRY(path_in(r, state_path, sizeof state_path, "state.bin"));
    struct stat st;
    const int have_state = stat(state_path, &st) == 0;
    if (!resume && have_state)
        return mb_fail(MB_EINPUT, "%s: a run already exists here (continue it with --resume, "
                       "or choose another run.name)", r->dir);
    const char *subdirs[] = {"grids", "checkpoints", "export"};
    for (size_t i = 0; i < MB_ARRAY_LEN(subdirs); i++) {
        MB_TRY(path_in(r, path, sizeof path, subdirs[i]));
        MB_TRY(make_dir(path));
    }
    MB_TRY(path_in(r, path, sizeof path, "config.ini"));
    if (!resume)
        MB_TRY(mb_run_config_write(cfg, path));
    uint64_t hash;
    MB_TRY(config_hash(path, &hash));
    /* a changed configuration or a broken state fails now, before hours of data
     * loading and judge training; the pool holds at most n_real images per generation */
    if (resume && have_state) {
        MB_TRY(mb_loop_state_load(&r->state, state_path, hash, cfg->generations,
                                  cfg->n_real * (long)cfg->generations));
    } else {
        r->state.config_hash = hash;
    }

    mb_cpu_set_threads(cfg->threads);
    r->be = mb_backend_create(cfg->device);
    if (!r->be)
        return (int)mb_last_status();
    mb_progress("run: %s on %s (%s)\n", r->dir, r->be->name, r->be->device_name);
    mb_dataset judge_train = {0};
    int rc = load_data(r, &judge_train);
    if (rc == MB_OK)
        rc = prepare_metrics(r, &judge_train);
    mb_dataset_free(&judge_train);
    if (rc == MB_OK && cfg->watermark) {
        const size_t per = (size_t)r->test.channels * r->test.height * r->test.width;
        double *score = malloc((size_t)r->test.n * sizeof *score);
        r->pattern = malloc(per * sizeof *r->pattern);
        if (!score || !r->pattern) {
            rc = mb_fail(MB_ENOMEM, "out of memory");
        } else {
            mb_watermark_pattern((uint64_t)cfg->watermark_key, per, r->pattern);
            mb_watermark_scores(&r->test, r->pattern, score);
            long hits = 0;
            for (int i = 0; i < r->test.n; i++)
                hits += score[i] > cfg->watermark_threshold;
            r->wm_fpr = (double)hits / r->test.n;
        }
        free(score);
    }
    const mb_dataset *pool = &r->state.pool;
    if (rc == MB_OK && resume && have_state && pool->n > 0 &&
        (pool->channels != r->real.channels || pool->height != r->real.height ||
         pool->width != r->real.width))
        rc = mb_fail(MB_EINPUT, "%s: the pool holds %dx%dx%d images, the data %dx%dx%d "
                     "(expected the run state of this run)", state_path, pool->channels,
                     pool->height, pool->width, r->real.channels, r->real.height,
                     r->real.width);
    if (rc == MB_OK && resume && have_state)
        mb_progress("run: resuming after generation %d of %d\n", r->state.generations_done,
                    cfg->generations);
    else if (rc == MB_OK)
        rc = generation_zero(r);
    if (rc != MB_OK)
        return rc;
    const int first = r->state.generations_done + 1;
    const double start = mb_now_seconds();
    for (int g = first; rc == MB_OK && g <= cfg->generations; g++)
        rc = one_generation(r, g, start, first);
    if (rc == MB_OK && first > cfg->generations)
        mb_progress("run: all %d generations were already done\n", cfg->generations);
    if (rc == MB_OK)
        rc = write_manifest(r, 1);
    int report_rc = rc == MB_OK ? mb_report_run_folder(r->dir) : rc;
    if (rc == MB_OK)
        printf("results: %s (%smetrics.csv, metrics.jsonl, manifest.json, grids/)\n", r->dir,
               report_rc == MB_OK ? "report.html, " : "");
    if (rc == MB_OK && report_rc != MB_OK) { /* the results stand, but the run did not finish its job */
        char why[512];
        snprintf(why, sizeof why, "%s", mb_last_error());
        rc = mb_fail(report_rc, "%s: the results are complete but report.html was not written: "
                     "%s (retry: madbench report %s)", r->dir, why, r->dir);
    }
    return rc;
}

static void run_ctx_free(run_ctx *r)
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

int mb_run(const mb_run_config *cfg, int resume, const char *command_line)
{
    run_ctx r = {.cfg = cfg, .command_line = command_line};
    MB_TRY(mb_run_config_check(cfg));
    now_iso(r.started, sizeof r.started);
    MB_TRY(mb_path(r.dir, sizeof r.dir, "%s/%s", cfg->out, cfg->name));
    /* the longest path the run will write must fit: refuse now, not after hours */
    char longest[MB_PATH_LEN];
    MB_TRY(path_in(&r, longest, sizeof longest, "export/gen_1000-images-idx3-ubyte.gz.tmp"));
    MB_TRY(make_dir(cfg->out));
    MB_TRY(make_dir(r.dir));
    int lock;
    MB_TRY(lock_run_folder(&r, &lock));
    const int rc = run_locked(&r, resume);
    run_ctx_free(&r);
    close(lock);
    return rc;
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
    int rc = load_data(&r, &judge_train);
    if (rc == MB_OK)
        rc = prepare_metrics(&r, &judge_train);
    mb_dataset_free(&judge_train);
    run_ctx_free(&r);
    return rc;
}
