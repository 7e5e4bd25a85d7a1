/* data/idx.c — IDX files (LeCun's MNIST format, also Fashion-MNIST, KMNIST, EMNIST),
 * raw or gzip-compressed: idx3 unsigned-byte images [n, rows, cols] and idx1
 * unsigned-byte labels [n]. Big-endian header: 0, 0, type (0x08 = ubyte),
 * number of dimensions, then one uint32 per dimension. */
#include "data_internal.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define IDX_UBYTE 0x08

static uint32_t be32(const uint8_t *p)
{
    return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

/* Reads the magic and dimensions; want_dims is 3 (images) or 1 (labels). */
static int read_header(gzFile f, const char *path, int want_dims, uint32_t *dims)
{
    uint8_t head[16];
    size_t need = 4 + 4 * (size_t)want_dims, got;
    MB_TRY(mb_data_gzread(f, path, "IDX header", head, 4, &got));
    if (got < 4)
        return mb_fail(MB_EINPUT, "%s: truncated: %zu bytes, shorter than the 4-byte IDX "
                       "magic number", path, got);
    if (head[0] != 0 || head[1] != 0)
        return mb_fail(MB_EINPUT, "%s: wrong magic number 0x%02x%02x%02x%02x (expected an "
                       "IDX file: 0x0000%02x%02x)", path, head[0], head[1], head[2], head[3],
                       IDX_UBYTE, want_dims);
    if (head[2] != IDX_UBYTE)
        return mb_fail(MB_EINPUT, "%s: IDX data type 0x%02x is not supported (expected "
                       "0x08, unsigned bytes)", path, head[2]);
    if (head[3] != want_dims)
        return mb_fail(MB_EINPUT, "%s: IDX file has %d dimensions (expected %d: %s)", path,
                       head[3], want_dims,
                       want_dims == 3 ? "images idx3 [n, rows, cols]" : "labels idx1 [n]");
    MB_TRY(mb_data_gzread(f, path, "IDX header", head + 4, need - 4, &got));
    if (got < need - 4)
        return mb_fail(MB_EINPUT, "%s: truncated: the IDX header ends after %zu of %zu bytes",
                       path, 4 + got, need);
    for (int d = 0; d < want_dims; d++)
        dims[d] = be32(head + 4 + 4 * d);
    if (dims[0] == 0)
        return mb_fail(MB_EINPUT, "%s: contains 0 %s (expected at least 1)", path,
                       want_dims == 3 ? "images" : "labels");
    if (dims[0] > MB_DATA_MAX_IMAGES)
        return mb_fail(MB_EINPUT, "%s: header claims %u items (expected at most %ld)", path,
                       dims[0], MB_DATA_MAX_IMAGES);
    for (int d = 1; d < want_dims; d++)
        if (dims[d] == 0 || dims[d] > MB_DATA_MAX_SIDE)
            return mb_fail(MB_EINPUT, "%s: image size %ux%u is invalid (expected sides "
                           "1..%d)", path, dims[1], dims[2], MB_DATA_MAX_SIDE);
    return MB_OK;
}

static int read_images(mb_dataset *ds, const char *path)
{
    gzFile f;
    MB_TRY(mb_data_gzopen(&f, path));
    uint32_t dims[3];
    int rc = read_header(f, path, 3, dims);
    if (rc == MB_OK) {
        size_t bytes = (size_t)dims[0] * dims[1] * dims[2];
        uint8_t *pixels = NULL;
        rc = mb_data_gzread_payload(f, path, "image data", bytes, &pixels);
        if (rc == MB_OK) {
            rc = mb_dataset_alloc(ds, (int)dims[0], 1, (int)dims[1], (int)dims[2], 0, 0);
            if (rc == MB_OK) {
                ds->pixels = pixels;
                mb_dataset_pixels_to_images(ds);
            } else {
                free(pixels);
            }
        }
    }
    gzclose(f);
    return rc;
}

static int read_labels(mb_dataset *ds, const char *path)
{
    gzFile f;
    MB_TRY(mb_data_gzopen(&f, path));
    uint32_t n;
    int rc = read_header(f, path, 1, &n);
    uint8_t *bytes = NULL;
    if (rc == MB_OK && (int)n != ds->n)
        rc = mb_fail(MB_EINPUT, "%s: has %u labels but the images file has %d images "
                     "(expected the same count)", path, n, ds->n);
    if (rc == MB_OK)
        rc = mb_data_gzread_payload(f, path, "label data", n, &bytes);
    gzclose(f);
    if (rc != MB_OK)
        return rc;
    ds->labels = mb_host_alloc((size_t)n * sizeof(int), "labels");
    if (!ds->labels) {
        free(bytes);
        return MB_ENOMEM;
    }
    int max_label = 0;
    for (uint32_t i = 0; i < n; i++) {
        ds->labels[i] = bytes[i];
        if (bytes[i] > max_label)
            max_label = bytes[i];
    }
    ds->n_classes = max_label + 1;
    free(bytes);
    return MB_OK;
}

int mb_idx_read(mb_dataset *ds, const char *images_path, const char *labels_path)
{
    memset(ds, 0, sizeof *ds);
    int rc = read_images(ds, images_path);
    if (rc == MB_OK && labels_path)
        rc = read_labels(ds, labels_path);
    if (rc != MB_OK) {
        mb_dataset_free(ds);
        return rc;
    }
    snprintf(ds->source, sizeof ds->source, "%s", images_path);
    return MB_OK;
}

/* ---- writer ---- */

static int put(gzFile f, const char *path, const void *buf, size_t n)
{
    const uint8_t *p = buf;
    while (n) {
        unsigned chunk = n > (1u << 30) ? (1u << 30) : (unsigned)n;
        int w = gzwrite(f, p, chunk);
        if (w <= 0) {
            int errnum;
            const char *msg = gzerror(f, &errnum);
            return mb_fail(MB_EIO, "%s: write failed: %s",
                           path, errnum == Z_ERRNO ? strerror(errno) : msg);
        }
        p += w;
        n -= (size_t)w;
    }
    return MB_OK;
}

static int open_write(gzFile *f, const char *path)
{
    /* "wT": no compression (transparent) unless the name asks for gzip. */
    *f = gzopen(path, mb_data_has_suffix(path, ".gz") ? "wb6" : "wbT");
    if (!*f)
        return mb_fail(MB_EIO, "%s: cannot create: %s", path, strerror(errno));
    return MB_OK;
}

/* Closes the file; a file that failed is removed, never left half written. */
static int close_write(gzFile f, const char *path, int rc)
{
    errno = 0;
    int crc = gzclose(f);
    if (rc == MB_OK && crc != Z_OK)
        rc = mb_fail(MB_EIO, "%s: write failed while closing: %s", path,
                     crc == Z_ERRNO && errno ? strerror(errno) : "zlib error");
    if (rc != MB_OK)
        unlink(path);
    return rc;
}

static void be32_put(uint8_t *p, uint32_t v)
{
    p[0] = (uint8_t)(v >> 24);
    p[1] = (uint8_t)(v >> 16);
    p[2] = (uint8_t)(v >> 8);
    p[3] = (uint8_t)v;
}

int mb_idx_write(const mb_dataset *ds, const char *images_path, const char *labels_path)
{
    if (ds->channels != 1)
        return mb_fail(MB_EINPUT, "%s: IDX holds gray images only, the data set has %d "
                       "channels (expected 1; write a PNG folder instead)", images_path,
                       ds->channels);
    if (ds->n <= 0)
        return mb_fail(MB_EINPUT, "%s: data set is empty (expected at least 1 image)",
                       images_path);
    size_t per = mb_dataset_image_size(ds);
    uint8_t *row = mb_host_alloc(per, "IDX row");
    if (!row)
        return MB_ENOMEM;
    gzFile f;
    int rc = open_write(&f, images_path);
    if (rc != MB_OK) {
        free(row);
        return rc;
    }
    uint8_t head[16] = {0, 0, IDX_UBYTE, 3};
    be32_put(head + 4, (uint32_t)ds->n);
    be32_put(head + 8, (uint32_t)ds->height);
    be32_put(head + 12, (uint32_t)ds->width);
    rc = put(f, images_path, head, 16);
    for (int i = 0; i < ds->n && rc == MB_OK; i++) {
        const float *img = ds->images + (size_t)i * per;
        for (size_t k = 0; k < per; k++) {
            float v = img[k] < 0.f ? 0.f : img[k] > 1.f ? 1.f : img[k];
            row[k] = (uint8_t)(v * 255.f + 0.5f);
        }
        rc = put(f, images_path, row, per);
    }
    free(row);
    rc = close_write(f, images_path, rc);
    if (rc != MB_OK || !labels_path || !ds->labels)
        return rc;
    rc = open_write(&f, labels_path);
    if (rc != MB_OK)
        return rc;
    uint8_t lhead[8] = {0, 0, IDX_UBYTE, 1};
    be32_put(lhead + 4, (uint32_t)ds->n);
    rc = put(f, labels_path, lhead, 8);
    for (int i = 0; i < ds->n && rc == MB_OK; i++) {
        if (ds->labels[i] < 0 || ds->labels[i] > 255) {
            rc = mb_fail(MB_EINPUT, "%s: label %d of image %d does not fit IDX ubyte "
                         "(expected 0..255)", labels_path, ds->labels[i], i);
            break;
        }
        uint8_t b = (uint8_t)ds->labels[i];
        rc = put(f, labels_path, &b, 1);
    }
    rc = close_write(f, labels_path, rc);
    if (rc != MB_OK)
        unlink(images_path); /* a pair or nothing */
    return rc;
}
