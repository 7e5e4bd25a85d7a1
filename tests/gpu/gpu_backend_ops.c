/* gpu_backend_ops.c — every operation of the backend table, run on the CUDA
 * backend and on the CPU reference backend with the same fresh random inputs, and
 * compared with a tolerance stated per operation (why each one is what it is: see
 * README.md, "The CUDA backend", "Tolerances"). Exits 77 (skipped) without a CUDA device.
 *
 * Inputs are drawn from Philox with a seed taken from the clock (printed; set
 * MB_TEST_SEED to repeat a run). Output buffers start random too, so an op that
 * should overwrite but accumulates (or the reverse) is caught. */
#include "mb_backend.h"
#include "mb_philox.h"
#include "testutil.h"

#include <float.h>
#include <math.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#ifndef MB_HAVE_CUDA
int main(void)
{
    puts("gpu_backend_ops: built without CUDA: skipped");
    return MB_TEST_SKIP;
}
#else

static mb_backend *cpu, *gpu;
static uint64_t seed, draws;
static int n_ops_tested;

static double urand(double lo, double hi) { return lo + (hi - lo) * mb_uniform_at(seed, draws++); }
static int irand(int lo, int hi) { return lo + (int)((hi - lo + 1) * mb_uniform_at(seed, draws++)) % (hi - lo + 1); }

/* ---- a buffer held on both backends, with its host copy ---- */
typedef struct {
    size_t bytes;
    void *host, *c, *g;
} pbuf;

static pbuf pb_alloc(size_t bytes)
{
    pbuf b = {bytes, malloc(bytes ? bytes : 1), cpu->alloc(cpu, bytes), gpu->alloc(gpu, bytes)};
    if (!b.host || !b.c || !b.g) {
        fprintf(stderr, "gpu_backend_ops: allocation of %zu bytes failed: %s\n", bytes,
                mb_last_error());
        exit(1);
    }
    return b;
}

static void pb_upload(pbuf *b)
{
    cpu->upload(cpu, b->c, b->host, b->bytes);
    gpu->upload(gpu, b->g, b->host, b->bytes);
}

static pbuf pb_real(size_t n, double lo, double hi)
{
    pbuf b = pb_alloc(n * sizeof(mb_real));
    for (size_t i = 0; i < n; i++)
        ((mb_real *)b.host)[i] = (mb_real)urand(lo, hi);
    pb_upload(&b);
    return b;
}

static pbuf pb_f64(size_t n, double lo, double hi)
{
    pbuf b = pb_alloc(n * sizeof(double));
    for (size_t i = 0; i < n; i++)
        ((double *)b.host)[i] = urand(lo, hi);
    pb_upload(&b);
    return b;
}

static pbuf pb_int(size_t n, int lo, int hi)
{
    pbuf b = pb_alloc(n * sizeof(int));
    for (size_t i = 0; i < n; i++)
        ((int *)b.host)[i] = irand(lo, hi);
    pb_upload(&b);
    return b;
}

static void pb_free(pbuf *b)
{
    free(b->host);
    cpu->free(cpu, b->c);
    gpu->free(gpu, b->g);
}

#define C(b, type) ((type *)(b).c)
#define G(b, type) ((type *)(b).g)

/* Downloads both sides of b (n values of the given type) and compares them:
 * |gpu - cpu| <= tol[i] when tol is given, else <= atol + rtol |cpu|.
 * Prints one line per comparison with the largest difference. */
typedef enum { T_REAL, T_F64, T_INT } val_type;

static void compare(const char *what, const pbuf *b, val_type type, size_t n,
                    const double *tol, double atol, double rtol)
{
    const size_t size = type == T_REAL ? sizeof(mb_real) : type == T_F64 ? sizeof(double) : sizeof(int);
    char *hc = malloc(n * size + 1), *hg = malloc(n * size + 1);
    cpu->download(cpu, hc, b->c, n * size);
    gpu->download(gpu, hg, b->g, n * size);
    double worst = 0, worst_excess = -1;
    size_t bad = 0, first_bad = 0;
    for (size_t i = 0; i < n; i++) {
        double vc, vg;
        if (type == T_REAL)
            vc = ((mb_real *)hc)[i], vg = ((mb_real *)hg)[i];
        else if (type == T_F64)
            vc = ((double *)hc)[i], vg = ((double *)hg)[i];
        else
            vc = ((int *)hc)[i], vg = ((int *)hg)[i];
        const double d = fabs(vg - vc), t = tol ? tol[i] : atol + rtol * fabs(vc);
        if (!(d <= t)) { /* NaN fails */
            if (!bad++)
                first_bad = i;
        }
        if (d > worst || isnan(d))
            worst = d;
        if (t > 0 && d / t > worst_excess)
            worst_excess = d / t;
    }
    CHECK(bad == 0, "%s: %zu of %zu elements outside the tolerance (first at %zu)", what,
          bad, n, first_bad);
    if (bad) {
        const size_t i = first_bad;
        double vc = type == T_REAL ? ((mb_real *)hc)[i] : type == T_F64 ? ((double *)hc)[i] : ((int *)hc)[i];
        double vg = type == T_REAL ? ((mb_real *)hg)[i] : type == T_F64 ? ((double *)hg)[i] : ((int *)hg)[i];
        fprintf(stderr, "  %s[%zu]: cuda %.17g, cpu %.17g, tolerance %.3g\n", what, i, vg, vc,
                tol ? tol[i] : atol + rtol * fabs(vc));
    }
    printf("  %-34s n=%-8zu max |cuda - cpu| = %.3g%s\n", what, n, worst,
           worst_excess >= 0 ? "" : " (exact match required)");
    free(hc);
    free(hg);
}

#define EXACT 0.0, 0.0

static void compare_scalar(const char *what, double got, double want, double atol, double rtol)
{
    CHECK_CLOSE(got, want, atol, rtol, what);
    printf("  %-34s cuda %.17g  cpu %.17g  |diff| = %.3g\n", what, got, want, fabs(got - want));
}

