/* data/cifar.c — CIFAR-10 binary batches (data_batch_1..5.bin, test_batch.bin):
 * records of 1 label byte (0..9) and 3072 pixel bytes, the red, green and blue
 * 32x32 planes in turn, which is already the [C, H, W] layout. */
#include "data_internal.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <stdio.h>

#define CIFAR_SIDE 32
#define CIFAR_PIXELS (3 * CIFAR_SIDE * CIFAR_SIDE)
#define CIFAR_RECORD (1 + CIFAR_PIXELS)
#define CIFAR_CLASSES 10
/* 10000 records per official batch; a single file is allowed up to 100x that. */
#define CIFAR_MAX_FILE ((size_t)CIFAR_RECORD * 1000000)

static const char *const cifar_classes[CIFAR_CLASSES] = {
    "airplane", "automobile", "bird", "cat", "deer",
    "dog", "frog", "horse", "ship", "truck"};

/* Reads one batch file and checks its size and labels; *n = its record count. */
static int read_batch(const char *path, uint8_t **data, size_t *n)
{
    size_t len;
    MB_TRY(mb_data_read_all(path, "CIFAR-10 batch", CIFAR_MAX_FILE, data, &len));
    int rc = MB_OK;
    if (len == 0)
        rc = mb_fail(MB_EINPUT, "%s: contains 0 images (expected CIFAR-10 records of %d "
                     "bytes)", path, CIFAR_RECORD);
    else if (len % CIFAR_RECORD)
        rc = mb_fail(MB_EINPUT, "%s: truncated or not a CIFAR-10 batch: %zu bytes is not a "
                     "whole number of %d-byte records (1 label byte + 3x32x32 pixels); "
                     "the last record has %zu bytes", path, len, CIFAR_RECORD,
                     len % CIFAR_RECORD);
    for (size_t i = 0; rc == MB_OK && i < len / CIFAR_RECORD; i++) {
        uint8_t label = (*data)[i * CIFAR_RECORD];
        if (label >= CIFAR_CLASSES)
            rc = mb_fail(MB_EINPUT, "%s: record %zu has label %d (expected 0..9: a CIFAR-10 "
                         "batch; CIFAR-100 has 2 label bytes and is not supported)", path, i,
                         label);
    }
    if (rc != MB_OK) {
        free(*data);
        *data = NULL;
        return rc;
    }
    *n = len / CIFAR_RECORD;
    return MB_OK;
}

int mb_cifar_read(mb_dataset *ds, const char *const *paths, int n_paths)
{
    memset(ds, 0, sizeof *ds);
    uint8_t *batch[8] = {0};
    size_t count[8] = {0}, total = 0;
    int rc = MB_OK;
    if (n_paths < 1 || n_paths > 8)
        return mb_fail(MB_EINTERNAL, "CIFAR-10: %d batch files (expected 1..8)", n_paths);
    for (int b = 0; b < n_paths && rc == MB_OK; b++) {
        rc = read_batch(paths[b], &batch[b], &count[b]);
        total += count[b];
    }
    if (rc == MB_OK && total > (size_t)MB_DATA_MAX_IMAGES)
        rc = mb_fail(MB_EINPUT, "%s: %zu images (expected at most %ld)", paths[0], total,
                     MB_DATA_MAX_IMAGES);
    if (rc == MB_OK)
        rc = mb_dataset_alloc(ds, (int)total, 3, CIFAR_SIDE, CIFAR_SIDE, 1, 0);
    if (rc == MB_OK && !(ds->pixels = mb_host_alloc(total * CIFAR_PIXELS, "pixels")))
        rc = MB_ENOMEM;
    if (rc == MB_OK)
        rc = mb_data_set_class_names(ds, cifar_classes, CIFAR_CLASSES);
    size_t at = 0;
    for (int b = 0; b < n_paths && rc == MB_OK; b++)
        for (size_t i = 0; i < count[b]; i++, at++) {
            const uint8_t *rec = batch[b] + i * CIFAR_RECORD;
            ds->labels[at] = rec[0];
            memcpy(ds->pixels + at * CIFAR_PIXELS, rec + 1, CIFAR_PIXELS);
        }
    for (int b = 0; b < n_paths; b++)
        free(batch[b]);
    if (rc != MB_OK) {
        mb_dataset_free(ds);
        return rc;
    }
    ds->n_classes = CIFAR_CLASSES;
    mb_dataset_pixels_to_images(ds);
    snprintf(ds->source, sizeof ds->source, "%s", paths[0]);
    return MB_OK;
}

int mb_cifar_write(const mb_dataset *ds, const char *path)
{
    if (ds->channels != 3 || ds->height != CIFAR_SIDE || ds->width != CIFAR_SIDE ||
        !ds->labels)
        return mb_fail(MB_EINPUT, "%s: CIFAR-10 batches hold labelled 3x32x32 images, the "
                       "data set is %dx%dx%d%s", path, ds->channels, ds->height, ds->width,
                       ds->labels ? "" : " and unlabelled");
    FILE *f = fopen(path, "wb");
    if (!f)
        return mb_fail(MB_EIO, "%s: cannot create: %s", path, strerror(errno));
    uint8_t rec[CIFAR_RECORD];
    int rc = MB_OK;
    for (int i = 0; i < ds->n && rc == MB_OK; i++) {
        if (ds->labels[i] < 0 || ds->labels[i] >= CIFAR_CLASSES) {
            rc = mb_fail(MB_EINPUT, "%s: image %d has label %d (expected 0..9)", path, i,
                         ds->labels[i]);
            break;
        }
        rec[0] = (uint8_t)ds->labels[i];
        const float *img = ds->images + (size_t)i * CIFAR_PIXELS;
        for (int k = 0; k < CIFAR_PIXELS; k++) {
            float v = img[k] < 0.f ? 0.f : img[k] > 1.f ? 1.f : img[k];
            rec[1 + k] = (uint8_t)(v * 255.f + 0.5f);
        }
        if (fwrite(rec, 1, CIFAR_RECORD, f) != CIFAR_RECORD)
            rc = mb_fail(MB_EIO, "%s: write failed: %s", path, strerror(errno));
    }
    if (fclose(f) != 0 && rc == MB_OK)
        rc = mb_fail(MB_EIO, "%s: write failed while closing: %s", path, strerror(errno));
    return rc;
}
