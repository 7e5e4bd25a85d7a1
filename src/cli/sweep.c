/* cli/sweep.c — `madbench sweep` (a grid of configurations x seeds, locally with -j
 * or as a Slurm job array) and `madbench collect` (one long table of a sweep). */
#include "mb_cli.h"
#include "mb_sweep.h"

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static const char *const sweep_usage =
    "usage: madbench sweep SWEEP.ini|SWEEP_DIR [--grid KEY=a,b,c]... [--seeds 1-5]\n"
    "                      [section.key=value ...] [-j N] [--index I] [--list]\n"
    "       madbench sweep SWEEP.ini --slurm [--partition P] [--time T]\n"
    "                      [--gpus-per-task G] [--max-parallel M] [--submit]\n"
    "\n"
    "Runs every cell of a grid of configurations x seeds, each an ordinary run folder\n"
    "SWEEP_DIR/cells/NAME (sweep.out/sweep.name, default results/sweeps/FILE-NAME).\n"
    "Start-or-resume: a finished cell is skipped, a partial one resumed. The judge is\n"
    "trained once before the cells start. SWEEP_DIR/cells.csv lists index, name, the\n"
    "varying keys, seed, status, exit code and message. Exit status: 0 when every cell\n"
    "finished, else the first failed cell's (the other cells still run).\n"
    "\n"
    "The sweep file ([sweep] base = CONFIG relative to the sweep file, seeds, name, out;\n"
    "[grid] key = a, b; [variants] NAME = key=value key=value; [set] key = value):\n"
    "see docs/sweeps.md and configs/sweeps/.\n"
    "\n"
    "  --grid KEY=a,b,c   an axis (repeatable; replaces the file's axis of that key)\n"
    "  key=value          a setting of every cell ([set]); sweep.name=, sweep.out= too\n"
    "  -j N               the same as --jobs N\n"
    "\n";

typedef struct {
    const char *seeds, *partition, *time, *gpus_per_task;
    long jobs, index, max_parallel;
    int list, warm_judge, quiet, slurm, submit;
} sweep_options;

#define AT(field) MB_OPT_AT(sweep_options, field)
static const mb_option sweep_table[] = {
    {"seeds", MB_OPT_STRING, AT(seeds), "LIST", 0, 0, NULL,
     "e.g. 1-5 or 1,3,7 (replaces the file's)", "the file's", NULL},
    {"jobs", MB_OPT_LONG, AT(jobs), "N", 1, 4096, NULL,
     "N cells at once; each gets cores/N threads", NULL, NULL},
    {"index", MB_OPT_LONG, AT(index), "I", 0, 99999, NULL, "run only cell I",
     "$SLURM_ARRAY_TASK_ID when set, else every cell", NULL},
    {"list", MB_OPT_FLAG, AT(list), NULL, 0, 0, NULL,
     "print index, name and settings of every cell; run nothing", NULL, NULL},
    {"warm-judge", MB_OPT_FLAG, AT(warm_judge), NULL, 0, 0, NULL,
     "only train (or load) the judge the cells use", NULL, NULL},
    {"quiet", MB_OPT_FLAG, AT(quiet), NULL, 0, 0, NULL, "no progress lines", NULL, NULL},
    MB_OPT_GROUP("Slurm:"),
    {"slurm", MB_OPT_FLAG, AT(slurm), NULL, 0, 0, NULL,
     "write SWEEP_DIR/slurm/: judge warm-up, the array job, collect + report, chained by "
     "--dependency=afterok", NULL, NULL},
    {"partition", MB_OPT_STRING, AT(partition), "P", 0, 0, NULL, "#SBATCH --partition",
     "none", NULL},
    {"time", MB_OPT_STRING, AT(time), "T", 0, 0, NULL, "#SBATCH --time", "none", NULL},
    {"gpus-per-task", MB_OPT_STRING, AT(gpus_per_task), "G", 0, 0, NULL,
     "#SBATCH --gpus-per-task", "none", NULL},
    {"max-parallel", MB_OPT_LONG, AT(max_parallel), "M", 1, 100000, NULL,
     "at most M array tasks at once (--array=0-(N-1)%M)", "no limit", NULL},
    {"submit", MB_OPT_FLAG, AT(submit), NULL, 0, 0, NULL, "submit the jobs with sbatch", NULL,
     NULL},
};
#undef AT

static const char *const collect_usage =
    "usage: madbench collect SWEEP_DIR [--out FILE]\n"
    "\n"
    "One long table of a sweep: a row per cell and generation with the columns cell,\n"
    "every varying key, seed, generation and every column of the cells' metrics.csv.\n"
    "Written as CSV and as JSON Lines beside it (FILE with .csv replaced by .jsonl).\n"
    "\n";

typedef struct {
    const char *out;
} collect_options;

