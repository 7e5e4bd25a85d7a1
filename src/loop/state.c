/* loop/state.c — what a run must keep to continue after a crash: the generations
 * done, their metric rows, and the curated synthetic pool. Written after every
 * generation to a temporary file, fsync'ed and renamed, with a CRC-32. */
#include "loop_state.h"
#include "mb_files.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <zlib.h>

#define STATE_MAGIC "MBSTATE1"
#define MB_STATE_MAX_SIDE 16384 /* as the data readers */

typedef struct {
    unsigned char *data;
    size_t len, cap;
    int failed;
} buffer;

static void put(buffer *b, const void *p, size_t n)
{
    if (b->failed)
        return;
    if (b->len + n > b->cap) {
        size_t cap = b->cap ? b->cap : 1 << 16;
        while (cap < b->len + n)
            cap *= 2;
        unsigned char *bigger = realloc(b->data, cap);
        if (!bigger) {
            b->failed = 1;
            return;
        }
        b->data = bigger, b->cap = cap;
    }
    memcpy(b->data + b->len, p, n);
    b->len += n;
}

static void put_string(buffer *b, const char *s)
{
    const uint32_t n = s ? (uint32_t)strlen(s) : 0;
    put(b, &n, sizeof n);
    put(b, s, n);
}

void mb_loop_state_free(mb_loop_state *s)
{
    for (int g = 0; g < MB_LOOP_MAX_ROWS; g++) {
        free(s->csv_rows[g]);
        free(s->json_rows[g]);
    }
    mb_dataset_free(&s->pool);
    memset(s, 0, sizeof *s);
}

int mb_loop_state_save(const mb_loop_state *s, const char *path)
{
    buffer b = {0};
    const uint32_t version = 2;
    char *header = mb_row_text(NULL, MB_ROW_CSV_HEADER);
    put(&b, STATE_MAGIC, 8);
    put(&b, &version, sizeof version);
    put_string(&b, header);
    b.failed |= !header;
    free(header);
    put(&b, &s->config_hash, sizeof s->config_hash);
    put(&b, &s->generations_done, sizeof s->generations_done);
    put(&b, s->seconds, sizeof s->seconds);
    for (int g = 0; g <= s->generations_done; g++) {
        put_string(&b, s->csv_rows[g]);
        put_string(&b, s->json_rows[g]);
    }
    const mb_dataset *p = &s->pool;
    const int32_t shape[4] = {p->n, p->channels, p->height, p->width};
    put(&b, shape, sizeof shape);
    const size_t values = (size_t)p->n * p->channels * p->height * p->width;
    if (p->n) {
        put(&b, p->images, values * sizeof(float));
        put(&b, p->origin, (size_t)p->n * sizeof *p->origin);
    }
    const uint32_t crc = (uint32_t)crc32(0L, b.data, (uInt)b.len);
    put(&b, &crc, sizeof crc);
    if (b.failed) {
        free(b.data);
        return mb_fail(MB_ENOMEM, "out of memory writing the run state");
    }

    char tmp[MB_PATH_LEN];
    int rc = mb_path(tmp, sizeof tmp, "%s.tmp", path);
    if (rc != MB_OK) {
        free(b.data);
        return rc;
    }
    int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (fd < 0)
        rc = mb_fail(MB_EIO, "%s: cannot create: %s", tmp, strerror(errno));
    for (size_t done = 0; rc == MB_OK && done < b.len;) {
        const ssize_t w = write(fd, b.data + done, b.len - done);
        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0)
            rc = mb_fail(MB_EIO, "%s: write failed: %s", tmp, strerror(errno));
        else
            done += (size_t)w;
    }
    if (rc == MB_OK && fsync(fd))
        rc = mb_fail(MB_EIO, "%s: fsync failed: %s", tmp, strerror(errno));
    if (fd >= 0 && close(fd) && rc == MB_OK)
        rc = mb_fail(MB_EIO, "%s: close failed: %s", tmp, strerror(errno));
    if (rc == MB_OK && rename(tmp, path))
        rc = mb_fail(MB_EIO, "%s: cannot rename: %s", tmp, strerror(errno));
    if (rc != MB_OK && fd >= 0)
        unlink(tmp); /* no half-written state left behind */
    free(b.data);
    return rc;
}

typedef struct {
    const unsigned char *p, *end;
} reader;

static int get(reader *r, void *out, size_t n)
{
    if ((size_t)(r->end - r->p) < n)
        return 0;
    memcpy(out, r->p, n);
    r->p += n;
    return 1;
}

static char *get_string(reader *r)
{
    uint32_t n;
    if (!get(r, &n, sizeof n) || (size_t)(r->end - r->p) < n)
        return NULL;
    char *s = malloc((size_t)n + 1);
    if (s) {
        memcpy(s, r->p, n);
        s[n] = 0;
    }
    r->p += n;
    return s;
}

