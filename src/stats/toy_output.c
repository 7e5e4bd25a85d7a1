/* stats/toy_output.c — the run folder of a toy loop: config.json, then metrics.csv and
 * metrics.jsonl (one row per generation, across replicas) as generations finish,
 * and the plots (stats/toy_plots.c) at the end. */
#include "mb_files.h"
#include "toy_internal.h"
#include "mb_json.h"
#include "mb_provenance.h"

#include <errno.h>
#include <math.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <omp.h>
#include <sys/stat.h>
#include <time.h>

/* ---- columns: one table for the CSV header, CSV rows and JSON keys ---- */
typedef struct {
    const char *name;
    size_t offset;
} column;

#define COL(f) {#f, offsetof(mb_toy_row, f)}
static const column columns[] = {
    COL(var_mean), COL(var_q05), COL(var_q25), COL(var_q50), COL(var_q75), COL(var_q95),
    COL(var_closed_form), COL(sd_mean), COL(log_var_mean), COL(det_ratio_mean),
    COL(drift2_mean), COL(drift_mean), COL(tail2_mean), COL(tail2_q50), COL(tail3_mean),
    COL(tail3_q50), COL(min_weight_mean), COL(min_weight_q50),
    COL(min_class_share_mean), COL(min_class_share_q50), COL(lost_share),
    COL(w2_mean), COL(w2_q50)};
#undef COL

static FILE *open_in(const mb_toy_writer *w, const char *name, const char *mode)
{
    char path[4096];
    snprintf(path, sizeof path, "%s/%s", w->dir, name);
    FILE *f = fopen(path, mode);
    if (!f)
        mb_fail(MB_EIO, "toy: cannot write %s: %s", path, strerror(errno));
    return f;
}

