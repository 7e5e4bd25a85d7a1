/* cli/metrics_files.c — `madbench metrics` on feature files. Features [N, D] from
 * .npy (float32 or float64) go through the whole suite in float64, with no
 * precision lost on the way in. Statistics from .npz (pytorch-fid's mu and sigma)
 * give the Frechet distance alone: every other metric needs the samples.
 * `--save-stats` writes such a file from A's features. */
#include "mb_row.h"
#include "cli_internal.h"
#include "mb_npy.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

typedef struct {
    const char *path;
    int n, d;               /* n = 0: statistics only */
    double *x;              /* backend [n, d] features, or NULL */
    mb_npy_array mu, sigma; /* host statistics, or empty */
} feature_file;

int mb_cli_print_metrics_json(const mb_metrics_result *r, json_t *own)
{
    mb_row row = {.metrics = *r};
    json_t *obj = mb_row_json(&row, MB_COL_METRIC);
    char *line = obj && own && !json_object_update(obj, own) ? mb_json_line(obj) : NULL;
    if (line)
        fputs(line, stdout);
    free(line);
    json_decref(obj), json_decref(own);
    return line ? MB_OK : mb_fail(MB_ENOMEM, "metrics: out of memory writing JSON");
}

int mb_cli_is_feature_file(const char *path)
{
    return mb_npy_is_npy_name(path) || mb_npy_is_npz_name(path);
}

static const char *shape_text(const mb_npy_array *a, char *buf, size_t cap)
{
    if (a->ndim == 1)
        snprintf(buf, cap, "(%ld,)", a->shape[0]);
    else
        snprintf(buf, cap, "(%ld, %ld)", a->shape[0], a->shape[1]);
    return buf;
}

static void free_file(mb_backend *be, feature_file *f)
{
    if (f->x)
        be->free(be, f->x);
    mb_npy_free(&f->mu);
    mb_npy_free(&f->sigma);
}

static int read_file(mb_backend *be, const char *path, feature_file *f)
{
    char s1[64], s2[64];
    memset(f, 0, sizeof *f);
    f->path = path;
    if (mb_npy_is_npz_name(path)) {
        MB_TRY(mb_npz_read(path, "mu", &f->mu));
        MB_TRY(mb_npz_read(path, "sigma", &f->sigma));
        const long d = f->mu.shape[0];
        if (f->mu.ndim != 1 || f->sigma.ndim != 2 || f->sigma.shape[0] != d ||
            f->sigma.shape[1] != d)
            return mb_fail(MB_EINPUT, "%s: mu of shape %s and sigma of shape %s (expected mu "
                           "[D] and sigma [D, D])", path, shape_text(&f->mu, s1, sizeof s1),
                           shape_text(&f->sigma, s2, sizeof s2));
        f->d = (int)d;
        return MB_OK;
    }
    mb_npy_array a;
    MB_TRY(mb_npy_read(path, &a));
    if (a.ndim != 2) {
        shape_text(&a, s1, sizeof s1);
        mb_npy_free(&a);
        return mb_fail(MB_EINPUT, "%s: array of shape %s (expected features [N, D], one row "
                       "per sample)", path, s1);
    }
    f->n = (int)a.shape[0];
    f->d = (int)a.shape[1];
    const size_t bytes = (size_t)f->n * f->d * sizeof(double);
    f->x = be->alloc(be, bytes);
    if (f->x)
        be->upload(be, f->x, a.data, bytes);
    mb_npy_free(&a);
    return f->x ? MB_OK : mb_fail(MB_ENOMEM, "out of memory for the features of %s", path);
}

int mb_cli_save_stats(mb_backend *be, const char *path, const mb_real *x_real,
                      const double *x_f64, int n, int d)
{
    double *converted = NULL, *mu = NULL, *sigma = NULL;
    if (x_real) {
        converted = be->alloc(be, (size_t)n * d * sizeof(double));
        if (!converted)
            return mb_fail(MB_ENOMEM, "out of memory for %d features of dimension %d", n, d);
        be->to_f64(be, x_real, converted, (size_t)n * d);
        x_f64 = converted;
    }
    mb_gaussian_fit fit;
    int rc = mb_gaussian_fit_features(be, x_f64, n, d, 0, &fit);
    if (rc == MB_OK) {
        mu = mb_host_alloc((size_t)d * sizeof *mu, "statistics");
        sigma = mb_host_alloc((size_t)d * d * sizeof *sigma, "statistics");
        rc = mu && sigma ? MB_OK : MB_ENOMEM;
    }
    if (rc == MB_OK) {
        be->download(be, mu, fit.mean, (size_t)d * sizeof *mu);
        be->download(be, sigma, fit.cov, (size_t)d * d * sizeof *sigma);
        rc = mb_npz_write_stats(path, mu, sigma, d);
    }
    if (rc == MB_OK)
        mb_progress("metrics: wrote %s (mu [%d], sigma [%d, %d] of %d samples)\n", path, d, d,
                    d, n);
    mb_gaussian_fit_free(be, &fit);
    if (converted)
        be->free(be, converted);
    free(mu);
    free(sigma);
    return rc;
}

