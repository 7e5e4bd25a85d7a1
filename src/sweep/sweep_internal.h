/* sweep/sweep_internal.h — what the sweep's files share. */
#ifndef MB_SWEEP_INTERNAL_H
#define MB_SWEEP_INTERNAL_H

#include "mb_files.h"
#include "mb_sweep.h"

#include <stdio.h>

/* The whole file, NUL-terminated (free it), or NULL. */
char *sweep_read_text(const char *path);
/* Writes text to a temporary file beside path and renames it over path. */
int sweep_write_atomic(const char *path, const char *text);

/* SWEEP/status/NAME: "done", "failed", "running"; exit_code < 0 leaves it empty.
 * Rewrites cells.csv. */
int sweep_status_write(const mb_sweep *sw, const mb_sweep_cell *cell, const char *status,
                       int exit_code, const char *message);
/* "pending" with empty code and message when the cell has no status yet. */
void sweep_status_read(const mb_sweep *sw, const mb_sweep_cell *cell, char *status,
                       size_t status_len, char *exit_code, size_t code_len, char *message,
                       size_t message_len);

#endif
