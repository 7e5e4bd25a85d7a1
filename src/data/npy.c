/* data/npy.c — the .npy format (NumPy's numpy/lib/format.py, NEP 1): the magic
 * "\x93NUMPY", major and minor version, the header length (2 bytes little-endian
 * in version 1, 4 in versions 2 and 3), then the header, a Python dict literal
 * such as {'descr': '<f4', 'fortran_order': False, 'shape': (100, 64), } padded
 * with spaces and ended by a newline, then the values. The header is parsed here
 * by a small tokenizer that accepts exactly that grammar. */
#include "data_internal.h"
#include "mb_files.h"
#include "mb_npy.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#if !defined(__BYTE_ORDER__) || __BYTE_ORDER__ != __ORDER_LITTLE_ENDIAN__
#error "the .npy reader and writer assume a little-endian host ('<f4', '<f8')"
#endif

#define NPY_MAGIC "\x93NUMPY"
#define NPY_MAX_HEADER 100000          /* NumPy's own reader stops at 10000 */
#define NPY_MAX_FILE ((size_t)1 << 40) /* 1 TiB: never a real limit, but a bound */

void mb_npy_free(mb_npy_array *a)
{
    free(a->data);
    memset(a, 0, sizeof *a);
}

int mb_npy_is_npy_name(const char *path)
{
    return mb_data_has_suffix(path, ".npy");
}

int mb_npy_is_npz_name(const char *path)
{
    return mb_data_has_suffix(path, ".npz");
}

/* ---- the header dict ---- */

typedef struct {
    const char *p, *end;
} cursor;

static void skip_space(cursor *c)
{
    while (c->p < c->end && (*c->p == ' ' || *c->p == '\t' || *c->p == '\n' || *c->p == '\r'))
        c->p++;
}

static int take(cursor *c, char ch)
{
    skip_space(c);
    if (c->p < c->end && *c->p == ch) {
        c->p++;
        return 1;
    }
    return 0;
}

/* A quoted string without escapes (no value madbench accepts needs one). */
static int take_string(cursor *c, char *out, size_t cap)
{
    skip_space(c);
    if (c->p >= c->end || (*c->p != '\'' && *c->p != '"'))
        return 0;
    const char quote = *c->p++;
    size_t n = 0;
    while (c->p < c->end && *c->p != quote) {
        if (*c->p == '\\' || n + 1 >= cap)
            return 0;
        out[n++] = *c->p++;
    }
    if (c->p >= c->end)
        return 0;
    c->p++;
    out[n] = 0;
    return 1;
}

static int take_word(cursor *c, const char *word)
{
    skip_space(c);
    const size_t n = strlen(word);
    if ((size_t)(c->end - c->p) >= n && !memcmp(c->p, word, n)) {
        c->p += n;
        return 1;
    }
    return 0;
}

/* A non-negative decimal integer up to MB_NPY_MAX_DIM. */
static int take_dim(cursor *c, long *v)
{
    skip_space(c);
    if (c->p >= c->end || *c->p < '0' || *c->p > '9')
        return 0;
    long x = 0;
    while (c->p < c->end && *c->p >= '0' && *c->p <= '9') {
        x = x * 10 + (*c->p++ - '0');
        if (x > MB_NPY_MAX_DIM)
            return 0;
    }
    *v = x;
    return 1;
}

/* The unread rest of the header, printable, for a message. */
static const char *near(const cursor *c, char *buf, size_t cap)
{
    size_t n = 0;
    for (const char *q = c->p; q < c->end && n + 1 < cap && n < 24; q++)
        buf[n++] = *q >= 32 && *q < 127 ? *q : '?';
    buf[n] = 0;
    return buf;
}

/* (N,) or (N, D): ndim and shape, at most 2 dimensions. */
static int take_shape(cursor *c, const char *name, mb_npy_array *a)
{
    char snip[32];
    if (!take(c, '('))
        return mb_fail(MB_EINPUT, "%s: NPY header: shape is not a tuple near '%s'", name,
                       near(c, snip, sizeof snip));
    int ndim = 0;
    while (!take(c, ')')) {
        long v;
        if (!take_dim(c, &v))
            return mb_fail(MB_EINPUT, "%s: NPY header: shape holds '%s' (expected sizes up "
                           "to %ld)", name, near(c, snip, sizeof snip), MB_NPY_MAX_DIM);
        if (ndim == 2)
            return mb_fail(MB_EINPUT, "%s: array has more than 2 dimensions (expected a "
                           "vector or a matrix [N, D])", name);
        a->shape[ndim++] = v;
        if (!take(c, ',')) {
            if (!take(c, ')'))
                return mb_fail(MB_EINPUT, "%s: NPY header: shape is not a tuple near '%s'",
                               name, near(c, snip, sizeof snip));
            break;
        }
    }
    if (ndim == 0)
        return mb_fail(MB_EINPUT, "%s: array is a scalar (expected a vector or a matrix "
                       "[N, D])", name);
    a->ndim = ndim;
    if (ndim == 1)
        a->shape[1] = 1;
    return MB_OK;
}

