/* blas.cpp — the cuBLAS and cuSOLVER calls of the backend on OpenBLAS and LAPACKE.
 *
 * cuBLAS is column-major: op(A) is m x k, op(B) k x n, C m x n, each stored with a
 * leading dimension. The arguments are checked as cuBLAS documents and checks them
 * (negative sizes, a leading dimension below the rows of the stored matrix, an
 * unknown operation: CUBLAS_STATUS_INVALID_VALUE), and every matrix the call will
 * touch must lie inside one device allocation (on a GPU, reading past it is an
 * illegal address or silent garbage). The work is queued on the handle's stream.
 *
 * Precision: CUBLAS_COMPUTE_32F_FAST_TF32, or CUBLAS_COMPUTE_32F under the math mode
 * CUBLAS_TF32_TENSOR_OP_MATH, rounds the inputs to TF32 (10-bit mantissa) before an
 * FP32 GEMM, as tensor cores do; CUBLAS_COMPUTE_32F_FAST_16BF rounds them to BF16
 * (7 bits). The accumulation order of real tensor cores is not reproduced. */
#include "runtime.h"

#include <cblas.h>
#include <lapacke.h>
#include <stdlib.h>

#include <vector>

struct mbh_cublas {
    cudaStream_t stream;
    int math_mode;
    void *workspace;
    size_t workspace_bytes;
};
struct mbh_cusolver {
    cudaStream_t stream;
};

using namespace mbh;

const char *cublasGetStatusString(cublasStatus_t s)
{
    switch (s) {
    case CUBLAS_STATUS_SUCCESS: return "CUBLAS_STATUS_SUCCESS";
    case CUBLAS_STATUS_NOT_INITIALIZED: return "CUBLAS_STATUS_NOT_INITIALIZED";
    case CUBLAS_STATUS_ALLOC_FAILED: return "CUBLAS_STATUS_ALLOC_FAILED";
    case CUBLAS_STATUS_INVALID_VALUE: return "CUBLAS_STATUS_INVALID_VALUE";
    case CUBLAS_STATUS_ARCH_MISMATCH: return "CUBLAS_STATUS_ARCH_MISMATCH";
    case CUBLAS_STATUS_MAPPING_ERROR: return "CUBLAS_STATUS_MAPPING_ERROR";
    case CUBLAS_STATUS_EXECUTION_FAILED: return "CUBLAS_STATUS_EXECUTION_FAILED";
    case CUBLAS_STATUS_INTERNAL_ERROR: return "CUBLAS_STATUS_INTERNAL_ERROR";
    case CUBLAS_STATUS_NOT_SUPPORTED: return "CUBLAS_STATUS_NOT_SUPPORTED";
    }
    return "CUBLAS_STATUS_UNKNOWN";
}

cublasStatus_t cublasCreate(cublasHandle_t *handle)
{
    *handle = new mbh_cublas{nullptr, CUBLAS_DEFAULT_MATH, nullptr, 0};
    return CUBLAS_STATUS_SUCCESS;
}

cublasStatus_t cublasDestroy(cublasHandle_t handle)
{
    if (!handle)
        return CUBLAS_STATUS_NOT_INITIALIZED;
    delete handle;
    return CUBLAS_STATUS_SUCCESS;
}

cublasStatus_t cublasSetStream(cublasHandle_t handle, cudaStream_t stream)
{
    if (!handle)
        return CUBLAS_STATUS_NOT_INITIALIZED;
    handle->stream = stream;
    return CUBLAS_STATUS_SUCCESS;
}

cublasStatus_t cublasSetMathMode(cublasHandle_t handle, cublasMath_t mode)
{
    if (!handle)
        return CUBLAS_STATUS_NOT_INITIALIZED;
    const int base = mode & ~CUBLAS_MATH_DISALLOW_REDUCED_PRECISION_REDUCTION;
    if (base != CUBLAS_DEFAULT_MATH && base != CUBLAS_TENSOR_OP_MATH &&
        base != CUBLAS_PEDANTIC_MATH && base != CUBLAS_TF32_TENSOR_OP_MATH)
        return CUBLAS_STATUS_INVALID_VALUE;
    handle->math_mode = mode;
    return CUBLAS_STATUS_SUCCESS;
}

cublasStatus_t cublasSetWorkspace(cublasHandle_t handle, void *workspace, size_t bytes)
{
    if (!handle)
        return CUBLAS_STATUS_NOT_INITIALIZED;
    if (bytes && !is_device_range(workspace, bytes))
        return CUBLAS_STATUS_INVALID_VALUE;
    if ((uintptr_t)workspace % 256)
        return CUBLAS_STATUS_INVALID_VALUE; /* cuBLAS requires 256-byte alignment */
    handle->workspace = workspace;
    handle->workspace_bytes = bytes;
    return CUBLAS_STATUS_SUCCESS;
}

