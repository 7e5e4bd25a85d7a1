/* gpu_train_step.c — the reference VAE (and the AE) on the CUDA backend against
 * the CPU backend: the same initial parameters, one forward/backward pass, one
 * Adam step, then one epoch of mb_train. Exits 77 (skipped) without a CUDA device.
 *
 * Tolerances (README.md, "The CUDA backend"):
 * - initial parameters: exact (fill_uniform is bit-identical on both backends);
 * - losses of one batch: relative 1e-4 (float GEMMs summing in other orders, a
 *   chain of ~10 layers);
 * - gradients, per parameter tensor: ||cuda - cpu||_2 <= 1e-3 ||cpu||_2 and
 *   max |cuda - cpu| <= 1e-3 max |cpu| (a ReLU input within rounding of 0 may
 *   switch sides, which moves a few terms, never the bulk);
 * - parameters after one Adam step: Adam's first step is about lr * sign(g), so
 *   a gradient within rounding of 0 may step the other way: every parameter
 *   within 2 lr (+ 1e-6), and 99% of them within lr / 100;
 * - mb_train, one epoch of 4 batches: epoch loss relative 1e-3;
 * - the same pass twice on CUDA: gradients and losses bit-identical. */
#include "mb_backend.h"
#include "mb_dataset.h"
#include "mb_model.h"
#include "mb_philox.h"
#include "testutil.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#ifndef MB_HAVE_CUDA
int main(void)
{
    puts("gpu_train_step: built without CUDA: skipped");
    return MB_TEST_SKIP;
}
#else

static float *download_all(mb_backend *be, const mb_real *p, size_t n)
{
    float *h = malloc(n * sizeof *h);
    be->download(be, h, p, n * sizeof *h);
    return h;
}

static void compare_grads(const mb_model *mc, const mb_model *mg, const char *kind)
{
    float *gc = download_all(mc->be, mc->grads, mc->n_params);
    float *gg = download_all(mg->be, mg->grads, mg->n_params);
    for (int i = 0; i < mc->n_layers; i++) {
        const mb_layer *l = &mc->layers[i];
        if (!l->n_params)
            continue;
        double d2 = 0, c2 = 0, dmax = 0, cmax = 0;
        for (size_t j = l->weight_off; j < l->weight_off + l->n_params; j++) {
            /* weights and bias of a layer are contiguous (weight_off first) */
            const double d = fabs((double)gg[j] - gc[j]);
            d2 += d * d, c2 += (double)gc[j] * gc[j];
            dmax = fmax(dmax, d), cmax = fmax(cmax, fabs(gc[j]));
        }
        CHECK(sqrt(d2) <= 1e-3 * sqrt(c2), "%s layer %d gradient: relative L2 difference %.3g",
              kind, i, sqrt(d2 / c2));
        CHECK(dmax <= 1e-3 * cmax, "%s layer %d gradient: max difference %.3g of max %.3g",
              kind, i, dmax, cmax);
        printf("  %s layer %2d grads: relative L2 diff %.3g, max diff / max %.3g\n", kind, i,
               sqrt(d2 / fmax(c2, 1e-300)), dmax / fmax(cmax, 1e-300));
    }
    free(gc);
    free(gg);
}

