/* backend_cuda.cu — the CUDA backend: creation, device memory, the stream, error
 * reporting and the table of operations (filled by the files of each family). */
#include "mb_cuda.cuh"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

extern "C" void mb_cuda_die(const char *file, int line, const char *call, const char *msg)
{
    fprintf(stderr, "madbench: CUDA error at %s:%d: %s: %s\n", file, line, call, msg);
    fflush(stderr);
    abort();
}

const char *mb_cusolver_status_string(cusolverStatus_t s)
{
    switch (s) {
    case CUSOLVER_STATUS_SUCCESS: return "success";
    case CUSOLVER_STATUS_NOT_INITIALIZED: return "not initialized";
    case CUSOLVER_STATUS_ALLOC_FAILED: return "allocation failed";
    case CUSOLVER_STATUS_INVALID_VALUE: return "invalid value";
    case CUSOLVER_STATUS_ARCH_MISMATCH: return "architecture mismatch";
    case CUSOLVER_STATUS_EXECUTION_FAILED: return "execution failed";
    case CUSOLVER_STATUS_INTERNAL_ERROR: return "internal error";
    case CUSOLVER_STATUS_MATRIX_TYPE_NOT_SUPPORTED: return "matrix type not supported";
    case CUSOLVER_STATUS_NOT_SUPPORTED: return "not supported";
    default: return "unknown cuSOLVER status";
    }
}

extern "C" int mb_cuda_device_count(void)
{
    int count = 0;
    /* No driver, or a driver without devices, is "zero devices", not an error. */
    if (cudaGetDeviceCount(&count) != cudaSuccess) {
        (void)cudaGetLastError(); /* clear the recorded error */
        return 0;
    }
    return count;
}

/* ---- memory ---- */
static void *cuda_alloc(mb_backend *be, size_t bytes)
{
    void *p = NULL;
    /* cudaMalloc(0) may return NULL, which reads as a failure: round up. */
    cudaError_t e = cudaMalloc(&p, bytes ? bytes : 256);
    if (e != cudaSuccess) {
        (void)cudaGetLastError();
        size_t free_b = 0, total_b = 0;
        cudaMemGetInfo(&free_b, &total_b);
        (void)cudaGetLastError();
        mb_fail(MB_ENOMEM,
                "out of device memory on %s: requested %zu bytes (%.1f MiB), %zu bytes "
                "(%.1f MiB) free of %zu (%s)",
                be->device_name, bytes, bytes / 1048576.0, free_b, free_b / 1048576.0,
                total_b, cudaGetErrorString(e));
        return NULL;
    }
    return p;
}

static void cuda_free(mb_backend *be, void *ptr)
{
    (void)be;
    if (ptr)
        MB_CUDA_CHECK(cudaFree(ptr));
}

/* A pageable source is staged by the driver before cudaMemcpyAsync returns, so
 * the caller may reuse src_host at once; the copy is ordered on the stream. */
static void cuda_upload(mb_backend *be, void *dst, const void *src_host, size_t bytes)
{
    if (bytes)
        MB_CUDA_CHECK(cudaMemcpyAsync(dst, src_host, bytes, cudaMemcpyHostToDevice,
                                      mb_stream(be)));
}

static void cuda_download(mb_backend *be, void *dst_host, const void *src, size_t bytes)
{
    if (!bytes)
        return;
    MB_CUDA_CHECK(cudaMemcpyAsync(dst_host, src, bytes, cudaMemcpyDeviceToHost,
                                  mb_stream(be)));
    MB_CUDA_CHECK(cudaStreamSynchronize(mb_stream(be)));
}

/* Device to device; unlike the CPU's memmove the ranges must not overlap. */
static void cuda_copy(mb_backend *be, void *dst, const void *src, size_t bytes)
{
    if (bytes && dst != src)
        MB_CUDA_CHECK(cudaMemcpyAsync(dst, src, bytes, cudaMemcpyDeviceToDevice,
                                      mb_stream(be)));
}

static void cuda_synchronize(mb_backend *be)
{
    MB_CUDA_CHECK(cudaStreamSynchronize(mb_stream(be)));
}

/* ---- creation ---- */
static void cuda_release(mb_cuda_impl *impl)
{
    /* Best effort: called on half-built states too, so errors are ignored. */
    if (impl->stream)
        cudaStreamSynchronize(impl->stream);
    if (impl->solver_work)
        cudaFree(impl->solver_work);
    if (impl->cublas_work)
        cudaFree(impl->cublas_work);
    if (impl->partials)
        cudaFree(impl->partials);
    if (impl->result)
        cudaFree(impl->result);
    if (impl->flag)
        cudaFree(impl->flag);
    if (impl->solver_info)
        cudaFree(impl->solver_info);
    if (impl->host_result)
        cudaFreeHost(impl->host_result);
    if (impl->cusolver)
        cusolverDnDestroy(impl->cusolver);
    if (impl->cublas)
        cublasDestroy(impl->cublas);
    if (impl->stream)
        cudaStreamDestroy(impl->stream);
    (void)cudaGetLastError();
    free(impl);
}

static void cuda_destroy(mb_backend *be)
{
    if (!be)
        return;
    if (be->impl)
        cuda_release(mb_cuda(be));
    free(be);
}

/* Records a creation failure and releases what was built. */
static mb_backend *cuda_create_failed(mb_backend *be, mb_status code, const char *what,
                                      const char *msg)
{
    mb_fail(code, "--device cuda: %s failed: %s", what, msg);
    cuda_destroy(be);
    return NULL;
}