/* ---- the table must be complete ---- */
/* Every field after impl is an operation (a function pointer). */
#define N_OPS ((sizeof(mb_backend) - offsetof(mb_backend, destroy)) / sizeof(void (*)(void)))

static void test_table_complete(void)
{
    void (*const *ops)(void) = (void (*const *)(void))(const void *)&gpu->destroy;
    for (size_t i = 0; i < N_OPS; i++)
        CHECK(ops[i] != NULL, "CUDA table entry %zu (counting from destroy) is NULL", i);
}

/* ---- memory ---- */
static void test_memory(void)
{
    const size_t n = 10007;
    pbuf a = pb_real(n, -1, 1), b = pb_real(n, -1, 1);
    cpu->copy(cpu, b.c, a.c, n * sizeof(mb_real));
    gpu->copy(gpu, b.g, a.g, n * sizeof(mb_real));
    compare("upload + copy", &b, T_REAL, n, NULL, EXACT);
    mb_real *back = malloc(n * sizeof *back);
    gpu->download(gpu, back, b.g, n * sizeof *back);
    CHECK(!memcmp(back, a.host, n * sizeof *back), "download after upload and copy differs");
    gpu->synchronize(gpu);
    free(back);
    pb_free(&a);
    pb_free(&b);
    n_ops_tested += 6; /* alloc, free, upload, download, copy, synchronize */
}

/* ---- fills ---- */
static void test_fills(void)
{
    const size_t n = 100003;
    pbuf x = pb_real(n, -1, 1);
    const mb_real v = (mb_real)urand(-3, 3);
    cpu->fill(cpu, x.c, n, v);
    gpu->fill(gpu, x.g, n, v);
    compare("fill", &x, T_REAL, n, NULL, EXACT);

    const uint64_t s = seed ^ 0x5eedu, off = ((uint64_t)irand(0, 1 << 20) << 32) | (uint64_t)irand(0, 1 << 30);
    const mb_real lo = (mb_real)urand(-2, 0), hi = (mb_real)urand(0.5, 3);
    cpu->fill_uniform(cpu, x.c, n, s, off, lo, hi);
    gpu->fill_uniform(gpu, x.g, n, s, off, lo, hi);
    compare("fill_uniform (bit-identical)", &x, T_REAL, n, NULL, EXACT);

    /* CUDA's double log/cos are within 1-2 ulps of glibc's: at most the last float
     * bit may differ, and rarely. */
    const mb_real mean = (mb_real)urand(-1, 1), sd = (mb_real)urand(0.1, 2);
    cpu->fill_normal(cpu, x.c, n, s + 1, off, mean, sd);
    gpu->fill_normal(gpu, x.g, n, s + 1, off, mean, sd);
    compare("fill_normal (<= 1 float ulp)", &x, T_REAL, n, NULL, 1e-30, FLT_EPSILON);
    pb_free(&x);
    n_ops_tested += 3;
}

/* ---- GEMMs ---- */
/* |C_ij| error bound scale: |alpha| (|op(A)| |op(B)|)_ij + |beta C_ij|. FP32 mode:
 * 16 float eps of it (a worst case for k <= 16, many standard deviations of the
 * rounding of random-sign sums beyond; TF32 errors are ~2^-11 per product and
 * fail it). TF32 / BF16 modes: the input rounding bound 2^-10 / 2^-7 (+10%). */
static double gemm_tol_factor(int f64)
{
    if (f64)
        return 16 * DBL_EPSILON;
    const char *m = getenv("MADBENCH_GEMM_MATH");
    if (m && !strcmp(m, "tf32"))
        return 1.1 * ldexp(1, -10) + 16 * FLT_EPSILON;
    if (m && !strcmp(m, "bf16"))
        return 1.1 * ldexp(1, -7) + 16 * FLT_EPSILON;
    return 16 * FLT_EPSILON;
}

/* Host view of op(A)[i][p] for a row-major A with row stride ld. */
static double elem(const void *a, int f64, int trans, int ld, int i, int p)
{
    const size_t at = trans ? (size_t)p * ld + i : (size_t)i * ld + p;
    return f64 ? ((const double *)a)[at] : ((const mb_real *)a)[at];
}

/* tol for C [m, ldc] (padding columns must stay untouched: tolerance 0). */
static double *gemm_tol(int f64, int ta, int tb, int m, int n, int k, double alpha,
                        const void *a, int lda, const void *b, int ldb, double beta,
                        const void *c, int ldc)
{
    double *tol = calloc((size_t)m * ldc, sizeof *tol);
    const double f = gemm_tol_factor(f64);
    for (int i = 0; i < m; i++)
        for (int j = 0; j < n; j++) {
            double s = 0;
            for (int p = 0; p < k; p++)
                s += fabs(elem(a, f64, ta, lda, i, p) * elem(b, f64, !tb, ldb, j, p));
            const double cij = f64 ? ((const double *)c)[(size_t)i * ldc + j]
                                   : ((const mb_real *)c)[(size_t)i * ldc + j];
            tol[(size_t)i * ldc + j] = f * (fabs(alpha) * s + fabs(beta * cij)) + 1e-300;
        }
    return tol;
}

