/* util/files.c — paths that never truncate, readers that open regular files only,
 * writers through a checked temporary file (mb_files.h). */
#include "mb_files.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

int mb_path(char *out, size_t size, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    const int n = vsnprintf(out, size, fmt, ap);
    va_end(ap);
    if (n >= 0 && (size_t)n < size)
        return MB_OK;
    out[size ? size - 1 : 0] = 0;
    return mb_fail(MB_EINPUT, "%.80s...: path of %d bytes is longer than %zu (expected a "
                   "shorter path)", out, n, size - 1);
}

int mb_make_dirs(const char *path)
{
    char buf[MB_PATH_LEN];
    MB_TRY(mb_path(buf, sizeof buf, "%s", path));
    for (char *p = buf + 1;; p++) {
        if (*p && *p != '/')
            continue;
        const char keep = *p;
        *p = 0;
        if (mkdir(buf, 0755) && errno != EEXIST)
            return mb_fail(MB_EIO, "%s: cannot create folder: %s", buf, strerror(errno));
        if (!keep)
            return MB_OK;
        *p = keep;
    }
}

static const char *kind_of(mode_t mode)
{
    return S_ISDIR(mode) ? "a folder" : S_ISFIFO(mode) ? "a FIFO" : S_ISCHR(mode) ? "a device"
         : S_ISBLK(mode) ? "a block device" : S_ISSOCK(mode) ? "a socket" : "not a regular file";
}

int mb_open_regular(const char *path, const char *what, int *fd)
{
    /* O_NONBLOCK: opening a FIFO without a writer must not wait for one */
    *fd = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC);
    if (*fd < 0) {
        const int e = errno;
        return mb_fail(e == EMFILE || e == ENFILE || e == EIO ? MB_EIO : MB_EINPUT,
                       "%s: cannot open the %s: %s", path, what, strerror(e));
    }
    struct stat st;
    if (fstat(*fd, &st)) {
        const int e = errno;
        close(*fd);
        *fd = -1;
        return mb_fail(MB_EIO, "%s: cannot read the %s: %s", path, what, strerror(e));
    }
    if (!S_ISREG(st.st_mode)) {
        close(*fd);
        *fd = -1;
        return mb_fail(MB_EINPUT, "%s: is %s (expected a regular file: the %s)", path,
                       kind_of(st.st_mode), what);
    }
    const int flags = fcntl(*fd, F_GETFL);
    if (flags < 0 || fcntl(*fd, F_SETFL, flags & ~O_NONBLOCK)) {
        close(*fd);
        *fd = -1;
        return mb_fail(MB_EIO, "%s: cannot read the %s: %s", path, what, strerror(errno));
    }
    return MB_OK;
}

int mb_fopen_regular(const char *path, const char *what, FILE **f)
{
    int fd;
    *f = NULL;
    MB_TRY(mb_open_regular(path, what, &fd));
    if (!(*f = fdopen(fd, "rb"))) {
        close(fd);
        return mb_fail(MB_ENOMEM, "%s: cannot read the %s: %s", path, what, strerror(errno));
    }
    return MB_OK;
}

int mb_read_file(const char *path, const char *what, size_t max_bytes, char **out,
                 size_t *len)
{
    int fd;
    *out = NULL;
    *len = 0;
    MB_TRY(mb_open_regular(path, what, &fd));
    size_t cap = 1 << 16, have = 0;
    char *buf = malloc(cap + 1);
    int rc = buf ? MB_OK : mb_fail(MB_ENOMEM, "%s: out of memory reading the %s", path, what);
    while (rc == MB_OK) {
        if (have == cap) { /* grows as data arrive: the size on disk is only a claim */
            if (cap >= max_bytes) {
                rc = mb_fail(MB_EINPUT, "%s: larger than %zu bytes (expected a smaller %s)",
                             path, max_bytes, what);
                break;
            }
            const size_t grown = cap * 2 < max_bytes ? cap * 2 : max_bytes;
            char *bigger = realloc(buf, grown + 1);
            if (!bigger) {
                rc = mb_fail(MB_ENOMEM, "%s: out of memory reading the %s (%zu bytes)", path,
                             what, grown);
                break;
            }
            buf = bigger, cap = grown;
        }
        const ssize_t r = read(fd, buf + have, cap - have);
        if (r < 0 && errno == EINTR)
            continue;
        if (r < 0)
            rc = mb_fail(MB_EIO, "%s: cannot read the %s: %s", path, what, strerror(errno));
        else if (r == 0)
            break;
        else
            have += (size_t)r;
    }
    close(fd);
    if (rc != MB_OK) {
        free(buf);
        return rc;
    }
    buf[have] = 0;
    *out = buf, *len = have;
    return MB_OK;
}

int mb_out_open(mb_out_file *o, const char *path)
{
    memset(o, 0, sizeof *o);
    MB_TRY(mb_path(o->path, sizeof o->path, "%s", path));
    MB_TRY(mb_path(o->tmp, sizeof o->tmp, "%s.tmp", path));
    if (!(o->f = fopen(o->tmp, "wb")))
        return mb_fail(MB_EIO, "%s: cannot write: %s", o->tmp, strerror(errno));
    return MB_OK;
}

int mb_out_close(mb_out_file *o, int rc)
{
    if (!o->f)
        return rc;
    errno = 0;
    const int flush_error = fflush(o->f) != 0, e = errno; /* the reason, e.g. a full disk */
    const int write_error = ferror(o->f) || flush_error;
    const int close_error = fclose(o->f) != 0;
    o->f = NULL;
    if (rc == MB_OK && (write_error || close_error))
        rc = mb_fail(MB_EIO, "%s: cannot write: %s", o->path,
                     e ? strerror(e) : errno ? strerror(errno) : "write error");
    if (rc == MB_OK && rename(o->tmp, o->path))
        rc = mb_fail(MB_EIO, "%s: cannot write: %s", o->path, strerror(errno));
    if (rc != MB_OK)
        unlink(o->tmp);
    return rc;
}
