/* cpu/random.c — the fills: constants and counter-based Philox uniform / normal numbers (mb_philox.h), so
 * element i depends only on (seed, offset + i), on every backend and thread count.
 * The CPU twin of kernels/random.cu. */
#include "cpu_internal.h"
#include "mb_philox.h"

static void cpu_fill(mb_backend *be, mb_real *x, size_t n, mb_real value)
{
    (void)be;
#pragma omp parallel for simd if (n > MB_PARALLEL_MIN)
    for (size_t i = 0; i < n; i++)
        x[i] = value;
}

static void cpu_fill_uniform(mb_backend *be, mb_real *x, size_t n, uint64_t seed,
                             uint64_t offset, mb_real lo, mb_real hi)
{
    (void)be;
#pragma omp parallel for if (n > MB_PARALLEL_MIN)
    for (size_t i = 0; i < n; i++)
        x[i] = (mb_real)(lo + (hi - lo) * mb_uniform_at(seed, offset + i));
}

static void cpu_fill_normal(mb_backend *be, mb_real *x, size_t n, uint64_t seed,
                            uint64_t offset, mb_real mean, mb_real std)
{
    (void)be;
#pragma omp parallel for if (n > MB_PARALLEL_MIN)
    for (size_t i = 0; i < n; i++)
        x[i] = (mb_real)(mean + std * mb_normal_at(seed, offset + i));
}

void mb_cpu_install_random(mb_backend *be)
{
    be->fill = cpu_fill;
    be->fill_uniform = cpu_fill_uniform;
    be->fill_normal = cpu_fill_normal;
}