static void test_gemm_shape(int f64, int ta, int tb, int m, int n, int k)
{
    const int lda = (ta ? m : k) + 3, ldb = (tb ? k : n) + 1, ldc = n + 2;
    const size_t na = (size_t)(ta ? k : m) * lda, nb = (size_t)(tb ? n : k) * ldb,
                 nc = (size_t)m * ldc;
    pbuf a = f64 ? pb_f64(na, -1, 1) : pb_real(na, -1, 1);
    pbuf b = f64 ? pb_f64(nb, -1, 1) : pb_real(nb, -1, 1);
    pbuf c = f64 ? pb_f64(nc, -1, 1) : pb_real(nc, -1, 1);
    const float alpha = (float)urand(0.5, 1.5), beta = (float)urand(-1, 1);
    double *tol = gemm_tol(f64, ta, tb, m, n, k, alpha, a.host, lda, b.host, ldb, beta, c.host, ldc);
    char what[96];
    snprintf(what, sizeof what, "%s %c%c %dx%dx%d", f64 ? "gemm_f64" : "gemm", ta ? 'T' : 'N',
             tb ? 'T' : 'N', m, n, k);
    if (f64) {
        cpu->gemm_f64(cpu, ta, tb, m, n, k, alpha, C(a, double), lda, C(b, double), ldb, beta, C(c, double), ldc);
        gpu->gemm_f64(gpu, ta, tb, m, n, k, alpha, G(a, double), lda, G(b, double), ldb, beta, G(c, double), ldc);
    } else {
        cpu->gemm(cpu, ta, tb, m, n, k, alpha, C(a, mb_real), lda, C(b, mb_real), ldb, beta, C(c, mb_real), ldc);
        gpu->gemm(gpu, ta, tb, m, n, k, alpha, G(a, mb_real), lda, G(b, mb_real), ldb, beta, G(c, mb_real), ldc);
    }
    compare(what, &c, f64 ? T_F64 : T_REAL, nc, tol, 0, 0);
    free(tol);
    pb_free(&a);
    pb_free(&b);
    pb_free(&c);
}

static void test_gemm(void)
{
    static const int shapes[][3] = {{37, 53, 29}, {128, 200, 3136}, {1, 16, 300}, {64, 9, 1}};
    for (int f64 = 0; f64 <= 1; f64++)
        for (size_t s = 0; s < MB_ARRAY_LEN(shapes); s++)
            for (int t = 0; t < 4; t++)
                test_gemm_shape(f64, t & 1, t >> 1, shapes[s][0], shapes[s][1], shapes[s][2]);
    n_ops_tested += 2;
}

static void test_gemm_batched(void)
{
    for (int shared = 0; shared <= 1; shared++)
        for (int t = 0; t < 4; t++) {
            const int ta = t & 1, tb = t >> 1, m = 19, n = 23, k = 31, batch = 3;
            const int lda = ta ? m : k, ldb = tb ? k : n, ldc = n;
            const long long sa = shared ? 0 : (long long)m * k, sb = (long long)k * n + 5,
                            sc = (long long)m * n + 7;
            pbuf a = pb_real((size_t)m * k * (shared ? 1 : batch), -1, 1);
            pbuf b = pb_real((size_t)sb * batch, -1, 1);
            pbuf c = pb_real((size_t)sc * batch, -1, 1);
            const float alpha = (float)urand(0.5, 1.5), beta = (float)urand(-1, 1);
            double *tol = calloc((size_t)sc * batch, sizeof *tol);
            for (int i = 0; i < batch; i++) {
                double *t1 = gemm_tol(0, ta, tb, m, n, k, alpha, (mb_real *)a.host + i * sa, lda,
                                      (mb_real *)b.host + i * sb, ldb, beta,
                                      (mb_real *)c.host + i * sc, ldc);
                memcpy(tol + i * sc, t1, (size_t)m * n * sizeof *tol);
                free(t1);
            }
            cpu->gemm_strided_batched(cpu, ta, tb, m, n, k, alpha, C(a, mb_real), lda, sa,
                                      C(b, mb_real), ldb, sb, beta, C(c, mb_real), ldc, sc, batch);
            gpu->gemm_strided_batched(gpu, ta, tb, m, n, k, alpha, G(a, mb_real), lda, sa,
                                      G(b, mb_real), ldb, sb, beta, G(c, mb_real), ldc, sc, batch);
            char what[80];
            snprintf(what, sizeof what, "gemm_strided_batched %c%c%s", ta ? 'T' : 'N',
                     tb ? 'T' : 'N', shared ? " shared A" : "");
            compare(what, &c, T_REAL, (size_t)sc * batch, tol, 0, 0);
            free(tol);
            pb_free(&a);
            pb_free(&b);
            pb_free(&c);
        }
    n_ops_tested += 1;
}

/* ---- convolution pieces: pure data movement, and col2im adds in the CPU's
 * order: exact ---- */
static void test_conv(void)
{
    /* channels, n_images, height, width, kernel, stride, pad */
    static const int geoms[][7] = {
        {3, 5, 28, 28, 3, 2, 1}, /* the encoder's first layer shape */
        {2, 3, 14, 14, 3, 2, 1}, /* a transposed conv 7 -> 14 (output padding 1) */
        {4, 2, 9, 13, 5, 1, 2},  {1, 7, 10, 8, 3, 3, 0}, {2, 2, 15, 15, 3, 2, 1}};
    for (size_t i = 0; i < MB_ARRAY_LEN(geoms); i++) {
        mb_conv_geom g = {geoms[i][0], geoms[i][1], geoms[i][2], geoms[i][3],
                          geoms[i][4], geoms[i][5], geoms[i][6], 0, 0};
        g.out_h = (g.height + 2 * g.pad - g.kernel) / g.stride + 1;
        g.out_w = (g.width + 2 * g.pad - g.kernel) / g.stride + 1;
        const size_t n_img = (size_t)g.channels * g.n_images * g.height * g.width;
        const size_t n_col = (size_t)g.channels * g.kernel * g.kernel * g.n_images * g.out_h * g.out_w;
        pbuf image = pb_real(n_img, -1, 1), cols = pb_real(n_col, -1, 1);
        char what[64];
        cpu->im2col(cpu, &g, C(image, mb_real), C(cols, mb_real));
        gpu->im2col(gpu, &g, G(image, mb_real), G(cols, mb_real));
        snprintf(what, sizeof what, "im2col geometry %zu", i);
        compare(what, &cols, T_REAL, n_col, NULL, EXACT);
        pb_free(&cols);
        cols = pb_real(n_col, -1, 1);
        cpu->col2im(cpu, &g, C(cols, mb_real), C(image, mb_real));
        gpu->col2im(gpu, &g, G(cols, mb_real), G(image, mb_real));
        snprintf(what, sizeof what, "col2im geometry %zu", i);
        compare(what, &image, T_REAL, n_img, NULL, EXACT);
        pb_free(&image);
        pb_free(&cols);
    }
    const int rows = 5, ncols = 7, inner = 33;
    const size_t n = (size_t)rows * ncols * inner;
    pbuf x = pb_real(n, -1, 1), y = pb_real(n, -1, 1);
    cpu->permute_01(cpu, C(x, mb_real), C(y, mb_real), rows, ncols, inner);
    gpu->permute_01(gpu, G(x, mb_real), G(y, mb_real), rows, ncols, inner);
    compare("permute_01", &y, T_REAL, n, NULL, EXACT);
    pb_free(&x);
    pb_free(&y);
    n_ops_tested += 3;
}

