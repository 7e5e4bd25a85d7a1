/* cpu/backend_cpu.c — the reference backend: plain C11 loops parallelised with
 * OpenMP, GEMMs through OpenBLAS. Every other backend is checked against this.
 * Loops are written so that each output element is computed by one thread in a
 * fixed order: results do not depend on the thread count. */
#include "mb_backend.h"
#include "mb_philox.h"

#include <cblas.h>
#include <math.h>
#include <omp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#ifdef MB_REAL_DOUBLE
#define CBLAS_GEMM cblas_dgemm
#else
#define CBLAS_GEMM cblas_sgemm
#endif

/* Small loops are not worth waking the thread team for. */
#define MB_PARALLEL_MIN 4096

static void *cpu_alloc(mb_backend *be, size_t bytes)
{
    (void)be;
    void *p = NULL;
    if (posix_memalign(&p, 64, bytes ? bytes : 64)) {
        mb_fail(MB_ENOMEM, "out of host memory: requested %zu bytes", bytes);
        return NULL;
    }
    return p;
}

static void cpu_free(mb_backend *be, void *ptr) { (void)be; free(ptr); }

static void cpu_memcpy(mb_backend *be, void *dst, const void *src, size_t bytes)
{
    (void)be;
    if (bytes)
        memmove(dst, src, bytes);
}

static void cpu_synchronize(mb_backend *be) { (void)be; }

static void cpu_fill(mb_backend *be, mb_real *x, size_t n, mb_real value)
{
    (void)be;
#pragma omp parallel for simd if (n > MB_PARALLEL_MIN)
    for (size_t i = 0; i < n; i++)
        x[i] = value;
}

static void cpu_fill_uniform(mb_backend *be, mb_real *x, size_t n, uint64_t seed,
                             uint64_t offset, mb_real lo, mb_real hi)
{
    (void)be;
#pragma omp parallel for if (n > MB_PARALLEL_MIN)
    for (size_t i = 0; i < n; i++)
        x[i] = (mb_real)(lo + (hi - lo) * mb_uniform_at(seed, offset + i));
}

static void cpu_fill_normal(mb_backend *be, mb_real *x, size_t n, uint64_t seed,
                            uint64_t offset, mb_real mean, mb_real std)
{
    (void)be;
#pragma omp parallel for if (n > MB_PARALLEL_MIN)
    for (size_t i = 0; i < n; i++)
        x[i] = (mb_real)(mean + std * mb_normal_at(seed, offset + i));
}

/* OpenBLAS's own threading changes the rounding of a GEMM with the number of
 * threads (measured: 1 vs 2 threads differ in the last bit), so OpenBLAS runs
 * single-threaded and the parallelism is ours: the larger of the output's two
 * dimensions is cut into blocks whose size depends only on the shape, and the
 * blocks are shared among the OpenMP threads. Each block is the same
 * single-threaded call whatever the thread count, so results are too. */
#define MB_GEMM_BLOCKS 32     /* blocks per GEMM (at most) */
#define MB_GEMM_MIN_BLOCK 32  /* rows or columns per block (at least) */

static void blas_gemm(int trans_a, int trans_b, int m, int n, int k, mb_real alpha,
                      const mb_real *a, int lda, const mb_real *b, int ldb, mb_real beta,
                      mb_real *c, int ldc)
{
    CBLAS_GEMM(CblasRowMajor, trans_a ? CblasTrans : CblasNoTrans,
               trans_b ? CblasTrans : CblasNoTrans, m, n, k, alpha, a, lda, b, ldb, beta, c,
               ldc);
}