/* ---- GEMM ---- */
static bool valid_op(cublasOperation_t op)
{
    return op == CUBLAS_OP_N || op == CUBLAS_OP_T || op == CUBLAS_OP_C;
}

/* cuBLAS's checks of a GEMM's shape (identical for every GEMM entry point). */
static cublasStatus_t check_gemm(cublasHandle_t h, cublasOperation_t ta, cublasOperation_t tb,
                                 int m, int n, int k, int lda, int ldb, int ldc)
{
    if (!h)
        return CUBLAS_STATUS_NOT_INITIALIZED;
    if (!valid_op(ta) || !valid_op(tb) || m < 0 || n < 0 || k < 0)
        return CUBLAS_STATUS_INVALID_VALUE;
    const int rows_a = ta == CUBLAS_OP_N ? m : k, rows_b = tb == CUBLAS_OP_N ? k : n;
    if (lda < (rows_a > 1 ? rows_a : 1) || ldb < (rows_b > 1 ? rows_b : 1) ||
        ldc < (m > 1 ? m : 1))
        return CUBLAS_STATUS_INVALID_VALUE;
    return CUBLAS_STATUS_SUCCESS;
}

/* Bytes spanned by a column-major rows x cols matrix with leading dimension ld. */
static size_t span(int rows, int cols, int ld, size_t elem)
{
    return rows > 0 && cols > 0 ? ((size_t)(cols - 1) * ld + rows) * elem : 0;
}

/* The operands' extents, for every matrix of a (batched) GEMM. */
static void require_gemm_ranges(const char *call, cublasOperation_t ta, cublasOperation_t tb,
                                int m, int n, int k, const void *A, int lda, long long sa,
                                const void *B, int ldb, long long sb, const void *C, int ldc,
                                long long sc, int batch, size_t elem)
{
    const size_t a = k ? span(ta == CUBLAS_OP_N ? m : k, ta == CUBLAS_OP_N ? k : m, lda, elem) : 0;
    const size_t b = k ? span(tb == CUBLAS_OP_N ? k : n, tb == CUBLAS_OP_N ? n : k, ldb, elem) : 0;
    const size_t c = span(m, n, ldc, elem);
    char what[96];
    for (int i = 0; i < batch; i += batch - 1 > 0 ? batch - 1 : 1) { /* first and last */
        snprintf(what, sizeof what, "%s matrix A of batch %d", call, i);
        require_device_range(what, (const char *)A + (long long)i * sa * (long long)elem, a);
        snprintf(what, sizeof what, "%s matrix B of batch %d", call, i);
        require_device_range(what, (const char *)B + (long long)i * sb * (long long)elem, b);
        snprintf(what, sizeof what, "%s matrix C of batch %d", call, i);
        require_device_range(what, (const char *)C + (long long)i * sc * (long long)elem, c);
    }
}

static CBLAS_TRANSPOSE cblas_op(cublasOperation_t op) { return op == CUBLAS_OP_N ? CblasNoTrans : CblasTrans; }

/* Rounds a float to `drop` fewer mantissa bits, to nearest even (TF32: 13, BF16: 16). */
static float round_mantissa(float x, int drop)
{
    uint32_t b;
    memcpy(&b, &x, 4);
    if ((b & 0x7f800000u) == 0x7f800000u)
        return x; /* Inf, NaN */
    b += ((1u << (drop - 1)) - 1) + ((b >> drop) & 1);
    b &= ~((1u << drop) - 1);
    memcpy(&x, &b, 4);
    return x;
}

/* A rounded contiguous copy of a stored rows x cols matrix (leading dimension ld). */
static std::vector<float> rounded_copy(const float *p, int rows, int cols, int ld, int drop)
{
    std::vector<float> out((size_t)rows * cols);
    for (int j = 0; j < cols; j++)
        for (int i = 0; i < rows; i++)
            out[(size_t)j * rows + i] = round_mantissa(p[(size_t)j * ld + i], drop);
    return out;
}

