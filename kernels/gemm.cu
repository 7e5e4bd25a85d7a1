/* gemm.cu — row-major GEMMs through cuBLAS (column-major).
 *
 * A row-major matrix is its transpose in column-major, so the row-major
 * C = op(A) op(B) is computed as the column-major C^T = op(B)^T op(A)^T: swap the
 * operands and m with n, keep the transposition flags and leading dimensions.
 *
 * Precision (environment variable MADBENCH_GEMM_MATH, read when the backend is
 * created):
 *   fp32 (default)  exact FP32 (CUBLAS_COMPUTE_32F, default math mode: no TF32),
 *                   the mode the parity tests check against the CPU;
 *   tf32            TF32 tensor cores (10-bit mantissa inputs, FP32 accumulate);
 *   bf16            BF16 tensor cores (8-bit mantissa inputs, FP32 accumulate).
 * Data stay float in every mode; only cuBLAS's internal arithmetic changes. */
#include "mb_cuda.cuh"

#include <stdlib.h>
#include <string.h>

const char *mb_cuda_gemm_math_name(mb_gemm_math math)
{
    return math == MB_GEMM_TF32 ? "tf32" : math == MB_GEMM_BF16 ? "bf16" : "fp32";
}

int mb_cuda_gemm_math_from_env(mb_cuda_impl *impl)
{
    const char *v = getenv("MADBENCH_GEMM_MATH");
    impl->gemm_math = MB_GEMM_FP32;
    impl->gemm_compute = CUBLAS_COMPUTE_32F;
    if (!v || !*v || !strcmp(v, "fp32"))
        return MB_OK;
    if (!strcmp(v, "tf32")) {
        impl->gemm_math = MB_GEMM_TF32;
        impl->gemm_compute = CUBLAS_COMPUTE_32F_FAST_TF32;
        return MB_OK;
    }
    if (!strcmp(v, "bf16")) {
        impl->gemm_math = MB_GEMM_BF16;
        impl->gemm_compute = CUBLAS_COMPUTE_32F_FAST_16BF;
        return MB_OK;
    }
    return mb_fail(MB_EINPUT, "MADBENCH_GEMM_MATH='%s': unknown GEMM precision "
                              "(expected fp32, tf32 or bf16)", v);
}

static inline cublasOperation_t mb_op(int trans) { return trans ? CUBLAS_OP_T : CUBLAS_OP_N; }

static void cuda_gemm(mb_backend *be, int trans_a, int trans_b, int m, int n, int k,
                      mb_real alpha, const mb_real *a, int lda, const mb_real *b, int ldb,
                      mb_real beta, mb_real *c, int ldc)
{
    if (m <= 0 || n <= 0)
        return;
    mb_cuda_impl *impl = mb_cuda(be);
    MB_CUBLAS_CHECK(cublasGemmEx(impl->cublas, mb_op(trans_b), mb_op(trans_a), n, m, k,
                                 &alpha, b, CUDA_R_32F, ldb, a, CUDA_R_32F, lda, &beta, c,
                                 CUDA_R_32F, ldc, impl->gemm_compute, CUBLAS_GEMM_DEFAULT));
}

static void cuda_gemm_strided_batched(mb_backend *be, int trans_a, int trans_b, int m,
                                      int n, int k, mb_real alpha, const mb_real *a,
                                      int lda, long long stride_a, const mb_real *b,
                                      int ldb, long long stride_b, mb_real beta,
                                      mb_real *c, int ldc, long long stride_c, int batch)
{
    if (m <= 0 || n <= 0 || batch <= 0)
        return;
    mb_cuda_impl *impl = mb_cuda(be);
    MB_CUBLAS_CHECK(cublasGemmStridedBatchedEx(
        impl->cublas, mb_op(trans_b), mb_op(trans_a), n, m, k, &alpha, b, CUDA_R_32F, ldb,
        stride_b, a, CUDA_R_32F, lda, stride_a, &beta, c, CUDA_R_32F, ldc, stride_c, batch,
        impl->gemm_compute, CUBLAS_GEMM_DEFAULT));
}

void mb_cuda_install_gemm(mb_backend *be)
{
    be->gemm = cuda_gemm;
    be->gemm_strided_batched = cuda_gemm_strided_batched;
}
