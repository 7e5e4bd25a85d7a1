/* distances.cu — pairwise distances and what the k-NN metrics need from them:
 * squared distances through one Dgemm, the k-th smallest entry of each row
 * (k-NN radii), counts below a radius (precision / recall / density / coverage,
 * Naeem et al. 2020) and the KID polynomial kernel sum (Binkowski et al. 2018). */
#include "mb_cuda.cuh"

/* out[i][j] = max(out[i][j] + x_sq[i] + y_sq[j], 0), out holding -2 x.y. */
static __global__ void sq_distances_finish_kernel(double *out, int n, const double *x_sq,
                                                  const double *y_sq, size_t total)
{
    MB_FOR_EACH(idx, total) {
        const double v = out[idx] + x_sq[idx / n] + y_sq[idx % n];
        out[idx] = v > 0 ? v : 0;
    }
}

static void cuda_sq_distances_f64(mb_backend *be, int m, int n, int d, const double *x,
                                  const double *y, const double *x_sq, const double *y_sq,
                                  double *out)
{
    if (m <= 0 || n <= 0)
        return;
    be->gemm_f64(be, 0, 1, m, n, d, -2.0, x, d, y, d, 0.0, out, n);
    const size_t total = (size_t)m * n;
    sq_distances_finish_kernel<<<mb_grid(total), MB_THREADS, 0, mb_stream(be)>>>(
        out, n, x_sq, y_sq, total);
    MB_LAUNCH_CHECK();
}

/* ---- k-th smallest per row: radix select ----
 * Doubles map to unsigned keys with the same order (flip all bits of negatives,
 * the sign bit of the rest). One block per row finds the key of the k-th smallest
 * one byte at a time, from the top: each pass histograms the byte of the entries
 * that share the bytes found so far. Eight passes over the row, no scratch copy,
 * and the answer is an entry of the row, so it equals the CPU's selection. */
static __device__ __forceinline__ unsigned long long order_key(double v)
{
    const unsigned long long b = (unsigned long long)__double_as_longlong(v);
    return (b >> 63) ? ~b : b | 0x8000000000000000ull;
}

static __device__ __forceinline__ double key_value(unsigned long long key)
{
    const unsigned long long b = (key >> 63) ? key & 0x7fffffffffffffffull : ~key;
    return __longlong_as_double((long long)b);
}

#define SELECT_THREADS 256

static __global__ void row_kth_smallest_kernel(const double *x, int cols, int k, double *out)
{
    __shared__ unsigned int hist[256];
    __shared__ unsigned long long prefix, mask;
    __shared__ unsigned int rank; /* 0-based rank still to find among the matches */
    const double *row = x + (size_t)blockIdx.x * cols;
    if (threadIdx.x == 0) {
        prefix = 0;
        mask = 0;
        rank = (unsigned)(k - 1);
    }
    for (int shift = 56; shift >= 0; shift -= 8) {
        for (int b = threadIdx.x; b < 256; b += blockDim.x)
            hist[b] = 0;
        __syncthreads();
        const unsigned long long p = prefix, msk = mask;
        for (int j = threadIdx.x; j < cols; j += blockDim.x) {
            const unsigned long long key = order_key(row[j]);
            if ((key & msk) == p)
                atomicAdd(&hist[(key >> shift) & 255u], 1u);
        }
        __syncthreads();
        if (threadIdx.x == 0) {
            unsigned int below = 0, b = 0;
            while (b < 255 && below + hist[b] <= rank)
                below += hist[b++];
            rank -= below;
            prefix |= (unsigned long long)b << shift;
            mask |= 255ull << shift;
        }
        __syncthreads();
    }
    if (threadIdx.x == 0)
        out[blockIdx.x] = key_value(prefix);
}

static void cuda_row_kth_smallest_f64(mb_backend *be, const double *x, int rows, int cols,
                                      int k, double *out)
{
    if (rows <= 0 || cols <= 0)
        return;
    row_kth_smallest_kernel<<<rows, SELECT_THREADS, 0, mb_stream(be)>>>(x, cols, k, out);
    MB_LAUNCH_CHECK();
}

/* counts[i] += #{j : dist[i][j] < radius}: one block per row (integer sums, so
 * the order does not matter). */
static __global__ void count_below_rows_kernel(const double *dist, int cols,
                                               const double *radius, int radius_per_row,
                                               int *counts)
{
    const size_t i = blockIdx.x;
    const double *r = dist + i * cols;
    int c = 0;
    for (int j = threadIdx.x; j < cols; j += blockDim.x)
        c += r[j] < (radius_per_row ? radius[i] : radius[j]);
    const double total = mb_block_sum((double)c);
    if (threadIdx.x == 0)
        counts[i] += (int)total;
}

/* counts[j] += #{i : dist[i][j] < radius}: one thread per column, coalesced. */
static __global__ void count_below_cols_kernel(const double *dist, int rows, int cols,
                                               const double *radius, int radius_per_row,
                                               int *counts)
{
    MB_FOR_EACH(j, cols) {
        int c = 0;
        for (int i = 0; i < rows; i++)
            c += dist[(size_t)i * cols + j] < (radius_per_row ? radius[i] : radius[j]);
        counts[j] += c;
    }
}

static void cuda_count_below_f64(mb_backend *be, const double *dist, int rows, int cols,
                                 const double *radius, int radius_per_row, int *counts,
                                 int count_per_row)
{
    if (rows <= 0 || cols <= 0)
        return;
    if (count_per_row)
        count_below_rows_kernel<<<rows, MB_REDUCE_THREADS, 0, mb_stream(be)>>>(
            dist, cols, radius, radius_per_row, counts);
    else
        count_below_cols_kernel<<<mb_grid(cols), MB_THREADS, 0, mb_stream(be)>>>(
            dist, rows, cols, radius, radius_per_row, counts);
    MB_LAUNCH_CHECK();
}

/* Partial sums of (g * scale + 1)^3 over the entries (skipping the diagonal). */
static __global__ void poly3_kernel_sum_kernel(const double *gram, int cols, size_t total,
                                               double scale, int skip_diag, double *partials)
{
    double acc = 0;
    MB_FOR_EACH(idx, total) {
        if (skip_diag && idx / cols == idx % cols)
            continue;
        const double t = __dadd_rn(__dmul_rn(gram[idx], scale), 1.0);
        acc += __dmul_rn(__dmul_rn(t, t), t);
    }
    acc = mb_block_sum(acc);
    if (threadIdx.x == 0)
        partials[blockIdx.x] = acc;
}

static double cuda_poly3_kernel_sum_f64(mb_backend *be, const double *gram, int rows,
                                        int cols, double scale, int skip_diag)
{
    const size_t total = (size_t)rows * cols;
    if (!total)
        return 0.0;
    mb_cuda_impl *impl = mb_cuda(be);
    const unsigned blocks = mb_reduce_blocks(total);
    poly3_kernel_sum_kernel<<<blocks, MB_REDUCE_THREADS, 0, impl->stream>>>(
        gram, cols, total, scale, skip_diag, impl->partials);
    MB_LAUNCH_CHECK();
    return mb_reduce_to_host(be, blocks);
}

void mb_cuda_install_distances(mb_backend *be)
{
    be->sq_distances_f64 = cuda_sq_distances_f64;
    be->row_kth_smallest_f64 = cuda_row_kth_smallest_f64;
    be->count_below_f64 = cuda_count_below_f64;
    be->poly3_kernel_sum_f64 = cuda_poly3_kernel_sum_f64;
}
