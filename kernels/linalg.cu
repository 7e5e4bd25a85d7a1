/* linalg.cu — float64 linear algebra of the metrics: promotion to double, Dgemm,
 * the symmetric eigen-decomposition (cuSOLVER syevd) and the row / column
 * operations around a covariance. Loops that sum do so in the CPU's order with
 * unfused multiply-adds (src/cpu/linalg.c), so those results are the
 * CPU's bit for bit; only Dgemm and syevd differ in rounding. */
#include "mb_cuda.cuh"

static __global__ void to_f64_kernel(const float *x, double *y, size_t n)
{
    MB_FOR_EACH(i, n)
        y[i] = (double)x[i];
}

static void cuda_to_f64(mb_backend *be, const mb_real *x, double *y, size_t n)
{
    if (!n)
        return;
    to_f64_kernel<<<mb_grid(n), MB_THREADS, 0, mb_stream(be)>>>(x, y, n);
    MB_LAUNCH_CHECK();
}

/* Row-major through column-major cuBLAS: see gemm.cu. */
static void cuda_gemm_f64(mb_backend *be, int trans_a, int trans_b, int m, int n, int k,
                          double alpha, const double *a, int lda, const double *b, int ldb,
                          double beta, double *c, int ldc)
{
    if (m <= 0 || n <= 0)
        return;
    MB_CUBLAS_CHECK(cublasDgemm(mb_cuda(be)->cublas, trans_b ? CUBLAS_OP_T : CUBLAS_OP_N,
                                trans_a ? CUBLAS_OP_T : CUBLAS_OP_N, n, m, k, &alpha, b, ldb,
                                a, lda, &beta, c, ldc));
}

/* In-place transpose of a square matrix: one thread per pair (i < j). */
static __global__ void transpose_square_kernel(double *a, int n)
{
    MB_FOR_EACH(idx, (size_t)n * n) {
        const size_t i = idx / n, j = idx % n;
        if (i < j) {
            const double t = a[i * n + j];
            a[i * n + j] = a[j * n + i];
            a[j * n + i] = t;
        }
    }
}

/* A symmetric row-major matrix is its own column-major form, so syevd takes it
 * as it is; cuSOLVER returns the eigenvectors as column-major columns, i.e. as
 * rows in row-major, and one transpose makes them columns as the table promises. */
static int cuda_syevd_f64(mb_backend *be, int n, double *a, double *w)
{
    if (n <= 0)
        return MB_OK;
    mb_cuda_impl *impl = mb_cuda(be);
    const cusolverEigMode_t mode = CUSOLVER_EIG_MODE_VECTOR;
    const cublasFillMode_t fill = CUBLAS_FILL_MODE_LOWER; /* the upper triangle, row-major */
    int lwork = 0;
    MB_CUSOLVER_CHECK(cusolverDnDsyevd_bufferSize(impl->cusolver, mode, fill, n, a, n, w,
                                                  &lwork));
    const size_t bytes = (size_t)lwork * sizeof(double);
    if (bytes > impl->solver_work_bytes) {
        /* Grown on demand (metrics run outside the training step). */
        if (impl->solver_work)
            MB_CUDA_CHECK(cudaFree(impl->solver_work));
        impl->solver_work = NULL;
        impl->solver_work_bytes = 0;
        void *p = be->alloc(be, bytes);
        if (!p)
            return MB_ENOMEM; /* recorded by alloc, with sizes */
        impl->solver_work = p;
        impl->solver_work_bytes = bytes;
    }
    MB_CUSOLVER_CHECK(cusolverDnDsyevd(impl->cusolver, mode, fill, n, a, n, w,
                                       (double *)impl->solver_work, lwork,
                                       impl->solver_info));
    transpose_square_kernel<<<mb_grid((size_t)n * n), MB_THREADS, 0, impl->stream>>>(a, n);
    MB_LAUNCH_CHECK();
    int info = 0;
    MB_CUDA_CHECK(cudaMemcpyAsync(impl->host_result, impl->solver_info, sizeof(int),
                                  cudaMemcpyDeviceToHost, impl->stream));
    MB_CUDA_CHECK(cudaStreamSynchronize(impl->stream));
    info = *(int *)impl->host_result;
    if (info != 0)
        return mb_fail(MB_ENUMERIC,
                       "symmetric eigen-decomposition (cuSOLVER syevd) of a %dx%d matrix "
                       "failed (info %d): the matrix holds NaN/Inf or did not converge",
                       n, n, info);
    return MB_OK;
}

