/* cpu/adam.c — one Adam step over all parameters (the update is mb_adam_update).
 * The CPU twin of kernels/adam.cu. */
#include "cpu_internal.h"

#include <math.h>

static void cpu_adam_step(mb_backend *be, mb_real *param, const mb_real *grad, mb_real *m,
                          mb_real *v, size_t n, const mb_adam_config *cfg, int step)
{
    (void)be;
    const mb_adam_coeffs a = mb_adam_coeffs_at(cfg, step);
#pragma omp parallel for simd if (n > MB_PARALLEL_MIN)
    for (size_t i = 0; i < n; i++)
        mb_adam_update(&a, grad[i], &param[i], &m[i], &v[i]);
}

void mb_cpu_install_adam(mb_backend *be)
{
    be->adam_step = cpu_adam_step;
}
