/* cuda_host.h — the CUDA execution model on the host, for testing kernels/ without a
 * GPU (docs/cuda-host.md). The kernels' files compile as C++ with g++ against this
 * header (through the stand-ins cuda_runtime.h, cublas_v2.h and cusolverDn.h of
 * include/); a build step rewrites each `k<<<grid, block, shmem, stream>>>(args)`
 * into `MBH_LAUNCH(k, grid, block, shmem, stream)(args)` (unlaunch.cmake).
 *
 * Every CUDA thread is a fiber. A block runs on one host thread: its threads run
 * one after the other, in an order set by MB_CUDA_HOST_SCHEDULE (forward, reverse
 * or random:SEED), until each finishes or waits at a barrier or a warp primitive;
 * then the next runs. Blocks run one at a time, also in schedule order. */
#ifndef MB_CUDA_HOST_H
#define MB_CUDA_HOST_H

#include <math.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <functional>
#include <memory>
#include <tuple>
#include <type_traits>
#include <utility>

/* ---- qualifiers: all host code here ---- */
#define __global__
#define __device__
#define __host__
#define __forceinline__ inline
#define __noinline__ __attribute__((noinline))
#define __restrict__ __restrict
#define __launch_bounds__(...)
#define __constant__
/* Static storage: blocks run one at a time, so one copy serves each block in turn.
 * The build step adds MBH_SHARED(name) after each declaration, which registers the
 * variable once; registered variables are filled with the schedule's poison byte at
 * the start of every block, so a read before the block's own write differs by
 * schedule, as garbage in shared memory differs between launches on a GPU. */
#define __shared__ static
namespace mbh {
bool register_shared(void *p, size_t bytes);
}
#define MBH_SHARED(v) \
    [[maybe_unused]] static const bool mbh_shared_##v = mbh::register_shared(&(v), sizeof(v))

/* ---- grids and blocks ---- */
struct uint3 {
    unsigned x, y, z;
};
struct dim3 {
    unsigned x, y, z;
    dim3(unsigned x_ = 1, unsigned y_ = 1, unsigned z_ = 1) : x(x_), y(y_), z(z_) {}
};

namespace mbh {
struct thread_slot; /* one CUDA thread of the running block (scheduler.cpp) */
extern thread_slot *current;
extern uint3 block_idx;
extern dim3 block_dim, grid_dim;
const uint3 &thread_idx();
} // namespace mbh

#define threadIdx (mbh::thread_idx())
#define blockIdx (static_cast<const uint3 &>(mbh::block_idx))
#define blockDim (static_cast<const dim3 &>(mbh::block_dim))
#define gridDim (static_cast<const dim3 &>(mbh::grid_dim))
constexpr int warpSize = 32;

/* ---- barriers and warps (scheduler.cpp) ---- */
namespace mbh {
enum barrier_kind { BAR_PLAIN, BAR_OR, BAR_AND, BAR_COUNT };
int block_barrier(barrier_kind kind, int predicate);
/* The warp primitives: the lanes of `mask` meet; each gets its result. */
enum warp_op { WARP_SYNC, WARP_IDX, WARP_UP, WARP_DOWN, WARP_XOR, WARP_BALLOT, WARP_ANY, WARP_ALL };
uint64_t warp_meet(warp_op op, unsigned mask, uint64_t value, int arg, int width);
void *dynamic_shared();

template <typename T> uint64_t to_bits(T v)
{
    static_assert(sizeof(T) <= 8 && std::is_trivially_copyable<T>::value,
                  "warp shuffles move values of at most 8 bytes");
    uint64_t b = 0;
    memcpy(&b, &v, sizeof v);
    return b;
}
template <typename T> T from_bits(uint64_t b)
{
    T v;
    memcpy(&v, &b, sizeof v);
    return v;
}
template <typename T> T shuffle(warp_op op, unsigned mask, T v, int arg, int width)
{
    return from_bits<T>(warp_meet(op, mask, to_bits(v), arg, width));
}
} // namespace mbh

