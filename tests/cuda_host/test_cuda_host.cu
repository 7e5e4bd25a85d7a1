/* test_cuda_host.cpp — the host execution layer's own semantics, each against a value
 * known in advance: barriers order shared memory, a missing barrier gives different
 * results under different schedules, warp primitives follow CUDA's lane rules, the
 * barrier reductions count, guard zones and bad pointers stop the program, cuBLAS
 * computes column-major GEMMs and rejects a bad leading dimension, and queued work
 * runs only at synchronisation. Built through the same rewrite as kernels/. */
#include "cublas_v2.h"
#include "runtime.h"
extern "C" {
#include "testutil.h"
}

#include <signal.h>
#include <stdio.h>
#include <sys/wait.h>
#include <unistd.h>

#include <vector>

template <typename T> static T *device(const std::vector<T> &host)
{
    T *p;
    cudaMalloc(&p, host.size() * sizeof(T));
    cudaMemcpy(p, host.data(), host.size() * sizeof(T), cudaMemcpyHostToDevice);
    return p;
}
template <typename T> static std::vector<T> host(const T *p, size_t n)
{
    std::vector<T> h(n);
    cudaMemcpy(h.data(), p, n * sizeof(T), cudaMemcpyDeviceToHost);
    return h;
}

/* ---- barriers and races ---- */
/* out[i] = value thread i + 1 wrote: correct only with the barrier. */
static __global__ void neighbour_kernel(int *out, int with_barrier)
{
    __shared__ int s[256];
    const int t = threadIdx.x;
    s[t] = 10 * t;
    if (with_barrier)
        __syncthreads();
    out[t] = s[(t + 1) % 256];
}

static std::vector<int> neighbours(const char *schedule, int with_barrier)
{
    mbh::set_schedule(schedule);
    std::vector<int> zero(256, 0);
    int *d = device(zero);
    neighbour_kernel<<<1, 256>>>(d, with_barrier);
    std::vector<int> h = host(d, 256);
    cudaFree(d);
    return h;
}

static void test_barriers_and_races()
{
    for (const char *s : {"forward", "reverse", "random:7"}) {
        const std::vector<int> h = neighbours(s, 1);
        int bad = 0;
        for (int t = 0; t < 256; t++)
            bad += h[t] != 10 * ((t + 1) % 256);
        CHECK(bad == 0, "with the barrier under %s: %d wrong values", s, bad);
    }
    /* Without it, the result depends on the order: that is how races show. */
    const std::vector<int> f = neighbours("forward", 0), r = neighbours("reverse", 0);
    CHECK(f != r, "a missing barrier gives the same result forward and reverse");
    mbh::set_schedule("forward");
}

/* __syncthreads_count / _or / _and over predicates known in advance. */
static __global__ void barrier_reduce_kernel(int *out)
{
    const int t = threadIdx.x;
    const int c = __syncthreads_count(t % 3 == 0);
    const int o = __syncthreads_or(t == 77);
    const int a = __syncthreads_and(t < 1000);
    const int z = __syncthreads_and(t != 5);
    if (t == 0)
        out[0] = c, out[1] = o, out[2] = a, out[3] = z;
}

static void test_barrier_reductions()
{
    int *d = device(std::vector<int>(4, -1));
    barrier_reduce_kernel<<<1, 200>>>(d);
    const std::vector<int> h = host(d, 4);
    CHECK(h[0] == 67 && h[1] == 1 && h[2] == 1 && h[3] == 0,
           "count %d (67), or %d (1), and %d (1), and %d (0)", h[0], h[1], h[2], h[3]);
    cudaFree(d);
}

/* ---- warps ---- */
static __global__ void warp_kernel(int *out)
{
    const int t = threadIdx.x, lane = t & 31;
    int sum = t; /* tree reduction: lane 0 gets the warp's sum */
    for (int off = 16; off > 0; off >>= 1)
        sum += __shfl_down_sync(0xffffffffu, sum, off);
    int all = t; /* butterfly: every lane gets the sum */
    for (int m = 1; m < 32; m <<= 1)
        all += __shfl_xor_sync(0xffffffffu, all, m);
    const int from5 = __shfl_sync(0xffffffffu, t * 3, 5);
    const int up = __shfl_up_sync(0xffffffffu, t, 2);
    const int in8 = __shfl_down_sync(0xffffffffu, t, 1, 8); /* segments of 8 lanes */
    const unsigned odd = __ballot_sync(0xffffffffu, lane & 1);
    int *o = out + t * 6;
    o[0] = lane == 0 ? sum : -1, o[1] = all, o[2] = from5, o[3] = up, o[4] = in8, o[5] = (int)odd;
}