static void cpu_gemm(mb_backend *be, int trans_a, int trans_b, int m, int n, int k,
                     mb_real alpha, const mb_real *a, int lda, const mb_real *b, int ldb,
                     mb_real beta, mb_real *c, int ldc)
{
    (void)be;
    if (m <= 0 || n <= 0)
        return;
    const int split_rows = m > n, dim = split_rows ? m : n;
    int block = (dim + MB_GEMM_BLOCKS - 1) / MB_GEMM_BLOCKS;
    block = block < MB_GEMM_MIN_BLOCK ? MB_GEMM_MIN_BLOCK : (block + 15) / 16 * 16;
    const int n_blocks = (dim + block - 1) / block;
    const double flops = 2.0 * m * n * k;
#pragma omp parallel for schedule(dynamic, 1) if (n_blocks > 1 && flops > 1e6)
    for (int i = 0; i < n_blocks; i++) {
        const int lo = i * block, len = lo + block <= dim ? block : dim - lo;
        if (split_rows) /* rows lo.. of op(A) and C */
            blas_gemm(trans_a, trans_b, len, n, k, alpha,
                      trans_a ? a + lo : a + (size_t)lo * lda, lda, b, ldb, beta,
                      c + (size_t)lo * ldc, ldc);
        else /* columns lo.. of op(B) and C */
            blas_gemm(trans_a, trans_b, m, len, k, alpha, a, lda,
                      trans_b ? b + (size_t)lo * ldb : b + lo, ldb, beta, c + lo, ldc);
    }
}

static void cpu_gemm_strided_batched(mb_backend *be, int trans_a, int trans_b, int m,
                                     int n, int k, mb_real alpha, const mb_real *a,
                                     int lda, long long stride_a, const mb_real *b, int ldb,
                                     long long stride_b, mb_real beta, mb_real *c, int ldc,
                                     long long stride_c, int batch)
{
    for (int i = 0; i < batch; i++)
        cpu_gemm(be, trans_a, trans_b, m, n, k, alpha, a + i * stride_a, lda,
                 b + i * stride_b, ldb, beta, c + i * stride_c, ldc);
}

/* The output positions o in [*lo, *hi) whose input position o*stride - pad + tap
 * lies inside [0, size): the in-range span of one kernel tap, so the inner loops
 * of im2col and col2im need no bounds test. */
static void tap_range(int size, int out_size, int stride, int pad, int tap, int *lo, int *hi)
{
    const int first = pad - tap;          /* o*stride >= first */
    const int last = size - 1 + pad - tap; /* o*stride <= last */
    *lo = first > 0 ? (first + stride - 1) / stride : 0;
    *hi = last < 0 ? 0 : last / stride + 1;
    if (*hi > out_size)
        *hi = out_size;
    if (*lo > *hi)
        *lo = *hi;
}

static void cpu_im2col(mb_backend *be, const mb_conv_geom *g, const mb_real *image,
                       mb_real *cols)
{
    (void)be;
    const int k = g->kernel, s = g->stride, n_img = g->n_images;
    const int out_h = g->out_h, out_w = g->out_w;
    const size_t plane = (size_t)g->height * g->width;
    const size_t out_plane = (size_t)out_h * out_w, col_len = (size_t)n_img * out_plane;
    const int rows = g->channels * k * k;
#pragma omp parallel for collapse(2) schedule(static)
    for (int row = 0; row < rows; row++)
        for (int n = 0; n < n_img; n++) {
            const int c = row / (k * k), ki = (row / k) % k, kj = row % k;
            const mb_real *src = image + ((size_t)c * n_img + n) * plane;
            mb_real *dst = cols + (size_t)row * col_len + (size_t)n * out_plane;
            int oh_lo, oh_hi, ow_lo, ow_hi;
            tap_range(g->height, out_h, s, g->pad, ki, &oh_lo, &oh_hi);
            tap_range(g->width, out_w, s, g->pad, kj, &ow_lo, &ow_hi);
            memset(dst, 0, (size_t)oh_lo * out_w * sizeof *dst);
            for (int oh = oh_lo; oh < oh_hi; oh++) {
                mb_real *d = dst + (size_t)oh * out_w;
                const mb_real *in = src + (size_t)(oh * s - g->pad + ki) * g->width;
                const int shift = kj - g->pad;
                for (int ow = 0; ow < ow_lo; ow++)
                    d[ow] = 0;
                for (int ow = ow_lo; ow < ow_hi; ow++)
                    d[ow] = in[ow * s + shift];
                for (int ow = ow_hi; ow < out_w; ow++)
                    d[ow] = 0;
            }
            memset(dst + (size_t)oh_hi * out_w, 0, (size_t)(out_h - oh_hi) * out_w * sizeof *dst);
        }
}

/* Scatter form, one thread per image plane: each pixel receives its column
 * entries in the order of the kernel taps (ki, kj), exactly the order of the
 * gather definition in mb_backend.h, so the sums are bit-identical to it (and to
 * the CUDA kernel); no pixel is written by two threads. */
