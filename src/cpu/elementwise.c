/* cpu/elementwise.c — bias add and gradient (each with the fused ReLU), ReLU and
 * sigmoid, forward and backward. The CPU twin of kernels/elementwise.cu. */
#include "cpu_internal.h"

#include <math.h>

#define MB_BIAS_BLOCK 256 /* channels per block of a linear layer's bias gradient */

/* One row of a linear layer's output [outer, channels] (inner = 1): a loop over
 * the channels, which vectorises. */
static void bias_add_row(mb_real *x, const mb_real *bias, int channels, int relu)
{
    if (relu) {
#pragma omp simd
        for (int c = 0; c < channels; c++)
            x[c] = mb_relu(x[c] + bias[c]);
    } else {
#pragma omp simd
        for (int c = 0; c < channels; c++)
            x[c] += bias[c];
    }
}

static void cpu_bias_add(mb_backend *be, mb_real *x, const mb_real *bias, int outer,
                         int channels, int inner, int relu)
{
    (void)be;
    if (inner == 1) {
#pragma omp parallel for schedule(static) if ((size_t)outer * channels > MB_PARALLEL_MIN)
        for (int o = 0; o < outer; o++)
            bias_add_row(x + (size_t)o * channels, bias, channels, relu);
        return;
    }
#pragma omp parallel for collapse(2) schedule(static)
    for (int o = 0; o < outer; o++)
        for (int c = 0; c < channels; c++) {
            mb_real *p = x + ((size_t)o * channels + c) * inner;
            const mb_real b = bias[c];
            if (relu) {
#pragma omp simd
                for (int i = 0; i < inner; i++)
                    p[i] = mb_relu(p[i] + b);
            } else {
#pragma omp simd
                for (int i = 0; i < inner; i++)
                    p[i] += b;
            }
        }
}

/* inner = 1: channels [lo, hi) of dy [outer, channels], row by row, so the loops
 * over channels vectorise; each channel still sums its rows in order o = 0, 1, ... */
static void bias_grad_rows(const mb_real *relu_y, mb_real *dy, mb_real *dbias, int outer,
                           int channels, int lo, int hi)
{
    double acc[MB_BIAS_BLOCK] = {0};
    for (int o = 0; o < outer; o++) {
        mb_real *p = dy + (size_t)o * channels;
        if (relu_y) {
            const mb_real *y = relu_y + (size_t)o * channels;
#pragma omp simd
            for (int c = lo; c < hi; c++)
                p[c] = mb_relu_grad(p[c], y[c]);
        }
#pragma omp simd
        for (int c = lo; c < hi; c++)
            acc[c - lo] += p[c];
    }
    for (int c = lo; c < hi; c++)
        dbias[c] = (mb_real)acc[c - lo];
}

static void cpu_bias_grad(mb_backend *be, const mb_real *relu_y, mb_real *dy, mb_real *dbias,
                          int outer, int channels, int inner)
{
    (void)be;
    if (inner == 1) {
        const int blocks = (channels + MB_BIAS_BLOCK - 1) / MB_BIAS_BLOCK;
#pragma omp parallel for schedule(static) if ((size_t)outer * channels > MB_PARALLEL_MIN)
        for (int b = 0; b < blocks; b++) {
            const int lo = b * MB_BIAS_BLOCK;
            bias_grad_rows(relu_y, dy, dbias, outer, channels, lo,
                           lo + MB_BIAS_BLOCK < channels ? lo + MB_BIAS_BLOCK : channels);
        }
        return;
    }
#pragma omp parallel for schedule(static)
    for (int c = 0; c < channels; c++) {
        double acc = 0;
        for (int o = 0; o < outer; o++) {
            const size_t at = ((size_t)o * channels + c) * inner;
            mb_real *p = dy + at;
            if (relu_y) {
                const mb_real *y = relu_y + at;
#pragma omp simd
                for (int i = 0; i < inner; i++)
                    p[i] = mb_relu_grad(p[i], y[i]);
            }
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
        y[i] = mb_relu(x[i]);
}

static void cpu_relu_backward(mb_backend *be, const mb_real *y, const mb_real *dy,
                              mb_real *dx, size_t n)
{
    (void)be;
#pragma omp parallel for simd if (n > MB_PARALLEL_MIN)
    for (size_t i = 0; i < n; i++)
        dx[i] = mb_relu_grad(dy[i], y[i]); /* dy loaded unconditionally: vectorises */
}

static void cpu_sigmoid_forward(mb_backend *be, const mb_real *x, mb_real *y, size_t n)
{
    (void)be;
#pragma omp parallel for if (n > MB_PARALLEL_MIN)
    for (size_t i = 0; i < n; i++)
        y[i] = mb_sigmoid(x[i]);
}

static void cpu_sigmoid_backward(mb_backend *be, const mb_real *y, const mb_real *dy,
                                 mb_real *dx, size_t n)
{
    (void)be;
#pragma omp parallel for simd if (n > MB_PARALLEL_MIN)
    for (size_t i = 0; i < n; i++)
        dx[i] = mb_sigmoid_grad(dy[i], y[i]);
}

void mb_cpu_install_elementwise(mb_backend *be)
{
    be->bias_add = cpu_bias_add;
    be->bias_grad = cpu_bias_grad;
    be->relu_forward = cpu_relu_forward;
    be->relu_backward = cpu_relu_backward;
    be->sigmoid_forward = cpu_sigmoid_forward;
    be->sigmoid_backward = cpu_sigmoid_backward;
}