static void test_warps()
{
    const int n = 64;
    int *d = device(std::vector<int>(n * 6, 0));
    warp_kernel<<<1, n>>>(d);
    const std::vector<int> h = host(d, n * 6);
    int bad = 0;
    for (int t = 0; t < n; t++) {
        const int w = t / 32 * 32, lane = t & 31;
        const int warp_sum = 32 * w + 31 * 32 / 2;
        const int *o = &h[t * 6];
        bad += lane == 0 && o[0] != warp_sum;
        bad += o[1] != warp_sum;
        bad += o[2] != (w + 5) * 3;
        bad += o[3] != (lane < 2 ? t : t - 2);
        bad += o[4] != ((lane & 7) == 7 ? t : t + 1);
        bad += (unsigned)o[5] != 0xaaaaaaaau;
    }
    CHECK(bad == 0, "%d warp results differ from CUDA's lane rules", bad);
    cudaFree(d);
}

/* ---- faults: each runs in a child process, which must die with a report ---- */
static __global__ void write_at_kernel(float *x, int i) { x[i] = 1.0f; }
static __global__ void exit_early_kernel(int *out)
{
    if (threadIdx.x >= 100)
        return; /* the other threads then wait at the barrier forever on a GPU */
    __syncthreads();
    out[threadIdx.x] = 1;
}

static bool dies(void (*body)())
{
    fflush(stdout);
    fflush(stderr);
    const pid_t pid = fork();
    if (pid == 0) {
        if (!freopen("/dev/null", "w", stderr)) /* the expected report */
            _exit(2);
        body();
        cudaDeviceSynchronize();
        _exit(0);
    }
    int status = 0;
    waitpid(pid, &status, 0);
    return WIFSIGNALED(status);
}

static void write_past_end() /* 100 floats: index 100 is in the 256-byte rounding */
{
    float *x;
    cudaMalloc(&x, 100 * sizeof(float));
    write_at_kernel<<<1, 1>>>(x, 100);
}
static void write_far_past_end()
{
    float *x;
    cudaMalloc(&x, 1024 * sizeof(float));
    write_at_kernel<<<1, 1>>>(x, 1024 + 2048);
}
static void write_before_start()
{
    float *x;
    cudaMalloc(&x, 64 * sizeof(float));
    write_at_kernel<<<1, 1>>>(x, -3);
}
static void host_pointer_argument()
{
    static float h[4];
    write_at_kernel<<<1, 1>>>(h, 0);
}
static void thread_exits_before_barrier()
{
    int *d;
    cudaMalloc(&d, 256 * sizeof(int));
    exit_early_kernel<<<1, 128>>>(d);
}
static void within_bounds()
{
    float *x;
    cudaMalloc(&x, 100 * sizeof(float));
    write_at_kernel<<<1, 1>>>(x, 99);
}

static void test_faults()
{
    CHECK(!dies(within_bounds), "a write inside the allocation was reported");
    CHECK(dies(write_past_end), "a write one element past the end went unnoticed");
    CHECK(dies(write_far_past_end), "a write 8 KiB past the end went unnoticed");
    CHECK(dies(write_before_start), "a write before the start went unnoticed");
    CHECK(dies(host_pointer_argument), "a host pointer passed to a kernel went unnoticed");
    CHECK(dies(thread_exits_before_barrier), "threads exiting before a barrier went unnoticed");
}