/* Mantissa bits the inputs lose under this compute type and math mode (0: exact FP32). */
static int input_rounding(cublasHandle_t h, cublasComputeType_t compute, cublasStatus_t *st)
{
    *st = CUBLAS_STATUS_SUCCESS;
    const int mode = h->math_mode & ~CUBLAS_MATH_DISALLOW_REDUCED_PRECISION_REDUCTION;
    switch (compute) {
    case CUBLAS_COMPUTE_32F: return mode == CUBLAS_TF32_TENSOR_OP_MATH ? 13 : 0;
    case CUBLAS_COMPUTE_32F_PEDANTIC: return 0;
    case CUBLAS_COMPUTE_32F_FAST_TF32: return 13;
    case CUBLAS_COMPUTE_32F_FAST_16BF: return 16;
    default: *st = CUBLAS_STATUS_NOT_SUPPORTED; return 0; /* not emulated */
    }
}

static void sgemm_rounded(cublasOperation_t ta, cublasOperation_t tb, int m, int n, int k,
                          float alpha, const float *A, int lda, const float *B, int ldb,
                          float beta, float *C, int ldc, int drop)
{
    if (!drop) {
        cblas_sgemm(CblasColMajor, cblas_op(ta), cblas_op(tb), m, n, k, alpha, A, lda, B, ldb,
                    beta, C, ldc);
        return;
    }
    const int ra = ta == CUBLAS_OP_N ? m : k, ca = ta == CUBLAS_OP_N ? k : m;
    const int rb = tb == CUBLAS_OP_N ? k : n, cb = tb == CUBLAS_OP_N ? n : k;
    const std::vector<float> a = rounded_copy(A, ra, ca, lda, drop), b = rounded_copy(B, rb, cb, ldb, drop);
    cblas_sgemm(CblasColMajor, cblas_op(ta), cblas_op(tb), m, n, k, alpha, a.data(),
                ra > 1 ? ra : 1, b.data(), rb > 1 ? rb : 1, beta, C, ldc);
}

cublasStatus_t cublasGemmStridedBatchedEx(
    cublasHandle_t h, cublasOperation_t ta, cublasOperation_t tb, int m, int n, int k,
    const void *alpha, const void *A, cudaDataType Atype, int lda, long long sa, const void *B,
    cudaDataType Btype, int ldb, long long sb, const void *beta, void *C, cudaDataType Ctype,
    int ldc, long long sc, int batch, cublasComputeType_t compute, cublasGemmAlgo_t algo)
{
    cublasStatus_t st = check_gemm(h, ta, tb, m, n, k, lda, ldb, ldc);
    if (st != CUBLAS_STATUS_SUCCESS)
        return st;
    if (batch < 0 || algo != CUBLAS_GEMM_DEFAULT)
        return CUBLAS_STATUS_INVALID_VALUE;
    const int drop = input_rounding(h, compute, &st);
    if (st != CUBLAS_STATUS_SUCCESS)
        return st;
    if (Atype != CUDA_R_32F || Btype != CUDA_R_32F || Ctype != CUDA_R_32F)
        return CUBLAS_STATUS_NOT_SUPPORTED; /* only FP32 data are emulated */
    if (m == 0 || n == 0 || batch == 0)
        return CUBLAS_STATUS_SUCCESS;
    require_gemm_ranges("cublasGemmEx", ta, tb, m, n, k, A, lda, sa, B, ldb, sb, C, ldc, sc,
                        batch, sizeof(float));
    /* pointer mode host: alpha and beta are read now */
    const float al = *(const float *)alpha, be = *(const float *)beta;
    const float *a = (const float *)A, *b = (const float *)B;
    float *c = (float *)C;
    enqueue(h->stream, as_library_call("cublasGemmStridedBatchedEx", [=]() {
        for (int i = 0; i < batch; i++)
            sgemm_rounded(ta, tb, m, n, k, al, a + i * sa, lda, b + i * sb, ldb, be, c + i * sc,
                          ldc, drop);
    }));
    return CUBLAS_STATUS_SUCCESS;
}

cublasStatus_t cublasGemmEx(cublasHandle_t h, cublasOperation_t ta, cublasOperation_t tb,
                            int m, int n, int k, const void *alpha, const void *A,
                            cudaDataType Atype, int lda, const void *B, cudaDataType Btype,
                            int ldb, const void *beta, void *C, cudaDataType Ctype, int ldc,
                            cublasComputeType_t compute, cublasGemmAlgo_t algo)
{
    return cublasGemmStridedBatchedEx(h, ta, tb, m, n, k, alpha, A, Atype, lda, 0, B, Btype,
                                      ldb, 0, beta, C, Ctype, ldc, 0, 1, compute, algo);
}