/* ---- bias, activations ---- */
static void test_bias(void)
{
    static const int shapes[][3] = {{6, 9, 17}, {128, 3136, 1}, {128, 32, 196}};
    for (size_t s = 0; s < 2 * MB_ARRAY_LEN(shapes); s++) {
        const int outer = shapes[s / 2][0], channels = shapes[s / 2][1],
                  inner = shapes[s / 2][2], relu = s % 2; /* with the fused ReLU or not */
        const size_t n = (size_t)outer * channels * inner;
        pbuf x = pb_real(n, -1, 1), bias = pb_real(channels, -1, 1), dy = pb_real(n, -1, 1);
        cpu->bias_add(cpu, C(x, mb_real), C(bias, mb_real), outer, channels, inner, relu);
        gpu->bias_add(gpu, G(x, mb_real), G(bias, mb_real), outer, channels, inner, relu);
        compare(relu ? "bias_add with relu" : "bias_add", &x, T_REAL, n, NULL, EXACT);
        /* bias_grad: both sum in double, in different orders, then round to float:
         * one float rounding apart, plus double rounding of sum |dy|. With relu,
         * dy is masked by x (the ReLU's output, zero for about half of it). */
        cpu->download(cpu, x.host, x.c, n * sizeof(mb_real));
        double *tol = calloc(channels, sizeof *tol);
        for (int c = 0; c < channels; c++) {
            double s_abs = 0, sum = 0;
            for (int o = 0; o < outer; o++)
                for (int i = 0; i < inner; i++) {
                    const size_t at = ((size_t)o * channels + c) * inner + i;
                    const double v = relu && !(((mb_real *)x.host)[at] > 0)
                                         ? 0 : ((mb_real *)dy.host)[at];
                    sum += v, s_abs += fabs(v);
                }
            tol[c] = FLT_EPSILON * fabs(sum) + 1e-12 * s_abs + 1e-30;
        }
        cpu->bias_grad(cpu, relu ? C(x, mb_real) : NULL, C(dy, mb_real), C(bias, mb_real),
                       outer, channels, inner);
        gpu->bias_grad(gpu, relu ? G(x, mb_real) : NULL, G(dy, mb_real), G(bias, mb_real),
                       outer, channels, inner);
        compare(relu ? "bias_grad with relu" : "bias_grad", &bias, T_REAL, channels, tol, 0, 0);
        compare(relu ? "bias_grad's masked dy" : "bias_grad leaves dy", &dy, T_REAL, n, NULL,
                EXACT);
        free(tol);
        pb_free(&x);
        pb_free(&bias);
        pb_free(&dy);
    }
    n_ops_tested += 2;
}

static void test_activations(void)
{
    const size_t n = 65537;
    pbuf x = pb_real(n, -20, 20), y = pb_real(n, -1, 1), dy = pb_real(n, -1, 1), dx = pb_real(n, -1, 1);
    cpu->relu_forward(cpu, C(x, mb_real), C(y, mb_real), n);
    gpu->relu_forward(gpu, G(x, mb_real), G(y, mb_real), n);
    compare("relu_forward", &y, T_REAL, n, NULL, EXACT);
    cpu->relu_backward(cpu, C(y, mb_real), C(dy, mb_real), C(dx, mb_real), n);
    gpu->relu_backward(gpu, G(y, mb_real), G(dy, mb_real), G(dx, mb_real), n);
    compare("relu_backward", &dx, T_REAL, n, NULL, EXACT);
    /* in place (x and y alias) */
    cpu->relu_forward(cpu, C(x, mb_real), C(x, mb_real), n);
    gpu->relu_forward(gpu, G(x, mb_real), G(x, mb_real), n);
    compare("relu_forward in place", &x, T_REAL, n, NULL, EXACT);
    pb_free(&x);

    x = pb_real(n, -20, 20);
    /* double exp on both sides (CUDA within 1 double ulp of glibc), rounded to
     * float: at most a float ulp or two apart. */
    cpu->sigmoid_forward(cpu, C(x, mb_real), C(y, mb_real), n);
    gpu->sigmoid_forward(gpu, G(x, mb_real), G(y, mb_real), n);
    compare("sigmoid_forward (<= 2 ulp)", &y, T_REAL, n, NULL, 1e-38, 2 * FLT_EPSILON);
    /* backward from the same y on both sides: products only, exact */
    cpu->download(cpu, y.host, y.c, n * sizeof(mb_real));
    gpu->upload(gpu, y.g, y.host, n * sizeof(mb_real));
    cpu->sigmoid_backward(cpu, C(y, mb_real), C(dy, mb_real), C(dx, mb_real), n);
    gpu->sigmoid_backward(gpu, G(y, mb_real), G(dy, mb_real), G(dx, mb_real), n);
    compare("sigmoid_backward", &dx, T_REAL, n, NULL, EXACT);
    cpu->sigmoid_backward(cpu, C(y, mb_real), C(dy, mb_real), C(dy, mb_real), n);
    gpu->sigmoid_backward(gpu, G(y, mb_real), G(dy, mb_real), G(dy, mb_real), n);
    compare("sigmoid_backward in place", &dy, T_REAL, n, NULL, EXACT);
    pb_free(&x);
    pb_free(&y);
    pb_free(&dy);
    pb_free(&dx);
    n_ops_tested += 4;
}

/* ---- losses ---- */
static pbuf pb_accum(double start)
{
    pbuf b = pb_alloc(sizeof(double));
    *(double *)b.host = start;
    pb_upload(&b);
    return b;
}

static double read_f64(mb_backend *be, const void *p)
{
    double v;
    be->download(be, &v, p, sizeof v);
    return v;
}

