/* mb_report.h — the report of one run or a comparison of several: SVG plots of
 * every metric against generation, the tail figure, class shares, the image grids
 * of every generation and the collapse-speed table, in one self-contained HTML
 * page (README.md, "The report"). */
#ifndef MB_REPORT_H
#define MB_REPORT_H

#include "mb_common.h"
#include "mb_json.h"

#include <stddef.h>

/* ---- one run folder, as the report reads it ---- */
#define MB_REPORT_MAX_ROWS 1024

typedef struct {
    char dir[4096];         /* MB_PATH_LEN */
    char name[256];        /* the folder's last path component */
    int n_rows;            /* generations 0..n_rows-1 (row g is generation g) */
    json_t *rows[MB_REPORT_MAX_ROWS]; /* objects; NULL where a generation is missing */
    json_t *manifest;      /* an object, or NULL when manifest.json is absent */
    char *config;          /* config.ini's text, or NULL */
} mb_report_run;

/* Reads RUN/metrics.jsonl (required), manifest.json and config.ini (optional). */
int mb_report_run_load(mb_report_run *run, const char *dir);
void mb_report_run_free(mb_report_run *run);
/* The metric `key` of every generation into v[n_rows] (NaN where absent or null). */
void mb_report_series(const mb_report_run *run, const char *key, double *v);
/* A value of config.ini ("section.key"), or NULL. Copies into buf[len]. */
const char *mb_report_config(const mb_report_run *run, const char *key, char *buf, size_t len);

/* ---- collapse speed ----
 * Definitions (README.md, "The report"): with generation 1 the model trained on real data
 * only, and values[g] the metric of generation g (NaN when missing),
 *   fd_doubles     the first g >= 2 with fd[g] >= 2 fd[1]
 *   tail99_halves  the first g >= 2 with tail99[g] <= tail99[1] / 2 (the report passes
 *                  the on-manifold tail, tail99_on)
 *   recall_below   the first g >= 1 with recall[g] < 0.5
 * Each is a generation, MB_SPEED_NOT_WITHIN when it does not happen within the
 * generations recorded, or MB_SPEED_UNDEFINED when the generation-1 value is
 * missing, not finite or not > 0 (fd, tail99), or no generation >= 1 has the
 * metric at all (recall). */
#define MB_SPEED_NOT_WITHIN 0
#define MB_SPEED_UNDEFINED (-1)

typedef struct {
    int last_generation;   /* G: the last generation recorded */
    int fd_doubles, tail99_halves, recall_below;
} mb_collapse_speed;

void mb_collapse_speed_compute(const double *fd, const double *tail99, const double *recall,
                               int n_rows, mb_collapse_speed *out);
/* "3", "not within 5" or "n/a" for one of the fields above. */
void mb_collapse_speed_text(int value, int last_generation, char *buf, size_t len);

/* A metric's title ("Fréchet distance") and short definition (what, may be NULL)
 * as the report shows them; the key itself for a key the report does not know. */
const char *mb_report_metric_title(const char *key, const char **what);

/* ---- the page ---- */
/* Builds out_html from the run folders (one run, or a comparison of several) and
 * writes every plot as an SVG file into plots_dir as well (NULL: the folder
 * "plots" next to out_html). */
int mb_report_write(const char *const *run_dirs, int n_runs, const char *out_html,
                    const char *plots_dir);
/* RUN/report.html and RUN/plots/ for one run folder (what `madbench run` calls). */
int mb_report_run_folder(const char *run_dir);

#endif
