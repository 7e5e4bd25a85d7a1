/* sweep/folder.c — the sweep folder:
 *
 *   SWEEP/sweep.ini        the resolved sweep (base = base.ini); `madbench sweep SWEEP`
 *   SWEEP/base.ini         the base config with [set] applied
 *   SWEEP/configs/C.ini    the configuration of cell C
 *   SWEEP/cells/C/         the run folder of cell C (an ordinary `madbench run` folder)
 *   SWEEP/status/C         its last outcome: status, exit code, message (one per line)
 *   SWEEP/logs/C.log       its output
 *   SWEEP/cells.csv        index, name, every varying key, seed, status, exit code, message
 *
 * Several processes (array tasks, -j) update it at once: every file is written to a
 * temporary name and renamed, and cells.csv is rebuilt under an exclusive lock. */
#include "sweep_internal.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

char *sweep_read_text(const char *path)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return NULL;
    char *text = NULL;
    size_t len = 0;
    FILE *m = open_memstream(&text, &len);
    char buf[8192];
    size_t n;
    while (m && (n = fread(buf, 1, sizeof buf, f)) > 0)
        fwrite(buf, 1, n, m);
    fclose(f);
    if (m)
        fclose(m);
    return text;
}

int sweep_write_atomic(const char *path, const char *text)
{
    char tmp[MB_PATH_MAX + 96];
    snprintf(tmp, sizeof tmp, "%s.tmp%ld", path, (long)getpid());
    FILE *f = fopen(tmp, "w");
    if (!f)
        return mb_fail(MB_EIO, "%s: cannot write: %s", tmp, strerror(errno));
    const int ok = fputs(text, f) >= 0;
    if (fclose(f) || !ok || rename(tmp, path)) {
        const int err = errno;
        remove(tmp);
        return mb_fail(MB_EIO, "%s: cannot write: %s", path, strerror(err));
    }
    return MB_OK;
}

void mb_csv_put(FILE *out, const char *s)
{
    if (!strpbrk(s, ",\"\n\r")) {
        fputs(s, out);
        return;
    }
    fputc('"', out);
    for (; *s; s++) {
        if (*s == '"')
            fputc('"', out);
        fputc(*s, out);
    }
    fputc('"', out);
}

/* The resolved sweep file: what `madbench sweep SWEEP` reads back. */
static char *resolved_text(const mb_sweep *sw)
{
    char *text = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&text, &len);
    if (!f)
        return NULL;
    fprintf(f, "# madbench sweep, resolved: every cell follows from this file and base.ini\n"
               "[sweep]\nbase = base.ini\nseeds = ");
    for (int s = 0; s < sw->n_seeds; s++)
        fprintf(f, "%s%ld", s ? "," : "", sw->seeds[s]);
    fputc('\n', f);
    for (int a = 0; a < sw->n_axes; a++) {
        const mb_sweep_axis *ax = &sw->axes[a];
        if (!strcmp(ax->key, "variant")) {
            fputs("\n[variants]\n", f);
            for (int v = 0; v < ax->n_values; v++)
                fprintf(f, "%s = %s\n", ax->values[v], ax->settings[v]);
        }
    }
    int grid = 0;
    for (int a = 0; a < sw->n_axes; a++) {
        const mb_sweep_axis *ax = &sw->axes[a];
        if (!strcmp(ax->key, "variant"))
            continue;
        fprintf(f, "%s%s = ", grid++ ? "" : "\n[grid]\n", ax->key);
        for (int v = 0; v < ax->n_values; v++)
            fprintf(f, "%s%s", v ? ", " : "", ax->values[v]);
        fputc('\n', f);
    }
    fclose(f);
    return text;
}

/* Writes path from text, or checks that an existing file holds the same (after its
 * first line, which names the version). */
static int write_or_compare(const mb_sweep *sw, const char *path, const char *text)
{
    char *old = sweep_read_text(path);
    if (!old)
        return sweep_write_atomic(path, text);
    const char *a = strchr(old, '\n'), *b = strchr(text, '\n');
    const int same = a && b && !strcmp(a, b);
    free(old);
    if (!same)
        return mb_fail(MB_EINPUT, "%s: this sweep folder holds a different sweep (expected "
                       "the same sweep file: choose another sweep.name, or continue it with "
                       "madbench sweep %s)", path, sw->dir);
    return MB_OK;
}

static char *config_text(const mb_run_config *cfg, const char *dir)
{
    char tmp[MB_PATH_MAX + 96];
    snprintf(tmp, sizeof tmp, "%s/.config.tmp%ld", dir, (long)getpid());
    if (mb_run_config_write(cfg, tmp) != MB_OK)
        return NULL;
    char *text = sweep_read_text(tmp);
    remove(tmp);
    if (!text)
        mb_fail(MB_EIO, "%s: cannot read back", tmp);
    return text;
}