static void test_recon_loss(void)
{
    const int rows = 13, cols = 784;
    const size_t n = (size_t)rows * cols;
    for (int kind = MB_LOSS_BCE; kind <= MB_LOSS_MSE; kind++) {
        pbuf z = pb_real(n, -8, 8), t = pb_real(n, 0, 1), dz = pb_real(n, -1, 1);
        pbuf acc = pb_accum(urand(0, 10));
        for (int rep = 0; rep < 2; rep++) { /* the second call adds to the first */
            cpu->recon_loss(cpu, kind, C(z, mb_real), C(t, mb_real), rows, cols, C(dz, mb_real), C(acc, double));
            gpu->recon_loss(gpu, kind, G(z, mb_real), G(t, mb_real), rows, cols, G(dz, mb_real), G(acc, double));
        }
        /* dlogits hang on sigmoid(z), itself <= 2 ulp apart (see sigmoid_forward);
         * (y - t) may cancel, hence the absolute part in units of 1/rows. */
        const double inv_rows = 1.0 / rows;
        if (kind == MB_LOSS_BCE)
            compare("recon_loss BCE dlogits", &dz, T_REAL, n, NULL, 4 * FLT_EPSILON * inv_rows, 2 * FLT_EPSILON);
        else
            compare("recon_loss MSE dlogits", &dz, T_REAL, n, NULL, 16 * FLT_EPSILON * inv_rows, 8 * FLT_EPSILON);
        /* BCE terms are double on both sides (log1p / exp ulps, sum order): 1e-10.
         * MSE terms are float squares of y - t: each within a few float ulps. */
        compare_scalar(kind == MB_LOSS_BCE ? "recon_loss BCE loss" : "recon_loss MSE loss",
                       read_f64(gpu, acc.g), read_f64(cpu, acc.c), 1e-12,
                       kind == MB_LOSS_BCE ? 1e-10 : 1e-5);
        pb_free(&z);
        pb_free(&t);
        pb_free(&dz);
        pb_free(&acc);
    }
    n_ops_tested += 1;
}

static void test_vae_latent(void)
{
    const int rows = 19, d = 16;
    const size_t n = (size_t)rows * d;
    pbuf stats = pb_alloc(2 * n * sizeof(mb_real));
    for (int r = 0; r < rows; r++)
        for (int j = 0; j < d; j++) {
            ((mb_real *)stats.host)[(size_t)r * 2 * d + j] = (mb_real)urand(-2, 2);
            ((mb_real *)stats.host)[(size_t)r * 2 * d + d + j] = (mb_real)urand(-3, 3);
        }
    pb_upload(&stats);
    pbuf eps = pb_real(n, -2.5, 2.5), z = pb_real(n, -1, 1), dz = pb_real(n, -1, 1);
    pbuf dstats = pb_real(2 * n, -1, 1), acc = pb_accum(urand(0, 10));
    const mb_real *sh = stats.host, *eh = eps.host, *dzh = dz.host;
    double *tol_z = malloc(n * sizeof *tol_z), *tol_ds = malloc(2 * n * sizeof *tol_ds);
    const mb_real beta = (mb_real)urand(0.1, 2), scale = beta / rows;
    double kl_scale = 0;
    for (int r = 0; r < rows; r++)
        for (int j = 0; j < d; j++) {
            const size_t i = (size_t)r * d + j, mu_i = (size_t)r * 2 * d + j;
            const double mu = sh[mu_i], sd = exp(sh[mu_i + d] / 2), var = sd * sd;
            /* exp differs by ulps (double), so z and sd by <= 1 float ulp */
            tol_z[i] = 2 * FLT_EPSILON * (fabs(mu) + fabs(sd * eh[i])) + 1e-38;
            tol_ds[mu_i] = 0; /* dz + scale mu: no exp involved, exact */
            tol_ds[mu_i + d] = 8 * FLT_EPSILON * (fabs(dzh[i] * eh[i] * sd) + fabs(scale) * (var + 1)) + 1e-38;
            kl_scale += var + 1 + fabs(mu * mu) + fabs(sh[mu_i + d]);
        }
    cpu->vae_latent_forward(cpu, C(stats, mb_real), C(eps, mb_real), C(z, mb_real), rows, d);
    gpu->vae_latent_forward(gpu, G(stats, mb_real), G(eps, mb_real), G(z, mb_real), rows, d);
    compare("vae_latent_forward", &z, T_REAL, n, tol_z, 0, 0);
    cpu->vae_latent_backward(cpu, C(stats, mb_real), C(eps, mb_real), C(dz, mb_real), beta,
                             C(dstats, mb_real), rows, d, C(acc, double));
    gpu->vae_latent_backward(gpu, G(stats, mb_real), G(eps, mb_real), G(dz, mb_real), beta,
                             G(dstats, mb_real), rows, d, G(acc, double));
    compare("vae_latent_backward dstats", &dstats, T_REAL, 2 * n, tol_ds, 0, 0);
    /* KL terms are float expressions of exp(logvar): a few float ulps of the
     * magnitudes involved, summed. */
    compare_scalar("vae_latent_backward KL", read_f64(gpu, acc.g), read_f64(cpu, acc.c),
                   8 * FLT_EPSILON * beta * kl_scale / rows, 1e-12);
    free(tol_z);
    free(tol_ds);
    pb_free(&stats);
    pb_free(&eps);
    pb_free(&z);
    pb_free(&dz);
    pb_free(&dstats);
    pb_free(&acc);
    n_ops_tested += 2;
}

/* ---- Adam: every operation IEEE-rounded in the CPU's order: m and v exact,
 * parameters within one float ulp (expected exact; see adam.cu) ---- */
