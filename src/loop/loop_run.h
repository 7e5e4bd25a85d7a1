/* loop/loop_run.h — what the run driver (loop/run.c) shares with the files that
 * load and measure its data (loop/measure.c) and keep its folder (loop/output.c). */
#ifndef MB_LOOP_RUN_H
#define MB_LOOP_RUN_H

#include "loop_state.h"
#include "mb_files.h"

/* One run in progress. */
typedef struct {
    const mb_run_config *cfg;
    const char *command_line;
    char dir[MB_PATH_LEN];
    mb_backend *be;
    mb_dataset real;      /* the real training pool: T_1, then the real parts */
    mb_dataset test;      /* the reference set of every metric */
    mb_judge judge;
    mb_metrics_ref *ref;
    float *ref_attr;      /* shapes: measured radius of the test images */
    float *pattern;       /* watermark */
    double wm_fpr;        /* watermark detector on the real test set */
    uint64_t data_hash;
    mb_loop_state state;
    char started[32];
} run_ctx;

/* ---- loop/measure.c ---- */
/* The real training pool, the test set (the reference) and judge_train (the whole
 * real training split, the judge's data); sets r->data_hash. */
int mb_loop_load_data(run_ctx *r, mb_dataset *judge_train);
/* The judge, and the reference statistics of the test set. */
int mb_loop_prepare_metrics(run_ctx *r, const mb_dataset *judge_train);
/* watermark.enabled: the pattern, and the check's false positive rate on the test set. */
int mb_loop_prepare_watermark(run_ctx *r);
/* Every metric of ds against the test set. */
int mb_loop_measure(run_ctx *r, const mb_dataset *ds, mb_metrics_result *res);
/* Frees everything the run holds (its state, data, judge, backend). */
void mb_loop_run_free(run_ctx *r);

/* ---- loop/output.c ---- */
/* out = the run folder / rel; MB_EINPUT when it does not fit (never truncated). */
int mb_loop_path(const run_ctx *r, char *out, size_t len, const char *rel);
int mb_loop_make_dir(const char *path);
uint64_t mb_loop_fnv1a(uint64_t h, const void *data, size_t n);
void mb_loop_now_iso(char *out, size_t len);
/* Hash of the run's config.ini without its first line (which names the version
 * only), so that a resumed run can tell whether its configuration changed. */
int mb_loop_config_hash(const char *config_path, uint64_t *hash);
/* One run or resume at a time in a run folder: an exclusive lock on run.lock for
 * the life of the process (released by the kernel however the process ends). */
int mb_loop_lock_folder(const run_ctx *r, int *fd);
/* Records generation row->info.generation as done: its rows and phase times into
 * the state, then state.bin, metrics.csv and metrics.jsonl, and with manifest
 * also manifest.json (finished when it is the last generation). */
int mb_loop_record(run_ctx *r, const mb_row *row, int manifest);
/* manifest.json: provenance, the data and judge, progress and timing (docs/loop.md). */
int mb_loop_write_manifest(const run_ctx *r, int finished);
/* Generation 1 (trained on real data only) far from the real data? From its
 * recorded row, so that a resumed run knows too: -1 before generation 1 is done,
 * else 0 or 1 with the numbers against the thresholds in why. */
int mb_loop_gen1_far(const run_ctx *r, char *why, size_t len);
/* grids/gen_GG.png: the first 64 images of ds. */
int mb_loop_write_grid(const run_ctx *r, const mb_dataset *ds, int g);
/* export/gen_GG (export.format). */
int mb_loop_export_set(const run_ctx *r, const mb_dataset *ds, int g);
/* train_log.csv with generation g's epochs (loss[], seconds[] per epoch). */
int mb_loop_write_train_log(const run_ctx *r, int g, const double *loss,
                            const double *seconds);

#endif
