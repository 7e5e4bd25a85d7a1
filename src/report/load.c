/* report/load.c — reads a run folder for the report: metrics.jsonl (one JSON
 * object per generation, required), manifest.json and config.ini (optional). */
#include "mb_files.h"
#include "mb_report.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#define MB_REPORT_MAX_FILE ((size_t)1 << 28)

/* The whole file at path into a NUL-terminated buffer; an optional file that is
 * not there gives *text = NULL. */
static int read_text(const char *path, const char *what, int optional, char **text,
                     size_t *len)
{
    struct stat st;
    *text = NULL;
    if (optional && stat(path, &st) && errno == ENOENT)
        return MB_OK;
    return mb_read_file(path, what, MB_REPORT_MAX_FILE, text, len);
}

static int load_rows(mb_report_run *run, const char *path)
{
    size_t len = 0;
    char *text;
    if (read_text(path, "metrics of the run", 0, &text, &len) != MB_OK)
        return mb_fail(MB_EINPUT, "%s (is %s a madbench run folder?)", mb_last_error(),
                       run->dir);
    int rc = MB_OK, line = 0;
    char where[MB_PATH_LEN + 16];
    for (char *s = text, *nl; rc == MB_OK && s < text + len; s = nl + 1) {
        nl = memchr(s, '\n', (size_t)(text + len - s));
        if (!nl)
            nl = text + len;
        line++;
        size_t n = (size_t)(nl - s);
        if (n == 0 || strspn(s, " \t\r") >= n)
            continue; /* blank lines are allowed */
        snprintf(where, sizeof where, "%s:%d", path, line);
        json_t *row;
        if ((rc = mb_json_parse(s, n, where, &row)) != MB_OK)
            break;
        const double g = mb_json_number(row, "generation");
        if (!(g >= 0) || g != floor(g) || g >= MB_REPORT_MAX_ROWS) {
            rc = mb_fail(MB_EINPUT, "%s: expected an object with \"generation\" 0..%d",
                         where, MB_REPORT_MAX_ROWS - 1);
        } else {
            const int gi = (int)g;
            json_decref(run->rows[gi]); /* a repeated generation: the last row wins */
            run->rows[gi] = row;
            run->n_rows = gi + 1 > run->n_rows ? gi + 1 : run->n_rows;
            continue;
        }
        json_decref(row);
    }
    free(text);
    if (rc == MB_OK && run->n_rows == 0)
        rc = mb_fail(MB_EINPUT, "%s: no generations recorded yet", path);
    return rc;
}

int mb_report_run_load(mb_report_run *run, const char *dir)
{
    memset(run, 0, sizeof *run);
    MB_TRY(mb_path(run->dir, sizeof run->dir, "%s", dir));
    size_t dl = strlen(run->dir);
    while (dl > 1 && run->dir[dl - 1] == '/')
        run->dir[--dl] = 0;
    const char *slash = strrchr(run->dir, '/');
    snprintf(run->name, sizeof run->name, "%s", slash && slash[1] ? slash + 1 : run->dir);

    char path[MB_PATH_LEN];
    int rc = mb_path(path, sizeof path, "%s/metrics.jsonl", run->dir);
    if (rc == MB_OK)
        rc = load_rows(run, path);
    size_t len;
    char *text = NULL;
    if (rc == MB_OK)
        rc = mb_path(path, sizeof path, "%s/manifest.json", run->dir);
    if (rc == MB_OK)
        rc = read_text(path, "manifest", 1, &text, &len);
    if (text) {
        rc = mb_json_parse(text, len, path, &run->manifest);
        if (rc == MB_OK && !json_is_object(run->manifest))
            rc = mb_fail(MB_EINPUT, "%s: expected a JSON object", path);
        free(text);
    }
    if (rc == MB_OK)
        rc = mb_path(path, sizeof path, "%s/config.ini", run->dir);
    if (rc == MB_OK)
        rc = read_text(path, "configuration", 1, &run->config, &len);
    if (rc != MB_OK)
        mb_report_run_free(run);
    return rc;
}

void mb_report_run_free(mb_report_run *run)
{
    for (int g = 0; g < run->n_rows; g++)
        json_decref(run->rows[g]);
    json_decref(run->manifest);
    memset(run->rows, 0, sizeof run->rows);
    run->manifest = NULL;
    free(run->config);
    run->config = NULL;
    run->n_rows = 0;
}

void mb_report_series(const mb_report_run *run, const char *key, double *v)
{
    for (int g = 0; g < run->n_rows; g++)
        v[g] = mb_json_number(run->rows[g], key);
}

typedef struct {
    const char *key; /* section.name */
    char *buf;
    size_t len;
    const char *found;
} config_lookup;

static int match_key(void *user, const char *section, const char *name, const char *value,
                     const char *where)
{
    config_lookup *l = user;
    const char *dot = strchr(l->key, '.');
    (void)where;
    if (strlen(section) == (size_t)(dot - l->key) && !strncmp(section, l->key, dot - l->key) &&
        !strcmp(name, dot + 1)) {
        snprintf(l->buf, l->len, "%s", value);
        l->found = l->buf; /* the last one wins, as for the run */
    }
    return MB_OK;
}

const char *mb_report_config(const mb_report_run *run, const char *key, char *buf, size_t len)
{
    config_lookup l = {key, buf, len, NULL};
    char *text = run->config && strchr(key, '.') ? strdup(run->config) : NULL;
    if (text && mb_ini_parse(text, "config.ini", match_key, &l) != MB_OK)
        l.found = NULL; /* not readable: the report goes without it */
    free(text);
    return l.found;
}

/* ---- collapse speed (definitions in mb_report.h and README.md, "The report") ---- */

void mb_collapse_speed_compute(const double *fd, const double *tail99, const double *recall,
                               int n_rows, mb_collapse_speed *out)
{
    out->last_generation = n_rows - 1;
    out->fd_doubles = out->tail99_halves = out->recall_below = MB_SPEED_UNDEFINED;
    if (n_rows < 2)
        return;
    const double fd1 = fd[1], t1 = tail99[1];
    if (isfinite(fd1) && fd1 > 0) {
        out->fd_doubles = MB_SPEED_NOT_WITHIN;
        for (int g = 2; g < n_rows; g++)
            if (fd[g] >= 2 * fd1) { /* NaN compares false: a missing row never counts */
                out->fd_doubles = g;
                break;
            }
    }
    if (isfinite(t1) && t1 > 0) {
        out->tail99_halves = MB_SPEED_NOT_WITHIN;
        for (int g = 2; g < n_rows; g++)
            if (tail99[g] <= 0.5 * t1) {
                out->tail99_halves = g;
                break;
            }
    }
    for (int g = 1; g < n_rows; g++) { /* undefined while no generation has a recall */
        if (isfinite(recall[g]) && out->recall_below == MB_SPEED_UNDEFINED)
            out->recall_below = MB_SPEED_NOT_WITHIN;
        if (recall[g] < 0.5) {
            out->recall_below = g;
            break;
        }
    }
}

void mb_collapse_speed_text(int value, int last_generation, char *buf, size_t len)
{
    if (value == MB_SPEED_UNDEFINED)
        snprintf(buf, len, "n/a");
    else if (value == MB_SPEED_NOT_WITHIN)
        snprintf(buf, len, "not within %d", last_generation);
    else
        snprintf(buf, len, "%d", value);
}
