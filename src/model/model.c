/* model/model.c — MAD-VAE-28 and its deterministic AE variant (docs/design.md,
 * "The reference model"): encoder conv3x3 s2 (C->c1) ReLU, conv3x3 s2 (c1->c2)
 * ReLU, linear -> 2d (mu, log-variance; d for the AE); decoder linear d ->
 * c2*H/4*W/4 ReLU, transposed conv3x3 s2 (c2->c1, output padding 1) ReLU,
 * transposed conv3x3 s2 (c1->C, output padding 1), sigmoid (folded into the loss
 * during training). */
#include "mb_model.h"

#include <string.h>

/* Separate stream for the VAE's noise, so it never repeats initialisation draws. */
#define MB_NOISE_STREAM 0x6e6f697365ull

void mb_model_config_default(mb_model_config *cfg)
{
    *cfg = (mb_model_config){
        .kind = MB_MODEL_VAE, .channels = 1, .height = 28, .width = 28,
        .conv1_channels = 32, .conv2_channels = 64, .latent = 16, .beta = 1.0f,
        .loss = MB_LOSS_BCE, .batch = 128,
        .adam = {.lr = 1e-3f, .beta1 = 0.9f, .beta2 = 0.999f, .eps = 1e-8f},
        .seed = 1,
    };
}

const char *mb_model_kind_name(mb_model_kind kind) { return kind == MB_MODEL_VAE ? "vae" : "ae"; }
const char *mb_loss_name(mb_loss_kind kind) { return kind == MB_LOSS_BCE ? "bce" : "mse"; }

size_t mb_model_image_size(const mb_model *m)
{
    return (size_t)m->cfg.channels * m->cfg.height * m->cfg.width;
}

static int check_config(const mb_model_config *c)
{
    if (c->channels < 1 || c->channels > 4)
        return mb_fail(MB_EINPUT, "model: channels=%d (expected 1..4)", c->channels);
    if (c->height < 8 || c->width < 8 || c->height % 4 || c->width % 4)
        return mb_fail(MB_EINPUT, "model: image %dx%d (expected sides >= 8 and divisible by 4)",
                       c->height, c->width);
    if (c->conv1_channels < 1 || c->conv2_channels < 1 || c->latent < 1 || c->latent > 4096)
        return mb_fail(MB_EINPUT, "model: channels %d/%d, latent %d (expected positive sizes)",
                       c->conv1_channels, c->conv2_channels, c->latent);
    if (c->batch < 1 || c->batch > 65536)
        return mb_fail(MB_EINPUT, "model: batch=%d (expected 1..65536)", c->batch);
    if (!(c->beta >= 0) || !(c->adam.lr > 0))
        return mb_fail(MB_EINPUT, "model: beta=%g, lr=%g (expected beta >= 0, lr > 0)",
                       c->beta, c->adam.lr);
    if (c->kind != MB_MODEL_VAE && c->kind != MB_MODEL_AE)
        return mb_fail(MB_EINPUT, "model: unknown kind %d", (int)c->kind);
    if (c->loss != MB_LOSS_BCE && c->loss != MB_LOSS_MSE)
        return mb_fail(MB_EINPUT, "model: unknown loss %d", (int)c->loss);
    return MB_OK;
}

static void build_layers(mb_model *m)
{
    const mb_model_config *c = &m->cfg;
    const int h2 = c->height / 2, w2 = c->width / 2, h4 = c->height / 4, w4 = c->width / 4;
    const int flat = c->conv2_channels * h4 * w4;
    const int stats = c->kind == MB_MODEL_VAE ? 2 * c->latent : c->latent;
    mb_layer *l = m->layers;
    int n = 0;
    l[n++] = mb_layer_elementwise(MB_LAYER_TO_CHANNEL_MAJOR, c->channels, c->height, c->width);
    l[n++] = mb_layer_with_relu(
        mb_layer_conv(c->channels, c->height, c->width, c->conv1_channels, 3, 2, 1));
    l[n++] = mb_layer_with_relu(
        mb_layer_conv(c->conv1_channels, h2, w2, c->conv2_channels, 3, 2, 1));
    l[n++] = mb_layer_elementwise(MB_LAYER_TO_BATCH_MAJOR, c->conv2_channels, h4, w4);
    l[n++] = mb_layer_linear(flat, stats);
    m->n_encoder = n;
    l[n++] = mb_layer_with_relu(mb_layer_linear(c->latent, flat));
    l[n++] = mb_layer_elementwise(MB_LAYER_TO_CHANNEL_MAJOR, c->conv2_channels, h4, w4);
    l[n++] = mb_layer_with_relu(
        mb_layer_deconv(c->conv2_channels, h4, w4, c->conv1_channels, 3, 2, 1, 1));
    l[n++] = mb_layer_deconv(c->conv1_channels, h2, w2, c->channels, 3, 2, 1, 1);
    l[n++] = mb_layer_elementwise(MB_LAYER_TO_BATCH_MAJOR, c->channels, c->height, c->width);
    m->n_layers = n;

    m->n_params = mb_layers_place_params(l, n);
    m->first_trainable = 0;
    while (!l[m->first_trainable].n_params)
        m->first_trainable++;
}

