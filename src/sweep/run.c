/* sweep/run.c — runs the cells of a sweep: each cell is `madbench run` in a child
 * process (its output in SWEEP/logs/NAME.log), start-or-resume: a finished cell is
 * skipped, a cell with a saved state continues with --resume, any other starts.
 * With -j N, N cells run at once and the cores are split between them. A failing
 * cell is recorded with its exit code and error line; the others go on. */
#define _GNU_SOURCE /* sched_getaffinity */
#include "mb_json.h"
#include "sweep_internal.h"

#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <sched.h>
#include <spawn.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

extern char **environ;

/* Cores this process may use (a Slurm task sees its own allocation). */
static int usable_cores(void)
{
    cpu_set_t set;
    if (sched_getaffinity(0, sizeof set, &set) == 0 && CPU_COUNT(&set) > 0)
        return CPU_COUNT(&set);
    const long n = sysconf(_SC_NPROCESSORS_ONLN);
    return n > 0 ? (int)n : 1;
}

/* Whether the cell's run folder says it finished all its generations. */
static int cell_finished(const char *cell_dir)
{
    char path[MB_PATH_MAX + 320];
    snprintf(path, sizeof path, "%s/manifest.json", cell_dir);
    char *text = sweep_read_text(path);
    if (!text)
        return 0;
    json_t *m = NULL;
    int done = 0;
    if (mb_json_parse(text, strlen(text), path, &m) == MB_OK) {
        done = json_is_true(json_object_get(m, "finished"));
        json_decref(m);
    }
    mb_clear_error();
    free(text);
    return done;
}

static int has_state(const char *cell_dir)
{
    char path[MB_PATH_MAX + 320];
    struct stat st;
    snprintf(path, sizeof path, "%s/state.bin", cell_dir);
    return stat(path, &st) == 0;
}

/* The error line the run printed last ("madbench: ..."), else its last line. */
static void failure_message(const char *log_path, char *out, size_t len)
{
    char *text = sweep_read_text(log_path);
    out[0] = 0;
    if (!text)
        return;
    char *last = NULL, *error = NULL;
    for (char *save = NULL, *line = strtok_r(text, "\n", &save); line;
         line = strtok_r(NULL, "\n", &save)) {
        if (strspn(line, " \t\r") == strlen(line))
            continue;
        last = line;
        if (!strncmp(line, "madbench: ", 10))
            error = line + 10;
    }
    snprintf(out, len, "%s", error ? error : last ? last : "");
    free(text);
}

typedef struct {
    pid_t pid;
    int cell;
    double started;
} child;

static int start_cell(const mb_sweep *sw, const mb_sweep_cell *cell, const char *madbench,
                      int threads, child *c)
{
    char dir[MB_PATH_MAX + 300], config[MB_PATH_MAX + 300], log[MB_PATH_MAX + 300],
        threads_arg[32];
    mb_sweep_cell_dir(sw, cell, dir, sizeof dir);
    snprintf(config, sizeof config, "%s/configs/%s.ini", sw->dir, cell->name);
    snprintf(log, sizeof log, "%s/logs/%s.log", sw->dir, cell->name);
    snprintf(threads_arg, sizeof threads_arg, "run.threads=%d", threads);
    const int resume = has_state(dir);
    char *argv_resume[] = {(char *)madbench, "run", "--resume", dir, threads_arg, NULL};
    char *argv_start[] = {(char *)madbench, "run", config, threads_arg, NULL};

    posix_spawn_file_actions_t fa;
    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
    posix_spawn_file_actions_addopen(&fa, 1, log, O_WRONLY | O_CREAT | O_APPEND, 0644);
    posix_spawn_file_actions_adddup2(&fa, 1, 2);
    const int err = posix_spawn(&c->pid, madbench, &fa, NULL,
                                resume ? argv_resume : argv_start, environ);
    posix_spawn_file_actions_destroy(&fa);
    if (err)
        return mb_fail(MB_EIO, "%s: cannot start: %s", madbench, strerror(err));
    c->cell = cell->index;
    c->started = mb_now_seconds();
    mb_progress("sweep: [%d/%d] %s: %s (%d thread%s, log %s)\n", cell->index + 1, sw->n_cells,
                cell->name, resume ? "resumed" : "started", threads, threads == 1 ? "" : "s",
                log);
    return sweep_status_write(sw, cell, "running", -1, "");
}

/* Records how the child ended; returns its exit code (128 + signal when killed). */
static int finish_cell(const mb_sweep *sw, const child *c, int wstatus)
{
    mb_sweep_cell cell;
    mb_sweep_cell_at(sw, c->cell, &cell);
    char took[32], log[MB_PATH_MAX + 300], message[1024] = "";
    mb_format_duration(took, sizeof took, mb_now_seconds() - c->started);
    snprintf(log, sizeof log, "%s/logs/%s.log", sw->dir, cell.name);
    int code;
    if (WIFEXITED(wstatus)) {
        code = WEXITSTATUS(wstatus);
        if (code)
            failure_message(log, message, sizeof message);
    } else {
        code = 128 + WTERMSIG(wstatus);
        snprintf(message, sizeof message, "killed by signal %d", WTERMSIG(wstatus));
    }
    if (code == 0)
        mb_progress("sweep: [%d/%d] %s: done in %s\n", cell.index + 1, sw->n_cells, cell.name,
                    took);
    else
        mb_progress("sweep: [%d/%d] %s: FAILED after %s (exit %d): %s\n", cell.index + 1,
                    sw->n_cells, cell.name, took, code, message);
    const int rc = sweep_status_write(sw, &cell, code ? "failed" : "done", code, message);
    if (rc != MB_OK)
        mb_warn("%s", mb_last_error());
    return code;
}

