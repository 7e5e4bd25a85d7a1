/* cli/cli_internal.h — the feature files of `madbench metrics` (cli/metrics_files.c):
 * .npy features and .npz statistics, used by cli/metrics.c. */
#ifndef MB_CLI_INTERNAL_H
#define MB_CLI_INTERNAL_H

#include "mb_cli.h"
#include "mb_metrics.h"

#include <jansson.h>

/* A name ending in .npy (features) or .npz (statistics). */
int mb_cli_is_feature_file(const char *path);
/* Writes the Gaussian fit (mean, covariance with N - 1) of features [n, d] as
 * pytorch-fid's statistics: x_real (backend mb_real) or x_f64 (backend float64). */
int mb_cli_save_stats(mb_backend *be, const char *path, const mb_real *x_real,
                      const double *x_f64, int n, int d);
/* `metrics --json`: one line of the row table's metric columns followed by the
 * command's own members (own is consumed). MB_ENOMEM when it cannot be built. */
int mb_cli_print_metrics_json(const mb_metrics_result *r, json_t *own);
/* `madbench metrics` on feature files: src_b may be NULL (only --save-stats). */
int mb_cli_metrics_files(mb_backend *be, const mb_metrics_options *opt, int json,
                         const char *save_stats, const char *src_a, const char *src_b);

#endif
