/* loss.cu — the reconstruction loss and the VAE latent layer. The losses are
 * added to a device double (loss_accum) by a deterministic two-stage reduction
 * (mb_cuda.cuh): nothing is copied to the host, so an epoch runs without a
 * synchronisation and the trainer reads the total once. Per-element arithmetic
 * follows src/cpu/backend_cpu.c step by step (float where the CPU uses float, double
 * where C promotes to double, no fused multiply-adds). */
#include "mb_cuda.cuh"

static __global__ void recon_loss_kernel(mb_loss_kind kind, const float *logits,
                                         const float *target, size_t n, float inv_rows,
                                         float *dlogits, double *partials)
{
    double acc = 0;
    MB_FOR_EACH(i, n) {
        const float z = logits[i], t = target[i], y = mb_sigmoid(z);
        const float d = y - t;
        if (kind == MB_LOSS_BCE) {
            /* max(z,0) - z t + log(1 + exp(-|z|)): the stable BCE with logits */
            const float lin = __fsub_rn(z > 0 ? z : 0.0f, __fmul_rn(z, t));
            acc += (double)lin + log1p(exp(-fabs((double)z)));
            dlogits[i] = d * inv_rows;
        } else {
            acc += (double)(d * d);
            dlogits[i] = __fmul_rn(__fmul_rn(__fmul_rn(2.0f * d, y), 1.0f - y), inv_rows);
        }
    }
    acc = mb_block_sum(acc);
    if (threadIdx.x == 0)
        partials[blockIdx.x] = acc;
}

static void cuda_recon_loss(mb_backend *be, mb_loss_kind kind, const mb_real *logits,
                            const mb_real *target, int rows, int cols, mb_real *dlogits,
                            double *loss_accum)
{
    const size_t n = (size_t)rows * cols;
    if (!n)
        return;
    const unsigned blocks = mb_reduce_blocks(n);
    recon_loss_kernel<<<blocks, MB_REDUCE_THREADS, 0, mb_stream(be)>>>(
        kind, logits, target, n, (mb_real)1 / rows, dlogits, mb_cuda(be)->partials);
    MB_LAUNCH_CHECK();
    mb_reduce_finish(be, blocks, 1.0, (double)rows, loss_accum, 1);
}

/* z = mu + exp(logvar / 2) * eps, rows [mu | logvar] of stats [rows, 2d]. */
static __global__ void vae_latent_forward_kernel(const float *stats, const float *eps,
                                                 float *z, int d, size_t n)
{
    MB_FOR_EACH(i, n) {
        const size_t r = i / d, j = i % d;
        const float mu = stats[r * 2 * d + j], logvar = stats[r * 2 * d + d + j];
        z[i] = (float)__dadd_rn((double)mu, __dmul_rn(exp((double)(logvar / 2)), (double)eps[i]));
    }
}

/* dstats and the per-block KL partial sums; see mb_backend.h for the formulas. */
static __global__ void vae_latent_backward_kernel(const float *stats, const float *eps,
                                                  const float *dz, float scale,
                                                  float *dstats, int d, size_t n,
                                                  double *partials)
{
    double kl = 0;
    MB_FOR_EACH(i, n) {
        const size_t r = i / d, j = i % d;
        const size_t mu_i = r * 2 * d + j, lv_i = mu_i + d;
        const float mu = stats[mu_i], logvar = stats[lv_i];
        const float sd = (float)exp((double)(logvar / 2)), var = __fmul_rn(sd, sd);
        const float inner = __fsub_rn(__fsub_rn(1.0f + logvar, __fmul_rn(mu, mu)), var);
        kl += -0.5 * (double)inner;
        dstats[mu_i] = __fadd_rn(dz[i], __fmul_rn(scale, mu));
        dstats[lv_i] = __fadd_rn(__fmul_rn(__fmul_rn(dz[i], eps[i]), sd) / 2,
                                 __fmul_rn(scale, var - 1) / 2);
    }
    kl = mb_block_sum(kl);
    if (threadIdx.x == 0)
        partials[blockIdx.x] = kl;
}

static void cuda_vae_latent_forward(mb_backend *be, const mb_real *stats, const mb_real *eps,
                                    mb_real *z, int rows, int d)
{
    const size_t n = (size_t)rows * d;
    if (!n)
        return;
    vae_latent_forward_kernel<<<mb_grid(n), MB_THREADS, 0, mb_stream(be)>>>(stats, eps, z,
                                                                             d, n);
    MB_LAUNCH_CHECK();
}

static void cuda_vae_latent_backward(mb_backend *be, const mb_real *stats, const mb_real *eps,
                                     const mb_real *dz, mb_real beta, mb_real *dstats,
                                     int rows, int d, double *loss_accum)
{
    const size_t n = (size_t)rows * d;
    if (!n)
        return;
    const unsigned blocks = mb_reduce_blocks(n);
    vae_latent_backward_kernel<<<blocks, MB_REDUCE_THREADS, 0, mb_stream(be)>>>(
        stats, eps, dz, beta / rows, dstats, d, n, mb_cuda(be)->partials);
    MB_LAUNCH_CHECK();
    /* loss += beta * KL / rows, in the CPU's order */
    mb_reduce_finish(be, blocks, (double)beta, (double)rows, loss_accum, 1);
}

/* Softmax cross-entropy, one thread per row (few classes): log-sum-exp shifted by
 * the row's maximum, in double as on the CPU. */
static __global__ void softmax_xent_kernel(const float *logits, const int *labels, int rows,
                                           int classes, double inv_rows, float *dlogits,
                                           double *partials)
{
    double acc = 0;
    MB_FOR_EACH(i, rows) {
        const float *z = logits + i * classes;
        float *dz = dlogits + i * classes;
        double zmax = z[0];
        for (int c = 1; c < classes; c++)
            zmax = z[c] > zmax ? z[c] : zmax;
        double denom = 0;
        for (int c = 0; c < classes; c++)
            denom += exp(z[c] - zmax);
        const double log_denom = log(denom);
        const int label = labels[i];
        for (int c = 0; c < classes; c++) {
            const double p = exp(z[c] - zmax - log_denom);
            dz[c] = (float)((p - (c == label)) * inv_rows);
        }
        acc += log_denom + zmax - z[label];
    }
    acc = mb_block_sum(acc);
    if (threadIdx.x == 0)
        partials[blockIdx.x] = acc;
}

static void cuda_softmax_xent(mb_backend *be, const mb_real *logits, const int *labels,
                              int rows, int classes, mb_real *dlogits, double *loss_accum)
{
    if (rows <= 0 || classes <= 0)
        return;
    const double inv_rows = 1.0 / rows;
    const unsigned blocks = mb_reduce_blocks((size_t)rows);
    softmax_xent_kernel<<<blocks, MB_REDUCE_THREADS, 0, mb_stream(be)>>>(
        logits, labels, rows, classes, inv_rows, dlogits, mb_cuda(be)->partials);
    MB_LAUNCH_CHECK();
    mb_reduce_finish(be, blocks, inv_rows, 1.0, loss_accum, 1); /* += total * inv_rows */
}

void mb_cuda_install_loss(mb_backend *be)
{
    be->recon_loss = cuda_recon_loss;
    be->vae_latent_forward = cuda_vae_latent_forward;
    be->vae_latent_backward = cuda_vae_latent_backward;
    be->softmax_xent = cuda_softmax_xent;
}
