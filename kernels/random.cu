/* random.cu — constant and counter-based random fills.
 *
 * The kernels call the same Philox4x32-10 code as the CPU backend
 * (include/mb_philox.h is __host__ __device__): Philox4x32-10 is also the generator
 * behind cuRAND's CURAND_RNG_PSEUDO_PHILOX4_32_10, but cuRAND's mapping of counters
 * to outputs and its normal transform differ from ours, and using it would break
 * the rule that element i depends only on (seed, offset + i) on every backend. With
 * the shared header, uniform fills are bit-identical to the CPU (integer Philox,
 * exact scaling, one rounded multiply-add kept unfused); normal fills differ from
 * the CPU in at most the last float bit, and only rarely: CUDA's double log / cos
 * are within 1-2 double ulps of glibc's, which almost never moves the rounding to
 * float. Each element is one thread: the fill is memory-bound already. */
#include "mb_cuda.cuh"

static __global__ void fill_kernel(float *x, size_t n, float value)
{
    MB_FOR_EACH(i, n)
        x[i] = value;
}

/* lo + (hi - lo) * u as the CPU evaluates it: (hi - lo) in float, the rest in
 * double, no fused multiply-add. */
static __global__ void fill_uniform_kernel(float *x, size_t n, uint64_t seed, uint64_t offset,
                                    float lo, float hi)
{
    const double width = (double)(hi - lo);
    MB_FOR_EACH(i, n)
        x[i] = (float)__dadd_rn((double)lo, __dmul_rn(width, mb_uniform_at(seed, offset + i)));
}

static __global__ void fill_normal_kernel(float *x, size_t n, uint64_t seed, uint64_t offset,
                                   float mean, float std)
{
    MB_FOR_EACH(i, n)
        x[i] = (float)__dadd_rn((double)mean, __dmul_rn((double)std, mb_normal_at(seed, offset + i)));
}

static void cuda_fill(mb_backend *be, mb_real *x, size_t n, mb_real value)
{
    if (!n)
        return;
    fill_kernel<<<mb_grid(n), MB_THREADS, 0, mb_stream(be)>>>(x, n, value);
    MB_LAUNCH_CHECK();
}

static void cuda_fill_uniform(mb_backend *be, mb_real *x, size_t n, uint64_t seed,
                              uint64_t offset, mb_real lo, mb_real hi)
{
    if (!n)
        return;
    fill_uniform_kernel<<<mb_grid(n), MB_THREADS, 0, mb_stream(be)>>>(x, n, seed, offset,
                                                                       lo, hi);
    MB_LAUNCH_CHECK();
}

static void cuda_fill_normal(mb_backend *be, mb_real *x, size_t n, uint64_t seed,
                             uint64_t offset, mb_real mean, mb_real std)
{
    if (!n)
        return;
    fill_normal_kernel<<<mb_grid(n), MB_THREADS, 0, mb_stream(be)>>>(x, n, seed, offset,
                                                                      mean, std);
    MB_LAUNCH_CHECK();
}

void mb_cuda_install_random(mb_backend *be)
{
    be->fill = cuda_fill;
    be->fill_uniform = cuda_fill_uniform;
    be->fill_normal = cuda_fill_normal;
}