int mb_sweep_run(const mb_sweep *sw, const mb_sweep_run_options *opt)
{
    const int first = opt->index >= 0 ? opt->index : 0;
    const int last = opt->index >= 0 ? opt->index : sw->n_cells - 1;
    if (opt->index >= sw->n_cells)
        return mb_fail(MB_EINPUT, "sweep: --index %d is out of range (expected 0..%d: the sweep "
                       "has %d cells)", opt->index, sw->n_cells - 1, sw->n_cells);
    const int jobs = opt->jobs > 0 ? opt->jobs : 1;
    const int cores = usable_cores();
    const int threads = cores / jobs > 0 ? cores / jobs : 1;
    int *code = malloc((size_t)sw->n_cells * sizeof *code);
    child *running = calloc((size_t)jobs, sizeof *running);
    if (!code || !running) {
        free(code);
        free(running);
        return mb_fail(MB_ENOMEM, "out of memory");
    }
    int rc = MB_OK, n_running = 0, skipped = 0, next = first;
    for (int i = 0; i < sw->n_cells; i++)
        code[i] = -1;
    while (rc == MB_OK && (next <= last || n_running > 0)) {
        /* start cells while a slot is free */
        while (rc == MB_OK && next <= last && n_running < jobs) {
            mb_sweep_cell cell;
            char dir[MB_PATH_MAX + 300];
            mb_sweep_cell_at(sw, next++, &cell);
            mb_sweep_cell_dir(sw, &cell, dir, sizeof dir);
            if (cell_finished(dir)) {
                char status[64], ec[32], message[1024];
                sweep_status_read(sw, &cell, status, sizeof status, ec, sizeof ec, message,
                                  sizeof message);
                if (strcmp(status, "done"))
                    rc = sweep_status_write(sw, &cell, "done", 0, "");
                mb_progress("sweep: [%d/%d] %s: already finished, skipped\n", cell.index + 1,
                            sw->n_cells, cell.name);
                code[cell.index] = 0;
                skipped++;
                continue;
            }
            rc = start_cell(sw, &cell, opt->madbench, threads, &running[n_running]);
            if (rc == MB_OK)
                n_running++;
        }
        if (n_running == 0)
            break;
        int wstatus;
        const pid_t pid = waitpid(-1, &wstatus, 0);
        if (pid < 0) {
            if (errno == EINTR)
                continue;
            rc = mb_fail(MB_EINTERNAL, "sweep: waitpid failed: %s", strerror(errno));
            break;
        }
        for (int k = 0; k < n_running; k++)
            if (running[k].pid == pid) {
                code[running[k].cell] = finish_cell(sw, &running[k], wstatus);
                running[k] = running[--n_running];
                break;
            }
    }
    for (int k = 0; k < n_running; k++) /* after an internal error: let them finish */
        waitpid(running[k].pid, NULL, 0);

    int n_failed = 0, first_failed = -1, done = 0;
    for (int i = first; i <= last; i++) {
        n_failed += code[i] > 0;
        done += code[i] == 0;
        if (code[i] > 0 && first_failed < 0)
            first_failed = i;
    }
    if (rc == MB_OK)
        mb_progress("sweep: %d of %d cell%s done (%d skipped as finished), %d failed: %s/cells.csv\n",
                    done, last - first + 1, last > first ? "s" : "", skipped, n_failed, sw->dir);
    if (rc == MB_OK && n_failed) {
        mb_sweep_cell cell;
        char status[64], ec[32], message[1024];
        mb_sweep_cell_at(sw, first_failed, &cell);
        sweep_status_read(sw, &cell, status, sizeof status, ec, sizeof ec, message,
                          sizeof message);
        const int c = code[first_failed];
        rc = mb_fail(c >= 1 && c <= MB_ENODEVICE ? c : MB_EINTERNAL,
                     "sweep: %d of %d cells failed (%s/cells.csv); first: %s, exit %d: %s",
                     n_failed, last - first + 1, sw->dir, cell.name, c, message);
    }
    free(code);
    free(running);
    return rc;
}

int mb_sweep_warm_judges(const mb_sweep *sw)
{
    /* one warm-up per distinct judge: data source and judge epochs (the judge learns
     * from the whole real training split, whatever the cell's seed and loop) */
    char seen[64][MB_PATH_MAX + 16];
    int n_seen = 0;
    for (int i = 0; i < sw->n_cells; i++) {
        mb_sweep_cell cell;
        mb_run_config cfg;
        mb_sweep_cell_at(sw, i, &cell);
        MB_TRY(mb_sweep_cell_config(sw, &cell, &cfg));
        if (cfg.features != MB_FEATURES_JUDGE)
            continue;
        char key[MB_PATH_MAX + 16];
        snprintf(key, sizeof key, "%d %s", cfg.judge_epochs, cfg.source);
        int known = 0;
        for (int k = 0; k < n_seen && !known; k++)
            known = !strcmp(seen[k], key);
        if (known || n_seen == (int)MB_ARRAY_LEN(seen))
            continue;
        snprintf(seen[n_seen++], sizeof seen[0], "%s", key);
        cfg.threads = 0;
        mb_progress("sweep: judge warm-up for %s (%d epochs)\n", cfg.source, cfg.judge_epochs);
        MB_TRY(mb_run_prepare_judge(&cfg));
    }
    if (n_seen == 0)
        mb_progress("sweep: no cell uses a judge network (metrics.features), no warm-up\n");
    return MB_OK;
}
