/* cpu/linalg.c — float64 statistics of feature sets: promotion, DGEMM, the symmetric
 * eigen-decomposition (LAPACK dsyevd), column means and row / column scalings.
 * The CPU twin of kernels/linalg.cu. */
#include "cpu_internal.h"

#include <cblas.h>
#include <lapacke.h>
#include <math.h>

static void cpu_to_f64(mb_backend *be, const mb_real *x, double *y, size_t n)
{
    (void)be;
#pragma omp parallel for if (n > MB_PARALLEL_MIN)
    for (size_t i = 0; i < n; i++)
        y[i] = (double)x[i];
}

static void cpu_gemm_f64(mb_backend *be, int trans_a, int trans_b, int m, int n, int k,
                         double alpha, const double *a, int lda, const double *b, int ldb,
                         double beta, double *c, int ldc)
{
    (void)be;
    if (m <= 0 || n <= 0)
        return;
    cblas_dgemm(CblasRowMajor, trans_a ? CblasTrans : CblasNoTrans,
                trans_b ? CblasTrans : CblasNoTrans, m, n, k, alpha, a, lda, b, ldb, beta, c,
                ldc);
}

static int cpu_syevd_f64(mb_backend *be, int n, double *a, double *w)
{
    (void)be;
    if (n <= 0)
        return MB_OK;
    lapack_int info = LAPACKE_dsyevd(LAPACK_ROW_MAJOR, 'V', 'U', n, a, n, w);
    if (info != 0)
        return mb_fail(MB_ENUMERIC,
                       "symmetric eigen-decomposition (dsyevd) of a %dx%d matrix failed "
                       "(info %d): the matrix holds NaN/Inf or did not converge",
                       n, n, (int)info);
    return MB_OK;
}

static void cpu_column_means_f64(mb_backend *be, const double *x, int rows, int cols,
                                 double *mean)
{
    (void)be;
    /* Column blocks per thread, rows in order inside: contiguous reads. */
    const int block = 64;
    const int n_blocks = (cols + block - 1) / block;
#pragma omp parallel for schedule(static)
    for (int bj = 0; bj < n_blocks; bj++) {
        const int j0 = bj * block, j1 = j0 + block < cols ? j0 + block : cols;
        double acc[64] = {0};
        for (int i = 0; i < rows; i++) {
            const double *r = x + (size_t)i * cols;
            for (int j = j0; j < j1; j++)
                acc[j - j0] += r[j];
        }
        for (int j = j0; j < j1; j++)
            mean[j] = rows ? acc[j - j0] / rows : 0.0;
    }
}

static void cpu_sub_row_f64(mb_backend *be, double *x, int rows, int cols, const double *v)
{
    (void)be;
#pragma omp parallel for schedule(static) if ((size_t)rows * cols > MB_PARALLEL_MIN)
    for (int i = 0; i < rows; i++) {
        double *r = x + (size_t)i * cols;
        for (int j = 0; j < cols; j++)
            r[j] -= v[j];
    }
}

static void cpu_scale_columns_f64(mb_backend *be, double *x, int rows, int cols,
                                  const double *s)
{
    (void)be;
#pragma omp parallel for schedule(static) if ((size_t)rows * cols > MB_PARALLEL_MIN)
    for (int i = 0; i < rows; i++) {
        double *r = x + (size_t)i * cols;
        for (int j = 0; j < cols; j++)
            r[j] *= s[j];
    }
}

static void cpu_symmetrize_f64(mb_backend *be, double *a, int n)
{
    (void)be;
#pragma omp parallel for schedule(dynamic, 16) if ((size_t)n * n > MB_PARALLEL_MIN)
    for (int i = 0; i < n; i++)
        for (int j = i + 1; j < n; j++) {
            const double v = 0.5 * (a[(size_t)i * n + j] + a[(size_t)j * n + i]);
            a[(size_t)i * n + j] = v;
            a[(size_t)j * n + i] = v;
        }
}

static void cpu_row_sq_norms_f64(mb_backend *be, const double *x, int rows, int cols,
                                 double *out)
{
    (void)be;
#pragma omp parallel for schedule(static) if ((size_t)rows * cols > MB_PARALLEL_MIN)
    for (int i = 0; i < rows; i++) {
        const double *r = x + (size_t)i * cols;
        double acc = 0;
        for (int j = 0; j < cols; j++)
            acc += r[j] * r[j];
        out[i] = acc;
    }
}

static void cpu_normalize_rows_f64(mb_backend *be, double *x, int rows, int cols)
{
    (void)be;
#pragma omp parallel for schedule(static) if ((size_t)rows * cols > MB_PARALLEL_MIN)
    for (int i = 0; i < rows; i++) {
        double *r = x + (size_t)i * cols;
        double acc = 0;
        for (int j = 0; j < cols; j++)
            acc += r[j] * r[j];
        if (acc > 0) {
            const double inv = 1.0 / sqrt(acc);
            for (int j = 0; j < cols; j++)
                r[j] *= inv;
        }
    }
}

void mb_cpu_install_linalg(mb_backend *be)
{
    be->to_f64 = cpu_to_f64;
    be->gemm_f64 = cpu_gemm_f64;
    be->syevd_f64 = cpu_syevd_f64;
    be->column_means_f64 = cpu_column_means_f64;
    be->sub_row_f64 = cpu_sub_row_f64;
    be->scale_columns_f64 = cpu_scale_columns_f64;
    be->symmetrize_f64 = cpu_symmetrize_f64;
    be->row_sq_norms_f64 = cpu_row_sq_norms_f64;
    be->normalize_rows_f64 = cpu_normalize_rows_f64;
}
