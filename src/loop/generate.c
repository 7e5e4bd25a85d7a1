/* loop/generate.c — the generators of the next synthetic set (docs/design.md,
 * "Data flow of one run"): sample the VAE prior, fit a Gaussian or a GMM to an
 * AE's latent codes and sample it, or pass the current set through the model. */
#include "loop_internal.h"
#include "mb_stats.h"

#include <limits.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

/* Latent codes (mu) of every image of ds, as host doubles [n, d]. */
static int encode_all(mb_model *m, const mb_dataset *ds, double *codes)
{
    mb_backend *be = m->be;
    const size_t n_codes = (size_t)ds->n * m->cfg.latent;
    mb_real *x = mb_upload_images(be, ds), *mu = be->alloc(be, n_codes * sizeof(mb_real));
    float *host = malloc(n_codes * sizeof *host);
    int rc = x && mu && host ? MB_OK : MB_ENOMEM;
    if (rc == MB_OK) {
        mb_model_encode(m, x, ds->n, mu, NULL);
        be->download(be, host, mu, n_codes * sizeof *host);
        for (size_t i = 0; i < n_codes; i++)
            codes[i] = host[i];
    }
    if (x)
        be->free(be, x);
    if (mu)
        be->free(be, mu);
    free(host);
    return rc;
}

/* z [n, d] (host doubles) for the ae-gauss / ae-gmm generators: a Gaussian or a
 * GMM (EM, k-means++ seeding) fitted to the codes of the train set, sampled with
 * its covariances scaled by lambda. */
static int sample_fitted_latent(const mb_run_config *cfg, mb_model *m, const mb_dataset *train,
                                int g, long n, double *z)
{
    const int d = m->cfg.latent;
    if (d > MB_STATS_MAX_DIM)
        return mb_fail(MB_EINPUT, "config: generate.generator = %s fits a latent of at most "
                       "%d dimensions (model.latent = %d)",
                       cfg->generator == MB_GEN_AE_GMM ? "ae-gmm" : "ae-gauss", MB_STATS_MAX_DIM, d);
    double *codes = malloc((size_t)train->n * d * sizeof *codes);
    if (!codes)
        return mb_fail(MB_ENOMEM, "out of memory for %d latent codes", train->n);
    int rc = encode_all(m, train, codes);
    mb_stats_model fit = {0};
    const int k = cfg->generator == MB_GEN_AE_GMM ? cfg->gmm_components : 1;
    if (rc == MB_OK)
        rc = mb_stats_model_alloc(&fit, d, k);
    if (rc == MB_OK && k == 1) {
        rc = mb_stats_fit_gaussian(codes, train->n, d, MB_STATS_UNBIASED, &fit);
    } else if (rc == MB_OK) {
        const mb_stats_em_config em = mb_stats_em_defaults();
        rc = mb_stats_fit_gmm(codes, train->n, &em, mb_loop_stream(cfg, g, MB_PURPOSE_FIT), 0,
                              &fit, NULL);
    }
    if (rc == MB_OK)
        rc = mb_stats_model_prepare(&fit);
    if (rc == MB_OK)
        mb_stats_sample(&fit, cfg->lambda, n, mb_loop_stream(cfg, g, MB_PURPOSE_SAMPLE), 0, z);
    mb_stats_model_free(&fit);
    free(codes);
    return rc;
}