cublasStatus_t cublasDgemm(cublasHandle_t h, cublasOperation_t ta, cublasOperation_t tb, int m,
                           int n, int k, const double *alpha, const double *A, int lda,
                           const double *B, int ldb, const double *beta, double *C, int ldc)
{
    const cublasStatus_t st = check_gemm(h, ta, tb, m, n, k, lda, ldb, ldc);
    if (st != CUBLAS_STATUS_SUCCESS || m == 0 || n == 0)
        return st;
    require_gemm_ranges("cublasDgemm", ta, tb, m, n, k, A, lda, 0, B, ldb, 0, C, ldc, 0, 1,
                        sizeof(double));
    const double al = *alpha, be = *beta;
    enqueue(h->stream, as_library_call("cublasDgemm", [=]() {
        cblas_dgemm(CblasColMajor, cblas_op(ta), cblas_op(tb), m, n, k, al, A, lda, B, ldb, be,
                    C, ldc);
    }));
    return CUBLAS_STATUS_SUCCESS;
}

/* ---- cuSOLVER ---- */
cusolverStatus_t cusolverDnCreate(cusolverDnHandle_t *handle)
{
    *handle = new mbh_cusolver{nullptr};
    return CUSOLVER_STATUS_SUCCESS;
}

cusolverStatus_t cusolverDnDestroy(cusolverDnHandle_t handle)
{
    if (!handle)
        return CUSOLVER_STATUS_NOT_INITIALIZED;
    delete handle;
    return CUSOLVER_STATUS_SUCCESS;
}

cusolverStatus_t cusolverDnSetStream(cusolverDnHandle_t handle, cudaStream_t stream)
{
    if (!handle)
        return CUSOLVER_STATUS_NOT_INITIALIZED;
    handle->stream = stream;
    return CUSOLVER_STATUS_SUCCESS;
}

static cusolverStatus_t check_syevd(cusolverDnHandle_t h, cusolverEigMode_t jobz,
                                    cublasFillMode_t uplo, int n, int lda)
{
    if (!h)
        return CUSOLVER_STATUS_NOT_INITIALIZED;
    if ((jobz != CUSOLVER_EIG_MODE_NOVECTOR && jobz != CUSOLVER_EIG_MODE_VECTOR) ||
        (uplo != CUBLAS_FILL_MODE_LOWER && uplo != CUBLAS_FILL_MODE_UPPER) || n < 0 ||
        lda < (n > 1 ? n : 1))
        return CUSOLVER_STATUS_INVALID_VALUE;
    return CUSOLVER_STATUS_SUCCESS;
}

/* LAPACK's minimal workspace of dsyevd, in doubles. */
static int syevd_lwork(cusolverEigMode_t jobz, int n)
{
    if (n <= 1)
        return 1;
    return jobz == CUSOLVER_EIG_MODE_VECTOR ? 1 + 6 * n + 2 * n * n : 2 * n + 1;
}

cusolverStatus_t cusolverDnDsyevd_bufferSize(cusolverDnHandle_t h, cusolverEigMode_t jobz,
                                             cublasFillMode_t uplo, int n, const double *,
                                             int lda, const double *, int *lwork)
{
    const cusolverStatus_t st = check_syevd(h, jobz, uplo, n, lda);
    if (st == CUSOLVER_STATUS_SUCCESS)
        *lwork = syevd_lwork(jobz, n);
    return st;
}

cusolverStatus_t cusolverDnDsyevd(cusolverDnHandle_t h, cusolverEigMode_t jobz,
                                  cublasFillMode_t uplo, int n, double *A, int lda, double *W,
                                  double *work, int lwork, int *devInfo)
{
    const cusolverStatus_t st = check_syevd(h, jobz, uplo, n, lda);
    if (st != CUSOLVER_STATUS_SUCCESS)
        return st;
    require_device_range("cusolverDnDsyevd matrix A", A, span(n, n, lda, sizeof(double)));
    require_device_range("cusolverDnDsyevd eigenvalues W", W, (size_t)n * sizeof(double));
    require_device_range("cusolverDnDsyevd devInfo", devInfo, sizeof(int));
    const bool small_work = lwork < syevd_lwork(jobz, n);
    if (!small_work)
        require_device_range("cusolverDnDsyevd workspace", work, (size_t)lwork * sizeof(double));
    enqueue(h->stream, as_library_call("cusolverDnDsyevd", [=]() {
        if (small_work) { /* cuSOLVER reports a bad argument i as info = -i */
            *devInfo = -9;
            return;
        }
        *devInfo = (int)LAPACKE_dsyevd(LAPACK_COL_MAJOR, jobz == CUSOLVER_EIG_MODE_VECTOR ? 'V' : 'N',
                                       uplo == CUBLAS_FILL_MODE_LOWER ? 'L' : 'U', n, A, lda, W);
    }));
    return CUSOLVER_STATUS_SUCCESS;
}
