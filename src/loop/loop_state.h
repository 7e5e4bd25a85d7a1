/* loop/loop_state.h — the resumable state of a run (loop/state.c). */
#ifndef MB_LOOP_STATE_H
#define MB_LOOP_STATE_H

#include "loop_internal.h"
#include "mb_row.h"

#define MB_LOOP_MAX_ROWS 1001 /* generation 0 (the real data) .. 1000 */

typedef struct {
    uint64_t config_hash;
    int32_t generations_done;       /* rows 0..generations_done exist */
    double seconds[MB_N_PHASES];    /* time per phase, summed over generations */
    char *csv_rows[MB_LOOP_MAX_ROWS];
    char *json_rows[MB_LOOP_MAX_ROWS];
    mb_dataset pool;                /* curated synthetic images kept for training */
} mb_loop_state;

int mb_loop_state_save(const mb_loop_state *s, const char *path);
/* Refuses a state whose config hash differs from config_hash, with more than
 * max_generations done or a pool larger than max_pool images; checks every
 * size against the file before allocating. */
int mb_loop_state_load(mb_loop_state *s, const char *path, uint64_t config_hash,
                       int max_generations, long max_pool);
void mb_loop_state_free(mb_loop_state *s);

#endif