/* ---- cuBLAS and the stream ---- */
static void test_cublas()
{
    /* column-major A 2x3 and B 3x2; C = A B worked out by hand */
    const std::vector<float> a = {1, 2, 3, 4, 5, 6}; /* A = [1 3 5; 2 4 6] */
    const std::vector<float> b = {1, 0, 2, 0, 1, 3};  /* B = [1 0; 0 1; 2 3] */
    float *da = device(a), *db = device(b), *dc = device(std::vector<float>(4, 0));
    cublasHandle_t h;
    cublasCreate(&h);
    const float one = 1, zero = 0;
    cublasStatus_t st = cublasGemmEx(h, CUBLAS_OP_N, CUBLAS_OP_N, 2, 2, 3, &one, da, CUDA_R_32F,
                                     2, db, CUDA_R_32F, 3, &zero, dc, CUDA_R_32F, 2,
                                     CUBLAS_COMPUTE_32F, CUBLAS_GEMM_DEFAULT);
    const std::vector<float> c = host(dc, 4);
    CHECK(st == CUBLAS_STATUS_SUCCESS && c[0] == 11 && c[1] == 14 && c[2] == 18 && c[3] == 22,
           "A B = [%g %g; %g %g], want [11 18; 14 22]", c[0], c[2], c[1], c[3]);
    /* op(A) = A^T (3x2) times op(B) = B^T (2x3): C 3x3 */
    float *dc9 = device(std::vector<float>(9, 0));
    st = cublasGemmEx(h, CUBLAS_OP_T, CUBLAS_OP_T, 3, 3, 2, &one, da, CUDA_R_32F, 2, db,
                      CUDA_R_32F, 3, &zero, dc9, CUDA_R_32F, 3, CUBLAS_COMPUTE_32F,
                      CUBLAS_GEMM_DEFAULT);
    const std::vector<float> c9 = host(dc9, 9);
    /* (A^T B^T)[i][j] = sum_l A[l][i] B[j][l] */
    int bad = 0;
    for (int i = 0; i < 3; i++)
        for (int j = 0; j < 3; j++) {
            float want = 0;
            for (int l = 0; l < 2; l++)
                want += a[i * 2 + l] * b[l * 3 + j];
            bad += c9[j * 3 + i] != want;
        }
    CHECK(st == CUBLAS_STATUS_SUCCESS && bad == 0, "A^T B^T: %d wrong entries", bad);
    /* lda below the rows of A: cuBLAS refuses before touching anything */
    st = cublasGemmEx(h, CUBLAS_OP_N, CUBLAS_OP_N, 2, 2, 3, &one, da, CUDA_R_32F, 1, db,
                      CUDA_R_32F, 3, &zero, dc, CUDA_R_32F, 2, CUBLAS_COMPUTE_32F,
                      CUBLAS_GEMM_DEFAULT);
    CHECK(st == CUBLAS_STATUS_INVALID_VALUE, "lda 1 < m 2: status %s", cublasGetStatusString(st));
    st = cublasGemmEx(h, CUBLAS_OP_T, CUBLAS_OP_N, 2, 2, 3, &one, da, CUDA_R_32F, 2, db,
                      CUDA_R_32F, 3, &zero, dc, CUDA_R_32F, 2, CUBLAS_COMPUTE_32F,
                      CUBLAS_GEMM_DEFAULT);
    CHECK(st == CUBLAS_STATUS_INVALID_VALUE, "op T with lda 2 < k 3: status %s",
           cublasGetStatusString(st));
    cublasDestroy(h);
    cudaFree(da), cudaFree(db), cudaFree(dc), cudaFree(dc9);
}

static __global__ void set_kernel(int *x, int v) { *x = v; }

static void test_stream_order()
{
    cudaStream_t s;
    cudaStreamCreateWithFlags(&s, cudaStreamNonBlocking);
    int *d, *pinned;
    cudaMalloc(&d, sizeof(int));
    cudaMallocHost(&pinned, sizeof(int));
    *pinned = -1;
    set_kernel<<<1, 1, 0, s>>>(d, 42);
    cudaMemcpyAsync(pinned, d, sizeof(int), cudaMemcpyDeviceToHost, s);
    const int before = *pinned; /* the copy has not happened: no synchronisation yet */
    cudaStreamSynchronize(s);
    CHECK(before == -1 && *pinned == 42, "before sync %d (want -1), after %d (want 42)", before,
           *pinned);
    cudaDeviceProp p;
    cudaGetDeviceProperties(&p, 0);
    CHECK(!strcmp(p.name, "host emulation"), "device name '%s'", p.name);
    set_kernel<<<1, 2048>>>(d, 1);
    CHECK(cudaGetLastError() == cudaErrorInvalidConfiguration, "a block of 2048 threads was accepted");
    cudaFree(d), cudaFreeHost(pinned), cudaStreamDestroy(s);
}

int main()
{
    test_barriers_and_races();
    test_barrier_reductions();
    test_warps();
    test_faults();
    test_cublas();
    test_stream_order();
    return mb_test_finish("test_cuda_host");
}
