/* report/report_internal.h — what the report's files share: a figure is an SVG
 * document in memory, written to the plots folder and inlined into the page. */
#ifndef MB_REPORT_INTERNAL_H
#define MB_REPORT_INTERNAL_H

#include "mb_files.h"
#include "mb_report.h"
#include "mb_svg.h"

#include <stdio.h>

typedef struct {
    char file[160];  /* name in the plots folder, e.g. "metric_fd.svg" */
    char *svg;       /* the document (with its XML declaration) */
    size_t len;
} report_figure;

/* One plotted metric: a key of metrics.jsonl with its title and reference. */
typedef struct {
    const char *key, *title, *what; /* what: a short definition (the subtitle) */
    const char *ref_key;            /* the real test set's value, or NULL */
    double ref_value;               /* a constant reference (NaN: none) */
    int from_zero;
} report_metric;

typedef struct {
    const char *title;
    const report_metric *metrics;
    int n;
} report_group;

/* The groups of plotted metrics, in page order; unknown numeric keys of
 * metrics.jsonl go to a last "other" group built by the page. */
extern const report_group mb_report_groups[];
extern const int mb_report_n_groups;
/* Keys never plotted on their own (bookkeeping, references, histograms). */
int mb_report_skip_key(const char *key);

/* Each fills fig (free with report_figure_free); id: unique per page. */
int report_metric_plot(mb_report_run *const *runs, int n_runs, const report_metric *m,
                       const char *id, report_figure *fig);
/* The tail figure of generation g: the histogram of the tail statistic over the
 * real distribution. Returns MB_OK with fig->svg NULL when g has no histogram. */
int report_tail_plot(const mb_report_run *run, int g, int shapes, const char *id,
                     report_figure *fig);
/* Class shares per generation (stacked bars); fig->svg NULL when not recorded. */
int report_class_plot(const mb_report_run *run, const char *id, report_figure *fig);
void report_figure_free(report_figure *fig);
/* The line colour of run r in every plot (the page's legend swatches too). */
const char *report_run_colour(int r);

/* Whether the run measured the shapes attribute (attr_hist in its rows). */
int report_is_shapes(const mb_report_run *run);

#endif
