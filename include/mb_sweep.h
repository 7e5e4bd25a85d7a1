/* mb_sweep.h — experiments at scale: a grid of configurations x seeds, each cell an
 * ordinary run folder (start-or-resume), one long table of every cell's metrics,
 * the report of a sweep (mean and a 95% band across seeds, comparisons against a
 * baseline) and the Slurm job array that runs the same cells on a cluster
 * (docs/sweeps.md). */
#ifndef MB_SWEEP_H
#define MB_SWEEP_H

#include "mb_loop.h"

#define MB_SWEEP_MAX_AXES 8
#define MB_SWEEP_MAX_VALUES 64
#define MB_SWEEP_MAX_SEEDS 1000
#define MB_SWEEP_MAX_SET 64

/* One varying setting: a config key with its values, or the "variant" axis whose
 * values are named bundles of key=value settings ([variants] of the sweep file). */
typedef struct {
    char key[64];
    int n_values;
    char values[MB_SWEEP_MAX_VALUES][128];
    char *settings[MB_SWEEP_MAX_VALUES]; /* variant axis: "k=v k=v ..."; else NULL */
} mb_sweep_axis;

typedef struct {
    char dir[MB_PATH_MAX];   /* the sweep folder */
    mb_run_config base;      /* the base config with [set] applied */
    int n_axes;
    mb_sweep_axis axes[MB_SWEEP_MAX_AXES];
    int n_seeds;
    long seeds[MB_SWEEP_MAX_SEEDS];
    int n_cells;             /* product of the axes' sizes x seeds */
} mb_sweep;

typedef struct {
    int index;               /* 0..n_cells-1: axes in order (first slowest), seed fastest */
    char name[256];          /* stable and readable, e.g. "fresh-data_lambda-0.8_s2" */
    int value[MB_SWEEP_MAX_AXES]; /* index into each axis' values */
    long seed;
} mb_sweep_cell;

/* Command-line additions to a sweep file. */
typedef struct {
    const char *grid[MB_SWEEP_MAX_AXES]; /* "key=a,b,c" (replaces the file's axis) */
    int n_grid;
    const char *seeds;                   /* "1-5", "1,3,7"; NULL: the file's */
    const char *set[MB_SWEEP_MAX_SET];   /* "section.key=value" ([set]; sweep.* keys too) */
    int n_set;
} mb_sweep_overrides;

/* Reads a sweep file, or the resolved sweep.ini of an existing sweep folder when
 * `path` is a folder, applies the overrides and checks every cell's configuration.
 * Bad input: MB_EINPUT with one line naming the file, the key and what was expected. */
int mb_sweep_load(mb_sweep *sw, const char *path, const mb_sweep_overrides *ov);
void mb_sweep_free(mb_sweep *sw);
void mb_sweep_cell_at(const mb_sweep *sw, int index, mb_sweep_cell *cell);
/* The cell's run configuration (run.out = SWEEP/cells, run.name = cell name). */
int mb_sweep_cell_config(const mb_sweep *sw, const mb_sweep_cell *cell, mb_run_config *cfg);
/* "type-fresh-data, lambda 0.8": the cell's varying values without the seed. */
void mb_sweep_cell_label(const mb_sweep *sw, const mb_sweep_cell *cell, char *out, size_t len);
/* "sweep.dir/cells/NAME" */
void mb_sweep_cell_dir(const mb_sweep *sw, const mb_sweep_cell *cell, char *out, size_t len);
/* Prints "index name key=value ... seed=S" per cell. */
void mb_sweep_list(const mb_sweep *sw, FILE *out);

/* Creates the sweep folder (or checks that an existing one holds this very sweep):
 * sweep.ini, base.ini, configs/NAME.ini per cell, status/, logs/ and cells.csv. */
int mb_sweep_prepare(const mb_sweep *sw);
/* Rewrites cells.csv from the status files under a lock (concurrent array tasks). */
int mb_sweep_write_cells_csv(const mb_sweep *sw);

/* Trains (or loads) every judge the cells use, once; a lock on the judge cache makes
 * concurrent processes wait for one another instead of training it twice. */
int mb_sweep_warm_judges(const mb_sweep *sw);

typedef struct {
    const char *madbench;  /* the binary the cells run ("madbench run") */
    int jobs;              /* cells at once (the cores are split between them) */
    int index;             /* -1: every cell; else only this one */
} mb_sweep_run_options;

/* Runs the cells: finished ones are skipped, partial ones resumed, the others
 * started; every outcome is recorded in cells.csv. Returns MB_OK when every cell
 * finished, else the first failed cell's exit code with a message naming it. */
int mb_sweep_run(const mb_sweep *sw, const mb_sweep_run_options *opt);

/* ---- the long table (collect.c) ---- */
typedef struct {
    int n_cols;
    char **cols;       /* cell, every axis key, seed, then every metrics.csv column */
    int n_rows;
    char ***rows;      /* [n_rows][n_cols], "" where a cell lacks the column */
    int *row_cell;     /* the cell index of each row */
    int n_axes;        /* columns 1..n_axes are the axes; n_axes + 1 is the seed */
} mb_sweep_table;

/* Every cell's metrics.csv (columns read from its header), in cell order. */
int mb_sweep_collect(const mb_sweep *sw, mb_sweep_table *t);
void mb_sweep_table_free(mb_sweep_table *t);
/* Writes the table as CSV (RFC 4180) and JSON Lines (numbers as numbers, "" as null). */
int mb_sweep_table_write(const mb_sweep_table *t, const char *csv_path, const char *jsonl_path);
/* The column's index, or -1. */
int mb_sweep_table_col(const mb_sweep_table *t, const char *name);

/* Writes s as one CSV field, quoted when it holds a comma, a quote or a line break. */
void mb_csv_put(FILE *out, const char *s);
/* Splits one CSV record (RFC 4180 quoting) into at most max_fields fields, in place. */
int mb_csv_split(char *line, char **fields, int max_fields);

/* ---- the report of a sweep (sweep_report.c) ---- */
/* baseline: "key=value" pairs selecting one group (NULL: the first group). */
int mb_sweep_report(const mb_sweep *sw, const char *const *baseline, int n_baseline,
                    const char *out_html);

/* ---- statistics across seeds (stats.c) ---- */
/* The q-quantile of Student's t distribution with df degrees of freedom. */
double mb_student_t_quantile(double q, double df);
/* Mean of the finite values and the half-width of its 95% Student-t interval
 * (t_{0.975, n-1} s / sqrt(n)); half = NaN when fewer than 2 values. Returns n. */
int mb_mean_ci95(const double *v, int n, double *mean, double *half);

/* ---- Slurm (slurm.c) ---- */
typedef struct {
    const char *partition, *time, *gpus_per_task; /* NULL: not set */
    int max_parallel;                             /* 0: no limit */
    const char *madbench;                         /* absolute path of the binary */
    int submit;                                   /* run sbatch */
} mb_sweep_slurm_options;

/* Writes SWEEP/slurm/{judge,array,collect}.sbatch and submit.sh; with submit,
 * runs submit.sh (judge -> array -> collect + report, chained by afterok). */
int mb_sweep_slurm(const mb_sweep *sw, const mb_sweep_slurm_options *opt);

#endif