static void test_model(mb_backend *cpu, mb_backend *gpu, mb_model_kind kind, uint64_t seed)
{
    const char *name = mb_model_kind_name(kind);
    mb_model_config cfg;
    mb_model_config_default(&cfg);
    cfg.kind = kind;
    cfg.seed = seed;
    mb_model mc, mg;
    if (mb_model_create(&mc, cpu, &cfg) != MB_OK || mb_model_create(&mg, gpu, &cfg) != MB_OK) {
        CHECK(0, "mb_model_create: %s", mb_last_error());
        return;
    }
    const size_t np = mc.n_params;
    float *pc = download_all(cpu, mc.params, np), *pg = download_all(gpu, mg.params, np);
    CHECK(!memcmp(pc, pg, np * sizeof *pc), "%s: initial parameters differ", name);
    free(pc);
    free(pg);

    /* one batch of random images in [0, 1] */
    const int n = cfg.batch;
    const size_t img = mb_model_image_size(&mc);
    float *x = malloc((size_t)n * img * sizeof *x);
    for (size_t i = 0; i < (size_t)n * img; i++)
        x[i] = (float)mb_uniform_at(seed + 1, i);
    mb_real *xc = cpu->alloc(cpu, (size_t)n * img * sizeof(mb_real));
    mb_real *xg = gpu->alloc(gpu, (size_t)n * img * sizeof(mb_real));
    cpu->upload(cpu, xc, x, (size_t)n * img * sizeof *x);
    gpu->upload(gpu, xg, x, (size_t)n * img * sizeof *x);

    mb_model_forward_backward(&mc, xc, n);
    mb_model_forward_backward(&mg, xg, n);
    double lc[2], lg[2];
    cpu->download(cpu, lc, mc.loss_accum, sizeof lc);
    gpu->download(gpu, lg, mg.loss_accum, sizeof lg);
    printf("  %s losses: recon cuda %.9g cpu %.9g, KL cuda %.9g cpu %.9g\n", name, lg[0], lc[0],
           lg[1], lc[1]);
    CHECK_CLOSE(lg[0], lc[0], 1e-9, 1e-4, "reconstruction loss");
    CHECK_CLOSE(lg[1], lc[1], 1e-6, 1e-4, "KL loss");
    compare_grads(&mc, &mg, name);

    /* Deterministic on the device: the same pass again gives the same bits (no
     * floating-point atomics; cuBLAS on one stream). */
    float *g1 = download_all(gpu, mg.grads, mg.n_params);
    mb_model_forward_backward(&mg, xg, n);
    float *g2 = download_all(gpu, mg.grads, mg.n_params);
    double lg2[2];
    gpu->download(gpu, lg2, mg.loss_accum, sizeof lg2);
    CHECK(!memcmp(g1, g2, mg.n_params * sizeof *g1), "%s: CUDA gradients differ between two "
          "identical passes", name);
    CHECK(lg2[0] == 2 * lg[0] && lg2[1] == 2 * lg[1], "%s: CUDA losses differ between two "
          "identical passes", name);
    free(g1);
    free(g2);

    mb_model_train_step(&mc, xc, n);
    mb_model_train_step(&mg, xg, n);
    pc = download_all(cpu, mc.params, np);
    pg = download_all(gpu, mg.params, np);
    const double lr = cfg.adam.lr;
    size_t far = 0;
    double dmax = 0;
    for (size_t i = 0; i < np; i++) {
        const double d = fabs((double)pg[i] - pc[i]);
        dmax = fmax(dmax, d);
        far += d > lr / 100;
    }
    printf("  %s after one Adam step: max |cuda - cpu| = %.3g (lr %.3g), %zu of %zu beyond lr/100\n",
           name, dmax, lr, far, np);
    CHECK(dmax <= 2 * lr + 1e-6, "%s: parameters after one step differ by %.3g", name, dmax);
    CHECK(far <= np / 100, "%s: %zu of %zu parameters differ by more than lr/100", name, far, np);
    free(pc);
    free(pg);

    /* a few steps of mb_train on a small random set: 4 batches, one epoch */
    mb_dataset ds;
    memset(&ds, 0, sizeof ds);
    if (mb_dataset_alloc(&ds, 4 * n, cfg.channels, cfg.height, cfg.width, 0, 0) != MB_OK) {
        CHECK(0, "mb_dataset_alloc: %s", mb_last_error());
    } else {
        for (size_t i = 0; i < (size_t)ds.n * img; i++)
            ds.images[i] = (float)mb_uniform_at(seed + 2, i);
        mb_train_options opt = {.epochs = 1, .seed = seed + 3};
        double ec = NAN, eg = NAN;
        const int rc_c = mb_train(&mc, &ds, &opt, &ec), rc_g = mb_train(&mg, &ds, &opt, &eg);
        CHECK(rc_c == MB_OK && rc_g == MB_OK, "mb_train: cpu %d, cuda %d (%s)", rc_c, rc_g,
              mb_last_error());
        printf("  %s mb_train 1 epoch x 4 batches: loss cuda %.9g cpu %.9g\n", name, eg, ec);
        CHECK_CLOSE(eg, ec, 1e-9, 1e-3, "mb_train epoch loss");
        mb_dataset_free(&ds);
    }
    cpu->free(cpu, xc);
    gpu->free(gpu, xg);
    free(x);
    mb_model_destroy(&mc);
    mb_model_destroy(&mg);
}

int main(void)
{
    if (mb_cuda_device_count() <= 0) {
        puts("gpu_train_step: no CUDA device: skipped");
        return MB_TEST_SKIP;
    }
    const char *s = getenv("MB_TEST_SEED");
    const uint64_t seed = s ? strtoull(s, NULL, 0) : (uint64_t)time(NULL);
    mb_backend *cpu = mb_backend_create("cpu"), *gpu = mb_backend_create("cuda");
    if (!cpu || !gpu) {
        fprintf(stderr, "gpu_train_step: %s\n", mb_last_error());
        return 1;
    }
    printf("gpu_train_step: %s vs %s, MB_TEST_SEED=%llu\n", gpu->device_name, cpu->device_name,
           (unsigned long long)seed);
    test_model(cpu, gpu, MB_MODEL_VAE, seed);
    test_model(cpu, gpu, MB_MODEL_AE, seed);
    mb_backend_destroy(gpu);
    mb_backend_destroy(cpu);
    return mb_test_finish("gpu_train_step");
}
#endif
