/* mb_elementwise.h — the per-element maths of the backend ops, written once and
 * compiled by both backends: the CPU loops (src/cpu/) and the CUDA kernels
 * (kernels/) call these, so the two cannot drift apart. Each step is rounded as
 * written (mb_hd.h), and C's promotions are spelled out (exp of a float is the
 * double exp), so the CPU and a GPU compute the same bits up to the accuracy of
 * the device's exp / log / sqrt. The formulas are documented as maths in
 * mb_backend.h; this file is their one implementation.
 *
 * Include after mb_backend.h (mb_cuda.cuh includes the C headers inside
 * extern "C" first). */
#ifndef MB_ELEMENTWISE_H
#define MB_ELEMENTWISE_H

#include "mb_backend.h"
#include "mb_hd.h"

#include <math.h>

/* CPU loops shorter than this run on one thread: waking the team costs more. */
#define MB_PARALLEL_MIN 4096
/* CPU reductions cut their range into this many fixed chunks, sum each in order
 * and add the chunk sums in order: the result does not depend on the thread count. */
#define MB_CHUNKS 64

/* max(v, 0); NaN gives 0. A layer's fused ReLU and the standalone one. */
MB_HD mb_real mb_relu(mb_real v)
{
    return v > 0 ? v : 0;
}

/* dx of the ReLU from its output y: dy where y > 0, else 0. */
MB_HD mb_real mb_relu_grad(mb_real dy, mb_real y)
{
    return y > 0 ? dy : 0;
}

/* 1 / (1 + exp(-z)), split on the sign so that exp never overflows. */
MB_HD mb_real mb_sigmoid(mb_real z)
{
    if (z >= 0)
        return (mb_real)(1.0 / (1.0 + exp(-(double)z)));
    const mb_real e = (mb_real)exp((double)z);
    return e / (1 + e);
}

/* dx of the sigmoid from its output y: dy * y * (1 - y). */
MB_HD mb_real mb_sigmoid_grad(mb_real dy, mb_real y)
{
    return MB_MUL(MB_MUL(dy, y), 1 - y);
}

/* One pixel of the reconstruction loss of logit z against target t: returns its
 * loss term and writes d(loss)/dz for a batch mean (inv_rows = 1 / rows).
 * BCE uses the stable form max(z,0) - z t + log(1 + exp(-|z|)); MSE is
 * (sigmoid(z) - t)^2. */
MB_HD double mb_recon_term(mb_loss_kind kind, mb_real z, mb_real t, mb_real inv_rows,
                           mb_real *dz)
{
    const mb_real y = mb_sigmoid(z), d = y - t;
    if (kind == MB_LOSS_BCE) {
        *dz = MB_MUL(d, inv_rows);
        return (double)MB_SUB(z > 0 ? z : 0, MB_MUL(z, t)) + log1p(exp(-fabs((double)z)));
    }
    *dz = MB_MUL(MB_MUL(MB_MUL(2 * d, y), 1 - y), inv_rows);
    return (double)MB_MUL(d, d);
}

/* The reparameterisation trick: z = mu + exp(logvar / 2) * eps. */
MB_HD mb_real mb_vae_sample(mb_real mu, mb_real logvar, mb_real eps)
{
    return (mb_real)MB_DADD((double)mu, MB_DMUL(exp((double)(logvar / 2)), (double)eps));
}

/* Gradient of one latent coordinate through the sample and beta * KL
 * (scale = beta / rows): writes dmu and dlogvar and returns the coordinate's
 * KL term -1/2 (1 + logvar - mu^2 - exp(logvar)). */
MB_HD double mb_vae_latent_grad(mb_real mu, mb_real logvar, mb_real eps, mb_real dz,
                                mb_real scale, mb_real *dmu, mb_real *dlogvar)
{
    const mb_real sd = (mb_real)exp((double)(logvar / 2)), var = MB_MUL(sd, sd);
    *dmu = MB_ADD(dz, MB_MUL(scale, mu));
    *dlogvar = MB_ADD(MB_MUL(MB_MUL(dz, eps), sd) / 2, MB_MUL(scale, var - 1) / 2);
    return -0.5 * (double)MB_SUB(MB_SUB(1 + logvar, MB_MUL(mu, mu)), var);
}

/* Softmax cross-entropy of one row of logits z [classes] against `label`:
 * writes dz = (softmax(z) - onehot(label)) * inv_rows and returns
 * -log softmax(z)[label], through the log-sum-exp shifted by the row's maximum. */
MB_HD double mb_softmax_xent_row(const mb_real *z, int classes, int label, double inv_rows,
                                 mb_real *dz)
{
    double zmax = z[0];
    for (int c = 1; c < classes; c++)
        zmax = z[c] > zmax ? z[c] : zmax;
    double denom = 0;
    for (int c = 0; c < classes; c++)
        denom += exp(z[c] - zmax);
    const double log_denom = log(denom);
    for (int c = 0; c < classes; c++) {
        const double p = exp(z[c] - zmax - log_denom);
        dz[c] = (mb_real)((p - (c == label)) * inv_rows);
    }
    return log_denom + zmax - z[label];
}

/* Adam (Kingma & Ba 2015, Algorithm 1) with its constants for one step, rounded
 * to mb_real as the update uses them; corr = 1 - beta^step (bias correction). */
typedef struct {
    mb_real lr, eps, beta1, one_minus_beta1, beta2, one_minus_beta2, corr1, corr2;
} mb_adam_coeffs;

static inline mb_adam_coeffs mb_adam_coeffs_at(const mb_adam_config *cfg, int step)
{
    const double b1 = cfg->beta1, b2 = cfg->beta2;
    mb_adam_coeffs a;
    a.lr = cfg->lr;
    a.eps = cfg->eps;
    a.beta1 = (mb_real)b1;
    a.beta2 = (mb_real)b2;
    a.one_minus_beta1 = (mb_real)(1 - b1);
    a.one_minus_beta2 = (mb_real)(1 - b2);
    a.corr1 = (mb_real)(1 - pow(b1, step));
    a.corr2 = (mb_real)(1 - pow(b2, step));
    return a;
}

/* One parameter's update: the moments in mb_real, the step in double (as C
 * promotes sqrt's result). */
MB_HD void mb_adam_update(const mb_adam_coeffs *a, mb_real g, mb_real *param, mb_real *m,
                          mb_real *v)
{
    const mb_real mi = MB_ADD(MB_MUL(a->beta1, *m), MB_MUL(a->one_minus_beta1, g));
    const mb_real vi = MB_ADD(MB_MUL(a->beta2, *v), MB_MUL(MB_MUL(a->one_minus_beta2, g), g));
    *m = mi;
    *v = vi;
    const mb_real m_hat = mi / a->corr1, v_hat = vi / a->corr2;
    const double step =
        (double)MB_MUL(a->lr, m_hat) / MB_DADD(sqrt((double)v_hat), (double)a->eps);
    *param = (mb_real)((double)*param - step);
}

#endif
