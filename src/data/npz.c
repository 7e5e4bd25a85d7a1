/* data/npz.c — .npz archives (numpy.savez / savez_compressed): a zip file whose
 * member KEY.npy holds array KEY. The zip container goes through libzip (stored
 * or deflated members, CRC checked), on a regular file opened the one checked way
 * (mb_files.h); the members are .npy images (npy.c). libzip writes an archive to a
 * temporary file and renames it on zip_close, as mb_out_file does. */
#include "data_internal.h"
#include "mb_npy.h"

#include "mb_files.h"

#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <zip.h>

#define NPZ_MAX_MEMBER ((zip_uint64_t)1 << 40)

static int open_archive(const char *path, zip_t **z)
{
    int fd, code = 0;
    MB_TRY(mb_open_regular(path, "NumPy .npz archive", &fd));
    if ((*z = zip_fdopen(fd, 0, &code))) /* the archive owns fd from here */
        return MB_OK;
    close(fd);
    zip_error_t e;
    zip_error_init_with_code(&e, code);
    int rc = mb_fail(MB_EINPUT, "%s: %s (expected a NumPy .npz archive)", path,
                     zip_error_strerror(&e));
    zip_error_fini(&e);
    return rc;
}

/* Reads the whole member into a buffer that grows as data arrives, so that a
 * size claimed by a corrupt directory cannot make us allocate much. */
static int read_member(zip_t *z, const char *path, const char *member, zip_uint64_t size,
                       uint8_t **out)
{
    zip_file_t *f = zip_fopen(z, member, 0);
    if (!f)
        return mb_fail(MB_EINPUT, "%s: member %s cannot be opened (%s)", path, member,
                       zip_strerror(z));
    size_t cap = size < (1u << 16) ? (size_t)size + 1 : (size_t)1 << 16, have = 0;
    uint8_t *buf = malloc(cap);
    int rc = buf ? MB_OK : mb_fail(MB_ENOMEM, "out of host memory reading %s", path);
    while (rc == MB_OK) {
        const zip_int64_t got = zip_fread(f, buf + have, cap - have);
        if (got < 0) {
            rc = mb_fail(MB_EINPUT, "%s: member %s is corrupt (%s)", path, member,
                         zip_error_strerror(zip_file_get_error(f)));
            break;
        }
        have += (size_t)got;
        if (have > size) {
            rc = mb_fail(MB_EINPUT, "%s: member %s holds more than the %llu bytes its "
                         "directory entry says", path, member, (unsigned long long)size);
            break;
        }
        if (got == 0)
            break;
        if (have == cap) {
            const size_t grown = cap * 2 > size + 1 ? (size_t)size + 1 : cap * 2;
            uint8_t *bigger = realloc(buf, grown);
            if (!bigger) {
                rc = mb_fail(MB_ENOMEM, "out of host memory reading %s", path);
                break;
            }
            buf = bigger;
            cap = grown;
        }
    }
    zip_fclose(f);
    if (rc == MB_OK && have != size)
        rc = mb_fail(MB_EINPUT, "%s: member %s holds %zu bytes, its directory entry says %llu",
                     path, member, have, (unsigned long long)size);
    if (rc != MB_OK) {
        free(buf);
        return rc;
    }
    *out = buf;
    return MB_OK;
}

int mb_npz_read(const char *path, const char *key, mb_npy_array *out)
{
    memset(out, 0, sizeof *out);
    char member[256], name[1300];
    if (snprintf(member, sizeof member, "%s.npy", key) >= (int)sizeof member)
        return mb_fail(MB_EINTERNAL, "npz key '%s' too long", key);
    zip_t *z;
    MB_TRY(open_archive(path, &z));
    zip_stat_t st;
    zip_stat_init(&st);
    int rc = MB_OK;
    if (zip_stat(z, member, 0, &st) != 0 || !(st.valid & ZIP_STAT_SIZE))
        rc = mb_fail(MB_EINPUT, "%s: no array '%s' (expected pytorch-fid's statistics: "
                     "members mu.npy and sigma.npy)", path, key);
    else if (st.size > NPZ_MAX_MEMBER)
        rc = mb_fail(MB_EINPUT, "%s: member %s claims %llu bytes (expected at most %llu)", path,
                     member, (unsigned long long)st.size, (unsigned long long)NPZ_MAX_MEMBER);
    uint8_t *buf = NULL;
    if (rc == MB_OK)
        rc = read_member(z, path, member, st.size, &buf);
    zip_discard(z);
    if (rc != MB_OK)
        return rc;
    snprintf(name, sizeof name, "%s:%s", path, member);
    rc = mb_npy_decode(buf, (size_t)st.size, name, out);
    free(buf);
    return rc;
}

/* Adds array `key` (float64) to the archive; the buffer is handed to libzip. */
static int add_member(zip_t *z, const char *path, const char *key, const double *x, int ndim,
                      const long *shape)
{
    char header[256], member[64];
    const size_t h = mb_npy_header(header, sizeof header, 8, ndim, shape);
    const size_t count = (size_t)shape[0] * (ndim == 2 ? (size_t)shape[1] : 1);
    uint8_t *buf = mb_host_alloc(h + count * sizeof(double), "npz member");
    if (!buf)
        return MB_ENOMEM;
    memcpy(buf, header, h);
    memcpy(buf + h, x, count * sizeof(double));
    zip_source_t *src = zip_source_buffer(z, buf, h + count * sizeof(double), 1);
    if (!src) {
        free(buf);
        return mb_fail(MB_ENOMEM, "%s: %s", path, zip_strerror(z));
    }
    snprintf(member, sizeof member, "%s.npy", key);
    if (zip_file_add(z, member, src, ZIP_FL_OVERWRITE | ZIP_FL_ENC_UTF_8) < 0) {
        zip_source_free(src);
        return mb_fail(MB_EIO, "%s: cannot add %s (%s)", path, member, zip_strerror(z));
    }
    return MB_OK;
}

int mb_npz_write_stats(const char *path, const double *mu, const double *sigma, int d)
{
    int code = 0;
    /* libzip writes a temporary file and renames it on zip_close: never half a file */
    zip_t *z = zip_open(path, ZIP_CREATE | ZIP_TRUNCATE, &code);
    if (!z) {
        zip_error_t e;
        zip_error_init_with_code(&e, code);
        int rc = mb_fail(MB_EIO, "%s: cannot write (%s)", path, zip_error_strerror(&e));
        zip_error_fini(&e);
        return rc;
    }
    const long mu_shape[1] = {d}, sigma_shape[2] = {d, d};
    int rc = add_member(z, path, "mu", mu, 1, mu_shape);
    if (rc == MB_OK)
        rc = add_member(z, path, "sigma", sigma, 2, sigma_shape);
    if (rc != MB_OK) {
        zip_discard(z);
        return rc;
    }
    if (zip_close(z) != 0) {
        rc = mb_fail(MB_EIO, "%s: cannot write (%s)", path, zip_strerror(z));
        zip_discard(z);
    }
    return rc;
}
