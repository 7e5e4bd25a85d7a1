/* adam.cu — one Adam step (Kingma & Ba 2015, Algorithm 1, with bias correction)
 * over every parameter of a model in one kernel: parameters, gradients and both
 * moments live in one arena each, so a single launch updates the whole model.
 *
 * Every operation is IEEE-rounded in the CPU's order and precision (float moments,
 * the square root and the update in double as C's promotions make them, the bias
 * corrections computed on the host with the same pow), so the result matches the
 * CPU backend bit for bit. */
#include "mb_cuda.cuh"

#include <math.h>

typedef struct {
    float lr, eps;
    float beta1, one_minus_beta1, beta2, one_minus_beta2; /* as floats, like the CPU */
    float corr1, corr2;                                   /* 1 - beta^step */
} adam_args;

static __global__ void adam_kernel(float *param, const float *grad, float *m, float *v,
                                   size_t n, adam_args a)
{
    MB_FOR_EACH(i, n) {
        const float g = grad[i];
        const float mi = __fadd_rn(__fmul_rn(a.beta1, m[i]), __fmul_rn(a.one_minus_beta1, g));
        const float vi = __fadd_rn(__fmul_rn(a.beta2, v[i]),
                                   __fmul_rn(__fmul_rn(a.one_minus_beta2, g), g));
        m[i] = mi;
        v[i] = vi;
        const float m_hat = mi / a.corr1, v_hat = vi / a.corr2;
        const double step = (double)__fmul_rn(a.lr, m_hat) /
                            __dadd_rn(sqrt((double)v_hat), (double)a.eps);
        param[i] = (float)((double)param[i] - step);
    }
}

static void cuda_adam_step(mb_backend *be, mb_real *param, const mb_real *grad, mb_real *m,
                           mb_real *v, size_t n, const mb_adam_config *cfg, int step)
{
    if (!n)
        return;
    const double b1 = cfg->beta1, b2 = cfg->beta2;
    adam_args a;
    a.lr = cfg->lr;
    a.eps = cfg->eps;
    a.beta1 = (float)b1;
    a.beta2 = (float)b2;
    a.one_minus_beta1 = (float)(1 - b1);
    a.one_minus_beta2 = (float)(1 - b2);
    a.corr1 = (float)(1 - pow(b1, step));
    a.corr2 = (float)(1 - pow(b2, step));
    adam_kernel<<<mb_grid(n), MB_THREADS, 0, mb_stream(be)>>>(param, grad, m, v, n, a);
    MB_LAUNCH_CHECK();
}

void mb_cuda_install_adam(mb_backend *be) { be->adam_step = cuda_adam_step; }