static void describe(const char *role, const feature_file *f)
{
    if (f->x)
        printf("%s: %s (%d features of dimension %d)\n", role, f->path, f->n, f->d);
    else
        printf("%s: %s (statistics mu, sigma of dimension %d)\n", role, f->path, f->d);
}

/* Statistics on either side: the Frechet distance alone. */
static int frechet_only(mb_backend *be, int json, const feature_file *a, const feature_file *b)
{
    mb_gaussian_fit fa = {0}, fb = {0};
    double fd = 0;
    int rc = a->x ? mb_gaussian_fit_features(be, a->x, a->n, a->d, 1, &fa)
                  : mb_gaussian_fit_moments(be, a->d, a->mu.data, a->sigma.data, 1, &fa);
    if (rc == MB_OK)
        rc = b->x ? mb_gaussian_fit_features(be, b->x, b->n, b->d, 0, &fb)
                  : mb_gaussian_fit_moments(be, b->d, b->mu.data, b->sigma.data, 0, &fb);
    if (rc == MB_OK)
        rc = mb_frechet_distance(be, &fa, &fb, &fd);
    if (rc == MB_OK && json) { /* sample counts are null for statistics */
        char na[16] = "null", nb[16] = "null";
        if (a->x)
            snprintf(na, sizeof na, "%d", a->n);
        if (b->x)
            snprintf(nb, sizeof nb, "%d", b->n);
        printf("{\"n_ref\":%s,\"n_gen\":%s,\"dim\":%d,\"fd\":%.17g,\"features\":\"file\","
               "\"statistics_only\":true,\"device\":\"%s\"}\n", na, nb, a->d, fd, be->name);
    } else if (rc == MB_OK) {
        describe("reference A", a);
        describe("generated B", b);
        printf("%-28s %14.6g  (from statistics: the other metrics need samples)\n",
               "frechet distance", fd);
    }
    mb_gaussian_fit_free(be, &fa);
    mb_gaussian_fit_free(be, &fb);
    return rc;
}

static int whole_suite(mb_backend *be, const mb_metrics_options *opt, int json,
                       const feature_file *a, const feature_file *b)
{
    mb_metrics_ref *ref = NULL;
    mb_metrics_result r;
    const double t0 = mb_now_seconds();
    const clock_t cpu0 = clock(); /* process CPU time, all threads */
    int rc = mb_metrics_ref_create_f64(&ref, be, a->x, a->n, a->d, opt);
    if (rc == MB_OK)
        rc = mb_metrics_compare_f64(ref, b->x, b->n, &r);
    mb_metrics_ref_destroy(ref);
    const double seconds = mb_now_seconds() - t0;
    const double cpu_seconds = (double)(clock() - cpu0) / CLOCKS_PER_SEC;
    if (rc == MB_OK && json) {
        rc = mb_cli_print_metrics_json(
            &r, json_pack("{s:s, s:o, s:o, s:s}", "features", "file", "suite_seconds",
                          mb_json_real(seconds), "suite_cpu_seconds", mb_json_real(cpu_seconds),
                          "device", be->name));
    } else if (rc == MB_OK) {
        describe("reference A", a);
        describe("generated B", b);
        printf("device: %s (%s)\n\n", be->name, be->device_name);
        mb_metrics_print_table(stdout, &r);
        printf("%-28s %14.3f  (reference statistics + comparison; CPU %.3f s)\n",
               "suite seconds", seconds, cpu_seconds);
    }
    return rc;
}

int mb_cli_metrics_files(mb_backend *be, const mb_metrics_options *opt, int json,
                         const char *save_stats, const char *src_a, const char *src_b)
{
    feature_file a, b = {0};
    int rc = read_file(be, src_a, &a);
    if (rc == MB_OK && save_stats)
        rc = a.x ? mb_cli_save_stats(be, save_stats, NULL, a.x, a.n, a.d)
                 : mb_fail(MB_EINPUT, "metrics: --save-stats needs features of A, but %s "
                           "holds statistics already", src_a);
    if (rc == MB_OK && src_b)
        rc = read_file(be, src_b, &b);
    if (rc == MB_OK && src_b && a.d != b.d)
        rc = mb_fail(MB_EINPUT, "metrics: %s holds features of dimension %d but %s of "
                     "dimension %d (expected features of one extractor)", src_a, a.d, src_b,
                     b.d);
    if (rc == MB_OK && src_b)
        rc = a.x && b.x ? whole_suite(be, opt, json, &a, &b) : frechet_only(be, json, &a, &b);
    free_file(be, &a);
    free_file(be, &b);
    return rc;
}
