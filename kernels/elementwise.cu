/* elementwise.cu — bias add and gradient (each with the fused ReLU), ReLU and
 * sigmoid, forward and backward. Same arithmetic as src/cpu/elementwise.c; the
 * ReLU, the sigmoid and their gradients are mb_elementwise.h's. The sigmoid keeps the CPU's mix of double exp and float
 * division; these kernels are memory-bound, so the double exp costs no measurable
 * time. */
#include "mb_cuda.cuh"

/* x [outer, channels, inner] += bias[channel], then the fused ReLU when relu */
static __global__ void bias_add_kernel(float *x, const float *bias, int channels, int inner,
                                       int relu, size_t total)
{
    MB_FOR_EACH(i, total) {
        const float v = x[i] + bias[(i / inner) % channels];
        x[i] = relu ? mb_relu(v) : v;
    }
}

/* One block per channel: dbias[c] = sum over outer and inner of dy, in double as
 * on the CPU, reduced in a fixed order (deterministic); dy masked in place by the
 * fused ReLU's output first when relu_y is not NULL. */
static __global__ void bias_grad_kernel(const float *relu_y, float *dy, float *dbias,
                                        int outer, int channels, int inner)
{
    const int c = blockIdx.x;
    const size_t per_channel = (size_t)outer * inner;
    double acc = 0;
    for (size_t e = threadIdx.x; e < per_channel; e += blockDim.x) {
        const size_t o = e / inner, i = e % inner, at = (o * channels + c) * inner + i;
        if (relu_y)
            dy[at] = mb_relu_grad(dy[at], relu_y[at]);
        acc += dy[at];
    }
    acc = mb_block_sum(acc);
    if (threadIdx.x == 0)
        dbias[c] = (float)acc;
}

static __global__ void relu_forward_kernel(const float *x, float *y, size_t n)
{
    MB_FOR_EACH(i, n)
        y[i] = mb_relu(x[i]);
}

static __global__ void relu_backward_kernel(const float *y, const float *dy, float *dx,
                                            size_t n)
{
    MB_FOR_EACH(i, n)
        dx[i] = mb_relu_grad(dy[i], y[i]);
}

static __global__ void sigmoid_forward_kernel(const float *x, float *y, size_t n)
{
    MB_FOR_EACH(i, n)
        y[i] = mb_sigmoid(x[i]);
}

static __global__ void sigmoid_backward_kernel(const float *y, const float *dy, float *dx,
                                               size_t n)
{
    MB_FOR_EACH(i, n)
        dx[i] = mb_sigmoid_grad(dy[i], y[i]);
}

static void cuda_bias_add(mb_backend *be, mb_real *x, const mb_real *bias, int outer,
                          int channels, int inner, int relu)
{
    const size_t total = (size_t)outer * channels * inner;
    if (!total)
        return;
    bias_add_kernel<<<mb_grid(total), MB_THREADS, 0, mb_stream(be)>>>(x, bias, channels,
                                                                       inner, relu, total);
    MB_LAUNCH_CHECK();
}

static void cuda_bias_grad(mb_backend *be, const mb_real *relu_y, mb_real *dy,
                           mb_real *dbias, int outer, int channels, int inner)
{
    if (channels <= 0)
        return;
    bias_grad_kernel<<<channels, MB_REDUCE_THREADS, 0, mb_stream(be)>>>(relu_y, dy, dbias,
                                                                         outer, channels, inner);
    MB_LAUNCH_CHECK();
}

#define MB_ELEMENTWISE_LAUNCH(kernel, n, ...)                                       \
    do {                                                                            \
        if (n) {                                                                    \
            kernel<<<mb_grid(n), MB_THREADS, 0, mb_stream(be)>>>(__VA_ARGS__, n);   \
            MB_LAUNCH_CHECK();                                                      \
        }                                                                           \
    } while (0)

static void cuda_relu_forward(mb_backend *be, const mb_real *x, mb_real *y, size_t n)
{
    MB_ELEMENTWISE_LAUNCH(relu_forward_kernel, n, x, y);
}

static void cuda_relu_backward(mb_backend *be, const mb_real *y, const mb_real *dy,
                               mb_real *dx, size_t n)
{
    MB_ELEMENTWISE_LAUNCH(relu_backward_kernel, n, y, dy, dx);
}

static void cuda_sigmoid_forward(mb_backend *be, const mb_real *x, mb_real *y, size_t n)
{
    MB_ELEMENTWISE_LAUNCH(sigmoid_forward_kernel, n, x, y);
}

static void cuda_sigmoid_backward(mb_backend *be, const mb_real *y, const mb_real *dy,
                                  mb_real *dx, size_t n)
{
    MB_ELEMENTWISE_LAUNCH(sigmoid_backward_kernel, n, y, dy, dx);
}

void mb_cuda_install_elementwise(mb_backend *be)
{
    be->bias_add = cuda_bias_add;
    be->bias_grad = cuda_bias_grad;
    be->relu_forward = cuda_relu_forward;
    be->relu_backward = cuda_relu_backward;
    be->sigmoid_forward = cuda_sigmoid_forward;
    be->sigmoid_backward = cuda_sigmoid_backward;
}
