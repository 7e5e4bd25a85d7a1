/* data/util.c — the in-memory data set (allocate, select, free) and the file and
 * random-stream helpers the readers share. */
#include "data_internal.h"
#include "mb_philox.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

int mb_dataset_alloc(mb_dataset *ds, int n, int channels, int height, int width,
                     int with_labels, int n_attrs)
{
    memset(ds, 0, sizeof *ds);
    if (n <= 0 || channels <= 0 || height <= 0 || width <= 0 || n_attrs < 0 ||
        n_attrs > MB_MAX_ATTRS)
        return mb_fail(MB_EINTERNAL, "data set of %d images %dx%dx%d with %d attributes "
                       "is invalid", n, channels, height, width, n_attrs);
    ds->n = n;
    ds->channels = channels;
    ds->height = height;
    ds->width = width;
    size_t values = (size_t)n * channels * height * width;
    ds->images = mb_host_alloc(values * sizeof(float), "images");
    ds->origin = mb_host_alloc((size_t)n * sizeof(int16_t), "sample origins");
    if (with_labels)
        ds->labels = mb_host_alloc((size_t)n * sizeof(int), "labels");
    if (n_attrs) {
        ds->n_attrs = n_attrs;
        ds->attrs = mb_host_alloc((size_t)n * n_attrs * sizeof(float), "attributes");
    }
    if (!ds->images || !ds->origin || (with_labels && !ds->labels) ||
        (n_attrs && !ds->attrs)) {
        mb_dataset_free(ds);
        return MB_ENOMEM;
    }
    return MB_OK; /* origin is all zero: MB_ORIGIN_REAL */
}

void mb_dataset_free(mb_dataset *ds)
{
    if (!ds)
        return;
    free(ds->images);
    free(ds->pixels);
    free(ds->labels);
    free(ds->origin);
    free(ds->attrs);
    free(ds->class_names);
    memset(ds, 0, sizeof *ds);
}

void mb_dataset_pixels_to_images(mb_dataset *ds)
{
    size_t values = (size_t)ds->n * mb_dataset_image_size(ds);
    for (size_t k = 0; k < values; k++)
        ds->images[k] = ds->pixels[k] / 255.0f; /* exactly k / 255, as writers expect */
}

int mb_dataset_select(mb_dataset *dst, const mb_dataset *src, const int *idx, int n)
{
    MB_TRY(mb_dataset_alloc(dst, n, src->channels, src->height, src->width,
                            src->labels != NULL, src->n_attrs));
    size_t per = mb_dataset_image_size(src);
    if (src->pixels && !(dst->pixels = mb_host_alloc((size_t)n * per, "pixels"))) {
        mb_dataset_free(dst);
        return MB_ENOMEM;
    }
    if (src->class_names && src->n_classes > 0) {
        dst->class_names = mb_host_alloc((size_t)src->n_classes * MB_MAX_CLASS_NAME,
                                         "class names");
        if (!dst->class_names) {
            mb_dataset_free(dst);
            return MB_ENOMEM;
        }
        memcpy(dst->class_names, src->class_names, (size_t)src->n_classes * MB_MAX_CLASS_NAME);
    }
    for (int i = 0; i < n; i++) {
        int j = idx[i];
        memcpy(dst->images + (size_t)i * per, src->images + (size_t)j * per,
               per * sizeof(float));
        if (src->pixels)
            memcpy(dst->pixels + (size_t)i * per, src->pixels + (size_t)j * per, per);
        if (src->labels)
            dst->labels[i] = src->labels[j];
        dst->origin[i] = src->origin ? src->origin[j] : MB_ORIGIN_REAL;
        if (src->n_attrs)
            memcpy(dst->attrs + (size_t)i * src->n_attrs,
                   src->attrs + (size_t)j * src->n_attrs, src->n_attrs * sizeof(float));
    }
    dst->n_classes = src->n_classes;
    memcpy(dst->attr_names, src->attr_names, sizeof dst->attr_names);
    memcpy(dst->source, src->source, sizeof dst->source);
    return MB_OK;
}

int mb_dataset_class_counts(const mb_dataset *ds, long *counts)
{
    if (!ds->labels || ds->n_classes <= 0)
        return mb_fail(MB_EINPUT, "%s: data set has no labels (expected a labelled set)",
                       ds->source);
    memset(counts, 0, (size_t)ds->n_classes * sizeof(long));
    for (int i = 0; i < ds->n; i++)
        if (ds->labels[i] >= 0 && ds->labels[i] < ds->n_classes)
            counts[ds->labels[i]]++;
    return MB_OK;
}

int mb_data_set_class_names(mb_dataset *ds, const char *const *names, int n)
{
    free(ds->class_names);
    ds->class_names = mb_host_alloc((size_t)n * MB_MAX_CLASS_NAME, "class names");
    if (!ds->class_names)
        return MB_ENOMEM;
    for (int k = 0; k < n; k++)
        snprintf(ds->class_names[k], MB_MAX_CLASS_NAME, "%s", names[k]);
    return MB_OK;
}

/* ---- files ---- */

int mb_data_gzopen(gzFile *f, const char *path)
{
    int fd;
    *f = NULL;
    MB_TRY(mb_open_regular(path, "data file", &fd));
    *f = gzdopen(fd, "rb");
    if (!*f) {
        close(fd);
        return mb_fail(MB_ENOMEM, "%s: out of memory opening the data file", path);
    }
    gzbuffer(*f, 1 << 17);
    return MB_OK;
}

