/* cpu/conv.c — the convolution pieces: im2col, its adjoint col2im and the layout permute
 * between [N, C, HW] and [C, N, HW] (include/mb_backend.h gives the maths).
 * The CPU twin of kernels/conv.cu. */
#include "cpu_internal.h"

#include <string.h>

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

void mb_cpu_install_conv(mb_backend *be)
{
    be->im2col = cpu_im2col;
    be->col2im = cpu_col2im;
    be->permute_01 = cpu_permute_01;
}
