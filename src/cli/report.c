/* cli/report.c — `madbench report RUN... [--out report.html]`: one
 * self-contained HTML page for one run or a comparison of several. */
#include "mb_cli.h"
#include "mb_files.h"
#include "mb_report.h"

#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

static const char *const usage_text =
    "usage: madbench report RUN... [--out FILE] [--plots DIR]\n"
    "       madbench report SWEEP_DIR [--baseline KEY=VALUE]... [--out FILE]\n"
    "\n"
    "One self-contained HTML page (SVG plots inline, image grids embedded) for one run\n"
    "folder or a comparison of several: every metric against generation (a line per\n"
    "run), the tail histograms of every generation over the real distribution, class\n"
    "shares, the image grids of every generation and the collapse-speed table.\n"
    "\n"
    "Of a sweep folder (madbench sweep): the cells that differ only in seed form a group;\n"
    "every metric plot shows each group's mean with a 95% Student-t band across seeds,\n"
    "the collapse-speed table the median and IQR across seeds, and the comparison table\n"
    "each group minus the baseline group with 95% intervals (paired by seed).\n"
    "--baseline KEY=VALUE picks the baseline group (repeat it, or separate pairs by\n"
    "commas, for several keys; default: the first group).\n"
    "\n";

typedef struct {
    const char *out, *plots;
} report_options;

static const mb_option report_table[] = {
    {"out", MB_OPT_STRING, MB_OPT_AT(report_options, out), "FILE", 0, 0, NULL, "the page",
     "RUN/report.html for one run, report.html for several", NULL},
    {"plots", MB_OPT_STRING, MB_OPT_AT(report_options, plots), "DIR", 0, 0, NULL,
     "where the SVG files go as well", "plots/ next to the page", NULL},
};

int mb_cli_report(int argc, char **argv)
{
    mb_args a;
    report_options o = {0};
    MB_TRY(mb_args_parse(&a, "report", argc, argv, report_table, MB_ARRAY_LEN(report_table)));
    if (mb_args_help(&a)) {
        fputs(usage_text, stdout);
        const void *d = &o;
        mb_options_help(stdout, report_table, MB_ARRAY_LEN(report_table), &d, NULL, 1);
        return MB_OK;
    }
    const char *baseline[MB_MAX_ARGS];
    int n_baseline = 0;
    for (int i = 0; i < a.n_args; i++)
        if (!strcmp(a.args[i].name, "baseline")) {
            a.args[i].used = 1;
            baseline[n_baseline++] = a.args[i].value;
        }
    MB_TRY(mb_options_read(&a, report_table, MB_ARRAY_LEN(report_table), NULL, &o));
    MB_TRY(mb_args_check_unused(&a));
    const char *out = o.out, *plots = o.plots;
    char sweep_file[1200];
    struct stat st;
    if (a.n_positional == 1) {
        snprintf(sweep_file, sizeof sweep_file, "%s/sweep.ini", a.positional[0]);
        if (stat(sweep_file, &st) == 0) {
            if (plots)
                return mb_fail(MB_EINPUT, "report: --plots is for run folders (a sweep's plots "
                               "go to plots/ next to the page)");
            return mb_cli_report_sweep(a.positional[0], baseline, n_baseline, out);
        }
    }
    if (n_baseline)
        return mb_fail(MB_EINPUT, "report: --baseline is for a sweep folder (one that holds "
                       "sweep.ini)");
    if (a.n_positional < 1) {
        fputs(usage_text, stderr);
        return mb_fail(MB_EINPUT, "report: expected at least one run folder");
    }
    char path[MB_PATH_LEN];
    if (!out) {
        if (a.n_positional == 1)
            MB_TRY(mb_path(path, sizeof path, "%s/report.html", a.positional[0]));
        else
            MB_TRY(mb_path(path, sizeof path, "report.html"));
        out = path;
    }
    if (plots && !*plots)
        return mb_fail(MB_EINPUT, "report: option --plots needs a folder");
    MB_TRY(mb_report_write(a.positional, a.n_positional, out, plots));
    printf("report: %s\n", out);
    return MB_OK;
}