static void test_adam(void)
{
    const size_t n = 100003;
    pbuf p = pb_real(n, -1, 1), g = pb_real(n, -0.1, 0.1), m = pb_real(n, -0.01, 0.01);
    pbuf v = pb_real(n, 0, 1e-4);
    mb_adam_config cfg = {1e-3f, 0.9f, 0.999f, 1e-8f};
    const int step = irand(1, 2000);
    for (int s = step; s < step + 2; s++) {
        cpu->adam_step(cpu, C(p, mb_real), C(g, mb_real), C(m, mb_real), C(v, mb_real), n, &cfg, s);
        gpu->adam_step(gpu, G(p, mb_real), G(g, mb_real), G(m, mb_real), G(v, mb_real), n, &cfg, s);
    }
    compare("adam_step m", &m, T_REAL, n, NULL, EXACT);
    compare("adam_step v", &v, T_REAL, n, NULL, EXACT);
    compare("adam_step param (<= 1 ulp)", &p, T_REAL, n, NULL, 1e-38, FLT_EPSILON);
    pb_free(&p);
    pb_free(&g);
    pb_free(&m);
    pb_free(&v);
    n_ops_tested += 1;
}

/* ---- data movement and reductions ---- */
static void test_reductions(void)
{
    const int src_rows = 50, n_rows = 80;
    const size_t row_len = 37;
    pbuf src = pb_real(src_rows * row_len, -1, 1), dst = pb_real(n_rows * row_len, -1, 1);
    pbuf idx = pb_int(n_rows, 0, src_rows - 1);
    cpu->gather_rows(cpu, C(dst, mb_real), C(src, mb_real), C(idx, int), n_rows, row_len);
    gpu->gather_rows(gpu, G(dst, mb_real), G(src, mb_real), G(idx, int), n_rows, row_len);
    compare("gather_rows", &dst, T_REAL, n_rows * row_len, NULL, EXACT);
    pb_free(&src);
    pb_free(&dst);
    pb_free(&idx);

    /* sums in double, different order: relative 1e-12 of the sum of |x| */
    const size_t n = 1000003;
    pbuf x = pb_real(n, -1, 2);
    double s_abs = 0;
    for (size_t i = 0; i < n; i++)
        s_abs += fabs(((mb_real *)x.host)[i]);
    const double sum_g = gpu->sum(gpu, G(x, mb_real), n);
    compare_scalar("sum", sum_g, cpu->sum(cpu, C(x, mb_real), n), 1e-12 * s_abs, 0);
    CHECK(gpu->sum(gpu, G(x, mb_real), n) == sum_g, "sum: two CUDA calls disagree (not deterministic)");
    CHECK(gpu->all_finite(gpu, G(x, mb_real), n) == 1, "all_finite: finite data reported non-finite");
    const mb_real specials[2] = {NAN, INFINITY};
    for (int k = 0; k < 2; k++) {
        const size_t at = (size_t)irand(0, (int)n - 1);
        gpu->upload(gpu, G(x, mb_real) + at, &specials[k], sizeof(mb_real));
        cpu->upload(cpu, C(x, mb_real) + at, &specials[k], sizeof(mb_real));
        const int fg = gpu->all_finite(gpu, G(x, mb_real), n), fc = cpu->all_finite(cpu, C(x, mb_real), n);
        CHECK(fg == 0 && fc == 0, "all_finite with %s at %zu: cuda %d, cpu %d",
              k ? "Inf" : "NaN", at, fg, fc);
        const mb_real one = 1;
        gpu->upload(gpu, G(x, mb_real) + at, &one, sizeof one);
        cpu->upload(cpu, C(x, mb_real) + at, &one, sizeof one);
    }
    printf("  %-34s checked with finite data, a NaN and an Inf\n", "all_finite");
    pb_free(&x);
    n_ops_tested += 3;
}

/* ---- metric operations ---- */
static void test_metric_elementwise(void)
{
    const int rows = 301, cols = 47;
    const size_t n = (size_t)rows * cols;
    pbuf xr = pb_real(n, -3, 3), x = pb_f64(n, -1, 1), v = pb_f64(cols, -1, 1);
    cpu->to_f64(cpu, C(xr, mb_real), C(x, double), n);
    gpu->to_f64(gpu, G(xr, mb_real), G(x, double), n);
    compare("to_f64", &x, T_F64, n, NULL, EXACT);
    /* Loops that sum run in the CPU's order with unfused products: exact. */
    cpu->column_means_f64(cpu, C(x, double), rows, cols, C(v, double));
    gpu->column_means_f64(gpu, G(x, double), rows, cols, G(v, double));
    compare("column_means_f64", &v, T_F64, cols, NULL, EXACT);
    cpu->sub_row_f64(cpu, C(x, double), rows, cols, C(v, double));
    gpu->sub_row_f64(gpu, G(x, double), rows, cols, G(v, double));
    compare("sub_row_f64", &x, T_F64, n, NULL, EXACT);
    pbuf s = pb_f64(cols, 0.1, 2);
    cpu->scale_columns_f64(cpu, C(x, double), rows, cols, C(s, double));
    gpu->scale_columns_f64(gpu, G(x, double), rows, cols, G(s, double));
    compare("scale_columns_f64", &x, T_F64, n, NULL, EXACT);
    pbuf norms = pb_f64(rows, -1, 1);
    cpu->row_sq_norms_f64(cpu, C(x, double), rows, cols, C(norms, double));
    gpu->row_sq_norms_f64(gpu, G(x, double), rows, cols, G(norms, double));
    compare("row_sq_norms_f64", &norms, T_F64, rows, NULL, EXACT);
    cpu->normalize_rows_f64(cpu, C(x, double), rows, cols);
    gpu->normalize_rows_f64(gpu, G(x, double), rows, cols);
    compare("normalize_rows_f64", &x, T_F64, n, NULL, EXACT);
    const int na = 53;
    pbuf a = pb_f64((size_t)na * na, -1, 1);
    cpu->symmetrize_f64(cpu, C(a, double), na);
    gpu->symmetrize_f64(gpu, G(a, double), na);
    compare("symmetrize_f64", &a, T_F64, (size_t)na * na, NULL, EXACT);
    pb_free(&xr);
    pb_free(&x);
    pb_free(&v);
    pb_free(&s);
    pb_free(&norms);
    pb_free(&a);
    n_ops_tested += 7;
}

