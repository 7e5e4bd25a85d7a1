/* mb_cuda.cuh — what every file of the CUDA backend shares: the backend's private
 * state, the error-checking macros, launch helpers, the deterministic block
 * reduction. The per-element maths lives in include/mb_elementwise.h, shared with
 * the CPU backend.
 *
 * The public headers are C; they are included inside extern "C" so that nvcc
 * (which compiles these files as C++) links against the C symbols. */
#ifndef MB_CUDA_CUH
#define MB_CUDA_CUH

#include <cublas_v2.h>
#include <cuda_runtime.h>
#include <cusolverDn.h>

extern "C" {
#include "mb_backend.h"
}
#include "mb_elementwise.h" /* the per-element maths, shared with src/cpu/ */
#include "mb_philox.h"

#ifdef MB_REAL_DOUBLE
#error "the CUDA backend is float only (mb_real must be float)"
#endif

/* ---- error checking ----
 * Table ops return void (they are asynchronous, as cuBLAS calls are), so a failed
 * call inside one cannot be returned to the caller. A failed CUDA call leaves the
 * context in an unknown and often sticky state (an illegal address poisons every
 * later call), and going on would train on garbage without a word. So such a
 * failure prints file, line, the call and the library's message, and aborts.
 * Creation and allocation, which can return an error, use mb_fail instead. */
extern "C" void mb_cuda_die(const char *file, int line, const char *call, const char *msg);
const char *mb_cusolver_status_string(cusolverStatus_t s);

