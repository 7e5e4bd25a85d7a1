/* loop/output.c — the run folder: its lock, and what a run writes there: the
 * rows of each finished generation (state.bin, metrics.csv, metrics.jsonl, through
 * the column table of mb_row.h), manifest.json, train_log.csv, the image grids
 * and the exported sets. */
#include "loop_run.h"
#include "mb_image.h"
#include "mb_provenance.h"

#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

static const char *phase_names[MB_N_PHASES] = {"train", "generate", "metrics", "curate"};

int mb_loop_path(const run_ctx *r, char *out, size_t len, const char *rel)
{
    return mb_path(out, len, "%s/%s", r->dir, rel);
}

int mb_loop_make_dir(const char *path)
{
    if (mkdir(path, 0755) && errno != EEXIST)
        return mb_fail(MB_EIO, "%s: cannot create folder: %s", path, strerror(errno));
    return MB_OK;
}

uint64_t mb_loop_fnv1a(uint64_t h, const void *data, size_t n)
{
    const unsigned char *p = data;
    for (size_t i = 0; i < n; i++)
        h = (h ^ p[i]) * 0x100000001b3ull;
    return h;
}

void mb_loop_now_iso(char *out, size_t len)
{
    time_t t = time(NULL);
    struct tm tm;
    gmtime_r(&t, &tm);
    strftime(out, len, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

/* ---- rows ---- */

/* metrics.csv and metrics.jsonl rewritten whole from the state's rows, so a
 * resumed run can never leave a half row or a duplicate. */
static int write_tables(const run_ctx *r)
{
    const char *names[2] = {"metrics.csv", "metrics.jsonl"};
    for (int t = 0; t < 2; t++) {
        char path[MB_PATH_LEN];
        mb_out_file out;
        MB_TRY(mb_loop_path(r, path, sizeof path, names[t]));
        MB_TRY(mb_out_open(&out, path));
        if (t == 0)
            mb_row_print_csv_header(out.f);
        for (int g = 0; g <= r->state.generations_done; g++)
            fputs(t == 0 ? r->state.csv_rows[g] : r->state.json_rows[g], out.f);
        MB_TRY(mb_out_close(&out, MB_OK));
    }
    return MB_OK;
}

int mb_loop_gen1_far(const run_ctx *r, char *why, size_t len)
{
    json_t *row = r->state.generations_done >= 1 && r->state.json_rows[1]
                      ? json_loads(r->state.json_rows[1], 0, NULL)
                      : NULL;
    if (!row)
        return -1;
    mb_metrics_result m = {.off_manifold = mb_json_number(row, "off_manifold")};
    m.prdc.recall = mb_json_number(row, "recall");
    m.attr.malformed = mb_json_number(row, "malformed"); /* shapes only, else NaN */
    m.has_attr = isfinite(m.attr.malformed);
    json_decref(row);
    return mb_metrics_far_from_real(&m, why, len);
}

int mb_loop_write_manifest(const run_ctx *r, int finished)
{
    char path[MB_PATH_LEN], updated[32], hash[20];
    MB_TRY(mb_loop_path(r, path, sizeof path, "manifest.json"));
    mb_loop_now_iso(updated, sizeof updated);
    snprintf(hash, sizeof hash, "%016llx", (unsigned long long)r->data_hash);
    json_t *seconds = json_object();
    for (int p = 0; seconds && p < MB_N_PHASES; p++)
        json_object_set_new(seconds, phase_names[p], json_real(r->state.seconds[p]));
    json_t *m = json_pack("{s:o, s:o, s:o, s:o, s:s, s:[i,i,i], s:i, s:i, s:s, s:i, s:o, s:s, "
                          "s:s, s:i, s:i, s:b, s:o}",
                          "command", mb_json_text(r->command_line),
                          "backend", mb_json_text(r->be->name),
                          "device", mb_json_text(r->be->device_name),
                          "dataset", mb_json_text(r->real.source),
                          "dataset_hash", hash,
                          "image_shape", r->real.channels, r->real.height, r->real.width,
                          "train_images", r->real.n, "test_images", r->test.n,
                          "features", mb_feature_kind_name(r->cfg->features),
                          "feature_dim", r->judge.dim,
                          "judge_test_accuracy", mb_json_real(r->judge.test_accuracy),
                          "started", r->started, "updated", updated,
                          "generations_done", r->state.generations_done,
                          "generations", r->cfg->generations, "finished", finished,
                          "seconds", seconds);
    char why[160];
    const int far = mb_loop_gen1_far(r, why, sizeof why);
    if (m && far >= 0) {
        json_object_set_new(m, "gen1_broken", json_boolean(far));
        if (far)
            json_object_set_new(m, "gen1_warning", json_string(why));
    }
    int rc = m ? mb_provenance_add(m, r->be->name)
               : mb_fail(MB_ENOMEM, "%s: out of memory building the manifest", path);
    if (rc == MB_OK)
        rc = mb_json_write_file(m, path);
    json_decref(m);
    return rc;
}

int mb_loop_write_grid(const run_ctx *r, const mb_dataset *ds, int g)
{
    char rel[64], path[MB_PATH_LEN];
    snprintf(rel, sizeof rel, "grids/gen_%02d.png", g);
    MB_TRY(mb_loop_path(r, path, sizeof path, rel));
    const int n = ds->n < 64 ? ds->n : 64;
    return n ? mb_write_png_grid(path, ds->images, n, ds->channels, ds->height, ds->width, 8)
             : MB_OK;
}

int mb_loop_export_set(const run_ctx *r, const mb_dataset *ds, int g)
{
    char rel[64], path[MB_PATH_LEN];
    if (r->cfg->export_format == MB_EXPORT_PNG) {
        snprintf(rel, sizeof rel, "export/gen_%02d", g);
        MB_TRY(mb_loop_path(r, path, sizeof path, rel));
        MB_TRY(mb_loop_make_dir(path));
        return mb_png_folder_write(ds, path);
    }
    if (r->cfg->export_format == MB_EXPORT_IDX) {
        snprintf(rel, sizeof rel, "export/gen_%02d-images-idx3-ubyte.gz", g);
        MB_TRY(mb_loop_path(r, path, sizeof path, rel));
        return mb_idx_write(ds, path, NULL);
    }
    return MB_OK;
}

/* train_log.csv: one row per training epoch. Rewritten whole after each
 * generation's training, from the rows of earlier generations plus this one's, so
 * that a resumed run (which redoes the generation in progress) ends with the rows
 * of an uninterrupted run; only the seconds column, wall-clock time, differs. */
int mb_loop_write_train_log(const run_ctx *r, int g, const double *loss, const double *seconds)
{
    char path[MB_PATH_LEN], line[256];
    FILE *in = NULL;
    mb_out_file out;
    MB_TRY(mb_loop_path(r, path, sizeof path, "train_log.csv"));
    if (access(path, F_OK) == 0) /* absent before the first generation */
        MB_TRY(mb_fopen_regular(path, "the training log", &in));
    int rc = mb_out_open(&out, path);
    if (rc == MB_OK) {
        fputs("generation,epoch,loss,seconds\n", out.f);
        while (in && fgets(line, sizeof line, in)) {
            char *end;
            const long row_g = strtol(line, &end, 10); /* the header parses as no number */
            if (end != line && *end == ',' && row_g < g)
                fputs(line, out.f);
        }
        for (int e = 0; e < r->cfg->epochs; e++)
            fprintf(out.f, "%d,%d,%.10g,%.3f\n", g, e + 1, loss[e], seconds[e]);
        rc = mb_out_close(&out, MB_OK);
    }
    if (in)
        fclose(in);
    return rc;
}

int mb_loop_record(run_ctx *r, const mb_row *row, int manifest)
{
    const int g = row->info.generation;
    r->state.csv_rows[g] = mb_row_text(row, MB_ROW_CSV);
    r->state.json_rows[g] = mb_row_text(row, MB_ROW_JSON);
    if (!r->state.csv_rows[g] || !r->state.json_rows[g])
        return mb_fail(MB_ENOMEM, "out of memory formatting rows");
    for (int p = 0; p < MB_N_PHASES; p++)
        r->state.seconds[p] += row->info.seconds[p];
    r->state.generations_done = g;
    char path[MB_PATH_LEN];
    MB_TRY(mb_loop_path(r, path, sizeof path, "state.bin"));
    MB_TRY(mb_loop_state_save(&r->state, path));
    MB_TRY(write_tables(r));
    return manifest ? mb_loop_write_manifest(r, g == r->cfg->generations) : MB_OK;
}

/* ---- the run folder ---- */

int mb_loop_config_hash(const char *config_path, uint64_t *hash)
{
    char *text;
    size_t len;
    MB_TRY(mb_read_file(config_path, "config file", (size_t)1 << 20, &text, &len));
    const char *nl = memchr(text, '\n', len);
    const size_t skip = nl ? (size_t)(nl - text) + 1 : 0;
    *hash = mb_loop_fnv1a(0xcbf29ce484222325ull, text + skip, len - skip);
    free(text);
    return MB_OK;
}

int mb_loop_lock_folder(const run_ctx *r, int *fd)
{
    char path[MB_PATH_LEN];
    MB_TRY(mb_loop_path(r, path, sizeof path, "run.lock"));
    *fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0644);
    if (*fd < 0)
        return mb_fail(MB_EIO, "%s: cannot create the lock file: %s", path, strerror(errno));
    if (flock(*fd, LOCK_EX | LOCK_NB)) {
        const int e = errno;
        char pid[32] = "";
        const ssize_t n = e == EWOULDBLOCK ? pread(*fd, pid, sizeof pid - 1, 0) : -1;
        pid[n > 0 ? n : 0] = 0;
        pid[strcspn(pid, "\n")] = 0;
        close(*fd);
        *fd = -1;
        if (e == EWOULDBLOCK)
            return mb_fail(MB_EINPUT, "%s: already running (pid %s) (expected one run or "
                           "resume at a time in a run folder)", r->dir, pid[0] ? pid : "?");
        return mb_fail(MB_EIO, "%s: cannot lock: %s", path, strerror(e));
    }
    char pid[32];
    const int n = snprintf(pid, sizeof pid, "%ld\n", (long)getpid());
    if (ftruncate(*fd, 0) || pwrite(*fd, pid, (size_t)n, 0) != n)
        mb_warn("%s: cannot record the pid: %s", path, strerror(errno));
    return MB_OK;
}
