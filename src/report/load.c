/* report/load.c — reads a run folder for the report: metrics.jsonl (one JSON
 * object per generation, required), manifest.json and config.ini (optional). */
#include "mb_report.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The whole file at path into a NUL-terminated buffer; NULL (errno set) on failure. */
static char *read_text(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return NULL;
    char *text = NULL;
    size_t n = 0, cap = 0;
    for (;;) {
        if (cap - n < 65536) {
            cap = cap ? 2 * cap : 65536;
            char *t = realloc(text, cap + 1);
            if (!t) {
                free(text);
                fclose(f);
                errno = ENOMEM;
                return NULL;
            }
            text = t;
        }
        const size_t got = fread(text + n, 1, cap - n, f);
        n += got;
        if (got == 0)
            break;
    }
    const int bad = ferror(f);
    fclose(f);
    if (bad) {
        free(text);
        errno = EIO;
        return NULL;
    }
    text[n] = 0;
    *len = n;
    return text;
}

static int load_rows(mb_report_run *run, const char *path)
{
    size_t len = 0;
    char *text = read_text(path, &len);
    if (!text)
        return mb_fail(errno == ENOENT ? MB_EINPUT : MB_EIO, "%s: cannot read: %s (is %s a "
                       "madbench run folder?)", path, strerror(errno), run->dir);
    int rc = MB_OK, line = 0;
    char where[1200];
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
    snprintf(run->dir, sizeof run->dir, "%s", dir);
    size_t dl = strlen(run->dir);
    while (dl > 1 && run->dir[dl - 1] == '/')
        run->dir[--dl] = 0;
    const char *slash = strrchr(run->dir, '/');
    snprintf(run->name, sizeof run->name, "%s", slash && slash[1] ? slash + 1 : run->dir);

    char path[1100];
    snprintf(path, sizeof path, "%s/metrics.jsonl", run->dir);
    int rc = load_rows(run, path);
    size_t len;
    snprintf(path, sizeof path, "%s/manifest.json", run->dir);
    char *text = rc == MB_OK ? read_text(path, &len) : NULL;
    if (text) {
        rc = mb_json_parse(text, len, path, &run->manifest);
        if (rc == MB_OK && !json_is_object(run->manifest))
            rc = mb_fail(MB_EINPUT, "%s: expected a JSON object", path);
        free(text);
    }
    snprintf(path, sizeof path, "%s/config.ini", run->dir);
    if (rc == MB_OK)
        run->config = read_text(path, &len);
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

static char *trim(char *s)
{
    while (*s == ' ' || *s == '\t')
        s++;
    char *e = s + strlen(s);
    while (e > s && (e[-1] == ' ' || e[-1] == '\t' || e[-1] == '\r'))
        *--e = 0;
    return s;
}

const char *mb_report_config(const mb_report_run *run, const char *key, char *buf, size_t len)
{
    const char *dot = strchr(key, '.');
    if (!run->config || !dot)
        return NULL;
    char section[64] = "", line[1200];
    const char *s = run->config;
    const char *found = NULL;
    while (*s) {
        const char *nl = strchr(s, '\n');
        size_t n = nl ? (size_t)(nl - s) : strlen(s);
        snprintf(line, sizeof line, "%.*s", (int)(n < sizeof line ? n : sizeof line - 1), s);
        s += n + (nl != NULL);
        char *t = trim(line);
        if (*t == '[') {
            char *close = strchr(t, ']');
            if (close)
                snprintf(section, sizeof section, "%.*s", (int)(close - t - 1), t + 1);
            continue;
        }
        char *eq = strchr(t, '=');
        if (*t == '#' || *t == ';' || !eq)
            continue;
        *eq = 0;
        if (strlen(section) == (size_t)(dot - key) && !strncmp(section, key, dot - key) &&
            !strcmp(trim(t), dot + 1)) {
            snprintf(buf, len, "%s", trim(eq + 1));
            found = buf;
        }
    }
    return found;
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
