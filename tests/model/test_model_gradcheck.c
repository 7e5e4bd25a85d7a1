/* Finite-difference gradient checks in double precision (the CPU backend, layers
 * and model compiled with mb_real = double): every layer, and the whole VAE and AE
 * losses. Central differences with h = 1e-6; the check is the norm-wise relative
 * error ||g_fd - g|| / max(||g_fd||, ||g||) < 1e-6, plus the worst element. */
#include "mb_model.h"
#include "testutil.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#define H 1e-6
#define TOLERANCE 1e-6

static double rel_error(const double *fd, const double *an, size_t n)
{
    double diff = 0, a = 0, b = 0;
    for (size_t i = 0; i < n; i++) {
        diff += (fd[i] - an[i]) * (fd[i] - an[i]);
        a += fd[i] * fd[i];
        b += an[i] * an[i];
    }
    const double scale = fmax(sqrt(a), sqrt(b));
    return scale > 0 ? sqrt(diff) / scale : 0;
}

/* Random values bounded away from 0 so that no ReLU kink lies within h. */
static void random_fill(mb_backend *be, double *x, size_t n, uint64_t seed)
{
    be->fill_normal(be, x, n, seed, 0, 0, 1);
    for (size_t i = 0; i < n; i++)
        if (fabs(x[i]) < 0.05)
            x[i] = x[i] < 0 ? -0.05 - x[i] : 0.05 + x[i];
}

/* L = sum(y * r): dL/dy = r. */
static double layer_loss(mb_backend *be, const mb_layer *l, const double *params,
                         const double *x, double *y, const double *r, double *scratch, int n)
{
    mb_layer_forward(be, l, params, x, y, scratch, n);
    double s = 0;
    for (size_t i = 0; i < (size_t)n * mb_layer_out_size(l); i++)
        s += y[i] * r[i];
    return s;
}

static void check_layer(mb_backend *be, const char *name, mb_layer l, int n)
{
    const size_t n_in = (size_t)n * mb_layer_in_size(&l), n_out = (size_t)n * mb_layer_out_size(&l);
    const size_t n_par = l.n_params;
    l.weight_off = 0;
    l.bias_off = n_par ? n_par - l.out_c : 0;
    double *x = calloc(n_in, sizeof *x), *dx = calloc(n_in, sizeof *dx);
    double *y = calloc(n_out, sizeof *y), *r = calloc(n_out, sizeof *r);
    double *p = calloc(n_par + 1, sizeof *p), *dp = calloc(n_par + 1, sizeof *dp);
    double *fd_x = calloc(n_in, sizeof *fd_x), *fd_p = calloc(n_par + 1, sizeof *fd_p);
    double *scratch = calloc(mb_layer_scratch_size(&l, n) + 1, sizeof *scratch);
    random_fill(be, x, n_in, 11);
    random_fill(be, r, n_out, 12);
    if (l.kind == MB_LAYER_SIGMOID)
        for (size_t i = 0; i < n_in; i++)
            x[i] *= 2;
    be->fill_uniform(be, p, n_par, 13, 0, -0.5, 0.5);

    layer_loss(be, &l, p, x, y, r, scratch, n);
    double *dy = malloc(n_out * sizeof *dy); /* a fused ReLU masks it in place */
    memcpy(dy, r, n_out * sizeof *dy);
    mb_layer_backward(be, &l, p, dp, x, y, dy, dx, scratch, n);
    free(dy);

    for (size_t i = 0; i < n_in; i++) {
        const double keep = x[i];
        x[i] = keep + H;
        const double up = layer_loss(be, &l, p, x, y, r, scratch, n);
        x[i] = keep - H;
        const double down = layer_loss(be, &l, p, x, y, r, scratch, n);
        x[i] = keep;
        fd_x[i] = (up - down) / (2 * H);
    }
    for (size_t i = 0; i < n_par; i++) {
        const double keep = p[i];
        p[i] = keep + H;
        const double up = layer_loss(be, &l, p, x, y, r, scratch, n);
        p[i] = keep - H;
        const double down = layer_loss(be, &l, p, x, y, r, scratch, n);
        p[i] = keep;
        fd_p[i] = (up - down) / (2 * H);
    }
    const double ex = rel_error(fd_x, dx, n_in), ep = rel_error(fd_p, dp, n_par);
    printf("%-28s input grad rel err %.2e, param grad rel err %.2e (%zu params)\n", name, ex,
           ep, n_par);
    CHECK(ex < TOLERANCE, "%s: input gradient relative error %.3e", name, ex);
    CHECK(ep < TOLERANCE, "%s: parameter gradient relative error %.3e", name, ep);
    CHECK(n_par == 0 || fabs(fd_p[0]) > 0, "%s: degenerate check (zero gradient)", name);
    free(x), free(dx), free(y), free(r), free(p), free(dp), free(fd_x), free(fd_p), free(scratch);
}

