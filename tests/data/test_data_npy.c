/* test_data_npy.c — the NumPy readers and writers: .npy round trips in float32 and
 * float64, 1 and 2 dimensions; headers written by hand the way NumPy writes them
 * (versions 1.0 and 2.0, extra spaces, trailing commas) are read; every malformed
 * or unsupported file gives one MB_EINPUT error naming the file and the problem;
 * an .npz of statistics round-trips, and its missing members are named. */
#include "mb_npy.h"
#include "testutil.h"

#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static char dir[64];

static const char *path_of(const char *name)
{
    static char buf[4][256];
    static int next;
    char *p = buf[next++ % 4];
    snprintf(p, 256, "%s/%s", dir, name);
    return p;
}

static void write_bytes(const char *path, const void *data, size_t n)
{
    FILE *f = fopen(path, "wb");
    if (!f || fwrite(data, 1, n, f) != n)
        abort();
    fclose(f);
}

/* An .npy image with a given version, header text and data (header padded to 16). */
static size_t npy_bytes(unsigned char *out, int major, const char *header, const void *data,
                        size_t data_bytes)
{
    const size_t pre = major == 1 ? 10 : 12;
    size_t hlen = strlen(header) + 1;
    hlen += (16 - (pre + hlen) % 16) % 16;
    memcpy(out, "\x93NUMPY", 6);
    out[6] = (unsigned char)major;
    out[7] = 0;
    for (size_t i = 0; i < pre - 8; i++)
        out[8 + i] = (unsigned char)(hlen >> (8 * i));
    memset(out + pre, ' ', hlen);
    memcpy(out + pre, header, strlen(header));
    out[pre + hlen - 1] = '\n';
    memcpy(out + pre + hlen, data, data_bytes);
    return pre + hlen + data_bytes;
}

static void round_trips(void)
{
    const float f32[6] = {1.5f, -2, 0.1f, 3e-8f, 4e30f, -0.0f};
    const double f64[3] = {0.1, -1e300, 12345.678901234567};
    const long shape32[2] = {2, 3}, shape64[1] = {3};
    mb_npy_array a;
    CHECK(mb_npy_write(path_of("a.npy"), f32, 4, 2, shape32) == MB_OK, "%s", mb_last_error());
    CHECK(mb_npy_read(path_of("a.npy"), &a) == MB_OK, "%s", mb_last_error());
    CHECK(a.ndim == 2 && a.shape[0] == 2 && a.shape[1] == 3 && a.word_bytes == 4,
          "float32 [2, 3] read as ndim %d (%ld, %ld), %d bytes", a.ndim, a.shape[0],
          a.shape[1], a.word_bytes);
    for (int i = 0; a.data && i < 6; i++)
        CHECK(a.data[i] == (double)f32[i], "float32 value %d: %g vs %g", i, a.data[i], f32[i]);
    mb_npy_free(&a);
    CHECK(mb_npy_write(path_of("b.npy"), f64, 8, 1, shape64) == MB_OK, "%s", mb_last_error());
    CHECK(mb_npy_read(path_of("b.npy"), &a) == MB_OK, "%s", mb_last_error());
    CHECK(a.ndim == 1 && a.shape[0] == 3 && a.shape[1] == 1 && a.word_bytes == 8,
          "float64 [3] read as ndim %d (%ld, %ld)", a.ndim, a.shape[0], a.shape[1]);
    for (int i = 0; a.data && i < 3; i++)
        CHECK(a.data[i] == f64[i], "float64 value %d: %.17g vs %.17g", i, a.data[i], f64[i]);
    mb_npy_free(&a);
    /* the header NumPy writes starts the data on a 64-byte boundary */
    FILE *f = fopen(path_of("a.npy"), "rb");
    unsigned char head[10];
    CHECK(f && fread(head, 1, 10, f) == 10, "reread header");
    if (f)
        fclose(f);
    CHECK((10 + (head[8] | head[9] << 8)) % 64 == 0, "data not 64-byte aligned");
}

/* Headers NumPy writes or accepts: versions 1 and 2, double quotes, any key order. */
static void accepted_headers(void)
{
    unsigned char buf[512];
    const double v[4] = {1, 2, 3, 4};
    const char *headers[] = {
        "{'descr': '<f8', 'fortran_order': False, 'shape': (2, 2), }",
        "{'shape': (4,), 'fortran_order': False, 'descr': '<f8'}",
        "{\"descr\":\"<f8\",\"fortran_order\":False,\"shape\":(1,4)}",
    };
    const long rows[] = {2, 4, 1};
    for (int h = 0; h < 3; h++) {
        for (int major = 1; major <= 2; major++) {
            mb_npy_array a;
            const size_t n = npy_bytes(buf, major, headers[h], v, sizeof v);
            const int rc = mb_npy_decode(buf, n, "ok.npy", &a);
            CHECK(rc == MB_OK, "header %d version %d: %s", h, major, mb_last_error());
            CHECK(rc != MB_OK || (a.shape[0] == rows[h] && a.data[3] == 4),
                  "header %d: shape (%ld, %ld)", h, a.shape[0], a.shape[1]);
            mb_npy_free(&a);
        }
    }
}

static void rejected(const char *what, const unsigned char *buf, size_t n, const char *pattern)
{
    mb_npy_array a;
    const int rc = mb_npy_decode(buf, n, "bad.npy", &a);
    CHECK(rc == MB_EINPUT, "%s: rc %d, expected MB_EINPUT", what, rc);
    CHECK(strstr(mb_last_error(), "bad.npy") && strstr(mb_last_error(), pattern),
          "%s: message '%s' lacks '%s'", what, mb_last_error(), pattern);
    CHECK(!strchr(mb_last_error(), '\n'), "%s: message spans lines", what);
    CHECK(!a.data && !a.ndim, "%s: a failed read left data", what);
}

