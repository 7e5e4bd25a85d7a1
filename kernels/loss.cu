/* loss.cu — the reconstruction loss and the VAE latent layer. The losses are
 * added to a device double (loss_accum) by a deterministic two-stage reduction
 * (mb_cuda.cuh): nothing is copied to the host, so an epoch runs without a
 * synchronisation and the trainer reads the total once. The per-element maths is
 * mb_elementwise.h, the same code the CPU backend (src/cpu/loss.c) runs. */
#include "mb_cuda.cuh"

static __global__ void recon_loss_kernel(mb_loss_kind kind, const float *logits,
                                         const float *target, size_t n, float inv_rows,
                                         float *dlogits, double *partials)
{
    double acc = 0;
    MB_FOR_EACH(i, n)
        acc += mb_recon_term(kind, logits[i], target[i], inv_rows, &dlogits[i]);
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
        z[i] = mb_vae_sample(stats[r * 2 * d + j], stats[r * 2 * d + d + j], eps[i]);
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
        kl += mb_vae_latent_grad(stats[mu_i], stats[lv_i], eps[i], dz[i], scale, &dstats[mu_i],
                                 &dstats[lv_i]);
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
    MB_FOR_EACH(i, rows)
        acc += mb_softmax_xent_row(logits + i * classes, classes, labels[i], inv_rows,
                                   dlogits + i * classes);
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