static void cpu_col2im(mb_backend *be, const mb_conv_geom *g, const mb_real *cols,
                       mb_real *image)
{
    (void)be;
    const int k = g->kernel, s = g->stride, n_img = g->n_images;
    const int out_h = g->out_h, out_w = g->out_w;
    const size_t plane = (size_t)g->height * g->width;
    const size_t out_plane = (size_t)out_h * out_w, col_len = (size_t)n_img * out_plane;
#pragma omp parallel for collapse(2) schedule(static)
    for (int c = 0; c < g->channels; c++)
        for (int n = 0; n < n_img; n++) {
            mb_real *dst = image + ((size_t)c * n_img + n) * plane;
            memset(dst, 0, plane * sizeof *dst);
            for (int ki = 0; ki < k; ki++) {
                int oh_lo, oh_hi;
                tap_range(g->height, out_h, s, g->pad, ki, &oh_lo, &oh_hi);
                for (int kj = 0; kj < k; kj++) {
                    int ow_lo, ow_hi;
                    tap_range(g->width, out_w, s, g->pad, kj, &ow_lo, &ow_hi);
                    const mb_real *src = cols + (((size_t)c * k + ki) * k + kj) * col_len +
                                         (size_t)n * out_plane;
                    const int shift = kj - g->pad;
                    for (int oh = oh_lo; oh < oh_hi; oh++) {
                        mb_real *d = dst + (size_t)(oh * s - g->pad + ki) * g->width;
                        const mb_real *in = src + (size_t)oh * out_w;
                        for (int ow = ow_lo; ow < ow_hi; ow++)
                            d[ow * s + shift] += in[ow];
                    }
                }
            }
        }
}

static void cpu_permute_01(mb_backend *be, const mb_real *x, mb_real *y, int rows, int cols,
                           int inner)
{
    (void)be;
#pragma omp parallel for collapse(2) schedule(static)
    for (int j = 0; j < cols; j++)
        for (int i = 0; i < rows; i++)
            memcpy(y + ((size_t)j * rows + i) * inner, x + ((size_t)i * cols + j) * inner,
                   (size_t)inner * sizeof *x);
}

static void cpu_bias_add(mb_backend *be, mb_real *x, const mb_real *bias, int outer,
                         int channels, int inner)
{
    (void)be;
#pragma omp parallel for collapse(2) schedule(static)
    for (int o = 0; o < outer; o++)
        for (int c = 0; c < channels; c++) {
            mb_real *p = x + ((size_t)o * channels + c) * inner;
            const mb_real b = bias[c];
#pragma omp simd
            for (int i = 0; i < inner; i++)
                p[i] += b;
        }
}

static void cpu_bias_grad(mb_backend *be, const mb_real *dy, mb_real *dbias, int outer,
                          int channels, int inner)
{
    (void)be;
#pragma omp parallel for schedule(static)
    for (int c = 0; c < channels; c++) {
        double acc = 0;
        for (int o = 0; o < outer; o++) {
            const mb_real *p = dy + ((size_t)o * channels + c) * inner;
            for (int i = 0; i < inner; i++)
                acc += p[i];
        }
        dbias[c] = (mb_real)acc;
    }
}

static void cpu_relu_forward(mb_backend *be, const mb_real *x, mb_real *y, size_t n)
{
    (void)be;
#pragma omp parallel for simd if (n > MB_PARALLEL_MIN)
    for (size_t i = 0; i < n; i++)
        y[i] = x[i] > 0 ? x[i] : 0;
}

static void cpu_relu_backward(mb_backend *be, const mb_real *y, const mb_real *dy,
                              mb_real *dx, size_t n)
{
    (void)be;
#pragma omp parallel for simd if (n > MB_PARALLEL_MIN)
    for (size_t i = 0; i < n; i++) {
        const mb_real g = dy[i]; /* loaded unconditionally: the loop vectorises */
        dx[i] = y[i] > 0 ? g : 0;
    }
}

static inline mb_real sigmoid(mb_real z)
{
    /* split on the sign so exp never overflows */
    if (z >= 0)
        return 1 / (1 + exp(-z));
    const mb_real e = exp(z);
    return e / (1 + e);
}

