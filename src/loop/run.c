/* loop/run.c — `madbench run`: the generations of a self-consuming loop.
 *
 * Generation 0 measures the real training set itself (the baseline row). Each
 * generation g = 1..G then trains a model on train set g, draws the synthetic set
 * S_g, measures it against the real test set, and curates the next train set
 * through the table of curation stages (loop/stages.c): S_g is marked, screened
 * by the provenance detector and the watermark, filtered, reweighted, trimmed to
 * its quota and joins the pool (replace: the pool is S_g; accumulate: all of
 * S_1..S_g); train set g+1 = the real part of the loop type (screened by the same
 * stages) + the pool.
 * After every generation the state (rows, pool) is saved atomically; --resume
 * continues from it and, every random choice being a function of (seed,
 * generation), gives the same numbers as an uninterrupted run. This file only
 * orchestrates: data and metrics are loop/measure.c, the run folder loop/output.c. */
#include "loop_run.h"
#include "mb_report.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* The first n images of the real pool: train set 1, and the baseline of row 0. */
static int first_real(const run_ctx *r, long n, mb_dataset *out)
{
    int *idx = malloc(((size_t)n + 1) * sizeof *idx);
    if (!idx)
        return mb_fail(MB_ENOMEM, "out of memory selecting %ld real images", n);
    for (long i = 0; i < n; i++)
        idx[i] = (int)i;
    const int rc = mb_loop_select(out, &r->real, idx, (int)n);
    free(idx);
    return rc;
}

/* Real part of train set g >= 2: the first n_r real images every time
 * (synthetic-augmentation) or a new slice each generation (fresh-data), screened
 * by the curation stages that apply to real images. */
static int real_part(run_ctx *r, int g, mb_dataset *out, mb_generation_info *gi)
{
    const mb_run_config *c = r->cfg;
    memset(out, 0, sizeof *out);
    if (c->type == MB_LOOP_FULLY_SYNTHETIC)
        return MB_OK;
    const long n_r = lround(c->real_fraction * (double)c->n_real);
    const long first = c->type == MB_LOOP_FRESH_DATA ? c->n_real + (long)(g - 2) * n_r : 0;
    int *idx = malloc(((size_t)n_r + 1) * sizeof *idx);
    if (!idx)
        return mb_fail(MB_ENOMEM, "out of memory selecting %ld real images", n_r);
    for (long i = 0; i < n_r; i++)
        idx[i] = (int)(first + i);
    mb_curation cu = {.cfg = c, .g = g, .first_id = first, .pattern = r->pattern,
                      .judge = &r->judge, .pool = &r->state.pool, .info = gi};
    int rc = mb_loop_select(&cu.set, &r->real, idx, (int)n_r);
    free(idx);
    if (rc == MB_OK)
        rc = mb_loop_curate(&cu);
    *out = cu.set;
    return rc;
}

/* Train set g: T_1, or the real part + the pool; its counts go into the row. */
static int train_set(run_ctx *r, int g, mb_dataset *train, mb_generation_info *gi)
{
    mb_dataset real = {0};
    int rc = g == 1 ? first_real(r, r->cfg->n_real, train) : real_part(r, g, &real, gi);
    if (rc == MB_OK && g > 1)
        rc = mb_loop_concat(train, &real, &r->state.pool);
    mb_dataset_free(&real);
    MB_TRY(rc);
    gi->train_images = train->n;
    for (int i = 0; i < train->n; i++)
        gi->train_real += train->origin[i] == MB_ORIGIN_REAL;
    gi->train_synthetic = train->n - gi->train_real;
    if (train->n == 0)
        return mb_fail(MB_EINPUT, "generation %d: curation left no training images (filter, "
                       "detector or watermark dropped everything)", g);
    return MB_OK;
}

/* Model g: from scratch, or warm-started from model g-1 (this run's checkpoint of
 * generation g-1, and no other); trained, logged and saved. */
