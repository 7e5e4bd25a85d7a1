/* stats/toy_output.c — the run folder of a toy loop: config.json, then metrics.csv and
 * metrics.jsonl (one row per generation, across replicas) as generations finish,
 * and the plots (stats/toy_plots.c) at the end. */
#include "toy_internal.h"

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

static int mkdir_p(const char *path)
{
    char buf[3072];
    snprintf(buf, sizeof buf, "%s", path);
    for (char *p = buf + 1;; p++) {
        if (*p == '/' || !*p) {
            char c = *p;
            *p = 0;
            if (mkdir(buf, 0777) != 0 && errno != EEXIST)
                return mb_fail(MB_EIO, "toy: --out %s: cannot create folder %s: %s", path, buf,
                               strerror(errno));
            *p = c;
            if (!c)
                break;
        }
    }
    return MB_OK;
}

static FILE *open_in(const mb_toy_writer *w, const char *name, const char *mode)
{
    char path[4096];
    snprintf(path, sizeof path, "%s/%s", w->dir, name);
    FILE *f = fopen(path, mode);
    if (!f)
        mb_fail(MB_EIO, "toy: cannot write %s: %s", path, strerror(errno));
    return f;
}

static void json_string(FILE *f, const char *s)
{
    fputc('"', f);
    for (; s && *s; s++) {
        if (*s == '"' || *s == '\\')
            fprintf(f, "\\%c", *s);
        else if ((unsigned char)*s < 0x20)
            fprintf(f, "\\u%04x", *s);
        else
            fputc(*s, f);
    }
    fputc('"', f);
}

static void json_number(FILE *f, double v)
{
    if (isfinite(v))
        fprintf(f, "%.10g", v);
    else
        fputs("null", f);
}

static void json_array(FILE *f, const double *v, int n)
{
    fputc('[', f);
    for (int i = 0; i < n; i++) {
        if (i)
            fputs(", ", f);
        json_number(f, v[i]);
    }
    fputc(']', f);
}

#ifndef MADBENCH_GIT_REVISION
#define MADBENCH_GIT_REVISION "unknown"
#endif

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
    char updated[32];
    now_iso(updated, sizeof updated);
    FILE *f = open_in(w, "manifest.json", "w");
    if (!f)
        return MB_EIO;
    fprintf(f, "{\n  \"madbench_version\": \"%s\",\n  \"git_revision\": \"%s\",\n"
               "  \"command\": ", MADBENCH_VERSION, MADBENCH_GIT_REVISION);
    json_string(f, w->command);
    fprintf(f, ",\n  \"backend\": \"cpu\",\n  \"threads\": %d,\n"
               "  \"started\": \"%s\",\n  \"updated\": \"%s\",\n"
               "  \"generations_done\": %d,\n  \"generations\": %d,\n"
               "  \"finished\": %s,\n  \"seconds\": %.3f\n}\n",
            w->cfg->threads > 0 ? w->cfg->threads : omp_get_max_threads(), w->started, updated,
            w->n_rows - 1, w->cfg->generations, finished ? "true" : "false",
            mb_now_seconds() - w->t0);
    return fclose(f) == 0 ? MB_OK : mb_fail(MB_EIO, "toy: cannot write manifest.json");
}

