/* cli/report.c — `madbench report RUN... [--out report.html]`: one
 * self-contained HTML page for one run or a comparison of several. */
#include "mb_cli.h"
#include "mb_files.h"
#include "mb_report.h"

#include <stdio.h>
#include <string.h>

static const char *const usage_text =
    "usage: madbench report RUN... [--out FILE] [--plots DIR]\n"
    "\n"
    "One self-contained HTML page (SVG plots inline, image grids embedded) for one run\n"
    "folder or a comparison of several: every metric against generation (a line per\n"
    "run), the tail histograms of every generation over the real distribution, class\n"
    "shares, the image grids of every generation and the collapse-speed table.\n"
    "\n"
    "  --out FILE    the page (default: RUN/report.html for one run, report.html for\n"
    "                several)\n"
    "  --plots DIR   where the SVG files go as well (default: plots/ next to the page)\n";

int mb_cli_report(int argc, char **argv)
{
    static const char *const flags[] = {"help", NULL};
    mb_args a;
    MB_TRY(mb_args_parse(&a, "report", argc, argv, flags));
    if (mb_args_flag(&a, "help")) {
        fputs(usage_text, stdout);
        return MB_OK;
    }
    const char *out = mb_args_str(&a, "out", NULL);
    const char *plots = mb_args_str(&a, "plots", NULL);
    MB_TRY(mb_args_check_unused(&a));
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
