/* sweep/slurm.c — the sweep as three Slurm jobs, chained by --dependency=afterok:
 *
 *   judge.sbatch    the judge warm-up (madbench sweep SWEEP --warm-judge)
 *   array.sbatch    --array=0-(N-1)[%M]: task i runs cell i (madbench sweep SWEEP
 *                   --index $SLURM_ARRAY_TASK_ID); --requeue is safe because every
 *                   cell is start-or-resume
 *   collect.sbatch  madbench collect SWEEP && madbench report SWEEP
 *   submit.sh       submits the three with sbatch --parsable and prints the job ids
 *
 * Slurm is the distributed engine: madbench only writes and submits the scripts. */
#define _GNU_SOURCE /* realpath */
#include "sweep_internal.h"

#include <errno.h>
#include <limits.h>
#include <spawn.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>

extern char **environ;

/* A word for a bash script: single-quoted, ' written as '\'' */
static void put_quoted(FILE *f, const char *s)
{
    fputc('\'', f);
    for (; *s; s++) {
        if (*s == '\'')
            fputs("'\\''", f);
        else
            fputc(*s, f);
    }
    fputc('\'', f);
}

static int check_option(const char *name, const char *value)
{
    if (!value)
        return MB_OK;
    for (const char *p = value; *p; p++)
        if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9') ||
              strchr(":-_.,", *p)))
            return mb_fail(MB_EINPUT, "sweep: --%s '%s' (expected letters, digits and :-_.,)",
                           name, value);
    return *value ? MB_OK : mb_fail(MB_EINPUT, "sweep: --%s needs a value", name);
}

static int write_job(const char *dir, const char *file, const char *job_name,
                     const char *log_pattern, const char *array, const mb_sweep_slurm_options *o,
                     const char *body)
{
    char path[MB_PATH_MAX + 64];
    snprintf(path, sizeof path, "%s/%s", dir, file);
    char *text = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&text, &len);
    if (!f)
        return mb_fail(MB_ENOMEM, "out of memory");
    fprintf(f, "#!/bin/bash\n#SBATCH --job-name=%s\n#SBATCH --output=%s/%s\n"
               "#SBATCH --ntasks=1\n", job_name, dir, log_pattern);
    if (array)
        fprintf(f, "#SBATCH --array=%s\n#SBATCH --requeue\n", array);
    if (o->partition)
        fprintf(f, "#SBATCH --partition=%s\n", o->partition);
    if (o->time)
        fprintf(f, "#SBATCH --time=%s\n", o->time);
    if (o->gpus_per_task)
        fprintf(f, "#SBATCH --gpus-per-task=%s\n", o->gpus_per_task);
    fprintf(f, "set -euo pipefail\n%s", body);
    fclose(f);
    int rc = text ? sweep_write_atomic(path, text) : mb_fail(MB_ENOMEM, "out of memory");
    free(text);
    return rc;
}

int mb_sweep_slurm(const mb_sweep *sw, const mb_sweep_slurm_options *o)
{
    MB_TRY(check_option("partition", o->partition));
    MB_TRY(check_option("time", o->time));
    MB_TRY(check_option("gpus-per-task", o->gpus_per_task));
    char abs_dir[PATH_MAX], dir[PATH_MAX + 16];
    if (!realpath(sw->dir, abs_dir))
        return mb_fail(MB_EIO, "%s: %s", sw->dir, strerror(errno));
    snprintf(dir, sizeof dir, "%s/slurm", abs_dir);
    MB_TRY(mb_make_dirs(dir));
    const char *base = strrchr(abs_dir, '/') ? strrchr(abs_dir, '/') + 1 : abs_dir;
    char name[PATH_MAX + 32], array[64], *body = NULL;
    size_t len = 0;

    /* the three bodies: madbench and the sweep folder by absolute path */
    static const char *const commands[3][2] = {{"sweep", " --warm-judge"},
                                               {"sweep", " --index \"$SLURM_ARRAY_TASK_ID\""},
                                               {"collect", ""}};
    for (int job = 0; job < 3; job++) {
        FILE *f = open_memstream(&body, &len);
        if (!f)
            return mb_fail(MB_ENOMEM, "out of memory");
        for (int line = 0; line < (job == 2 ? 2 : 1); line++) {
            put_quoted(f, o->madbench);
            fprintf(f, " %s ", line ? "report" : commands[job][0]);
            put_quoted(f, abs_dir);
            fprintf(f, "%s\n", commands[job][1]);
        }
        fclose(f);
        int rc;
        if (job == 0) {
            snprintf(name, sizeof name, "mb-judge-%s", base);
            rc = write_job(dir, "judge.sbatch", name, "judge-%j.out", NULL, o, body);
        } else if (job == 1) {
            snprintf(name, sizeof name, "mb-cells-%s", base);
            if (o->max_parallel > 0)
                snprintf(array, sizeof array, "0-%d%%%d", sw->n_cells - 1, o->max_parallel);
            else
                snprintf(array, sizeof array, "0-%d", sw->n_cells - 1);
            rc = write_job(dir, "array.sbatch", name, "cell-%A_%a.out", array, o, body);
        } else {
            snprintf(name, sizeof name, "mb-collect-%s", base);
            rc = write_job(dir, "collect.sbatch", name, "collect-%j.out", NULL, o, body);
        }
        free(body);
        body = NULL;
        MB_TRY(rc);
    }

    char path[PATH_MAX + 32];
    snprintf(path, sizeof path, "%s/submit.sh", dir);
    char *text = NULL;
    FILE *f = open_memstream(&text, &len);
    if (!f)
        return mb_fail(MB_ENOMEM, "out of memory");
    fprintf(f, "#!/bin/bash\n# Submits the sweep %s: judge warm-up, then the %d cells as an "
               "array, then collect + report.\nset -euo pipefail\ncd ", base, sw->n_cells);
    put_quoted(f, dir);
    fputs("\njudge=$(sbatch --parsable judge.sbatch)\n"
          "cells=$(sbatch --parsable --dependency=afterok:${judge%%;*} array.sbatch)\n"
          "collect=$(sbatch --parsable --dependency=afterok:${cells%%;*} collect.sbatch)\n"
          "echo \"judge ${judge%%;*}\"\necho \"cells ${cells%%;*}\"\n"
          "echo \"collect ${collect%%;*}\"\n", f);
    fclose(f);
    int rc = text ? sweep_write_atomic(path, text) : mb_fail(MB_ENOMEM, "out of memory");
    free(text);
    MB_TRY(rc);
    chmod(path, 0755);
    printf("slurm: %s/{judge,array,collect}.sbatch and submit.sh (%d array tasks%s)\n", dir,
           sw->n_cells, o->max_parallel > 0 ? ", limited" : "");
    if (!o->submit) {
        printf("submit with: bash %s\n", path);
        return MB_OK;
    }
    fflush(stdout);
    pid_t pid;
    char *argv[] = {"bash", path, NULL};
    const int err = posix_spawnp(&pid, "bash", NULL, NULL, argv, environ);
    if (err)
        return mb_fail(MB_EIO, "cannot run bash %s: %s", path, strerror(err));
    int status;
    while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
        ;
    if (!WIFEXITED(status) || WEXITSTATUS(status))
        return mb_fail(MB_EIO, "sweep: submitting failed (bash %s: exit %d; is sbatch "
                       "installed and the cluster up?)", path,
                       WIFEXITED(status) ? WEXITSTATUS(status) : -1);
    return MB_OK;
}
