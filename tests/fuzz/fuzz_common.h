/* fuzz_common.h — what every data fuzz target shares: a private scratch folder,
 * writing fuzz bytes to files, and the invariants a load must keep either way. */
#ifndef MB_FUZZ_COMMON_H
#define MB_FUZZ_COMMON_H

#include "mb_dataset.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static const char *fuzz_dir(void)
{
    static char dir[64];
    if (!dir[0]) {
        snprintf(dir, sizeof dir, "/tmp/mb_fuzz_XXXXXX");
        if (!mkdtemp(dir))
            abort();
    }
    return dir;
}

static const char *fuzz_path(const char *name)
{
    static char buf[4][256];
    static int next;
    char *p = buf[next++ % 4];
    snprintf(p, 256, "%s/%s", fuzz_dir(), name);
    return p;
}

static void fuzz_write(const char *path, const uint8_t *data, size_t n)
{
    FILE *f = fopen(path, "wb");
    if (!f)
        abort();
    if (n && fwrite(data, 1, n, f) != n)
        abort();
    fclose(f);
}

/* A failed read says why and is bad input (or out of memory), nothing else. */
static inline void fuzz_check_failure(int rc)
{
    if (!mb_last_error()[0] || !strcmp(mb_last_error(), "unknown error"))
        abort();
    if (rc != MB_EINPUT && rc != MB_ENOMEM)
        abort();
}

/* A successful load is a complete, consistent set; a failed one is empty and
 * says why. Anything else is a bug: abort so that libFuzzer keeps the input. */
static inline void fuzz_check(int rc, mb_dataset *ds)
{
    if (rc != MB_OK) {
        if (ds->n != 0 || ds->images || ds->labels || ds->pixels || ds->origin)
            abort();
        fuzz_check_failure(rc);
        return;
    }
    if (ds->n <= 0 || ds->channels <= 0 || ds->height <= 0 || ds->width <= 0 ||
        !ds->images || !ds->origin)
        abort();
    size_t values = (size_t)ds->n * mb_dataset_image_size(ds);
    for (size_t k = 0; k < values; k++)
        if (!(ds->images[k] >= 0.0f && ds->images[k] <= 1.0f))
            abort();
    for (int i = 0; ds->labels && i < ds->n; i++)
        if (ds->labels[i] < 0 || ds->labels[i] >= ds->n_classes)
            abort();
    for (int i = 0; i < ds->n; i++)
        if (ds->origin[i] != MB_ORIGIN_REAL)
            abort();
    mb_dataset_free(ds);
}

#endif
