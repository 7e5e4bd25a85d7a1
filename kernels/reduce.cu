/* reduce.cu — reductions returned to the host (sum, all_finite), the second stage
 * every deterministic reduction shares, and gather_rows. */
#include "mb_cuda.cuh"

/* One block adds the partial sums in a fixed order and updates *out; see
 * mb_reduce_finish in mb_cuda.cuh. */
static __global__ void reduce_finish_kernel(const double *partials, unsigned n_blocks,
                                            double mul, double div, double *out,
                                            int accumulate)
{
    double acc = 0;
    for (unsigned b = threadIdx.x; b < n_blocks; b += blockDim.x)
        acc += partials[b];
    acc = mb_block_sum(acc);
    if (threadIdx.x == 0) {
        const double value = mul * acc / div;
        *out = accumulate ? *out + value : value;
    }
}

void mb_reduce_finish(mb_backend *be, unsigned n_blocks, double mul, double div,
                      double *out, int accumulate)
{
    reduce_finish_kernel<<<1, MB_REDUCE_THREADS, 0, mb_stream(be)>>>(
        mb_cuda(be)->partials, n_blocks, mul, div, out, accumulate);
    MB_LAUNCH_CHECK();
}

double mb_reduce_to_host(mb_backend *be, unsigned n_blocks)
{
    mb_cuda_impl *impl = mb_cuda(be);
    mb_reduce_finish(be, n_blocks, 1.0, 1.0, impl->result, 0);
    MB_CUDA_CHECK(cudaMemcpyAsync(impl->host_result, impl->result, sizeof(double),
                                  cudaMemcpyDeviceToHost, impl->stream));
    MB_CUDA_CHECK(cudaStreamSynchronize(impl->stream));
    return impl->host_result[0];
}

static __global__ void sum_kernel(const float *x, size_t n, double *partials)
{
    double acc = 0;
    MB_FOR_EACH(i, n)
        acc += x[i];
    acc = mb_block_sum(acc);
    if (threadIdx.x == 0)
        partials[blockIdx.x] = acc;
}

static double cuda_sum(mb_backend *be, const mb_real *x, size_t n)
{
    if (!n)
        return 0.0;
    mb_cuda_impl *impl = mb_cuda(be);
    const unsigned blocks = mb_reduce_blocks(n);
    sum_kernel<<<blocks, MB_REDUCE_THREADS, 0, impl->stream>>>(x, n, impl->partials);
    MB_LAUNCH_CHECK();
    return mb_reduce_to_host(be, blocks);
}

static __global__ void sum_f64_kernel(const double *x, size_t n, int take_sqrt,
                                      double *partials)
{
    double acc = 0;
    MB_FOR_EACH(i, n)
        acc += take_sqrt ? sqrt(x[i] > 0 ? x[i] : 0) : x[i];
    acc = mb_block_sum(acc);
    if (threadIdx.x == 0)
        partials[blockIdx.x] = acc;
}

static double cuda_sum_f64(mb_backend *be, const double *x, size_t n, int take_sqrt)
{
    if (!n)
        return 0.0;
    const unsigned blocks = mb_reduce_blocks(n);
    sum_f64_kernel<<<blocks, MB_REDUCE_THREADS, 0, mb_stream(be)>>>(x, n, take_sqrt,
                                                                     mb_cuda(be)->partials);
    MB_LAUNCH_CHECK();
    return mb_reduce_to_host(be, blocks);
}

/* Sets *bad when any element is NaN or infinite (a benign race: every writer
 * writes 1). */
static __global__ void all_finite_kernel(const float *x, size_t n, int *bad)
{
    int found = 0;
    MB_FOR_EACH(i, n)
        found |= !isfinite(x[i]);
    if (__syncthreads_or(found) && threadIdx.x == 0)
        *bad = 1;
}

static int cuda_all_finite(mb_backend *be, const mb_real *x, size_t n)
{
    if (!n)
        return 1;
    mb_cuda_impl *impl = mb_cuda(be);
    MB_CUDA_CHECK(cudaMemsetAsync(impl->flag, 0, sizeof(int), impl->stream));
    all_finite_kernel<<<mb_reduce_blocks(n), MB_REDUCE_THREADS, 0, impl->stream>>>(
        x, n, impl->flag);
    MB_LAUNCH_CHECK();
    int *host_flag = (int *)impl->host_result;
    MB_CUDA_CHECK(cudaMemcpyAsync(host_flag, impl->flag, sizeof(int),
                                  cudaMemcpyDeviceToHost, impl->stream));
    MB_CUDA_CHECK(cudaStreamSynchronize(impl->stream));
    return !*host_flag;
}

/* dst row i = src row idx[i]; one thread per element of dst. */
static __global__ void gather_rows_kernel(float *dst, const float *src, const int *idx,
                                          size_t row_len, size_t total)
{
    MB_FOR_EACH(e, total) {
        const size_t i = e / row_len, j = e % row_len;
        dst[e] = src[(size_t)idx[i] * row_len + j];
    }
}

static void cuda_gather_rows(mb_backend *be, mb_real *dst, const mb_real *src,
                             const int *idx, int n_rows, size_t row_len)
{
    const size_t total = (size_t)n_rows * row_len;
    if (!total)
        return;
    gather_rows_kernel<<<mb_grid(total), MB_THREADS, 0, mb_stream(be)>>>(dst, src, idx,
                                                                          row_len, total);
    MB_LAUNCH_CHECK();
}

/* out[i] = index of the largest entry of row i, the first on ties (as the CPU). */
static __global__ void argmax_rows_kernel(const float *x, int rows, int cols, int *out)
{
    MB_FOR_EACH(i, rows) {
        const float *r = x + i * cols;
        int best = 0;
        for (int j = 1; j < cols; j++)
            if (r[j] > r[best])
                best = j;
        out[i] = best;
    }
}

static void cuda_argmax_rows(mb_backend *be, const mb_real *x, int rows, int cols, int *out)
{
    if (rows <= 0)
        return;
    argmax_rows_kernel<<<mb_grid(rows), MB_THREADS, 0, mb_stream(be)>>>(x, rows, cols, out);
    MB_LAUNCH_CHECK();
}

void mb_cuda_install_reduce(mb_backend *be)
{
    be->sum = cuda_sum;
    be->all_finite = cuda_all_finite;
    be->gather_rows = cuda_gather_rows;
    be->sum_f64 = cuda_sum_f64;
    be->argmax_rows = cuda_argmax_rows;
}