inline void __syncthreads() { mbh::block_barrier(mbh::BAR_PLAIN, 0); }
inline int __syncthreads_or(int p) { return mbh::block_barrier(mbh::BAR_OR, p); }
inline int __syncthreads_and(int p) { return mbh::block_barrier(mbh::BAR_AND, p); }
inline int __syncthreads_count(int p) { return mbh::block_barrier(mbh::BAR_COUNT, p); }
inline void __syncwarp(unsigned mask = 0xffffffffu) { mbh::warp_meet(mbh::WARP_SYNC, mask, 0, 0, 32); }
/* Shared and global memory are the host's: ordering is sequential already. */
inline void __threadfence() {}
inline void __threadfence_block() {}

template <typename T> T __shfl_sync(unsigned mask, T v, int src, int width = 32)
{
    return mbh::shuffle(mbh::WARP_IDX, mask, v, src, width);
}
template <typename T> T __shfl_up_sync(unsigned mask, T v, unsigned delta, int width = 32)
{
    return mbh::shuffle(mbh::WARP_UP, mask, v, (int)delta, width);
}
template <typename T> T __shfl_down_sync(unsigned mask, T v, unsigned delta, int width = 32)
{
    return mbh::shuffle(mbh::WARP_DOWN, mask, v, (int)delta, width);
}
template <typename T> T __shfl_xor_sync(unsigned mask, T v, int lane_mask, int width = 32)
{
    return mbh::shuffle(mbh::WARP_XOR, mask, v, lane_mask, width);
}
inline unsigned __ballot_sync(unsigned mask, int p)
{
    return (unsigned)mbh::warp_meet(mbh::WARP_BALLOT, mask, p != 0, 0, 32);
}
inline int __any_sync(unsigned mask, int p) { return (int)mbh::warp_meet(mbh::WARP_ANY, mask, p != 0, 0, 32); }
inline int __all_sync(unsigned mask, int p) { return (int)mbh::warp_meet(mbh::WARP_ALL, mask, p != 0, 0, 32); }
inline unsigned __activemask() { return mbh::thread_idx(), 0xffffffffu; }

/* ---- atomics: fibers never run at the same time, so read-modify-write is atomic ---- */
template <typename T> T atomicAdd(T *p, T v) { T old = *p; *p = old + v; return old; }
template <typename T> T atomicSub(T *p, T v) { T old = *p; *p = old - v; return old; }
template <typename T> T atomicExch(T *p, T v) { T old = *p; *p = v; return old; }
template <typename T> T atomicMin(T *p, T v) { T old = *p; *p = v < old ? v : old; return old; }
template <typename T> T atomicMax(T *p, T v) { T old = *p; *p = v > old ? v : old; return old; }
template <typename T> T atomicAnd(T *p, T v) { T old = *p; *p = old & v; return old; }
template <typename T> T atomicOr(T *p, T v) { T old = *p; *p = old | v; return old; }
template <typename T> T atomicXor(T *p, T v) { T old = *p; *p = old ^ v; return old; }
template <typename T> T atomicCAS(T *p, T cmp, T v) { T old = *p; if (old == cmp) *p = v; return old; }
inline unsigned atomicInc(unsigned *p, unsigned lim) { unsigned o = *p; *p = o >= lim ? 0 : o + 1; return o; }

/* ---- device math and intrinsics the kernels use ----
 * The _rn forms are one IEEE-rounded operation each and never fused with another:
 * the host layer compiles with -ffp-contract=off, as the CPU backend does. */