static int parse_header(const char *text, size_t len, const char *name, mb_npy_array *a)
{
    cursor c = {text, text + len};
    char key[32], descr[32], snip[32];
    int seen_descr = 0, seen_order = 0, seen_shape = 0, fortran = 0;
    if (!take(&c, '{'))
        return mb_fail(MB_EINPUT, "%s: NPY header is not a dict near '%s'", name,
                       near(&c, snip, sizeof snip));
    while (!take(&c, '}')) {
        if (!take_string(&c, key, sizeof key) || !take(&c, ':'))
            return mb_fail(MB_EINPUT, "%s: NPY header: expected 'key': value near '%s'", name,
                           near(&c, snip, sizeof snip));
        if (!strcmp(key, "descr") && !seen_descr++) {
            if (!take_string(&c, descr, sizeof descr))
                return mb_fail(MB_EINPUT, "%s: NPY header: descr is not a plain type string "
                               "(expected '<f4' or '<f8')", name);
        } else if (!strcmp(key, "fortran_order") && !seen_order++) {
            if (take_word(&c, "True"))
                fortran = 1;
            else if (!take_word(&c, "False"))
                return mb_fail(MB_EINPUT, "%s: NPY header: fortran_order is not True or False",
                               name);
        } else if (!strcmp(key, "shape") && !seen_shape++) {
            MB_TRY(take_shape(&c, name, a));
        } else {
            return mb_fail(MB_EINPUT, "%s: NPY header: unexpected or repeated key '%s' "
                           "(expected descr, fortran_order and shape once each)", name, key);
        }
        if (!take(&c, ',')) {
            if (!take(&c, '}'))
                return mb_fail(MB_EINPUT, "%s: NPY header: expected ',' or '}' near '%s'",
                               name, near(&c, snip, sizeof snip));
            break;
        }
    }
    skip_space(&c); /* the padding */
    if (c.p != c.end)
        return mb_fail(MB_EINPUT, "%s: NPY header: '%s' after the dict", name,
                       near(&c, snip, sizeof snip));
    if (!seen_descr || !seen_order || !seen_shape)
        return mb_fail(MB_EINPUT, "%s: NPY header lacks %s", name,
                       !seen_descr ? "descr" : !seen_order ? "fortran_order" : "shape");
    if (!strcmp(descr, "<f4"))
        a->word_bytes = 4;
    else if (!strcmp(descr, "<f8"))
        a->word_bytes = 8;
    else
        return mb_fail(MB_EINPUT, "%s: array of type '%s' (expected float32 '<f4' or float64 "
                       "'<f8', little-endian: save with x.astype(np.float32))", name, descr);
    if (fortran)
        return mb_fail(MB_EINPUT, "%s: array in Fortran order (expected C order: save "
                       "np.ascontiguousarray(x))", name);
    return MB_OK;
}