int mb_model_create(mb_model *m, mb_backend *be, const mb_model_config *cfg)
{
    memset(m, 0, sizeof *m);
    MB_TRY(check_config(cfg));
    m->cfg = *cfg;
    m->be = be;
    build_layers(m);

    /* parameters | gradients | Adam first moments | Adam second moments */
    m->param_arena = be->alloc(be, 4 * m->n_params * sizeof(mb_real));
    if (!m->param_arena)
        return MB_ENOMEM;
    m->params = m->param_arena;
    m->grads = m->params + m->n_params;
    m->adam_m = m->grads + m->n_params;
    m->adam_v = m->adam_m + m->n_params;

    /* activations of one batch: loss accumulators, then every buffer in order */
    const int batch = cfg->batch, d = cfg->latent;
    size_t reals = 3 * (size_t)batch * d;
    for (int i = 0; i < m->n_layers; i++) {
        reals += 2 * (size_t)batch * mb_layer_out_size(&m->layers[i]);
        reals += mb_layer_scratch_size(&m->layers[i], batch);
    }
    const size_t head = 8 * sizeof(double); /* keeps the reals 64-byte aligned */
    m->act_arena = be->alloc(be, head + reals * sizeof(mb_real));
    if (!m->act_arena) {
        mb_model_destroy(m);
        return MB_ENOMEM;
    }
    m->loss_accum = m->act_arena;
    mb_real *p = (mb_real *)((char *)m->act_arena + head);
    m->latent = p, p += (size_t)batch * d;
    m->dlatent = p, p += (size_t)batch * d;
    m->noise = p, p += (size_t)batch * d;
    for (int i = 0; i < m->n_layers; i++) {
        const size_t out = (size_t)batch * mb_layer_out_size(&m->layers[i]);
        m->acts[i + 1] = p, p += out;
        m->dacts[i + 1] = p, p += out;
        m->scratch_of[i] = p, p += mb_layer_scratch_size(&m->layers[i], batch);
    }
    for (int i = 0; i < m->n_layers; i++)
        mb_layer_init(be, &m->layers[i], m->params, cfg->seed);
    be->fill(be, m->adam_m, 2 * m->n_params, 0);
    be->fill(be, m->grads, m->n_params, 0);
    const double zeros[2] = {0, 0};
    be->upload(be, m->loss_accum, zeros, sizeof zeros);
    return MB_OK;
}

void mb_model_destroy(mb_model *m)
{
    if (m->be) {
        m->be->free(m->be, m->param_arena);
        m->be->free(m->be, m->act_arena);
    }
    memset(m, 0, sizeof *m);
}

/* Input of layer i: the batch itself, the latent code, or the previous output. */
static const mb_real *layer_input(const mb_model *m, int i, const mb_real *x)
{
    if (i == 0)
        return x;
    return i == m->n_encoder ? m->latent : m->acts[i];
}

static void run_layers(mb_model *m, int first, int last, const mb_real *x, int n)
{
    for (int i = first; i < last; i++)
        mb_layer_forward(m->be, &m->layers[i], m->params, layer_input(m, i, x), m->acts[i + 1],
                         m->scratch_of[i], n);
}

