/* cli/run.c — `madbench run`: a MAD experiment from a config file and overrides. */
#define _XOPEN_SOURCE 700 /* realpath */
#include "mb_cli.h"
#include "mb_files.h"
#include "mb_loop.h"
#include "mb_row.h"

#include <errno.h>
#include <limits.h>
#include <stdlib.h>

#include <libgen.h>
#include <stdio.h>
#include <string.h>

typedef struct {
    const char *resume;
    int quiet;
    int list_columns;
} run_options;

static const mb_option run_table[] = {
    {"resume", MB_OPT_STRING, MB_OPT_AT(run_options, resume), "RUN_FOLDER", 0, 0, NULL,
     "continue a killed run; only run.device and run.threads may change", NULL, NULL},
    {"quiet", MB_OPT_FLAG, MB_OPT_AT(run_options, quiet), NULL, 0, 0, NULL,
     "no progress lines", NULL, NULL},
    {"list-columns", MB_OPT_FLAG, MB_OPT_AT(run_options, list_columns), NULL, 0, 0, NULL,
     "print the columns of metrics.csv / metrics.jsonl (docs/metrics-columns.md) and exit",
     NULL, NULL},
};

static void usage(void)
{
    printf("usage: madbench run [CONFIG.ini] [section.key=value ...] [--quiet]\n"
           "       madbench run --resume RUN_FOLDER [run.device=D] [run.threads=T]\n"
           "\n"
           "Runs a self-consuming loop: train, generate, measure, curate, for run.generations\n"
           "generations, into run.out/run.name/ (config.ini, manifest.json, metrics.csv,\n"
           "metrics.jsonl, grids/, checkpoints/, export/). configs/ holds the canonical\n"
           "experiments. A killed run continues with --resume and gives the same numbers.\n\n");
    const run_options defaults = {0};
    const void *d = &defaults;
    mb_options_help(stdout, run_table, MB_ARRAY_LEN(run_table), &d, NULL, 1);
    printf("\nkeys (section.key=value, or key = value under [section] in CONFIG.ini):\n");
    mb_run_config_help(stdout);
}

int mb_cli_run(int argc, char **argv)
{
    mb_args a;
    run_options o = {0};
    MB_TRY(mb_args_parse(&a, "run", argc, argv, run_table, MB_ARRAY_LEN(run_table)));
    if (mb_args_help(&a)) {
        usage();
        return MB_OK;
    }
    MB_TRY(mb_options_read(&a, run_table, MB_ARRAY_LEN(run_table), NULL, &o));
    mb_set_quiet(o.quiet);
    const char *resume = o.resume;
    if (o.list_columns) { /* docs/metrics-columns.md */
        MB_TRY(mb_args_check_unused(&a));
        mb_columns_print_markdown(stdout);
        return MB_OK;
    }
    mb_run_config cfg;
    mb_run_config_default(&cfg);
    if (resume) {
        char config[MB_PATH_LEN], dir[PATH_MAX], base[PATH_MAX];
        /* the real path: "." or "x/.." must name the folder, not become run.name */
        if (!realpath(resume, dir))
            return mb_fail(MB_EINPUT, "%s: cannot resume: %s (expected a run folder)", resume,
                           strerror(errno));
        memcpy(base, dir, sizeof base);
        MB_TRY(mb_path(config, sizeof config, "%s/config.ini", dir));
        MB_TRY(mb_run_config_load(&cfg, config));
        /* the folder may have moved since the run started */
        MB_TRY(mb_run_config_set(&cfg, "run.out", dirname(dir), "--resume"));
        MB_TRY(mb_run_config_set(&cfg, "run.name", basename(base), "--resume"));
        if (a.n_positional)
            return mb_fail(MB_EINPUT, "run: --resume takes the run folder only, not a config file");
    } else if (a.n_positional == 1) {
        MB_TRY(mb_run_config_load(&cfg, a.positional[0]));
    } else if (a.n_positional > 1) {
        return mb_fail(MB_EINPUT, "run: expected at most one config file, got %d arguments",
                       a.n_positional);
    }
    for (int i = 0; i < a.n_args; i++) {
        const mb_arg *arg = &a.args[i];
        if (!strchr(arg->name, '.'))
            continue; /* --flags */
        if (resume && strcmp(arg->name, "run.device") && strcmp(arg->name, "run.threads"))
            return mb_fail(MB_EINPUT, "run: %s cannot change when resuming (only run.device "
                           "and run.threads can)", arg->name);
        a.args[i].used = 1;
        MB_TRY(mb_run_config_set(&cfg, arg->name, arg->value, "command line"));
    }
    MB_TRY(mb_args_check_unused(&a));

    char command[4096] = "madbench run";
    for (int i = 0; i < argc; i++)
        snprintf(command + strlen(command), sizeof command - strlen(command), " %s", argv[i]);
    return mb_run(&cfg, resume != NULL, command);
}
