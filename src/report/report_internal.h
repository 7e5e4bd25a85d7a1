/* report/report_internal.h — what the report's files share: a figure is an SVG
 * document in memory, written to the plots folder and inlined into the page. */
#ifndef MB_REPORT_INTERNAL_H
#define MB_REPORT_INTERNAL_H

#include "mb_files.h"
#include "mb_report.h"
#include "mb_row.h"
#include "mb_svg.h"

#include <stdio.h>

typedef struct {
    char file[160];  /* name in the plots folder, e.g. "metric_fd.svg" */
    char *svg;       /* the document (with its XML declaration) */
    size_t len;
} report_figure;

/* Whether a key of metrics.jsonl is a column of mb_row.h: plotted in its group
 * (or never: bookkeeping, references, histograms). The page plots unknown
 * numeric keys in a last "other" group. */
int mb_report_skip_key(const char *key);

/* Each fills fig (free with report_figure_free); id: unique per page. */
int report_metric_plot(mb_report_run *const *runs, int n_runs, const mb_column *m,
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