static const mb_option collect_table[] = {
    {"out", MB_OPT_STRING, MB_OPT_AT(collect_options, out), "FILE", 0, 0, NULL, "the CSV file",
     "SWEEP_DIR/collected.csv", NULL},
};

/* The binary itself, for the cells and the Slurm scripts. */
static int self_path(char *out, size_t len)
{
    const ssize_t n = readlink("/proc/self/exe", out, len - 1);
    if (n <= 0)
        return mb_fail(MB_EINTERNAL, "cannot find the madbench binary (/proc/self/exe)");
    out[n] = 0;
    return MB_OK;
}

int mb_cli_sweep(int argc, char **argv)
{
    /* -j N and -jN are --jobs N */
    char **args = calloc((size_t)argc + 1, sizeof *args);
    char jobs_arg[64];
    if (!args)
        return mb_fail(MB_ENOMEM, "out of memory");
    for (int i = 0; i < argc; i++) {
        args[i] = argv[i];
        if (!strcmp(argv[i], "-j")) {
            args[i] = "--jobs";
        } else if (!strncmp(argv[i], "-j", 2) && argv[i][2]) {
            snprintf(jobs_arg, sizeof jobs_arg, "--jobs=%s", argv[i] + 2);
            args[i] = jobs_arg;
        }
    }
    mb_args a;
    sweep_options o = {.jobs = 1, .index = -1};
    int rc = mb_args_parse(&a, "sweep", argc, args, sweep_table, MB_ARRAY_LEN(sweep_table));
    free(args);
    MB_TRY(rc);
    if (mb_args_help(&a)) {
        fputs(sweep_usage, stdout);
        const void *d = &o;
        mb_options_help(stdout, sweep_table, MB_ARRAY_LEN(sweep_table), &d, NULL, 1);
        return MB_OK;
    }
    mb_sweep_overrides ov = {0};
    for (int i = 0; i < a.n_args; i++) {
        mb_arg *arg = &a.args[i];
        if (!strcmp(arg->name, "grid")) {
            if (ov.n_grid == MB_SWEEP_MAX_AXES)
                return mb_fail(MB_EINPUT, "sweep: more than %d --grid options", MB_SWEEP_MAX_AXES);
            ov.grid[ov.n_grid++] = arg->value;
            arg->used = 1;
        } else if (strchr(arg->name, '.')) {
            if (ov.n_set == MB_SWEEP_MAX_SET)
                return mb_fail(MB_EINPUT, "sweep: more than %d key=value settings",
                               MB_SWEEP_MAX_SET);
            /* the parser keeps the text after the name: rebuild "key=value" */
            char *kv = malloc(strlen(arg->name) + strlen(arg->value) + 2);
            if (!kv)
                return mb_fail(MB_ENOMEM, "out of memory");
            sprintf(kv, "%s=%s", arg->name, arg->value);
            ov.set[ov.n_set++] = kv;
            arg->used = 1;
        }
    }
    MB_TRY(mb_options_read(&a, sweep_table, MB_ARRAY_LEN(sweep_table), NULL, &o));
    MB_TRY(mb_args_check_unused(&a));
    mb_set_quiet(o.quiet);
    ov.seeds = o.seeds;
    const int list = o.list, slurm = o.slurm, warm_only = o.warm_judge;
    const long jobs = o.jobs;
    long index = o.index;
    const char *env_index = getenv("SLURM_ARRAY_TASK_ID");
    if (index < 0 && env_index && *env_index && !slurm && !list && !warm_only) {
        char *end;
        index = strtol(env_index, &end, 10);
        if (*end || index < 0)
            return mb_fail(MB_EINPUT, "sweep: SLURM_ARRAY_TASK_ID='%s' (expected a task index "
                           ">= 0)", env_index);
    }
    mb_sweep_slurm_options so = {.partition = o.partition, .time = o.time,
                                 .gpus_per_task = o.gpus_per_task,
                                 .max_parallel = (int)o.max_parallel, .submit = o.submit};
    if (!slurm && (so.partition || so.time || so.gpus_per_task || so.submit || o.max_parallel))
        return mb_fail(MB_EINPUT, "sweep: --partition, --time, --gpus-per-task, --max-parallel "
                       "and --submit go with --slurm");
    if (a.n_positional > 1)
        return mb_fail(MB_EINPUT, "sweep: expected one sweep file or folder, got %d arguments",
                       a.n_positional);
    if (a.n_positional == 0 && ov.n_grid == 0) {
        fputs(sweep_usage, stderr);
        return mb_fail(MB_EINPUT, "sweep: expected a sweep file (or --grid KEY=a,b,c)");
    }

    mb_sweep *sw = malloc(sizeof *sw);
    if (!sw)
        return mb_fail(MB_ENOMEM, "out of memory");
    rc = mb_sweep_load(sw, a.n_positional ? a.positional[0] : NULL, &ov);
    for (int i = 0; i < ov.n_set; i++)
        free((char *)ov.set[i]);
    if (rc != MB_OK) {
        free(sw);
        return rc;
    }
    char self[PATH_MAX];
    if (list) {
        mb_sweep_list(sw, stdout);
    } else if ((rc = self_path(self, sizeof self)) == MB_OK &&
               (rc = mb_sweep_prepare(sw)) == MB_OK) {
        mb_progress("sweep: %s, %d cells\n", sw->dir, sw->n_cells);
        if (slurm) {
            so.madbench = self;
            rc = mb_sweep_slurm(sw, &so);
        } else if (warm_only) {
            rc = mb_sweep_warm_judges(sw);
        } else {
            if (index < 0) /* a single cell (an array task) waits on the cache lock instead */
                rc = mb_sweep_warm_judges(sw);
            mb_sweep_run_options ro = {.madbench = self, .jobs = (int)jobs, .index = (int)index};
            if (rc == MB_OK)
                rc = mb_sweep_run(sw, &ro);
        }
    }
    mb_sweep_free(sw);
    free(sw);
    return rc;
}