static void rejected_headers(void)
{
    unsigned char buf[512];
    const double v[4] = {1, 2, 3, 4};
    const double nan_v[2] = {1, 0.0 / 0.0};
    const struct {
        const char *header, *pattern;
    } cases[] = {
        {"{'descr': '>f4', 'fortran_order': False, 'shape': (2, 2), }", "'>f4'"},
        {"{'descr': '<i4', 'fortran_order': False, 'shape': (2, 2), }", "expected float32"},
        {"{'descr': '<f2', 'fortran_order': False, 'shape': (2, 2), }", "'<f2'"},
        {"{'descr': '<f8', 'fortran_order': True, 'shape': (2, 2), }", "Fortran order"},
        {"{'descr': '<f8', 'fortran_order': False, 'shape': (1, 2, 2), }", "more than 2"},
        {"{'descr': '<f8', 'fortran_order': False, 'shape': (), }", "scalar"},
        {"{'descr': '<f8', 'fortran_order': False, 'shape': (0, 4), }", "no values"},
        {"{'descr': '<f8', 'fortran_order': False, 'shape': (2, 3), }", "truncated"},
        {"{'descr': '<f8', 'fortran_order': False, 'shape': (3,), }", "trailing bytes"},
        {"{'descr': '<f8', 'fortran_order': False, 'shape': (-1, 4), }", "shape holds"},
        {"{'descr': '<f8', 'fortran_order': False, 'shape': (99999999999, 4), }", "shape holds"},
        {"{'descr': '<f8', 'fortran_order': False}", "lacks shape"},
        {"{'descr': '<f8', 'descr': '<f8', 'fortran_order': False, 'shape': (4,)}", "repeated"},
        {"{'descr': '<f8', 'fortran_order': 0, 'shape': (4,)}", "True or False"},
        {"{'descr': '<f8', 'fortran_order': False, 'shape': (4,)} x", "after the dict"},
        {"['<f8', False, (4,)]", "not a dict"},
        {"{'descr': [('a', '<f8')], 'fortran_order': False, 'shape': (4,)}", "plain type"},
    };
    for (size_t i = 0; i < MB_ARRAY_LEN(cases); i++) {
        const size_t n = npy_bytes(buf, 1, cases[i].header, v, sizeof v);
        rejected(cases[i].header, buf, n, cases[i].pattern);
    }
    size_t n = npy_bytes(buf, 1, "{'descr': '<f8', 'fortran_order': False, 'shape': (2,)}",
                         nan_v, sizeof nan_v);
    rejected("NaN value", buf, n, "NaN");
    n = npy_bytes(buf, 1, "{'descr': '<f8', 'fortran_order': False, 'shape': (4,)}", v, 32);
    buf[6] = 4;
    rejected("version 4", buf, n, "version 4.0");
    buf[6] = 1;
    buf[0] = 'X';
    rejected("magic", buf, n, "magic");
    buf[0] = 0x93;
    buf[8] = 0xff; /* header longer than the file */
    rejected("header length", buf, n, "header of");
    rejected("ten bytes", buf, 9, "magic");
}

static void archives(void)
{
    const double mu[3] = {0.5, -1, 2}, sigma[9] = {2, 0.1, 0, 0.1, 1, 0.2, 0, 0.2, 3};
    mb_npy_array m, s;
    CHECK(mb_npz_write_stats(path_of("s.npz"), mu, sigma, 3) == MB_OK, "%s", mb_last_error());
    CHECK(mb_npz_read(path_of("s.npz"), "mu", &m) == MB_OK, "%s", mb_last_error());
    CHECK(mb_npz_read(path_of("s.npz"), "sigma", &s) == MB_OK, "%s", mb_last_error());
    CHECK(m.ndim == 1 && m.shape[0] == 3 && s.ndim == 2 && s.shape[0] == 3 && s.shape[1] == 3,
          "statistics shapes mu %d (%ld), sigma %d (%ld, %ld)", m.ndim, m.shape[0], s.ndim,
          s.shape[0], s.shape[1]);
    for (int i = 0; m.data && i < 3; i++)
        CHECK(m.data[i] == mu[i], "mu[%d]", i);
    for (int i = 0; s.data && i < 9; i++)
        CHECK(s.data[i] == sigma[i], "sigma[%d]", i);
    mb_npy_free(&m);
    mb_npy_free(&s);
    int rc = mb_npz_read(path_of("s.npz"), "features", &m);
    CHECK(rc == MB_EINPUT && strstr(mb_last_error(), "no array 'features'"), "missing member: "
          "rc %d, %s", rc, mb_last_error());
    write_bytes(path_of("junk.npz"), "PK\x03\x04 not really a zip", 24);
    rc = mb_npz_read(path_of("junk.npz"), "mu", &m);
    CHECK(rc == MB_EINPUT && strstr(mb_last_error(), "junk.npz"), "junk archive: rc %d, %s",
          rc, mb_last_error());
    rc = mb_npz_read(path_of("absent.npz"), "mu", &m);
    CHECK(rc == MB_EINPUT && strstr(mb_last_error(), "absent.npz: cannot open"), "absent archive: rc %d, %s",
          rc, mb_last_error());
}

int main(void)
{
    snprintf(dir, sizeof dir, "/tmp/mb_test_npy_XXXXXX");
    if (!mkdtemp(dir))
        return 1;
    round_trips();
    accepted_headers();
    rejected_headers();
    archives();
    const char *names[] = {"a.npy", "b.npy", "s.npz", "junk.npz"};
    for (size_t i = 0; i < MB_ARRAY_LEN(names); i++)
        unlink(path_of(names[i]));
    rmdir(dir);
    return mb_test_finish("test_data_npy");
}
