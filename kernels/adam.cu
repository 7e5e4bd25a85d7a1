/* adam.cu — one Adam step (Kingma & Ba 2015, Algorithm 1, with bias correction)
 * over every parameter of a model in one kernel: parameters, gradients and both
 * moments live in one arena each, so a single launch updates the whole model.
 *
 * The update is mb_adam_update (mb_elementwise.h), the code the CPU backend runs,
 * with the bias corrections computed on the host by the same pow, so the result
 * matches the CPU backend bit for bit. */
#include "mb_cuda.cuh"

#include <math.h>

static __global__ void adam_kernel(float *param, const float *grad, float *m, float *v,
                                   size_t n, mb_adam_coeffs a)
{
    MB_FOR_EACH(i, n)
        mb_adam_update(&a, grad[i], &param[i], &m[i], &v[i]);
}

static void cuda_adam_step(mb_backend *be, mb_real *param, const mb_real *grad, mb_real *m,
                           mb_real *v, size_t n, const mb_adam_config *cfg, int step)
{
    if (!n)
        return;
    const mb_adam_coeffs a = mb_adam_coeffs_at(cfg, step);
    adam_kernel<<<mb_grid(n), MB_THREADS, 0, mb_stream(be)>>>(param, grad, m, v, n, a);
    MB_LAUNCH_CHECK();
}

void mb_cuda_install_adam(mb_backend *be) { be->adam_step = cuda_adam_step; }