static void now_iso(char *out, size_t len)
{
    time_t t = time(NULL);
    struct tm tm;
    gmtime_r(&t, &tm);
    strftime(out, len, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

/* manifest.json, as image runs write it: provenance and timing (rewritten at the end). */
static int write_manifest(const mb_toy_writer *w, int finished)
{
    char updated[32], path[4096];
    now_iso(updated, sizeof updated);
    snprintf(path, sizeof path, "%s/manifest.json", w->dir);
    json_t *m = json_pack("{s:o, s:s, s:i, s:s, s:s, s:i, s:i, s:b, s:f}",
                          "command", mb_json_text(w->command), "backend", "cpu",
                          "threads", w->cfg->threads > 0 ? w->cfg->threads : omp_get_max_threads(),
                          "started", w->started, "updated", updated,
                          "generations_done", w->n_rows - 1,
                          "generations", w->cfg->generations, "finished", finished,
                          "seconds", mb_now_seconds() - w->t0);
    int rc = m ? mb_provenance_add(m, NULL) : mb_fail(MB_ENOMEM, "toy: out of memory");
    if (rc == MB_OK)
        rc = mb_json_write_file(m, path);
    json_decref(m);
    return rc;
}

/* A rows x cols block of doubles as an array of arrays: [[..], ..]. */
static json_t *matrix(const double *v, int rows, int cols)
{
    json_t *a = json_array();
    for (int i = 0; a && i < rows; i++)
        if (json_array_append_new(a, mb_json_reals(v + (size_t)i * cols, cols))) {
            json_decref(a);
            return NULL;
        }
    return a;
}

static int write_config(const mb_toy_writer *w)
{
    const mb_toy_config *c = w->cfg;
    const mb_stats_model *o = c->original;
    const int d = o->dim, K = o->n_components;
    char path[4096];
    snprintf(path, sizeof path, "%s/config.json", w->dir);
    json_t *covs = json_array();
    for (int k = 0; covs && k < K; k++)
        if (json_array_append_new(covs, matrix(o->cov + (size_t)k * d * d, d, d))) {
            json_decref(covs);
            covs = NULL;
        }
    json_t *doc = json_pack(
        "{s:s, s:i, s:i, s:i, s:i, s:I, s:I, s:s, s:s, s:o, s:I, "
        "s:{s:o, s:o, s:o}, s:s, s:s}",
        "kind", c->kind == MB_TOY_GMM ? "gmm" : "gaussian", "dim", d, "components", K,
        "replicas", c->replicas, "generations", c->generations,
        "samples", (json_int_t)c->n_samples,
        "real", (json_int_t)(c->loop == MB_TOY_FRESH_DATA ? c->n_real : 0),
        "estimator", c->estimator == MB_STATS_MLE ? "mle" : "unbiased",
        "loop", mb_toy_loop_name(c->loop), "lambda", mb_json_real(c->lambda),
        "seed", (json_int_t)c->seed,
        "original", "weights", mb_json_reals(o->weight, K), "means", matrix(o->mean, K, d),
        "covariances", covs,
        "w2", K == 1 ? "closed-form W2 between Gaussians"
                     : "mixture-Wasserstein MW2 (Delon & Desolneux 2020): exact OT between "
                       "components, cost W2^2 of Gaussians; an upper bound of W2",
        "tails", "share of S_t beyond Mahalanobis radius 2 / 3 from the nearest original "
                 "component");
    int rc = doc ? MB_OK : mb_fail(MB_ENOMEM, "toy: out of memory");
    if (rc == MB_OK && c->kind == MB_TOY_GMM)
        rc = mb_json_set(doc, "em", json_pack("{s:s, s:i, s:o, s:o, s:i}", "init",
                                              c->em_init == MB_STATS_INIT_WARM ? "warm" : "kmeans++",
                                              "max_iter", c->em_max_iter,
                                              "tol", mb_json_real(c->em_tol),
                                              "reg", mb_json_real(c->em_reg),
                                              "dead_below_points", d + 1));
    if (rc == MB_OK)
        rc = mb_json_write_file(doc, path);
    json_decref(doc);
    return rc;
}

int mb_toy_writer_open(mb_toy_writer **out, const char *dir, const mb_toy_config *cfg,
                       const char *command)
{
    *out = NULL;
    MB_TRY(mb_toy_config_check(cfg));
    mb_toy_writer *w = mb_host_alloc(sizeof *w, "toy writer");
    if (!w)
        return MB_ENOMEM;
    if (mb_path(w->dir, sizeof w->dir, "%s", dir) != MB_OK) {
        free(w);
        return mb_fail(MB_EINPUT, "toy: --out: %s", mb_last_error());
    }
    w->cfg = cfg;
    w->t0 = mb_now_seconds();
    now_iso(w->started, sizeof w->started);
    snprintf(w->command, sizeof w->command, "%s", command ? command : "");
    w->rows = mb_host_alloc(sizeof(mb_toy_row) * (size_t)(cfg->generations + 1), "toy rows");
    int rc = w->rows ? mb_make_dirs(dir) : MB_ENOMEM;
    if (rc == MB_OK)
        rc = write_config(w);
    if (rc == MB_OK)
        rc = write_manifest(w, 0);
    if (rc == MB_OK && (!(w->csv = open_in(w, "metrics.csv", "w")) ||
                        !(w->jsonl = open_in(w, "metrics.jsonl", "w"))))
        rc = MB_EIO;
    if (rc != MB_OK) {
        if (w->csv)
            fclose(w->csv);
        free(w->rows);
        free(w);
        return rc;
    }
    fputs("generation", w->csv);
    for (size_t i = 0; i < MB_ARRAY_LEN(columns); i++)
        fprintf(w->csv, ",%s", columns[i].name);
    if (cfg->n_components > 1)
        for (int k = 0; k < cfg->n_components; k++)
            fprintf(w->csv, ",comp%d_var_mean,comp%d_var_q50,comp%d_weight_mean,"
                            "comp%d_class_share_mean", k, k, k, k);
    fputc('\n', w->csv);

    int G = cfg->generations;
    const int wanted[MB_TOY_MAX_HISTS] = {0, G / 4, G / 2, 3 * G / 4, G};
    for (int i = 0; i < MB_TOY_MAX_HISTS; i++)
        if (w->n_hists == 0 || wanted[i] != w->hist_gen[w->n_hists - 1])
            w->hist_gen[w->n_hists++] = wanted[i];
    double mean[MB_STATS_MAX_DIM], var0 = 0;
    const mb_stats_model *o = cfg->original;
    int d = o->dim;
    memset(mean, 0, sizeof mean);
    for (int k = 0; k < o->n_components; k++) {
        mean[0] += o->weight[k] * o->mean[(size_t)k * d];
        var0 += o->weight[k] * (o->cov[(size_t)k * d * d] + o->mean[(size_t)k * d] *
                                                                o->mean[(size_t)k * d]);
    }
    w->ref_mean0 = mean[0];
    w->ref_sd0 = sqrt(var0 - mean[0] * mean[0]);
    *out = w;
    return MB_OK;
}

static int write_row(mb_toy_writer *w, const mb_toy_row *row)
{
    int K = w->cfg->n_components;
    json_t *doc = json_pack("{s:i}", "generation", row->generation);
    int rc = doc ? MB_OK : MB_ENOMEM;
    fprintf(w->csv, "%d", row->generation);
    for (size_t i = 0; i < MB_ARRAY_LEN(columns); i++) {
        double v = *(const double *)((const char *)row + columns[i].offset);
        if (isfinite(v))
            fprintf(w->csv, ",%.10g", v);
        else
            fputc(',', w->csv);
        if (rc == MB_OK)
            rc = mb_json_set(doc, columns[i].name, mb_json_real(v));
    }
    if (K > 1) {
        for (int k = 0; k < K; k++)
            fprintf(w->csv, ",%.10g,%.10g,%.10g,%.10g", row->comp_var_mean[k],
                    row->comp_var_q50[k], row->weight_mean[k], row->class_share_mean[k]);
        if (rc == MB_OK)
            rc = mb_json_set(doc, "comp_var_mean", mb_json_reals(row->comp_var_mean, K));
        if (rc == MB_OK)
            rc = mb_json_set(doc, "comp_var_q50", mb_json_reals(row->comp_var_q50, K));
        if (rc == MB_OK)
            rc = mb_json_set(doc, "weight_mean", mb_json_reals(row->weight_mean, K));
        if (rc == MB_OK)
            rc = mb_json_set(doc, "class_share_mean", mb_json_reals(row->class_share_mean, K));
    }
    fputc('\n', w->csv);
    char *line = rc == MB_OK ? mb_json_line(doc) : NULL;
    json_decref(doc);
    if (!line)
        return mb_fail(MB_ENOMEM, "toy: out of memory formatting a row");
    fputs(line, w->jsonl);
    free(line);
    fflush(w->csv);
    fflush(w->jsonl);
    return MB_OK;
}

int mb_toy_writer_observe(void *writer, const mb_toy_generation *g)
{
    mb_toy_writer *w = writer;
    mb_toy_row *row = &w->rows[w->n_rows];
    MB_TRY(mb_toy_aggregate(w->cfg, g, row));
    w->n_rows++;
    MB_TRY(write_row(w, row));
    if (ferror(w->csv) || ferror(w->jsonl))
        return mb_fail(MB_EIO, "toy: cannot write metrics in %s", w->dir);
    for (int h = 0; h < w->n_hists; h++) {
        if (w->hist_gen[h] != g->generation)
            continue;
        int d = w->cfg->dim, K = w->cfg->n_components;
        long M = g->n_samples, total = (long)g->replicas * M;
        const double width = (MB_TOY_HIST_HI - MB_TOY_HIST_LO) / MB_TOY_HIST_BINS;
        for (int r = 0; r < g->replicas; r++) {
            const mb_stats_model *m = &g->models[r];
            double own_mean0 = 0;
            for (int k = 0; k < K; k++)
                own_mean0 += m->weight[k] > 0 ? m->weight[k] * m->mean[(size_t)k * d] : 0;
            for (long i = 0; i < M; i++) {
                double x0 = g->samples[((size_t)r * M + i) * d];
                double z[2] = {(x0 - w->ref_mean0) / w->ref_sd0, (x0 - own_mean0) / w->ref_sd0};
                for (int c = 0; c < 2; c++) {
                    int b = (int)floor((z[c] - MB_TOY_HIST_LO) / width);
                    if (b >= 0 && b < MB_TOY_HIST_BINS)
                        w->hist[c][h][b] += 1.0 / ((double)total * width); /* density */
                }
            }
        }
    }
    return MB_OK;
}

const mb_toy_row *mb_toy_writer_last_row(const mb_toy_writer *w)
{
    return w->n_rows ? &w->rows[w->n_rows - 1] : NULL;
}

int mb_toy_writer_close(mb_toy_writer *w, int no_plots)
{
    if (!w)
        return MB_OK;
    int rc = MB_OK;
    int bad_csv = fclose(w->csv) != 0, bad_jsonl = fclose(w->jsonl) != 0;
    if (bad_csv || bad_jsonl)
        rc = mb_fail(MB_EIO, "toy: cannot write metrics in %s", w->dir);
    if (rc == MB_OK && !no_plots && w->n_rows > 0)
        rc = mb_toy_write_plots(w);
    if (rc == MB_OK)
        rc = write_manifest(w, w->n_rows == w->cfg->generations + 1);
    free(w->rows);
    free(w);
    return rc;
}