int mb_npy_decode(const uint8_t *buf, size_t len, const char *name, mb_npy_array *out)
{
    memset(out, 0, sizeof *out);
    if (len < 10 || memcmp(buf, NPY_MAGIC, 6))
        return mb_fail(MB_EINPUT, "%s: not a NumPy .npy file (no \\x93NUMPY magic)", name);
    const int major = buf[6];
    size_t header_len, start;
    if (major == 1) {
        header_len = (size_t)buf[8] | (size_t)buf[9] << 8;
        start = 10;
    } else if (major == 2 || major == 3) {
        if (len < 12)
            return mb_fail(MB_EINPUT, "%s: NPY file truncated in its header", name);
        header_len = (size_t)buf[8] | (size_t)buf[9] << 8 | (size_t)buf[10] << 16 |
                     (size_t)buf[11] << 24;
        start = 12;
    } else {
        return mb_fail(MB_EINPUT, "%s: NPY format version %d.%d (expected 1.0, 2.0 or 3.0)",
                       name, major, buf[7]);
    }
    if (header_len > NPY_MAX_HEADER || header_len > len - start)
        return mb_fail(MB_EINPUT, "%s: NPY header of %zu bytes in a file of %zu (expected a "
                       "header within the file, at most %d bytes)", name, header_len, len,
                       NPY_MAX_HEADER);
    mb_npy_array a = {0};
    MB_TRY(parse_header((const char *)buf + start, header_len, name, &a));
    const size_t data_bytes = len - start - header_len;
    const size_t count = (size_t)a.shape[0] * (size_t)a.shape[1];
    if (count == 0)
        return mb_fail(MB_EINPUT, "%s: array of shape (%ld, %ld) holds no values", name,
                       a.shape[0], a.shape[1]);
    if (count > data_bytes / a.word_bytes || count * a.word_bytes != data_bytes)
        return mb_fail(MB_EINPUT, "%s: %zu bytes of data for %zu values of %d bytes (expected "
                       "exactly %s)", name, data_bytes, count, a.word_bytes,
                       count > data_bytes / a.word_bytes ? "that many: truncated file"
                                                         : "that many: trailing bytes");
    a.data = mb_host_alloc(count * sizeof(double), "NPY array");
    if (!a.data)
        return MB_ENOMEM;
    const uint8_t *p = buf + start + header_len;
    for (size_t i = 0; i < count; i++) {
        if (a.word_bytes == 4) {
            float f;
            memcpy(&f, p + 4 * i, 4);
            a.data[i] = f;
        } else {
            memcpy(&a.data[i], p + 8 * i, 8);
        }
        if (!isfinite(a.data[i])) {
            const size_t cols = (size_t)a.shape[1];
            const char *what = isnan(a.data[i]) ? "NaN" : "infinite";
            free(a.data);
            return mb_fail(MB_EINPUT, "%s: value [%zu, %zu] is %s (expected finite values)",
                           name, i / cols, i % cols, what);
        }
    }
    *out = a;
    return MB_OK;
}

int mb_npy_read(const char *path, mb_npy_array *out)
{
    uint8_t *buf;
    size_t len;
    memset(out, 0, sizeof *out);
    MB_TRY(mb_data_read_all(path, "NumPy .npy file", NPY_MAX_FILE, &buf, &len));
    int rc = mb_npy_decode(buf, len, path, out);
    free(buf);
    return rc;
}

/* ---- writing ---- */

/* The header of a version 1.0 file, padded so that the data starts on a 64-byte
 * boundary (as NumPy writes it). Returns its length. */
size_t mb_npy_header(char *out, size_t cap, int word_bytes, int ndim, const long *shape)
{
    char dict[160];
    int n = snprintf(dict, sizeof dict, "{'descr': '<f%d', 'fortran_order': False, 'shape': ",
                     word_bytes);
    if (ndim == 1)
        n += snprintf(dict + n, sizeof dict - n, "(%ld,), }", shape[0]);
    else
        n += snprintf(dict + n, sizeof dict - n, "(%ld, %ld), }", shape[0], shape[1]);
    size_t total = 10 + (size_t)n + 1; /* magic, version, length, dict, newline */
    total = (total + 63) / 64 * 64;
    if (total > cap)
        return 0;
    const size_t header_len = total - 10;
    memcpy(out, NPY_MAGIC "\x01\x00", 8);
    out[8] = (char)(header_len & 0xff);
    out[9] = (char)(header_len >> 8);
    memcpy(out + 10, dict, (size_t)n);
    memset(out + 10 + n, ' ', total - 10 - (size_t)n - 1);
    out[total - 1] = '\n';
    return total;
}

int mb_npy_write(const char *path, const void *x, int word_bytes, int ndim, const long *shape)
{
    char header[256];
    const size_t h = mb_npy_header(header, sizeof header, word_bytes, ndim, shape);
    const size_t count = (size_t)shape[0] * (ndim == 2 ? (size_t)shape[1] : 1);
    mb_out_file out;
    MB_TRY(mb_out_open(&out, path));
    fwrite(header, 1, h, out.f);
    fwrite(x, (size_t)word_bytes, count, out.f);
    return mb_out_close(&out, MB_OK); /* checks every write, then renames */
}