#define MB_CREATE_CUDA(call)                                                       \
    do {                                                                           \
        cudaError_t e_ = (call);                                                   \
        if (e_ != cudaSuccess)                                                     \
            return cuda_create_failed(be, e_ == cudaErrorMemoryAllocation ? MB_ENOMEM \
                                                                         : MB_ENODEVICE, \
                                      #call, cudaGetErrorString(e_));              \
    } while (0)

extern "C" mb_backend *mb_backend_cuda_create(void)
{
    if (mb_cuda_device_count() <= 0) {
        int count = 0;
        cudaError_t e = cudaGetDeviceCount(&count);
        (void)cudaGetLastError();
        mb_fail(MB_ENODEVICE, "--device cuda: no CUDA device found (%s)",
                e == cudaSuccess ? "the driver reports 0 devices" : cudaGetErrorString(e));
        return NULL;
    }
    mb_backend *be = (mb_backend *)calloc(1, sizeof *be);
    mb_cuda_impl *impl = (mb_cuda_impl *)calloc(1, sizeof *impl);
    if (!be || !impl) {
        free(be);
        free(impl);
        mb_fail(MB_ENOMEM, "out of host memory creating the CUDA backend");
        return NULL;
    }
    be->name = "cuda";
    be->impl = impl;
    be->destroy = cuda_destroy;
    if (mb_cuda_gemm_math_from_env(impl) != MB_OK) {
        cuda_destroy(be);
        return NULL;
    }

    /* The current device: CUDA_VISIBLE_DEVICES picks which GPU that is. */
    MB_CREATE_CUDA(cudaGetDevice(&impl->device));
    cudaDeviceProp prop;
    MB_CREATE_CUDA(cudaGetDeviceProperties(&prop, impl->device));
    snprintf(be->device_name, sizeof be->device_name, "%.96s (sm_%d%d, %.1f GiB, GEMM %s)",
             prop.name, prop.major, prop.minor, prop.totalGlobalMem / 1073741824.0,
             mb_cuda_gemm_math_name(impl->gemm_math));

    MB_CREATE_CUDA(cudaStreamCreateWithFlags(&impl->stream, cudaStreamNonBlocking));
    cublasStatus_t bs = cublasCreate(&impl->cublas);
    if (bs != CUBLAS_STATUS_SUCCESS)
        return cuda_create_failed(be, MB_EINTERNAL, "cublasCreate", cublasGetStatusString(bs));
    bs = cublasSetStream(impl->cublas, impl->stream);
    if (bs == CUBLAS_STATUS_SUCCESS)
        /* Exact FP32 unless MADBENCH_GEMM_MATH asks otherwise (see gemm.cu). */
        bs = cublasSetMathMode(impl->cublas,
                               impl->gemm_math == MB_GEMM_TF32
                                   ? CUBLAS_TF32_TENSOR_OP_MATH
                                   : (cublasMath_t)(CUBLAS_DEFAULT_MATH |
                                                    CUBLAS_MATH_DISALLOW_REDUCED_PRECISION_REDUCTION));
    if (bs != CUBLAS_STATUS_SUCCESS)
        return cuda_create_failed(be, MB_EINTERNAL, "cuBLAS setup", cublasGetStatusString(bs));
    MB_CREATE_CUDA(cudaMalloc(&impl->cublas_work, MB_CUBLAS_WORKSPACE));
    bs = cublasSetWorkspace(impl->cublas, impl->cublas_work, MB_CUBLAS_WORKSPACE);
    if (bs != CUBLAS_STATUS_SUCCESS)
        return cuda_create_failed(be, MB_EINTERNAL, "cublasSetWorkspace", cublasGetStatusString(bs));
    cusolverStatus_t ss = cusolverDnCreate(&impl->cusolver);
    if (ss == CUSOLVER_STATUS_SUCCESS)
        ss = cusolverDnSetStream(impl->cusolver, impl->stream);
    if (ss != CUSOLVER_STATUS_SUCCESS)
        return cuda_create_failed(be, MB_EINTERNAL, "cuSOLVER setup",
                                  mb_cusolver_status_string(ss));

    MB_CREATE_CUDA(cudaMalloc(&impl->partials, MB_REDUCE_MAX_BLOCKS * sizeof(double)));
    MB_CREATE_CUDA(cudaMalloc(&impl->result, 2 * sizeof(double)));
    MB_CREATE_CUDA(cudaMalloc(&impl->flag, sizeof(int)));
    MB_CREATE_CUDA(cudaMalloc(&impl->solver_info, sizeof(int)));
    MB_CREATE_CUDA(cudaMallocHost(&impl->host_result, 2 * sizeof(double)));

    be->alloc = cuda_alloc;
    be->free = cuda_free;
    be->upload = cuda_upload;
    be->download = cuda_download;
    be->copy = cuda_copy;
    be->synchronize = cuda_synchronize;
    mb_cuda_install_random(be);
    mb_cuda_install_gemm(be);
    mb_cuda_install_conv(be);
    mb_cuda_install_elementwise(be);
    mb_cuda_install_loss(be);
    mb_cuda_install_adam(be);
    mb_cuda_install_reduce(be);
    mb_cuda_install_linalg(be);
    mb_cuda_install_distances(be);
    return be;
}