static int train_model(run_ctx *r, int g, const mb_dataset *train, const char *label,
                       mb_model *model, mb_generation_info *gi)
{
    const mb_run_config *c = r->cfg;
    char ckpt[MB_PATH_LEN], rel[64];
    const mb_checkpoint_tag previous = {g - 1, r->state.config_hash};
    const mb_checkpoint_tag tag = {g, r->state.config_hash};
    mb_model_config mcfg = c->model;
    mcfg.channels = train->channels, mcfg.height = train->height, mcfg.width = train->width;
    mcfg.seed = mb_loop_stream(c, g, MB_PURPOSE_MODEL);
    int rc;
    if (c->warm_start && g > 1) {
        snprintf(rel, sizeof rel, "checkpoints/model_g%02d.ckpt", g - 1);
        rc = mb_loop_path(r, ckpt, sizeof ckpt, rel);
        if (rc == MB_OK)
            rc = mb_checkpoint_load(model, r->be, ckpt, &previous);
    } else {
        rc = mb_model_create(model, r->be, &mcfg);
    }
    double *losses = malloc((size_t)c->epochs * sizeof *losses);
    double *epoch_s = malloc((size_t)c->epochs * sizeof *epoch_s);
    mb_train_options topt = {.epochs = c->epochs, .progress = 1, .label = label,
                             .seed = mb_loop_stream(c, g, MB_PURPOSE_SHUFFLE),
                             .epoch_seconds = epoch_s};
    if (rc == MB_OK)
        rc = losses && epoch_s ? mb_train(model, train, &topt, losses) : MB_ENOMEM;
    if (rc == MB_OK) {
        gi->loss = losses[c->epochs - 1];
        rc = mb_loop_write_train_log(r, g, losses, epoch_s);
    }
    free(losses);
    free(epoch_s);
    if (rc == MB_OK) {
        snprintf(rel, sizeof rel, "checkpoints/model_g%02d.ckpt", g);
        rc = mb_loop_path(r, ckpt, sizeof ckpt, rel);
        if (rc == MB_OK)
            rc = mb_checkpoint_save(model, ckpt, &tag);
    }
    return rc;
}

/* A row with nothing measured yet: NaN / -1 where a value may stay unmeasured. */
static mb_row empty_row(const run_ctx *r, int g)
{
    mb_row row = {.info = {.generation = g, .loss = NAN, .wm_tpr = NAN, .wm_fpr = NAN,
                           .wm_passthrough = NAN, .reweight_unique = -1, .gen1_broken = NAN}};
    if (r->cfg->watermark)
        row.info.wm_fpr = r->wm_fpr;
    return row;
}

/* Generation 1 far from the real data (its own metrics, or its recorded row)? Into
 * the row, with a warning when generation 1 is measured. */
static void note_gen1(const run_ctx *r, mb_row *row)
{
    char why[160];
    const int g = row->info.generation;
    const int far = g == 1 ? mb_metrics_far_from_real(&row->metrics, why, sizeof why)
                           : mb_loop_gen1_far(r, why, sizeof why);
    row->info.gen1_broken = far >= 0 ? far : NAN;
    if (g == 1 && row->info.gen1_broken > 0)
        mb_warn("generation 1 is already far from the real data (%s): it was trained on real "
                "data only, so this loop measures the model's own error, not collapse. Likely "
                "cause: an undertrained model; raise model.epochs or data.n_real", why);
}

static int one_generation(run_ctx *r, int g, double run_start, int first_g)
{
    const mb_run_config *c = r->cfg;
    mb_row row = empty_row(r, g);
    mb_generation_info *gi = &row.info;
    mb_dataset train = {0};
    mb_curation cu = {.cfg = c, .g = g, .synthetic = 1, .pattern = r->pattern,
                      .judge = &r->judge, .pool = &r->state.pool, .info = gi};
    mb_model model = {0};
    char label[64], eta[32] = "?", figures[256];
    if (g > first_g) {
        const double per = (mb_now_seconds() - run_start) / (g - first_g);
        mb_format_duration(eta, sizeof eta, per * (c->generations - g + 1));
    }
    snprintf(label, sizeof label, "gen %d/%d", g, c->generations);

    int rc = train_set(r, g, &train, gi);
    if (rc != MB_OK)
        goto done;
    mb_progress("%s: train on %d images (%ld real, %ld synthetic), run ETA %s\n", label,
                train.n, gi->train_real, gi->train_synthetic, eta);
    double t0 = mb_now_seconds();
    rc = train_model(r, g, &train, label, &model, gi);
    gi->seconds[MB_PHASE_TRAIN] = mb_now_seconds() - t0;
    if (rc != MB_OK)
        goto done;

    /* S_g */
    t0 = mb_now_seconds();
    const long n_synth = c->n_synthetic ? c->n_synthetic : c->n_real;
    mb_progress("%s: generate %ld images (%s)\n", label, n_synth,
                (const char *[]){"vae", "ae-gauss", "ae-gmm", "recon"}[c->generator]);
    rc = mb_loop_generate(c, &model, &train, g, n_synth, &cu.set);
    long marked = 0; /* does the mark survive a model trained on marked images? */
    if (rc == MB_OK && c->watermark && g > 1 &&
        (rc = mb_watermark_check(&cu.set, r->pattern, c->watermark_threshold, NULL, NULL,
                                 &marked)) == MB_OK)
        gi->wm_passthrough = (double)marked / cu.set.n;
    gi->seconds[MB_PHASE_GENERATE] = mb_now_seconds() - t0;
    if (rc == MB_OK)
        rc = mb_loop_write_grid(r, &cu.set, g);
    if (rc == MB_OK)
        rc = mb_loop_export_set(r, &cu.set, g);
    if (rc != MB_OK)
        goto done;

    t0 = mb_now_seconds();
    mb_progress("%s: metrics\n", label);
    rc = mb_loop_measure(r, &cu.set, &row.metrics);
    gi->seconds[MB_PHASE_METRICS] = mb_now_seconds() - t0;
    if (rc != MB_OK)
        goto done;
    mb_row_progress(&row, figures, sizeof figures);
    mb_progress("%s: %s\n", label, figures);
    note_gen1(r, &row);

    t0 = mb_now_seconds();
    cu.model = &model;
    if (g < c->generations)
        rc = mb_loop_curate(&cu);
    gi->seconds[MB_PHASE_CURATE] = mb_now_seconds() - t0;
    if (rc == MB_OK)
        rc = mb_loop_record(r, &row, 1);
done:
    mb_model_destroy(&model);
    mb_dataset_free(&train);
    mb_dataset_free(&cu.set);
    return rc;
}

