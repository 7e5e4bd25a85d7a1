/* cpu/gemm.c — GEMM through OpenBLAS: single-threaded calls, parallelised by
 * blocks of the output (below: why).
 * The CPU twin of kernels/gemm.cu. */
#include "cpu_internal.h"

#include <cblas.h>

#ifdef MB_REAL_DOUBLE
#define CBLAS_GEMM cblas_dgemm
#else
#define CBLAS_GEMM cblas_sgemm
#endif

/* OpenBLAS's own threading changes the rounding of a GEMM with the number of
 * threads (measured: 1 vs 2 threads differ in the last bit), so OpenBLAS runs
 * single-threaded and the parallelism is ours: the larger of the output's two
 * dimensions is cut into blocks whose size depends only on the shape, and the
 * blocks are shared among the OpenMP threads. Each block is the same
 * single-threaded call whatever the thread count, so results are too.
 * Every block packs the operand the blocks share (k x the other dimension) again,
 * so there are about dim / (MB_GEMM_SHARED_RATIO x the other dimension) blocks:
 * repacking then costs about a quarter of the packing. (A weight gradient,
 * 64 x 288 with k = 6272, was cut into 9 blocks that each repacked the 64 x 6272
 * operand.) Never fewer than two when the dimension allows, so that two threads
 * share every large GEMM, and of equal lengths (to 16). */
#define MB_GEMM_BLOCKS 32      /* blocks per GEMM (at most) */
#define MB_GEMM_MIN_BLOCK 32   /* rows or columns per block (at least) */
#define MB_GEMM_SHARED_RATIO 4 /* block length / the other dimension (about) */

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
    const int split_rows = m > n, dim = split_rows ? m : n, other = split_rows ? n : m;
    const long per_block = (long)MB_GEMM_SHARED_RATIO * other > MB_GEMM_MIN_BLOCK
                               ? (long)MB_GEMM_SHARED_RATIO * other : MB_GEMM_MIN_BLOCK;
    long wanted = dim / per_block;
    if (wanted < 2)
        wanted = dim >= 2 * MB_GEMM_MIN_BLOCK ? 2 : 1;
    if (wanted > MB_GEMM_BLOCKS)
        wanted = MB_GEMM_BLOCKS;
    const int block = (int)((dim + wanted - 1) / wanted + 15) / 16 * 16;
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

void mb_cpu_install_gemm(mb_backend *be)
{
    be->gemm = cpu_gemm;
    be->gemm_strided_batched = cpu_gemm_strided_batched;
}