/* Eigenvalues within 1e-11 of the largest; eigenvectors (signs aligned) within
 * 1e-8 (rounding over the eigen-gap; the random matrix's gaps are >> 1e-4 in
 * practice), and the CUDA pairs satisfy A v = w v to 1e-10. */
static void test_syevd(void)
{
    const int n = 40;
    const size_t nn = (size_t)n * n;
    pbuf a = pb_f64(nn, -1, 1), w = pb_f64(n, -1, 1);
    double *h = a.host;
    for (int i = 0; i < n; i++)
        for (int j = 0; j < i; j++)
            h[(size_t)i * n + j] = h[(size_t)j * n + i];
    pb_upload(&a);
    double *orig = malloc(nn * sizeof *orig);
    memcpy(orig, h, nn * sizeof *orig);
    const int rc_c = cpu->syevd_f64(cpu, n, C(a, double), C(w, double));
    const int rc_g = gpu->syevd_f64(gpu, n, G(a, double), G(w, double));
    CHECK(rc_c == MB_OK && rc_g == MB_OK, "syevd_f64: cpu %d, cuda %d (%s)", rc_c, rc_g, mb_last_error());
    double *wc = malloc(n * sizeof *wc), *wg = malloc(n * sizeof *wg);
    double *vc = malloc(nn * sizeof *vc), *vg = malloc(nn * sizeof *vg);
    cpu->download(cpu, wc, w.c, n * sizeof *wc);
    gpu->download(gpu, wg, w.g, n * sizeof *wg);
    cpu->download(cpu, vc, a.c, nn * sizeof *vc);
    gpu->download(gpu, vg, a.g, nn * sizeof *vg);
    const double wmax = fmax(fabs(wc[0]), fabs(wc[n - 1]));
    double dw = 0, dv = 0, resid = 0;
    for (int i = 0; i < n; i++) {
        dw = fmax(dw, fabs(wg[i] - wc[i]));
        double dot = 0; /* align the sign of column i */
        for (int r = 0; r < n; r++)
            dot += vg[(size_t)r * n + i] * vc[(size_t)r * n + i];
        const double sign = dot < 0 ? -1 : 1;
        for (int r = 0; r < n; r++) {
            dv = fmax(dv, fabs(sign * vg[(size_t)r * n + i] - vc[(size_t)r * n + i]));
            double av = 0;
            for (int c = 0; c < n; c++)
                av += orig[(size_t)r * n + c] * vg[(size_t)c * n + i];
            resid = fmax(resid, fabs(av - wg[i] * vg[(size_t)r * n + i]));
        }
    }
    CHECK(dw <= 1e-11 * wmax, "syevd_f64 eigenvalues: max diff %.3g", dw);
    CHECK(dv <= 1e-8, "syevd_f64 eigenvectors: max diff %.3g", dv);
    CHECK(resid <= 1e-10 * wmax, "syevd_f64: CUDA residual |A v - w v| = %.3g", resid);
    printf("  %-34s n=%-8d eigenvalues %.3g, eigenvectors %.3g, residual %.3g\n",
           "syevd_f64", n, dw, dv, resid);
    free(orig);
    free(wc);
    free(wg);
    free(vc);
    free(vg);
    pb_free(&a);
    pb_free(&w);
    n_ops_tested += 1;
}

static void test_distances(void)
{
    const int m = 70, n = 90, d = 24;
    pbuf x = pb_f64((size_t)m * d, -1, 1), y = pb_f64((size_t)n * d, -1, 1);
    pbuf xs = pb_f64(m, 0, 1), ys = pb_f64(n, 0, 1), dist = pb_f64((size_t)m * n, -1, 1);
    cpu->row_sq_norms_f64(cpu, C(x, double), m, d, C(xs, double));
    gpu->row_sq_norms_f64(gpu, G(x, double), m, d, G(xs, double));
    cpu->row_sq_norms_f64(cpu, C(y, double), n, d, C(ys, double));
    gpu->row_sq_norms_f64(gpu, G(y, double), n, d, G(ys, double));
    /* the Dgemm part as in gemm_f64; the rest is exact */
    double *tol = malloc((size_t)m * n * sizeof *tol);
    const double *xh = x.host, *yh = y.host;
    for (int i = 0; i < m; i++)
        for (int j = 0; j < n; j++) {
            double s = 0, sx = 0, sy = 0;
            for (int p = 0; p < d; p++) {
                s += fabs(xh[(size_t)i * d + p] * yh[(size_t)j * d + p]);
                sx += xh[(size_t)i * d + p] * xh[(size_t)i * d + p];
                sy += yh[(size_t)j * d + p] * yh[(size_t)j * d + p];
            }
            tol[(size_t)i * n + j] = 16 * DBL_EPSILON * (2 * s + sx + sy);
        }
    cpu->sq_distances_f64(cpu, m, n, d, C(x, double), C(y, double), C(xs, double), C(ys, double), C(dist, double));
    gpu->sq_distances_f64(gpu, m, n, d, G(x, double), G(y, double), G(xs, double), G(ys, double), G(dist, double));
    compare("sq_distances_f64", &dist, T_F64, (size_t)m * n, tol, 0, 0);
    free(tol);

    /* k-th smallest: selection returns an entry, exact. Values on a coarse grid
     * so that rows hold ties; some negative. */
    const int rows = 33, cols = 257;
    pbuf q = pb_alloc((size_t)rows * cols * sizeof(double)), kth = pb_f64(rows, -1, 1);
    for (size_t i = 0; i < (size_t)rows * cols; i++)
        ((double *)q.host)[i] = floor(urand(-20, 100)) / 8;
    pb_upload(&q);
    const int ks[] = {1, 2, 6, cols / 2, cols};
    for (size_t t = 0; t < MB_ARRAY_LEN(ks); t++) {
        cpu->row_kth_smallest_f64(cpu, C(q, double), rows, cols, ks[t], C(kth, double));
        gpu->row_kth_smallest_f64(gpu, G(q, double), rows, cols, ks[t], G(kth, double));
        char what[64];
        snprintf(what, sizeof what, "row_kth_smallest_f64 k=%d", ks[t]);
        compare(what, &kth, T_F64, rows, NULL, EXACT);
    }

    /* counts: integers, exact; counts start non-zero (the op adds) */
    pbuf rrow = pb_f64(rows, 0, 10), rcol = pb_f64(cols, 0, 10);
    for (int per_row = 0; per_row <= 1; per_row++)
        for (int count_row = 0; count_row <= 1; count_row++) {
            pbuf counts = pb_int(count_row ? rows : cols, 0, 100);
            const pbuf *radius = per_row ? &rrow : &rcol;
            cpu->count_below_f64(cpu, C(q, double), rows, cols, radius->c, per_row, C(counts, int), count_row);
            gpu->count_below_f64(gpu, G(q, double), rows, cols, radius->g, per_row, G(counts, int), count_row);
            char what[64];
            snprintf(what, sizeof what, "count_below_f64 r/%s c/%s", per_row ? "row" : "col",
                     count_row ? "row" : "col");
            compare(what, &counts, T_INT, count_row ? rows : cols, NULL, EXACT);
            pb_free(&counts);
        }

    /* sums in double, different order: 1e-12 relative to the sum of |terms| */
    for (int skip = 0; skip <= 1; skip++) {
        const double scale = 1.0 / d;
        double s_abs = 0;
        const double *dh = q.host;
        for (size_t i = 0; i < (size_t)rows * cols; i++) {
            const double t = dh[i] * scale + 1;
            s_abs += fabs(t * t * t);
        }
        compare_scalar(skip ? "poly3_kernel_sum_f64 skip diag" : "poly3_kernel_sum_f64",
                       gpu->poly3_kernel_sum_f64(gpu, G(q, double), rows, cols, scale, skip),
                       cpu->poly3_kernel_sum_f64(cpu, C(q, double), rows, cols, scale, skip),
                       1e-12 * s_abs, 0);
    }
    for (int take_sqrt = 0; take_sqrt <= 1; take_sqrt++) {
        double s_abs = 0;
        for (size_t i = 0; i < (size_t)rows * cols; i++)
            s_abs += fabs(((double *)q.host)[i]);
        compare_scalar(take_sqrt ? "sum_f64 sqrt" : "sum_f64",
                       gpu->sum_f64(gpu, G(q, double), (size_t)rows * cols, take_sqrt),
                       cpu->sum_f64(cpu, C(q, double), (size_t)rows * cols, take_sqrt),
                       1e-12 * s_abs, 0);
    }
    pb_free(&x);
    pb_free(&y);
    pb_free(&xs);
    pb_free(&ys);
    pb_free(&dist);
    pb_free(&q);
    pb_free(&kth);
    pb_free(&rrow);
    pb_free(&rcol);
    n_ops_tested += 5;
}