/* From the encoder's output to the latent code the decoder reads. */
static void encoder_to_latent(mb_model *m, int n)
{
    mb_backend *be = m->be;
    const int d = m->cfg.latent;
    const mb_real *stats = m->acts[m->n_encoder];
    if (m->cfg.kind == MB_MODEL_AE) {
        be->copy(be, m->latent, stats, (size_t)n * d * sizeof(mb_real));
        return;
    }
    be->fill_normal(be, m->noise, (size_t)n * d, m->cfg.seed ^ MB_NOISE_STREAM,
                    m->noise_counter, 0, 1);
    be->vae_latent_forward(be, stats, m->noise, m->latent, n, d);
}

void mb_model_forward_backward(mb_model *m, const mb_real *x, int n)
{
    mb_backend *be = m->be;
    const int d = m->cfg.latent, last = m->n_layers;
    run_layers(m, 0, m->n_encoder, x, n);
    encoder_to_latent(m, n);
    run_layers(m, m->n_encoder, last, x, n);

    be->recon_loss(be, m->cfg.loss, m->acts[last], x, n, (int)mb_model_image_size(m),
                   m->dacts[last], &m->loss_accum[0]);
    for (int i = last - 1; i >= 0; i--) {
        /* no input gradient below the first layer with parameters: nothing uses it */
        mb_real *dx = i <= m->first_trainable ? NULL : i == m->n_encoder ? m->dlatent : m->dacts[i];
        mb_layer_backward(be, &m->layers[i], m->params, m->grads, layer_input(m, i, x),
                          m->acts[i + 1], m->dacts[i + 1], dx, m->scratch_of[i], n);
        if (i != m->n_encoder)
            continue;
        mb_real *dstats = m->dacts[m->n_encoder];
        if (m->cfg.kind == MB_MODEL_AE)
            be->copy(be, dstats, m->dlatent, (size_t)n * d * sizeof(mb_real));
        else
            be->vae_latent_backward(be, m->acts[m->n_encoder], m->noise, m->dlatent,
                                    m->cfg.beta, dstats, n, d, &m->loss_accum[1]);
    }
}

void mb_model_train_step(mb_model *m, const mb_real *x, int n)
{
    mb_model_forward_backward(m, x, n);
    m->step++;
    m->be->adam_step(m->be, m->params, m->grads, m->adam_m, m->adam_v, m->n_params,
                     &m->cfg.adam, (int)m->step);
    if (m->cfg.kind == MB_MODEL_VAE)
        m->noise_counter += (uint64_t)n * m->cfg.latent;
}

void mb_model_encode(mb_model *m, const mb_real *x, int n, mb_real *mu, mb_real *logvar)
{
    mb_backend *be = m->be;
    const int d = m->cfg.latent, batch = m->cfg.batch;
    const size_t img = mb_model_image_size(m);
    for (int start = 0; start < n; start += batch) {
        const int nb = n - start < batch ? n - start : batch;
        run_layers(m, 0, m->n_encoder, x + (size_t)start * img, nb);
        const mb_real *stats = m->acts[m->n_encoder];
        const size_t bytes = (size_t)nb * d * sizeof(mb_real);
        if (m->cfg.kind == MB_MODEL_AE) {
            be->copy(be, mu + (size_t)start * d, stats, bytes);
            continue;
        }
        /* [nb, 2, d] -> [2, nb, d]: the mu block, then the log-variance block */
        mb_real *blocks = m->dacts[m->n_encoder];
        be->permute_01(be, stats, blocks, nb, 2, d);
        be->copy(be, mu + (size_t)start * d, blocks, bytes);
        if (logvar)
            be->copy(be, logvar + (size_t)start * d, blocks + (size_t)nb * d, bytes);
    }
}

void mb_model_decode(mb_model *m, const mb_real *z, int n, mb_real *images)
{
    mb_backend *be = m->be;
    const int d = m->cfg.latent, batch = m->cfg.batch;
    const size_t img = mb_model_image_size(m);
    for (int start = 0; start < n; start += batch) {
        const int nb = n - start < batch ? n - start : batch;
        be->copy(be, m->latent, z + (size_t)start * d, (size_t)nb * d * sizeof(mb_real));
        run_layers(m, m->n_encoder, m->n_layers, NULL, nb);
        be->sigmoid_forward(be, m->acts[m->n_layers], images + (size_t)start * img,
                            (size_t)nb * img);
    }
}