static void cpu_sigmoid_forward(mb_backend *be, const mb_real *x, mb_real *y, size_t n)
{
    (void)be;
#pragma omp parallel for if (n > MB_PARALLEL_MIN)
    for (size_t i = 0; i < n; i++)
        y[i] = sigmoid(x[i]);
}

static void cpu_sigmoid_backward(mb_backend *be, const mb_real *y, const mb_real *dy,
                                 mb_real *dx, size_t n)
{
    (void)be;
#pragma omp parallel for simd if (n > MB_PARALLEL_MIN)
    for (size_t i = 0; i < n; i++)
        dx[i] = dy[i] * y[i] * (1 - y[i]);
}

/* Reductions split the range into MB_CHUNKS fixed chunks (independent of the
 * thread count), sum each in order and add the chunk sums in order: the same
 * result for any number of threads. */
#define MB_CHUNKS 64

static void cpu_recon_loss(mb_backend *be, mb_loss_kind kind, const mb_real *logits,
                           const mb_real *target, int rows, int cols, mb_real *dlogits,
                           double *loss_accum)
{
    (void)be;
    const mb_real inv_rows = (mb_real)1 / rows;
    const size_t n = (size_t)rows * cols;
    double partial[MB_CHUNKS];
#pragma omp parallel for schedule(static)
    for (int chunk = 0; chunk < MB_CHUNKS; chunk++) {
        double acc = 0;
        const size_t end = n * (chunk + 1) / MB_CHUNKS;
        for (size_t i = n * chunk / MB_CHUNKS; i < end; i++) {
            const mb_real z = logits[i], t = target[i], y = sigmoid(z);
            if (kind == MB_LOSS_BCE) {
                acc += (z > 0 ? z : 0) - z * t + log1p(exp(-fabs(z)));
                dlogits[i] = (y - t) * inv_rows;
            } else {
                acc += (y - t) * (y - t);
                dlogits[i] = 2 * (y - t) * y * (1 - y) * inv_rows;
            }
        }
        partial[chunk] = acc;
    }
    double total = 0;
    for (int chunk = 0; chunk < MB_CHUNKS; chunk++)
        total += partial[chunk];
    *loss_accum += total / rows;
}

static void cpu_vae_latent_forward(mb_backend *be, const mb_real *stats, const mb_real *eps,
                                   mb_real *z, int rows, int d)
{
    (void)be;
    for (int r = 0; r < rows; r++)
        for (int j = 0; j < d; j++) {
            const mb_real mu = stats[(size_t)r * 2 * d + j];
            const mb_real logvar = stats[(size_t)r * 2 * d + d + j];
            z[(size_t)r * d + j] = mu + exp(logvar / 2) * eps[(size_t)r * d + j];
        }
}

static void cpu_vae_latent_backward(mb_backend *be, const mb_real *stats, const mb_real *eps,
                                    const mb_real *dz, mb_real beta, mb_real *dstats,
                                    int rows, int d, double *loss_accum)
{
    (void)be;
    const mb_real scale = beta / rows;
    double kl = 0;
    for (int r = 0; r < rows; r++)
        for (int j = 0; j < d; j++) {
            const size_t i = (size_t)r * d + j, mu_i = (size_t)r * 2 * d + j, lv_i = mu_i + d;
            const mb_real mu = stats[mu_i], logvar = stats[lv_i];
            const mb_real sd = exp(logvar / 2), var = sd * sd;
            kl += -0.5 * (1 + logvar - mu * mu - var);
            dstats[mu_i] = dz[i] + scale * mu;
            dstats[lv_i] = dz[i] * eps[i] * sd / 2 + scale * (var - 1) / 2;
        }
    *loss_accum += beta * kl / rows;
}

static void cpu_adam_step(mb_backend *be, mb_real *param, const mb_real *grad, mb_real *m,
                          mb_real *v, size_t n, const mb_adam_config *cfg, int step)
{
    (void)be;
    const double b1 = cfg->beta1, b2 = cfg->beta2;
    const mb_real corr1 = (mb_real)(1 - pow(b1, step)), corr2 = (mb_real)(1 - pow(b2, step));
#pragma omp parallel for if (n > MB_PARALLEL_MIN)
    for (size_t i = 0; i < n; i++) {
        const mb_real g = grad[i];
        m[i] = (mb_real)b1 * m[i] + (mb_real)(1 - b1) * g;
        v[i] = (mb_real)b2 * v[i] + (mb_real)(1 - b2) * g * g;
        const mb_real m_hat = m[i] / corr1, v_hat = v[i] / corr2;
        param[i] -= cfg->lr * m_hat / (sqrt(v_hat) + cfg->eps);
    }
}