/* Row 0: the real training set T_1 against the test set (the baseline). */
static int generation_zero(run_ctx *r)
{
    mb_dataset t1 = {0};
    mb_row row = empty_row(r, 0);
    int rc = first_real(r, r->cfg->n_real, &t1);
    row.info.train_images = row.info.train_real = t1.n;
    const double t0 = mb_now_seconds();
    mb_progress("gen 0: metrics of the real training set\n");
    if (rc == MB_OK)
        rc = mb_loop_measure(r, &t1, &row.metrics);
    row.info.seconds[MB_PHASE_METRICS] = mb_now_seconds() - t0;
    if (rc == MB_OK)
        rc = mb_loop_write_grid(r, &t1, 0);
    if (rc == MB_OK)
        rc = mb_loop_record(r, &row, 0);
    mb_dataset_free(&t1);
    return rc;
}

/* The run once its folder is locked: start, or continue from state.bin. */
static int run_locked(run_ctx *r, int resume)
{
    const mb_run_config *cfg = r->cfg;
    char path[MB_PATH_LEN], state_path[MB_PATH_LEN];
    MB_TRY(mb_loop_path(r, state_path, sizeof state_path, "state.bin"));
    struct stat st;
    const int have_state = stat(state_path, &st) == 0;
    if (!resume && have_state)
        return mb_fail(MB_EINPUT, "%s: a run already exists here (continue it with --resume, "
                       "or choose another run.name)", r->dir);
    const char *subdirs[] = {"grids", "checkpoints", "export"};
    for (size_t i = 0; i < MB_ARRAY_LEN(subdirs); i++) {
        MB_TRY(mb_loop_path(r, path, sizeof path, subdirs[i]));
        MB_TRY(mb_loop_make_dir(path));
    }
    MB_TRY(mb_loop_path(r, path, sizeof path, "config.ini"));
    if (!resume)
        MB_TRY(mb_run_config_write(cfg, path));
    uint64_t hash;
    MB_TRY(mb_loop_config_hash(path, &hash));
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
    int rc = mb_loop_load_data(r, &judge_train);
    if (rc == MB_OK)
        rc = mb_loop_prepare_metrics(r, &judge_train);
    mb_dataset_free(&judge_train);
    if (rc == MB_OK)
        rc = mb_loop_prepare_watermark(r);
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
        rc = mb_loop_write_manifest(r, 1);
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

int mb_run(const mb_run_config *cfg, int resume, const char *command_line)
{
    run_ctx r = {.cfg = cfg, .command_line = command_line};
    MB_TRY(mb_run_config_check(cfg));
    mb_loop_now_iso(r.started, sizeof r.started);
    MB_TRY(mb_path(r.dir, sizeof r.dir, "%s/%s", cfg->out, cfg->name));
    /* the longest path the run will write must fit: refuse now, not after hours */
    char longest[MB_PATH_LEN];
    MB_TRY(mb_loop_path(&r, longest, sizeof longest, "export/gen_1000-images-idx3-ubyte.gz.tmp"));
    MB_TRY(mb_loop_make_dir(cfg->out));
    MB_TRY(mb_loop_make_dir(r.dir));
    int lock;
    MB_TRY(mb_loop_lock_folder(&r, &lock));
    const int rc = run_locked(&r, resume);
    mb_loop_run_free(&r);
    close(lock);
    return rc;
}