static double model_loss(mb_model *m, const double *x, int n)
{
    const double zeros[2] = {0, 0};
    double acc[2];
    m->be->upload(m->be, m->loss_accum, zeros, sizeof zeros);
    mb_model_forward_backward(m, x, n);
    m->be->download(m->be, acc, m->loss_accum, sizeof acc);
    return acc[0] + acc[1];
}

static void check_model(mb_backend *be, const char *name, mb_model_kind kind,
                        mb_loss_kind loss, int channels, int side)
{
    mb_model_config cfg;
    mb_model_config_default(&cfg);
    cfg.kind = kind, cfg.loss = loss, cfg.channels = channels, cfg.height = side,
    cfg.width = side, cfg.conv1_channels = 3, cfg.conv2_channels = 4, cfg.latent = 3,
    cfg.batch = 3, cfg.beta = 0.7f, cfg.seed = 5;
    mb_model m;
    CHECK(mb_model_create(&m, be, &cfg) == MB_OK, "%s: create: %s", name, mb_last_error());
    const int n = 3;
    const size_t img = mb_model_image_size(&m);
    double *x = calloc(n * img, sizeof *x);
    be->fill_uniform(be, x, n * img, 21, 0, 0, 1); /* BCE targets in [0, 1] */
    m.noise_counter = 1234;

    model_loss(&m, x, n);
    double *grad = calloc(m.n_params, sizeof *grad), *fd = calloc(m.n_params, sizeof *fd);
    memcpy(grad, m.grads, m.n_params * sizeof *grad);
    for (size_t i = 0; i < m.n_params; i++) {
        const double keep = m.params[i];
        m.params[i] = keep + H;
        const double up = model_loss(&m, x, n);
        m.params[i] = keep - H;
        const double down = model_loss(&m, x, n);
        m.params[i] = keep;
        fd[i] = (up - down) / (2 * H);
    }
    const double e = rel_error(fd, grad, m.n_params);
    double worst = 0;
    for (size_t i = 0; i < m.n_params; i++)
        worst = fmax(worst, fabs(fd[i] - grad[i]) / fmax(1e-3, fabs(fd[i])));
    printf("%-28s loss grad rel err %.2e, worst element %.2e (%zu params)\n", name, e, worst,
           m.n_params);
    CHECK(e < TOLERANCE, "%s: loss gradient relative error %.3e", name, e);
    free(x), free(grad), free(fd);
    mb_model_destroy(&m);
}

int main(void)
{
    mb_backend *be = mb_backend_cpu_create();
    check_layer(be, "conv 3x3 s2 p1", mb_layer_conv(2, 7, 6, 3, 3, 2, 1), 2);
    check_layer(be, "conv 3x3 s1 p0", mb_layer_conv(2, 5, 5, 2, 3, 1, 0), 3);
    check_layer(be, "conv 5x5 s2 p2", mb_layer_conv(1, 8, 8, 2, 5, 2, 2), 2);
    check_layer(be, "deconv 3x3 s2 p1 op1", mb_layer_deconv(3, 4, 3, 2, 3, 2, 1, 1), 2);
    check_layer(be, "deconv 3x3 s1 p0", mb_layer_deconv(2, 4, 4, 3, 3, 1, 0, 0), 2);
    check_layer(be, "deconv 4x4 s2 p1", mb_layer_deconv(2, 3, 3, 2, 4, 2, 1, 0), 2);
    check_layer(be, "linear", mb_layer_linear(7, 5), 4);
    check_layer(be, "conv 3x3 s2 p1 + relu", mb_layer_with_relu(mb_layer_conv(2, 7, 6, 3, 3, 2, 1)), 2);
    check_layer(be, "deconv 3x3 s2 p1 op1 + relu",
                mb_layer_with_relu(mb_layer_deconv(3, 4, 3, 2, 3, 2, 1, 1)), 2);
    check_layer(be, "linear + relu", mb_layer_with_relu(mb_layer_linear(7, 5)), 4);
    check_layer(be, "relu", mb_layer_elementwise(MB_LAYER_RELU, 3, 2, 2), 3);
    check_layer(be, "sigmoid", mb_layer_elementwise(MB_LAYER_SIGMOID, 3, 2, 2), 3);
    check_layer(be, "to channel-major", mb_layer_elementwise(MB_LAYER_TO_CHANNEL_MAJOR, 3, 2, 3), 4);
    check_layer(be, "to batch-major (flatten)", mb_layer_elementwise(MB_LAYER_TO_BATCH_MAJOR, 3, 2, 3), 4);
    check_model(be, "VAE, BCE, 8x8x1", MB_MODEL_VAE, MB_LOSS_BCE, 1, 8);
    check_model(be, "VAE, MSE, 8x8x3", MB_MODEL_VAE, MB_LOSS_MSE, 3, 8);
    check_model(be, "AE, BCE, 12x12x1", MB_MODEL_AE, MB_LOSS_BCE, 1, 12);
    check_model(be, "AE, MSE, 8x8x3", MB_MODEL_AE, MB_LOSS_MSE, 3, 8);
    mb_backend_destroy(be);
    return mb_test_finish("test_model_gradcheck");
}