#define MB_CUDA_CHECK(call)                                                     \
    do {                                                                        \
        cudaError_t mb_e_ = (call);                                             \
        if (mb_e_ != cudaSuccess)                                               \
            mb_cuda_die(__FILE__, __LINE__, #call, cudaGetErrorString(mb_e_));  \
    } while (0)

#define MB_CUBLAS_CHECK(call)                                                   \
    do {                                                                        \
        cublasStatus_t mb_s_ = (call);                                          \
        if (mb_s_ != CUBLAS_STATUS_SUCCESS)                                     \
            mb_cuda_die(__FILE__, __LINE__, #call, cublasGetStatusString(mb_s_)); \
    } while (0)

#define MB_CUSOLVER_CHECK(call)                                                 \
    do {                                                                        \
        cusolverStatus_t mb_s_ = (call);                                        \
        if (mb_s_ != CUSOLVER_STATUS_SUCCESS)                                   \
            mb_cuda_die(__FILE__, __LINE__, #call, mb_cusolver_status_string(mb_s_)); \
    } while (0)

/* After every kernel launch: catches bad launch configurations at once; faults
 * inside the kernel surface at the next checked call on the stream. */
#define MB_LAUNCH_CHECK() MB_CUDA_CHECK(cudaGetLastError())

/* ---- the backend's private state ---- */
#define MB_REDUCE_THREADS 256
#define MB_REDUCE_MAX_BLOCKS 1024 /* partial sums per reduction */

/* A workspace given to cuBLAS once, so that no GEMM allocates: needed to capture
 * a training step in a CUDA graph; 32 MiB is NVIDIA's recommendation for Hopper. */
#define MB_CUBLAS_WORKSPACE ((size_t)32 << 20)

typedef enum { MB_GEMM_FP32 = 0, MB_GEMM_TF32 = 1, MB_GEMM_BF16 = 2 } mb_gemm_math;

typedef struct {
    int device;
    cudaStream_t stream; /* every op runs on this one stream */
    cublasHandle_t cublas;
    cusolverDnHandle_t cusolver;
    mb_gemm_math gemm_math;
    cublasComputeType_t gemm_compute;
    double *partials;   /* device [MB_REDUCE_MAX_BLOCKS]: reduction scratch */
    double *result;     /* device [2]: value returned to the host by sum */
    int *flag;          /* device: all_finite's "saw a non-finite" flag */
    int *solver_info;   /* device: cuSOLVER's info */
    double *host_result; /* pinned host [2] */
    void *cublas_work;  /* cuBLAS workspace (MB_CUBLAS_WORKSPACE bytes) */
    void *solver_work;  /* cuSOLVER workspace, grown on demand (metrics only) */
    size_t solver_work_bytes;
} mb_cuda_impl;

static inline mb_cuda_impl *mb_cuda(mb_backend *be) { return (mb_cuda_impl *)be->impl; }
static inline cudaStream_t mb_stream(mb_backend *be) { return mb_cuda(be)->stream; }

/* Grid for a grid-stride loop over n elements. */
#define MB_THREADS 256
static inline unsigned mb_grid(size_t n)
{
    size_t blocks = (n + MB_THREADS - 1) / MB_THREADS;
    if (blocks < 1)
        blocks = 1;
    return (unsigned)(blocks > (1u << 20) ? (1u << 20) : blocks);
}
#define MB_FOR_EACH(i, n)                                                        \
    for (size_t i = (size_t)blockIdx.x * blockDim.x + threadIdx.x; i < (size_t)(n); \
         i += (size_t)blockDim.x * gridDim.x)

/* ---- deterministic reductions ----
 * A reduction kernel runs a fixed number of blocks (chosen from n only), each
 * writes its partial sum to partials[blockIdx.x], and mb_reduce_finish adds the
 * partials in a fixed order: the same result on every run, no atomics. */
static inline unsigned mb_reduce_blocks(size_t n)
{
    size_t blocks = (n + MB_REDUCE_THREADS - 1) / MB_REDUCE_THREADS;
    if (blocks < 1)
        blocks = 1;
    return (unsigned)(blocks > MB_REDUCE_MAX_BLOCKS ? MB_REDUCE_MAX_BLOCKS : blocks);
}

/* Sum of v over the block (blockDim.x == MB_REDUCE_THREADS); valid in thread 0. */
__device__ __forceinline__ double mb_block_sum(double v)
{
    __shared__ double warp_sums[MB_REDUCE_THREADS / 32];
    for (int off = 16; off > 0; off >>= 1)
        v += __shfl_down_sync(0xffffffffu, v, off);
    const int lane = threadIdx.x & 31, warp = threadIdx.x >> 5;
    if (lane == 0)
        warp_sums[warp] = v;
    __syncthreads();
    double total = 0;
    if (threadIdx.x == 0)
        for (int w = 0; w < MB_REDUCE_THREADS / 32; w++)
            total += warp_sums[w];
    __syncthreads(); /* warp_sums may be reused by a following call */
    return total;
}

/* out[0] = (accumulate ? out[0] : 0) + mul * (sum of partials[0..n_blocks)) / div,
 * with the operations in the order the CPU backend uses them. */
void mb_reduce_finish(mb_backend *be, unsigned n_blocks, double mul, double div,
                      double *out, int accumulate);
/* The sum of partials[0..n_blocks), returned to the host (synchronises). */
double mb_reduce_to_host(mb_backend *be, unsigned n_blocks);

/* ---- the ops, one family per file, gathered into the table by backend_cuda.cu ---- */
void mb_cuda_install_random(mb_backend *be);      /* random.cu */
void mb_cuda_install_gemm(mb_backend *be);        /* gemm.cu */
void mb_cuda_install_conv(mb_backend *be);        /* conv.cu */
void mb_cuda_install_elementwise(mb_backend *be); /* elementwise.cu */
void mb_cuda_install_loss(mb_backend *be);        /* loss.cu */
void mb_cuda_install_adam(mb_backend *be);        /* adam.cu */
void mb_cuda_install_reduce(mb_backend *be);      /* reduce.cu */
void mb_cuda_install_linalg(mb_backend *be);      /* linalg.cu (metrics) */
void mb_cuda_install_distances(mb_backend *be);   /* distances.cu (metrics) */
/* Reads MADBENCH_GEMM_MATH; returns MB_EINPUT (recorded) on an unknown value. */
int mb_cuda_gemm_math_from_env(mb_cuda_impl *impl);
const char *mb_cuda_gemm_math_name(mb_gemm_math math);

#endif
