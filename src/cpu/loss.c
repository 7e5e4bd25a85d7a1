/* cpu/loss.c — the reconstruction loss, the VAE latent layer and the judge's softmax
 * cross-entropy. Per-element maths from mb_elementwise.h; sums in fixed chunks.
 * The CPU twin of kernels/loss.cu. */
#include "cpu_internal.h"

#include <math.h>

static void cpu_recon_loss(mb_backend *be, mb_loss_kind kind, const mb_real *logits,
                           const mb_real *target, int rows, int cols, mb_real *dlogits,
                           double *loss_accum)
{
    (void)be;
    const mb_real inv_rows = (mb_real)1 / rows;
    const size_t n = (size_t)rows * cols;
    double partial[MB_CHUNKS];
#pragma omp parallel for schedule(static)
    for (int chunk = 0; chunk < MB_CHUNKS; chunk++) {
        double acc = 0;
        const size_t end = n * (chunk + 1) / MB_CHUNKS;
        for (size_t i = n * chunk / MB_CHUNKS; i < end; i++)
            acc += mb_recon_term(kind, logits[i], target[i], inv_rows, &dlogits[i]);
        partial[chunk] = acc;
    }
    double total = 0;
    for (int chunk = 0; chunk < MB_CHUNKS; chunk++)
        total += partial[chunk];
    *loss_accum += total / rows;
}

static void cpu_vae_latent_forward(mb_backend *be, const mb_real *stats, const mb_real *eps,
                                   mb_real *z, int rows, int d)
{
    (void)be;
    for (int r = 0; r < rows; r++)
        for (int j = 0; j < d; j++) {
            const mb_real mu = stats[(size_t)r * 2 * d + j];
            const mb_real logvar = stats[(size_t)r * 2 * d + d + j];
            z[(size_t)r * d + j] = mb_vae_sample(mu, logvar, eps[(size_t)r * d + j]);
        }
}

static void cpu_vae_latent_backward(mb_backend *be, const mb_real *stats, const mb_real *eps,
                                    const mb_real *dz, mb_real beta, mb_real *dstats,
                                    int rows, int d, double *loss_accum)
{
    (void)be;
    const mb_real scale = beta / rows;
    double kl = 0;
    for (int r = 0; r < rows; r++)
        for (int j = 0; j < d; j++) {
            const size_t i = (size_t)r * d + j, mu_i = (size_t)r * 2 * d + j, lv_i = mu_i + d;
            kl += mb_vae_latent_grad(stats[mu_i], stats[lv_i], eps[i], dz[i], scale,
                                     &dstats[mu_i], &dstats[lv_i]);
        }
    *loss_accum += beta * kl / rows;
}

static void cpu_softmax_xent(mb_backend *be, const mb_real *logits, const int *labels,
                             int rows, int classes, mb_real *dlogits, double *loss_accum)
{
    (void)be;
    const double inv_rows = 1.0 / rows;
    double partial[MB_CHUNKS];
#pragma omp parallel for schedule(static) if ((size_t)rows * classes > MB_PARALLEL_MIN)
    for (int chunk = 0; chunk < MB_CHUNKS; chunk++) {
        double acc = 0;
        const int end = (int)((long long)rows * (chunk + 1) / MB_CHUNKS);
        for (int i = (int)((long long)rows * chunk / MB_CHUNKS); i < end; i++)
            acc += mb_softmax_xent_row(logits + (size_t)i * classes, classes, labels[i],
                                       inv_rows, dlogits + (size_t)i * classes);
        partial[chunk] = acc;
    }
    double total = 0;
    for (int chunk = 0; chunk < MB_CHUNKS; chunk++)
        total += partial[chunk];
    *loss_accum += total * inv_rows;
}

void mb_cpu_install_loss(mb_backend *be)
{
    be->recon_loss = cpu_recon_loss;
    be->vae_latent_forward = cpu_vae_latent_forward;
    be->vae_latent_backward = cpu_vae_latent_backward;
    be->softmax_xent = cpu_softmax_xent;
}