int mb_loop_generate(const mb_run_config *cfg, mb_model *m, const mb_dataset *train, int g,
                     long n, mb_dataset *out)
{
    mb_backend *be = m->be;
    const int d = m->cfg.latent;
    const size_t img = mb_model_image_size(m);
    if (n < 1 || n > INT_MAX) /* a data set counts its images in an int */
        return mb_fail(MB_EINPUT, "generation %d: %ld synthetic images (expected 1..%d)", g, n,
                       INT_MAX);
    MB_TRY(mb_dataset_alloc(out, (int)n, m->cfg.channels, m->cfg.height, m->cfg.width, 0, 0));
    snprintf(out->source, sizeof out->source, "generation %d", g);
    for (long i = 0; i < n; i++)
        out->origin[i] = (int16_t)g;

    mb_real *z = be->alloc(be, (size_t)n * d * sizeof(mb_real));
    mb_real *images = be->alloc(be, (size_t)n * img * sizeof(mb_real));
    int rc = z && images ? MB_OK : MB_ENOMEM;
    if (rc == MB_OK && cfg->generator == MB_GEN_VAE) {
        /* z ~ N(0, lambda I): lambda scales the covariance (MAD paper, Sec. 3) */
        be->fill_normal(be, z, (size_t)n * d, mb_loop_stream(cfg, g, MB_PURPOSE_SAMPLE), 0, 0,
                        (mb_real)sqrt(cfg->lambda));
    } else if (rc == MB_OK && cfg->generator == MB_GEN_RECON) {
        /* the first n images of the train set (cycled when it is smaller) */
        int *idx = malloc((size_t)n * sizeof *idx);
        mb_dataset source = {0};
        rc = idx ? MB_OK : MB_ENOMEM;
        for (long i = 0; rc == MB_OK && i < n; i++)
            idx[i] = (int)(i % train->n);
        if (rc == MB_OK)
            rc = mb_loop_select(&source, train, idx, (int)n);
        mb_real *x = rc == MB_OK ? mb_upload_images(be, &source) : NULL;
        if (rc == MB_OK && !x)
            rc = MB_ENOMEM;
        if (rc == MB_OK)
            mb_model_encode(m, x, (int)n, z, NULL);
        if (x)
            be->free(be, x);
        mb_dataset_free(&source);
        free(idx);
    } else if (rc == MB_OK) {
        double *zh = malloc((size_t)n * d * sizeof *zh);
        float *zf = malloc((size_t)n * d * sizeof *zf);
        rc = zh && zf ? sample_fitted_latent(cfg, m, train, g, n, zh) : MB_ENOMEM;
        for (size_t i = 0; rc == MB_OK && i < (size_t)n * d; i++)
            zf[i] = (float)zh[i];
        if (rc == MB_OK)
            be->upload(be, z, zf, (size_t)n * d * sizeof *zf);
        free(zh);
        free(zf);
    }
    if (rc == MB_OK) {
        mb_model_decode(m, z, (int)n, images);
        be->download(be, out->images, images, (size_t)n * img * sizeof(float));
    }
    if (z)
        be->free(be, z);
    if (images)
        be->free(be, images);
    if (rc != MB_OK)
        mb_dataset_free(out);
    return rc;
}

int mb_loop_recon_errors(mb_model *m, const mb_dataset *ds, double *err)
{
    mb_backend *be = m->be;
    const int d = m->cfg.latent;
    const size_t img = mb_model_image_size(m), n = (size_t)ds->n;
    mb_real *x = mb_upload_images(be, ds), *mu = be->alloc(be, n * d * sizeof(mb_real));
    mb_real *y = be->alloc(be, n * img * sizeof(mb_real));
    float *host = malloc(n * img * sizeof *host);
    int rc = x && mu && y && host ? MB_OK : MB_ENOMEM;
    if (rc == MB_OK) {
        mb_model_encode(m, x, ds->n, mu, NULL);
        mb_model_decode(m, mu, ds->n, y);
        be->download(be, host, y, n * img * sizeof *host);
        for (size_t i = 0; i < n; i++) {
            double e = 0;
            for (size_t j = 0; j < img; j++) {
                const double t = ds->images[i * img + j];
                const double p = fmin(fmax(host[i * img + j], 1e-7), 1 - 1e-7);
                e += m->cfg.loss == MB_LOSS_BCE ? -(t * log(p) + (1 - t) * log(1 - p))
                                                : (p - t) * (p - t);
            }
            err[i] = e;
        }
    }
    if (x)
        be->free(be, x);
    if (mu)
        be->free(be, mu);
    if (y)
        be->free(be, y);
    free(host);
    return rc;
}
