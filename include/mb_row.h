/* mb_row.h — one generation's row: every value madbench records about a
 * generation, described once in a table of columns (metrics/columns.c). The
 * table writes metrics.csv, metrics.jsonl, `madbench metrics --json`, the
 * progress line after each generation, the report's metric plots and the column
 * table of docs/metrics-columns.md (`madbench run --list-columns`).
 * A new value = one field (here or in mb_metrics_result) + one table line. */
#ifndef MB_ROW_H
#define MB_ROW_H

#include <stddef.h>
#include <stdio.h>

#include "mb_json.h"
#include "mb_metrics.h"

/* The phases of a generation, timed separately. */
enum { MB_PHASE_TRAIN, MB_PHASE_GENERATE, MB_PHASE_METRICS, MB_PHASE_CURATE, MB_N_PHASES };

/* What the loop records about a generation besides the metrics of its set. */
typedef struct {
    int generation;
    long train_images, train_real, train_synthetic;
    double loss;                           /* last epoch; NaN for generation 0 */
    double wm_tpr, wm_fpr, wm_passthrough; /* NaN when the watermark is off or not measured */
    long detector_dropped[2];              /* by the provenance detector: [real, synthetic] */
    long filter_dropped;
    long reweight_unique;                  /* distinct samples after resampling; -1 when off */
    double gen1_broken; /* 1 when generation 1 was far from real (mb_metrics_far_from_real), else 0; NaN at 0 */
    double seconds[MB_N_PHASES];
} mb_generation_info;

typedef struct {
    mb_generation_info info;
    mb_metrics_result metrics;
} mb_row;

typedef enum { MB_COL_INT, MB_COL_LONG, MB_COL_REAL, MB_COL_SERIES } mb_column_type;

enum {
    MB_COL_CSV = 1,     /* in metrics.csv (every column is in metrics.jsonl) */
    MB_COL_METRIC = 2,  /* a statistic of the set (mb_metrics_result): `metrics --json` too */
    MB_COL_CLASSES = 4, /* measured only with a classifier judge; empty / null otherwise */
    MB_COL_ATTR = 8     /* measured only on the shapes data; empty / null otherwise */
};

/* The report's groups of plots, in page order (MB_GROUP_NONE: not plotted). */
typedef enum {
    MB_GROUP_NONE,
    MB_GROUP_FIDELITY,
    MB_GROUP_DIVERSITY,
    MB_GROUP_TAILS,
    MB_GROUP_MINORITY,
    MB_GROUP_CURATION,  /* plotted only when some value is not 0 */
    MB_GROUP_TIMINGS,   /* likewise */
    MB_N_GROUPS
} mb_column_group;

typedef struct {
    const char *name;     /* metrics.csv header, JSON key */
    const char *meaning;  /* definition with its unit (docs, the report's subtitle) */
    mb_column_type type;
    size_t offset;        /* of the value in mb_row */
    size_t count_offset;  /* MB_COL_SERIES: of the int holding the series' length */
    unsigned flags;       /* MB_COL_* */
    mb_column_group group;
    const char *title;    /* the report's plot title */
    const char *ref;      /* the column of the real test set's value (a dashed line), or NULL */
    double ref_value;     /* a constant reference line (0: none) */
    int from_zero;        /* the plot's y axis starts at 0 */
    const char *progress; /* printf format in the progress line ("FD %.4g"), or NULL */
} mb_column;

extern const mb_column mb_columns[];
extern const int mb_n_columns;
extern const char *const mb_group_titles[MB_N_GROUPS];

const mb_column *mb_column_find(const char *name);
/* The value of a scalar column; NaN where it was not measured. */
double mb_column_value(const mb_column *c, const mb_row *row);

/* The metrics.csv header line (with '\n'). */
void mb_row_print_csv_header(FILE *out);
/* One metrics.csv line: %.10g, empty where not measured. */
void mb_row_print_csv(FILE *out, const mb_row *row);
/* A JSON object of the columns whose flags contain all of `need` (0: every
 * column), in table order: integers, reals that read back exactly, arrays; null
 * where not measured. NULL when out of memory. */
json_t *mb_row_json(const mb_row *row, unsigned need);
/* The CSV header (row unused), a CSV row or a JSON row (every column) as a
 * malloc'ed string; NULL when out of memory. */
typedef enum { MB_ROW_CSV_HEADER, MB_ROW_CSV, MB_ROW_JSON } mb_row_format;
char *mb_row_text(const mb_row *row, mb_row_format format);
/* The progress line's figures ("FD 12.3  precision 0.52 ..."), into buf. */
void mb_row_progress(const mb_row *row, char *buf, size_t len);
/* The column table as Markdown (docs/metrics-columns.md). */
void mb_columns_print_markdown(FILE *out);

#endif