int mb_loop_state_load(mb_loop_state *s, const char *path, uint64_t config_hash,
                       int max_generations, long max_pool)
{
    memset(s, 0, sizeof *s);
    char *data;
    size_t len;
    MB_TRY(mb_read_file(path, "run state", (size_t)1 << 40, &data, &len));
    int rc = MB_OK;
    uint32_t stored, version = 0;
    reader r = {(unsigned char *)data, (unsigned char *)data + len};
    if (len < 12 || memcmp(data, STATE_MAGIC, 8)) {
        rc = mb_fail(MB_EINPUT, "%s: not a madbench run state (%zu bytes, expected the "
                     "'%s' header)", path, len, STATE_MAGIC);
        goto done;
    }
    memcpy(&stored, data + len - 4, 4);
    if (stored != (uint32_t)crc32(0L, (const Bytef *)data, (uInt)(len - 4))) {
        rc = mb_fail(MB_EINPUT, "%s: checksum mismatch: the run state is corrupt", path);
        goto done;
    }
    r.p += 8;
    r.end -= 4;
    get(&r, &version, sizeof version);
    /* the rows are kept as text: a state whose rows have other columns than this
     * build writes cannot be continued */
    char *stored_header = version == 2 ? get_string(&r) : NULL;
    char *header = mb_row_text(NULL, MB_ROW_CSV_HEADER);
    const int same_columns = stored_header && header && !strcmp(stored_header, header);
    free(stored_header);
    if (!header) {
        rc = mb_fail(MB_ENOMEM, "out of memory reading the run state");
        goto done;
    }
    free(header);
    if (!same_columns) {
        rc = mb_fail(MB_EINPUT, "%s: written by a madbench with other metric columns (state "
                     "version %u); start a new run", path, (unsigned)version);
        goto done;
    }
    if (!get(&r, &s->config_hash, sizeof s->config_hash) ||
        !get(&r, &s->generations_done, sizeof s->generations_done) ||
        !get(&r, s->seconds, sizeof s->seconds) || s->generations_done < 0 ||
        s->generations_done >= MB_LOOP_MAX_ROWS) {
        rc = mb_fail(MB_EINPUT, "%s: unreadable run state header", path);
        goto done;
    }
    if (s->config_hash != config_hash) {
        rc = mb_fail(MB_EINPUT, "%s: the run's configuration changed since it started "
                     "(expected the config.ini saved in the run folder)", path);
        goto done;
    }
    if (s->generations_done > max_generations) {
        rc = mb_fail(MB_EINPUT, "%s: %d generations done, but the run has %d (expected the "
                     "run state of this run)", path, s->generations_done, max_generations);
        goto done;
    }
    for (int g = 0; g <= s->generations_done; g++) {
        s->csv_rows[g] = get_string(&r);
        s->json_rows[g] = get_string(&r);
        if (!s->csv_rows[g] || !s->json_rows[g]) {
            rc = mb_fail(MB_EINPUT, "%s: truncated metric rows", path);
            goto done;
        }
    }
    /* every field checked before anything is allocated: the pool must be what this
     * configuration can make, and the file must hold all of it and nothing more */
    int32_t shape[4];
    if (!get(&r, shape, sizeof shape) || shape[0] < 0 || shape[0] > max_pool ||
        (shape[0] > 0 && (shape[1] < 1 || shape[1] > 4 || shape[2] < 1 ||
                          shape[2] > MB_STATE_MAX_SIDE || shape[3] < 1 ||
                          shape[3] > MB_STATE_MAX_SIDE))) {
        rc = mb_fail(MB_EINPUT, "%s: the pool's shape is invalid for this run (expected at "
                     "most %ld images of 1..4 channels)", path, max_pool);
        goto done;
    }
    mb_dataset *p = &s->pool;
    p->channels = shape[1], p->height = shape[2], p->width = shape[3];
    if (shape[0] > 0) {
        const size_t values = (size_t)shape[0] * shape[1] * shape[2] * shape[3];
        const size_t bytes = values * sizeof(float) + (size_t)shape[0] * sizeof *p->origin;
        if ((size_t)(r.end - r.p) != bytes) {
            rc = mb_fail(MB_EINPUT, "%s: the pool of %d images needs %zu bytes, the file "
                         "holds %zu (truncated or corrupt)", path, shape[0], bytes,
                         (size_t)(r.end - r.p));
            goto done;
        }
        if ((rc = mb_dataset_alloc(p, shape[0], shape[1], shape[2], shape[3], 0, 0)) != MB_OK)
            goto done;
        get(&r, p->images, values * sizeof(float));
        get(&r, p->origin, (size_t)p->n * sizeof *p->origin);
    } else if (r.p != r.end) {
        rc = mb_fail(MB_EINPUT, "%s: unexpected data after the run state", path);
    }
done:
    free(data);
    if (rc != MB_OK)
        mb_loop_state_free(s);
    return rc;
}
