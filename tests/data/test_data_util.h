/* test_data_util.h — fixtures the data tests share: temporary folders, small
 * files written byte by byte, and a synthetic labelled data set. */
#ifndef MB_TEST_DATA_UTIL_H
#define MB_TEST_DATA_UTIL_H

#include "mb_dataset.h"
#include "testutil.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* A fresh temporary folder; removed by tmp_remove. */
static inline const char *tmp_dir(void)
{
    static char dir[64];
    snprintf(dir, sizeof dir, "/tmp/mb_data_test_XXXXXX");
    if (!mkdtemp(dir)) {
        perror("mkdtemp");
        exit(1);
    }
    return dir;
}

static inline void tmp_remove(const char *dir)
{
    char cmd[256];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    if (system(cmd) != 0)
        fprintf(stderr, "could not remove %s\n", dir);
}

static inline const char *path_in(const char *dir, const char *name)
{
    static char buf[8][512];
    static int next;
    char *p = buf[next++ % 8];
    snprintf(p, 512, "%s/%s", dir, name);
    return p;
}

static inline void write_bytes(const char *path, const void *data, size_t n)
{
    FILE *f = fopen(path, "wb");
    if (!f || fwrite(data, 1, n, f) != n) {
        perror(path);
        exit(1);
    }
    fclose(f);
}

/* The whole file in a malloc'd buffer. */
static inline unsigned char *read_bytes(const char *path, size_t *n)
{
    FILE *f = fopen(path, "rb");
    if (!f) {
        perror(path);
        exit(1);
    }
    fseek(f, 0, SEEK_END);
    long len = ftell(f);
    fseek(f, 0, SEEK_SET);
    unsigned char *buf = malloc(len > 0 ? (size_t)len : 1);
    *n = fread(buf, 1, (size_t)len, f);
    fclose(f);
    return buf;
}

/* n images C x H x W with pixel values k/255 from a simple hash (so that every
 * value round-trips through 8-bit files exactly), labels i % n_classes. */
static inline void make_set(mb_dataset *ds, int n, int C, int H, int W, int n_classes)
{
    if (mb_dataset_alloc(ds, n, C, H, W, n_classes > 0, 0) != MB_OK) {
        fprintf(stderr, "alloc failed: %s\n", mb_last_error());
        exit(1);
    }
    size_t per = mb_dataset_image_size(ds);
    for (size_t k = 0; k < (size_t)n * per; k++)
        ds->images[k] = (float)((k * 2654435761u >> 7) % 256) / 255.0f;
    for (int i = 0; n_classes > 0 && i < n; i++)
        ds->labels[i] = i % n_classes;
    ds->n_classes = n_classes;
    snprintf(ds->source, sizeof ds->source, "fixture");
}

/* Max |a - b| over the images of two sets of the same shape. */
static inline double max_image_diff(const mb_dataset *a, int ia, const mb_dataset *b, int ib)
{
    size_t per = mb_dataset_image_size(a);
    double worst = 0;
    for (size_t k = 0; k < per; k++) {
        double d = a->images[(size_t)ia * per + k] - b->images[(size_t)ib * per + k];
        if (d < 0)
            d = -d;
        if (d > worst)
            worst = d;
    }
    return worst;
}

/* Loading `source` must fail with code `want` and a message containing `needle`. */
#define CHECK_LOAD_FAILS(source, opt, want, needle)                                     \
    do {                                                                                \
        mb_dataset bad_;                                                                \
        mb_clear_error();                                                               \
        int rc_ = mb_dataset_load(&bad_, (source), (opt));                              \
        CHECK(rc_ == (want), "%s: rc %d, want %d (%s)", (source), rc_, (want),          \
              mb_last_error());                                                         \
        CHECK(strstr(mb_last_error(), (needle)) != NULL, "%s: message '%s' lacks '%s'", \
              (source), mb_last_error(), (needle));                                     \
        CHECK(bad_.n == 0 && bad_.images == NULL, "%s: failed load left data behind",   \
              (source));                                                                \
        mb_dataset_free(&bad_);                                                         \
    } while (0)

#endif