static int load_sweep_folder(const char *command, mb_args *a, mb_sweep *sw)
{
    struct stat st;
    if (a->n_positional != 1)
        return mb_fail(MB_EINPUT, "%s: expected one sweep folder, got %d arguments", command,
                       a->n_positional);
    if (stat(a->positional[0], &st) || !S_ISDIR(st.st_mode))
        return mb_fail(MB_EINPUT, "%s: %s is not a folder (expected a sweep folder, made by "
                       "madbench sweep)", command, a->positional[0]);
    return mb_sweep_load(sw, a->positional[0], NULL);
}

int mb_cli_collect(int argc, char **argv)
{
    mb_args a;
    collect_options o = {0};
    MB_TRY(mb_args_parse(&a, "collect", argc, argv, collect_table, MB_ARRAY_LEN(collect_table)));
    if (mb_args_help(&a)) {
        fputs(collect_usage, stdout);
        const void *d = &o;
        mb_options_help(stdout, collect_table, MB_ARRAY_LEN(collect_table), &d, NULL, 1);
        return MB_OK;
    }
    MB_TRY(mb_options_read(&a, collect_table, MB_ARRAY_LEN(collect_table), NULL, &o));
    MB_TRY(mb_args_check_unused(&a));
    const char *out = o.out;
    if (out && !*out)
        return mb_fail(MB_EINPUT, "collect: --out needs a file name");
    mb_sweep *sw = malloc(sizeof *sw);
    if (!sw)
        return mb_fail(MB_ENOMEM, "out of memory");
    int rc = load_sweep_folder("collect", &a, sw);
    if (rc != MB_OK) {
        free(sw);
        return rc;
    }
    char csv[MB_PATH_MAX + 32], jsonl[MB_PATH_MAX + 48];
    if (out)
        snprintf(csv, sizeof csv, "%s", out);
    else
        snprintf(csv, sizeof csv, "%s/collected.csv", sw->dir);
    const size_t n = strlen(csv);
    if (n > 4 && !strcmp(csv + n - 4, ".csv"))
        snprintf(jsonl, sizeof jsonl, "%.*s.jsonl", (int)(n - 4), csv);
    else
        snprintf(jsonl, sizeof jsonl, "%s.jsonl", csv);
    mb_sweep_table t;
    rc = mb_sweep_collect(sw, &t);
    if (rc == MB_OK) {
        rc = mb_sweep_table_write(&t, csv, jsonl);
        if (rc == MB_OK)
            printf("collect: %d rows x %d columns from %s: %s, %s\n", t.n_rows, t.n_cols,
                   sw->dir, csv, jsonl);
        mb_sweep_table_free(&t);
    }
    mb_sweep_free(sw);
    free(sw);
    return rc;
}

int mb_cli_report_sweep(const char *dir, const char *const *baseline, int n_baseline,
                        const char *out_html)
{
    mb_sweep *sw = malloc(sizeof *sw);
    if (!sw)
        return mb_fail(MB_ENOMEM, "out of memory");
    int rc = mb_sweep_load(sw, dir, NULL);
    char path[MB_PATH_MAX + 32];
    if (rc == MB_OK) {
        if (!out_html) {
            snprintf(path, sizeof path, "%s/report.html", sw->dir);
            out_html = path;
        }
        rc = mb_sweep_report(sw, baseline, n_baseline, out_html);
        if (rc == MB_OK)
            printf("report: %s\n", out_html);
        mb_sweep_free(sw);
    }
    free(sw);
    return rc;
}
