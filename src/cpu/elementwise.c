/* cpu/elementwise.c — bias add and gradient, ReLU and sigmoid, forward and backward.
 * The CPU twin of kernels/elementwise.cu. */
#include "cpu_internal.h"

#include <math.h>

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