static void cpu_gather_rows(mb_backend *be, mb_real *dst, const mb_real *src, const int *idx,
                            int n_rows, size_t row_len)
{
    (void)be;
#pragma omp parallel for schedule(static)
    for (int i = 0; i < n_rows; i++)
        memcpy(dst + (size_t)i * row_len, src + (size_t)idx[i] * row_len,
               row_len * sizeof *dst);
}

static double cpu_sum(mb_backend *be, const mb_real *x, size_t n)
{
    (void)be;
    double partial[MB_CHUNKS];
#pragma omp parallel for schedule(static) if (n > MB_PARALLEL_MIN)
    for (int chunk = 0; chunk < MB_CHUNKS; chunk++) {
        double acc = 0;
        const size_t end = n * (chunk + 1) / MB_CHUNKS;
        for (size_t i = n * chunk / MB_CHUNKS; i < end; i++)
            acc += x[i];
        partial[chunk] = acc;
    }
    double total = 0;
    for (int chunk = 0; chunk < MB_CHUNKS; chunk++)
        total += partial[chunk];
    return total;
}

static int cpu_all_finite(mb_backend *be, const mb_real *x, size_t n)
{
    (void)be;
    int bad = 0;
#pragma omp parallel for reduction(| : bad) if (n > MB_PARALLEL_MIN)
    for (size_t i = 0; i < n; i++)
        bad |= !isfinite(x[i]);
    return !bad;
}

static void cpu_destroy(mb_backend *be) { free(be); }

static void cpu_model_name(char *out, size_t len)
{
    snprintf(out, len, "CPU, %d OpenMP threads", omp_get_max_threads());
    FILE *f = fopen("/proc/cpuinfo", "r");
    if (!f)
        return;
    char line[256];
    while (fgets(line, sizeof line, f)) {
        if (strncmp(line, "model name", 10))
            continue;
        char *colon = strchr(line, ':');
        if (colon) {
            colon[strcspn(colon, "\n")] = 0;
            snprintf(out, len, "%s, %d OpenMP threads", colon + 2, omp_get_max_threads());
        }
        break;
    }
    fclose(f);
}

void mb_cpu_set_threads(int n)
{
    if (n <= 0)
        return;
    omp_set_num_threads(n);
}

mb_backend *mb_backend_cpu_create(void)
{
    mb_backend *be = calloc(1, sizeof *be);
    if (!be) {
        mb_fail(MB_ENOMEM, "out of host memory creating the CPU backend");
        return NULL;
    }
    openblas_set_num_threads(1); /* see cpu_gemm */
    be->name = "cpu";
    cpu_model_name(be->device_name, sizeof be->device_name);
    be->destroy = cpu_destroy;
    be->alloc = cpu_alloc;
    be->free = cpu_free;
    be->upload = cpu_memcpy;
    be->download = cpu_memcpy;
    be->copy = cpu_memcpy;
    be->synchronize = cpu_synchronize;
    be->fill = cpu_fill;
    be->fill_uniform = cpu_fill_uniform;
    be->fill_normal = cpu_fill_normal;
    be->gemm = cpu_gemm;
    be->gemm_strided_batched = cpu_gemm_strided_batched;
    be->im2col = cpu_im2col;
    be->col2im = cpu_col2im;
    be->permute_01 = cpu_permute_01;
    be->bias_add = cpu_bias_add;
    be->bias_grad = cpu_bias_grad;
    be->relu_forward = cpu_relu_forward;
    be->relu_backward = cpu_relu_backward;
    be->sigmoid_forward = cpu_sigmoid_forward;
    be->sigmoid_backward = cpu_sigmoid_backward;
    be->recon_loss = cpu_recon_loss;
    be->vae_latent_forward = cpu_vae_latent_forward;
    be->vae_latent_backward = cpu_vae_latent_backward;
    be->adam_step = cpu_adam_step;
    be->gather_rows = cpu_gather_rows;
    be->sum = cpu_sum;
    be->all_finite = cpu_all_finite;
    mb_backend_cpu_add_metric_ops(be);
    return be;
}