int mb_sweep_prepare(const mb_sweep *sw)
{
    const char *subdirs[] = {"", "/cells", "/configs", "/status", "/logs"};
    char path[MB_PATH_MAX + 300];
    for (size_t i = 0; i < MB_ARRAY_LEN(subdirs); i++) {
        snprintf(path, sizeof path, "%s%s", sw->dir, subdirs[i]);
        MB_TRY(mb_make_dirs(path));
    }
    char *text = config_text(&sw->base, sw->dir);
    if (!text)
        return MB_EIO;
    snprintf(path, sizeof path, "%s/base.ini", sw->dir);
    int rc = write_or_compare(sw, path, text);
    free(text);
    if (rc != MB_OK)
        return rc;
    if (!(text = resolved_text(sw)))
        return mb_fail(MB_ENOMEM, "out of memory");
    snprintf(path, sizeof path, "%s/sweep.ini", sw->dir);
    rc = write_or_compare(sw, path, text);
    free(text);
    for (int i = 0; i < sw->n_cells && rc == MB_OK; i++) {
        mb_sweep_cell cell;
        mb_run_config cfg;
        mb_sweep_cell_at(sw, i, &cell);
        rc = mb_sweep_cell_config(sw, &cell, &cfg);
        if (rc == MB_OK && (text = config_text(&cfg, sw->dir)) == NULL)
            rc = MB_EIO;
        if (rc == MB_OK) {
            snprintf(path, sizeof path, "%s/configs/%s.ini", sw->dir, cell.name);
            rc = sweep_write_atomic(path, text);
            free(text);
        }
    }
    return rc == MB_OK ? mb_sweep_write_cells_csv(sw) : rc;
}

/* ---- status of the cells ---- */

int sweep_status_write(const mb_sweep *sw, const mb_sweep_cell *cell, const char *status,
                       int exit_code, const char *message)
{
    char path[MB_PATH_MAX + 300], text[1400], msg[1024];
    snprintf(msg, sizeof msg, "%s", message ? message : "");
    for (char *p = msg; *p; p++)
        if (*p == '\n' || *p == '\r')
            *p = ' ';
    if (exit_code >= 0)
        snprintf(text, sizeof text, "%s\n%d\n%s\n", status, exit_code, msg);
    else
        snprintf(text, sizeof text, "%s\n\n%s\n", status, msg);
    snprintf(path, sizeof path, "%s/status/%s", sw->dir, cell->name);
    MB_TRY(sweep_write_atomic(path, text));
    return mb_sweep_write_cells_csv(sw);
}

void sweep_status_read(const mb_sweep *sw, const mb_sweep_cell *cell, char *status,
                       size_t status_len, char *exit_code, size_t code_len, char *message,
                       size_t message_len)
{
    char path[MB_PATH_MAX + 300];
    snprintf(path, sizeof path, "%s/status/%s", sw->dir, cell->name);
    snprintf(status, status_len, "pending");
    exit_code[0] = message[0] = 0;
    char *text = sweep_read_text(path);
    if (!text)
        return;
    char *lines[3] = {text, NULL, NULL};
    for (int i = 1; i < 3; i++) {
        char *nl = lines[i - 1] ? strchr(lines[i - 1], '\n') : NULL;
        if (nl) {
            *nl = 0;
            lines[i] = nl + 1;
        }
    }
    if (lines[2]) {
        char *nl = strchr(lines[2], '\n');
        if (nl)
            *nl = 0;
        snprintf(status, status_len, "%s", lines[0]);
        snprintf(exit_code, code_len, "%s", lines[1]);
        snprintf(message, message_len, "%s", lines[2]);
    }
    free(text);
}

int mb_sweep_write_cells_csv(const mb_sweep *sw)
{
    char path[MB_PATH_MAX + 64], lock_path[MB_PATH_MAX + 64];
    snprintf(lock_path, sizeof lock_path, "%s/.lock", sw->dir);
    const int lock = open(lock_path, O_RDWR | O_CREAT, 0644);
    if (lock < 0)
        return mb_fail(MB_EIO, "%s: cannot open: %s", lock_path, strerror(errno));
    while (flock(lock, LOCK_EX) && errno == EINTR)
        ;
    char *text = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&text, &len);
    int rc = f ? MB_OK : mb_fail(MB_ENOMEM, "out of memory");
    if (rc == MB_OK) {
        fputs("index,name", f);
        for (int a = 0; a < sw->n_axes; a++) {
            fputc(',', f);
            mb_csv_put(f, sw->axes[a].key);
        }
        fputs(",seed,status,exit_code,message\n", f);
        for (int i = 0; i < sw->n_cells; i++) {
            mb_sweep_cell cell;
            char status[64], code[32], message[1024];
            mb_sweep_cell_at(sw, i, &cell);
            sweep_status_read(sw, &cell, status, sizeof status, code, sizeof code, message,
                              sizeof message);
            fprintf(f, "%d,", i);
            mb_csv_put(f, cell.name);
            for (int a = 0; a < sw->n_axes; a++) {
                fputc(',', f);
                mb_csv_put(f, sw->axes[a].values[cell.value[a]]);
            }
            fprintf(f, ",%ld,", cell.seed);
            mb_csv_put(f, status);
            fprintf(f, ",%s,", code);
            mb_csv_put(f, message);
            fputc('\n', f);
        }
        fclose(f);
        snprintf(path, sizeof path, "%s/cells.csv", sw->dir);
        rc = text ? sweep_write_atomic(path, text) : mb_fail(MB_ENOMEM, "out of memory");
    }
    free(text);
    close(lock); /* releases the lock */
    return rc;
}