/* zlib's message without the "path: " it puts in front. */
static const char *gz_message(gzFile f, const char *path)
{
    int errnum;
    const char *msg = gzerror(f, &errnum);
    if (errnum == Z_ERRNO)
        return strerror(errno);
    size_t n = strlen(path);
    if (!strncmp(msg, path, n) && !strncmp(msg + n, ": ", 2))
        msg += n + 2;
    return msg;
}

int mb_data_gzread(gzFile f, const char *path, const char *what, void *buf, size_t n,
                   size_t *got)
{
    uint8_t *p = buf;
    *got = 0;
    while (*got < n) {
        size_t left = n - *got;
        unsigned chunk = left > (1u << 30) ? (1u << 30) : (unsigned)left;
        int r = gzread(f, p + *got, chunk);
        int errnum;
        gzerror(f, &errnum);
        /* A short read is the end of the input, or a broken gzip stream: zlib
         * reports "unexpected end of file" for a stream that stops early and
         * a data error for corrupt deflate data or a wrong CRC. */
        if (r < 0 || (r < (int)chunk && errnum != Z_OK))
            return mb_fail(MB_EINPUT, "%s: corrupt or truncated gzip stream (%s) in the %s "
                           "(expected a complete gzip file, or an uncompressed one)", path,
                           gz_message(f, path), what);
        *got += (size_t)r;
        if (r < (int)chunk)
            break;
    }
    return MB_OK;
}

int mb_data_gzread_payload(gzFile f, const char *path, const char *what, size_t expected,
                           uint8_t **out)
{
    *out = NULL;
    /* Start small: the header's size is only a claim until the data arrive. */
    size_t cap = expected < ((size_t)1 << 16) ? expected : ((size_t)1 << 16);
    size_t have = 0;
    uint8_t *buf = malloc(cap);
    if (!buf)
        return mb_fail(MB_ENOMEM, "out of host memory: %s of %s needs %zu bytes", what, path,
                       cap);
    for (;;) {
        size_t got;
        int rc = mb_data_gzread(f, path, what, buf + have, cap - have, &got);
        if (rc != MB_OK) {
            free(buf);
            return rc;
        }
        have += got;
        if (have < cap) {
            free(buf);
            return mb_fail(MB_EINPUT, "%s: truncated: %zu bytes of %s, the header promises "
                           "%zu", path, have, what, expected);
        }
        if (have == expected)
            break;
        size_t grown = cap * 2 < expected ? cap * 2 : expected;
        uint8_t *bigger = realloc(buf, grown);
        if (!bigger) {
            free(buf);
            return mb_fail(MB_ENOMEM, "out of host memory: %s of %s needs %zu bytes", what,
                           path, expected);
        }
        buf = bigger;
        cap = grown;
    }
    uint8_t extra[64];
    size_t got;
    int rc = mb_data_gzread(f, path, what, extra, sizeof extra, &got);
    if (rc == MB_OK && got > 0)
        rc = mb_fail(MB_EINPUT, "%s: unexpected data after the %zu bytes of %s the header "
                     "promises (expected the file to end there)", path, expected, what);
    if (rc != MB_OK) {
        free(buf);
        return rc;
    }
    *out = buf;
    return MB_OK;
}

int mb_data_read_all(const char *path, const char *what, size_t max_bytes, uint8_t **out,
                     size_t *len)
{
    gzFile f;
    *out = NULL;
    *len = 0;
    MB_TRY(mb_data_gzopen(&f, path));
    size_t cap = (size_t)1 << 16, have = 0;
    uint8_t *buf = malloc(cap);
    int rc = buf ? MB_OK : mb_fail(MB_ENOMEM, "out of host memory reading %s", path);
    while (rc == MB_OK) {
        size_t got;
        rc = mb_data_gzread(f, path, what, buf + have, cap - have, &got);
        have += got;
        if (rc != MB_OK || have < cap)
            break;
        if (cap >= max_bytes) {
            rc = mb_fail(MB_EINPUT, "%s: larger than %zu bytes (expected a smaller %s)", path,
                         max_bytes, what);
            break;
        }
        size_t grown = cap * 2 < max_bytes ? cap * 2 : max_bytes;
        uint8_t *bigger = realloc(buf, grown);
        if (!bigger) {
            rc = mb_fail(MB_ENOMEM, "out of host memory reading %s", path);
            break;
        }
        buf = bigger;
        cap = grown;
    }
    gzclose(f);
    if (rc != MB_OK) {
        free(buf);
        return rc;
    }
    *out = buf;
    *len = have;
    return MB_OK;
}

int mb_data_has_suffix(const char *s, const char *suffix)
{
    size_t n = strlen(s), m = strlen(suffix);
    return n >= m && !strcmp(s + n - m, suffix);
}

int mb_data_is_dir(const char *path)
{
    struct stat st;
    return stat(path, &st) == 0 && S_ISDIR(st.st_mode);
}

int mb_data_is_file(const char *path)
{
    struct stat st;
    return stat(path, &st) == 0 && S_ISREG(st.st_mode);
}

/* ---- random streams ---- */

uint64_t mb_data_stream(uint64_t seed, uint64_t purpose)
{
    /* splitmix64 finaliser: distinct purposes give unrelated Philox keys. */
    uint64_t z = seed + 0x9E3779B97F4A7C15ull * (purpose + 1);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
}

void mb_data_permutation(int *perm, int n, uint64_t stream)
{
    for (int i = 0; i < n; i++)
        perm[i] = i;
    for (int i = n - 1; i > 0; i--) {
        int j = (int)(mb_uniform_at(stream, (uint64_t)i) * (i + 1)); /* in 0..i+1 */
        if (j > i)
            j = i; /* uniform is in (0, 1], 1 maps to i + 1 */
        int t = perm[i];
        perm[i] = perm[j];
        perm[j] = t;
    }
}