inline float __fadd_rn(float a, float b) { return a + b; }
inline float __fsub_rn(float a, float b) { return a - b; }
inline float __fmul_rn(float a, float b) { return a * b; }
inline float __fdiv_rn(float a, float b) { return a / b; }
inline float __fmaf_rn(float a, float b, float c) { return fmaf(a, b, c); }
inline float __fsqrt_rn(float a) { return sqrtf(a); }
inline float __frcp_rn(float a) { return 1.0f / a; }
inline double __dadd_rn(double a, double b) { return a + b; }
inline double __dsub_rn(double a, double b) { return a - b; }
inline double __dmul_rn(double a, double b) { return a * b; }
inline double __ddiv_rn(double a, double b) { return a / b; }
inline double __fma_rn(double a, double b, double c) { return fma(a, b, c); }
inline float rsqrtf(float a) { return 1.0f / sqrtf(a); }
inline double rsqrt(double a) { return 1.0 / sqrt(a); }
inline float __saturatef(float a) { return a < 0 ? 0.0f : a > 1 ? 1.0f : a; }
/* The fast approximations are exact here: a test cannot see their error. */
inline float __expf(float a) { return expf(a); }
inline float __logf(float a) { return logf(a); }
inline float __fdividef(float a, float b) { return a / b; }

inline long long __double_as_longlong(double d) { return mbh::from_bits<long long>(mbh::to_bits(d)); }
inline double __longlong_as_double(long long b) { return mbh::from_bits<double>(mbh::to_bits(b)); }
inline int __float_as_int(float f) { return mbh::from_bits<int>(mbh::to_bits(f)); }
inline float __int_as_float(int b) { return mbh::from_bits<float>(mbh::to_bits(b)); }
inline unsigned __float_as_uint(float f) { return mbh::from_bits<unsigned>(mbh::to_bits(f)); }
inline float __uint_as_float(unsigned b) { return mbh::from_bits<float>(mbh::to_bits(b)); }
inline int __popc(unsigned x) { return __builtin_popcount(x); }
inline int __popcll(unsigned long long x) { return __builtin_popcountll(x); }
inline int __clz(int x) { return x ? __builtin_clz((unsigned)x) : 32; }
inline int __clzll(long long x) { return x ? __builtin_clzll((unsigned long long)x) : 64; }
inline int __ffs(int x) { return __builtin_ffs(x); }
inline int __ffsll(long long x) { return __builtin_ffsll(x); }
template <typename T> T __ldg(const T *p) { return *p; }

/* ---- launches ---- */
namespace mbh {
/* Validates the configuration (recorded for cudaGetLastError, as CUDA does), checks
 * that every pointer argument points into device memory, and queues `body` (one
 * CUDA thread) on the stream; the stream runs it at its next synchronisation. */
struct launch_config {
    dim3 grid, block;
    size_t shared_bytes;
    void *stream;
};
void launch(const char *kernel, const launch_config &cfg, std::function<void()> body);
void check_kernel_pointer(const char *kernel, int arg, const void *p);

template <typename T> void check_arg(const char *kernel, int arg, const T &v)
{
    if constexpr (std::is_pointer<T>::value && !std::is_function<std::remove_pointer_t<T>>::value)
        check_kernel_pointer(kernel, arg, (const void *)v);
    else
        (void)kernel, (void)arg, (void)v;
}

template <typename... P> struct launcher {
    void (*kernel)(P...);
    const char *name;
    launch_config cfg;
    template <typename... A> void operator()(A &&...args) const
    {
        /* The parameters are copied once, at the launch, as CUDA copies them;
         * each thread then gets its own copies (std::apply passes by value). */
        auto params = std::make_shared<std::tuple<std::decay_t<P>...>>(std::forward<A>(args)...);
        int i = 0;
        std::apply([&](const auto &...v) { (check_arg(name, i++, v), ...); }, *params);
        auto k = kernel;
        launch(name, cfg, [params, k]() { std::apply(k, *params); });
    }
};
} // namespace mbh

template <typename... P>
mbh::launcher<P...> mbh_launch(void (*kernel)(P...), const char *name, dim3 grid, dim3 block,
                               size_t shared_bytes = 0, void *stream = nullptr)
{
    return mbh::launcher<P...>{kernel, name, {grid, block, shared_bytes, stream}};
}
#define MBH_LAUNCH(kernel, ...) mbh_launch(kernel, #kernel, __VA_ARGS__)

#include "cuda_host_api.h"

#endif