/* One thread per column, rows in order: coalesced, and the CPU's sum order. */
static __global__ void column_means_kernel(const double *x, int rows, int cols, double *mean)
{
    MB_FOR_EACH(j, cols) {
        double acc = 0;
        for (int i = 0; i < rows; i++)
            acc += x[(size_t)i * cols + j];
        mean[j] = rows ? acc / rows : 0.0;
    }
}

static __global__ void sub_row_kernel(double *x, int cols, const double *v, size_t n)
{
    MB_FOR_EACH(i, n)
        x[i] -= v[i % cols];
}

static __global__ void scale_columns_kernel(double *x, int cols, const double *s, size_t n)
{
    MB_FOR_EACH(i, n)
        x[i] *= s[i % cols];
}

static __global__ void symmetrize_kernel(double *a, int n)
{
    MB_FOR_EACH(idx, (size_t)n * n) {
        const size_t i = idx / n, j = idx % n;
        if (i < j) {
            const double v = 0.5 * (a[i * n + j] + a[j * n + i]);
            a[i * n + j] = v;
            a[j * n + i] = v;
        }
    }
}

/* One thread per row, columns in order (the CPU's order, unfused). Feature rows
 * are short (judge features), so the strided reads stay in L1/L2. */
static __device__ __forceinline__ double row_sq_norm(const double *r, int cols)
{
    double acc = 0;
    for (int j = 0; j < cols; j++)
        acc = __dadd_rn(acc, __dmul_rn(r[j], r[j]));
    return acc;
}

static __global__ void row_sq_norms_kernel(const double *x, int rows, int cols, double *out)
{
    MB_FOR_EACH(i, rows)
        out[i] = row_sq_norm(x + i * cols, cols);
}

static __global__ void normalize_rows_kernel(double *x, int rows, int cols)
{
    MB_FOR_EACH(i, rows) {
        double *r = x + i * cols;
        const double acc = row_sq_norm(r, cols);
        if (acc > 0) {
            const double inv = 1.0 / sqrt(acc);
            for (int j = 0; j < cols; j++)
                r[j] *= inv;
        }
    }
}

static void cuda_column_means_f64(mb_backend *be, const double *x, int rows, int cols,
                                  double *mean)
{
    if (cols <= 0)
        return;
    column_means_kernel<<<mb_grid(cols), MB_THREADS, 0, mb_stream(be)>>>(x, rows, cols, mean);
    MB_LAUNCH_CHECK();
}

static void cuda_sub_row_f64(mb_backend *be, double *x, int rows, int cols, const double *v)
{
    const size_t n = (size_t)rows * cols;
    if (!n)
        return;
    sub_row_kernel<<<mb_grid(n), MB_THREADS, 0, mb_stream(be)>>>(x, cols, v, n);
    MB_LAUNCH_CHECK();
}

static void cuda_scale_columns_f64(mb_backend *be, double *x, int rows, int cols,
                                   const double *s)
{
    const size_t n = (size_t)rows * cols;
    if (!n)
        return;
    scale_columns_kernel<<<mb_grid(n), MB_THREADS, 0, mb_stream(be)>>>(x, cols, s, n);
    MB_LAUNCH_CHECK();
}

static void cuda_symmetrize_f64(mb_backend *be, double *a, int n)
{
    if (n <= 1)
        return;
    symmetrize_kernel<<<mb_grid((size_t)n * n), MB_THREADS, 0, mb_stream(be)>>>(a, n);
    MB_LAUNCH_CHECK();
}

static void cuda_row_sq_norms_f64(mb_backend *be, const double *x, int rows, int cols,
                                  double *out)
{
    if (rows <= 0)
        return;
    row_sq_norms_kernel<<<mb_grid(rows), MB_THREADS, 0, mb_stream(be)>>>(x, rows, cols, out);
    MB_LAUNCH_CHECK();
}

static void cuda_normalize_rows_f64(mb_backend *be, double *x, int rows, int cols)
{
    if (rows <= 0)
        return;
    normalize_rows_kernel<<<mb_grid(rows), MB_THREADS, 0, mb_stream(be)>>>(x, rows, cols);
    MB_LAUNCH_CHECK();
}

void mb_cuda_install_linalg(mb_backend *be)
{
    be->to_f64 = cuda_to_f64;
    be->gemm_f64 = cuda_gemm_f64;
    be->syevd_f64 = cuda_syevd_f64;
    be->column_means_f64 = cuda_column_means_f64;
    be->sub_row_f64 = cuda_sub_row_f64;
    be->scale_columns_f64 = cuda_scale_columns_f64;
    be->symmetrize_f64 = cuda_symmetrize_f64;
    be->row_sq_norms_f64 = cuda_row_sq_norms_f64;
    be->normalize_rows_f64 = cuda_normalize_rows_f64;
}