static int write_config(const mb_toy_writer *w)
{
    const mb_toy_config *c = w->cfg;
    const mb_stats_model *o = c->original;
    int d = o->dim, K = o->n_components;
    FILE *f = open_in(w, "config.json", "w");
    if (!f)
        return MB_EIO;
    fprintf(f, "{\n  \"kind\": \"%s\",\n  \"dim\": %d,\n  \"components\": %d,\n"
               "  \"replicas\": %d,\n  \"generations\": %d,\n  \"samples\": %ld,\n"
               "  \"real\": %ld,\n  \"estimator\": \"%s\",\n  \"loop\": \"%s\",\n"
               "  \"lambda\": %.10g,\n  \"seed\": %llu,\n",
            c->kind == MB_TOY_GMM ? "gmm" : "gaussian", d, K, c->replicas, c->generations,
            c->n_samples, c->loop == MB_TOY_FRESH_DATA ? c->n_real : 0,
            c->estimator == MB_STATS_MLE ? "mle" : "unbiased", mb_toy_loop_name(c->loop), c->lambda,
            (unsigned long long)c->seed);
    if (c->kind == MB_TOY_GMM)
        fprintf(f, "  \"em\": {\"init\": \"%s\", \"max_iter\": %d, \"tol\": %.6g, "
                   "\"reg\": %.6g, \"dead_below_points\": %d},\n",
                c->em_init == MB_STATS_INIT_WARM ? "warm" : "kmeans++", c->em_max_iter,
                c->em_tol, c->em_reg, d + 1);
    fputs("  \"original\": {\"weights\": ", f);
    json_array(f, o->weight, K);
    fputs(", \"means\": [", f);
    for (int k = 0; k < K; k++) {
        fputs(k ? ", " : "", f);
        json_array(f, o->mean + (size_t)k * d, d);
    }
    fputs("], \"covariances\": [", f);
    for (int k = 0; k < K; k++) {
        fputs(k ? ", [" : "[", f);
        for (int a = 0; a < d; a++) {
            fputs(a ? ", " : "", f);
            json_array(f, o->cov + (size_t)k * d * d + (size_t)a * d, d);
        }
        fputc(']', f);
    }
    fputs("]},\n  \"w2\": \"", f);
    fputs(K == 1 ? "closed-form W2 between Gaussians"
                 : "mixture-Wasserstein MW2 (Delon & Desolneux 2020): exact OT between "
                   "components, cost W2^2 of Gaussians; an upper bound of W2",
          f);
    fputs("\",\n  \"tails\": \"share of S_t beyond Mahalanobis radius 2 / 3 from the nearest "
          "original component\"\n}\n", f);
    return fclose(f) == 0 ? MB_OK : mb_fail(MB_EIO, "toy: cannot write config.json");
}

int mb_toy_writer_open(mb_toy_writer **out, const char *dir, const mb_toy_config *cfg,
                       const char *command)
{
    *out = NULL;
    MB_TRY(mb_toy_config_check(cfg));
    mb_toy_writer *w = mb_host_alloc(sizeof *w, "toy writer");
    if (!w)
        return MB_ENOMEM;
    w->cfg = cfg;
    w->t0 = mb_now_seconds();
    now_iso(w->started, sizeof w->started);
    snprintf(w->dir, sizeof w->dir, "%s", dir);
    snprintf(w->command, sizeof w->command, "%s", command ? command : "");
    w->rows = mb_host_alloc(sizeof(mb_toy_row) * (size_t)(cfg->generations + 1), "toy rows");
    int rc = w->rows ? mkdir_p(dir) : MB_ENOMEM;
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

static void write_row(mb_toy_writer *w, const mb_toy_row *row)
{
    int K = w->cfg->n_components;
    fprintf(w->csv, "%d", row->generation);
    fprintf(w->jsonl, "{\"generation\": %d", row->generation);
    for (size_t i = 0; i < MB_ARRAY_LEN(columns); i++) {
        double v = *(const double *)((const char *)row + columns[i].offset);
        if (isfinite(v))
            fprintf(w->csv, ",%.10g", v);
        else
            fputc(',', w->csv);
        fprintf(w->jsonl, ", \"%s\": ", columns[i].name);
        json_number(w->jsonl, v);
    }
    if (K > 1) {
        for (int k = 0; k < K; k++)
            fprintf(w->csv, ",%.10g,%.10g,%.10g,%.10g", row->comp_var_mean[k],
                    row->comp_var_q50[k], row->weight_mean[k], row->class_share_mean[k]);
        fputs(", \"comp_var_mean\": ", w->jsonl);
        json_array(w->jsonl, row->comp_var_mean, K);
        fputs(", \"comp_var_q50\": ", w->jsonl);
        json_array(w->jsonl, row->comp_var_q50, K);
        fputs(", \"weight_mean\": ", w->jsonl);
        json_array(w->jsonl, row->weight_mean, K);
        fputs(", \"class_share_mean\": ", w->jsonl);
        json_array(w->jsonl, row->class_share_mean, K);
    }
    fputc('\n', w->csv);
    fputs("}\n", w->jsonl);
    fflush(w->csv);
    fflush(w->jsonl);
}

int mb_toy_writer_observe(void *writer, const mb_toy_generation *g)
{
    mb_toy_writer *w = writer;
    mb_toy_row *row = &w->rows[w->n_rows];
    MB_TRY(mb_toy_aggregate(w->cfg, g, row));
    w->n_rows++;
    write_row(w, row);
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