static void test_classifier_ops(void)
{
    const int rows = 300, classes = 10;
    const size_t n = (size_t)rows * classes;
    pbuf z = pb_alloc(n * sizeof(mb_real));
    for (size_t i = 0; i < n; i++) /* a coarse grid: rows with tied maxima */
        ((mb_real *)z.host)[i] = (mb_real)(floor(urand(-20, 20)) / 4);
    pb_upload(&z);
    pbuf labels = pb_int(rows, 0, classes - 1), dz = pb_real(n, -1, 1), acc = pb_accum(urand(0, 3));
    pbuf best = pb_int(rows, -5, 5);
    cpu->softmax_xent(cpu, C(z, mb_real), C(labels, int), rows, classes, C(dz, mb_real), C(acc, double));
    gpu->softmax_xent(gpu, G(z, mb_real), G(labels, int), rows, classes, G(dz, mb_real), G(acc, double));
    /* double on both sides (exp/log ulps), rounded to float */
    compare("softmax_xent dlogits", &dz, T_REAL, n, NULL, 1e-14 / rows, FLT_EPSILON);
    compare_scalar("softmax_xent loss", read_f64(gpu, acc.g), read_f64(cpu, acc.c), 1e-13, 1e-12);
    cpu->argmax_rows(cpu, C(z, mb_real), rows, classes, C(best, int));
    gpu->argmax_rows(gpu, G(z, mb_real), rows, classes, G(best, int));
    compare("argmax_rows (first on ties)", &best, T_INT, rows, NULL, EXACT);
    pb_free(&z);
    pb_free(&labels);
    pb_free(&dz);
    pb_free(&acc);
    pb_free(&best);
    n_ops_tested += 2;
}

int main(void)
{
    if (mb_cuda_device_count() <= 0) {
        puts("gpu_backend_ops: no CUDA device: skipped");
        return MB_TEST_SKIP;
    }
    const char *s = getenv("MB_TEST_SEED");
    seed = s ? strtoull(s, NULL, 0) : (uint64_t)time(NULL);
    cpu = mb_backend_create("cpu");
    gpu = mb_backend_create("cuda");
    if (!cpu || !gpu) {
        fprintf(stderr, "gpu_backend_ops: %s\n", mb_last_error());
        return 1;
    }
    printf("gpu_backend_ops: %s vs %s, MB_TEST_SEED=%llu, GEMM %s\n", gpu->device_name,
           cpu->device_name, (unsigned long long)seed,
           getenv("MADBENCH_GEMM_MATH") ? getenv("MADBENCH_GEMM_MATH") : "fp32");
    test_table_complete();
    test_memory();
    test_fills();
    test_gemm();
    test_gemm_batched();
    test_conv();
    test_bias();
    test_activations();
    test_recon_loss();
    test_vae_latent();
    test_adam();
    test_reductions();
    test_metric_elementwise();
    test_syevd();
    test_distances();
    test_classifier_ops();
    /* destroy is the one entry not exercised by an op test (it runs below) */
    CHECK((size_t)n_ops_tested + 1 == N_OPS,
          "the table has %zu operations but this test exercises %d (+ destroy): add a test "
          "for the new operation", N_OPS, n_ops_tested);
    mb_backend_destroy(gpu);
    mb_backend_destroy(cpu);
    return mb_test_finish("gpu_backend_ops");
}
#endif
