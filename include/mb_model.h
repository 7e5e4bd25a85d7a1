/* mb_model.h — layers, the reference convolutional VAE / AE, training and checkpoints. */
#ifndef MB_MODEL_H
#define MB_MODEL_H

#include "mb_backend.h"
#include "mb_dataset.h"

/* ---- layers ----
 * Image activations are channel-major [C, N, H, W] inside the convolution stack
 * (one GEMM per layer for the whole batch); linear layers see batch-major
 * [N, features]. The two permute layers switch between the layouts. */
typedef enum {
    MB_LAYER_CONV,        /* conv2d, weight [out_c, in_c, k, k] as in PyTorch */
    MB_LAYER_DECONV,      /* transposed conv2d, weight [in_c, out_c, k, k] as in PyTorch */
    MB_LAYER_LINEAR,      /* y = x W^T + b, weight [out, in] */
    MB_LAYER_RELU,        /* standalone: where the input must stay (the judge's features) */
    MB_LAYER_SIGMOID,
    MB_LAYER_TO_CHANNEL_MAJOR, /* [N, C, H, W] -> [C, N, H, W] */
    MB_LAYER_TO_BATCH_MAJOR    /* [C, N, H, W] -> [N, C, H, W] (flatten = this) */
} mb_layer_kind;

typedef struct {
    mb_layer_kind kind;
    int in_c, in_h, in_w;    /* one image (linear: in_c features, in_h = in_w = 1) */
    int out_c, out_h, out_w;
    int kernel, stride, pad, out_pad;
    int relu;                /* conv, deconv, linear: a ReLU fused into the bias pass */
    size_t weight_off, bias_off, n_params; /* into the model's parameter arena */
} mb_layer;

mb_layer mb_layer_conv(int in_c, int in_h, int in_w, int out_c, int kernel, int stride,
                       int pad);
mb_layer mb_layer_deconv(int in_c, int in_h, int in_w, int out_c, int kernel, int stride,
                         int pad, int out_pad);
mb_layer mb_layer_linear(int in_features, int out_features);
mb_layer mb_layer_elementwise(mb_layer_kind kind, int c, int h, int w);
/* l followed by a ReLU, fused: the bias pass applies it and the backward masks the
 * incoming gradient by the output, so no separate ReLU layer or buffer is needed. */
mb_layer mb_layer_with_relu(mb_layer l);

/* Lays the parameters of layers[0..n) out one after the other (weights, then
 * biases) in one arena; returns the number of parameters. */
size_t mb_layers_place_params(mb_layer *layers, int n);
size_t mb_layer_in_size(const mb_layer *l);  /* values per image */
size_t mb_layer_out_size(const mb_layer *l);
size_t mb_layer_scratch_size(const mb_layer *l, int n_images); /* im2col columns */

/* PyTorch's default initialisation: U(-1/sqrt(fan_in), 1/sqrt(fan_in)) for
 * weights and biases, from the counter-based generator. */
void mb_layer_init(mb_backend *be, const mb_layer *l, mb_real *params, uint64_t seed);
void mb_layer_forward(mb_backend *be, const mb_layer *l, const mb_real *params,
                      const mb_real *x, mb_real *y, mb_real *scratch, int n);
/* Writes dx (skipped when dx is NULL) and overwrites this layer's gradients; a
 * fused ReLU masks dy in place. */
void mb_layer_backward(mb_backend *be, const mb_layer *l, const mb_real *params,
                       mb_real *grads, const mb_real *x, const mb_real *y, mb_real *dy,
                       mb_real *dx, mb_real *scratch, int n);

/* ---- the model ---- */
typedef enum { MB_MODEL_VAE = 0, MB_MODEL_AE = 1 } mb_model_kind;

typedef struct {
    mb_model_kind kind;
    int channels, height, width;        /* image shape; height, width divisible by 4 */
    int conv1_channels, conv2_channels; /* 32, 64 */
    int latent;                         /* d = 16 */
    float beta;                         /* weight of the KL term (VAE) */
    mb_loss_kind loss;                  /* BCE (default) or MSE */
    int batch;                          /* 128 */
    mb_adam_config adam;                /* lr 1e-3, betas 0.9 / 0.999, eps 1e-8 */
    uint64_t seed;                      /* parameter initialisation and VAE noise */
} mb_model_config;

/* MAD-VAE-28 as in docs/design.md. */
void mb_model_config_default(mb_model_config *cfg);
const char *mb_model_kind_name(mb_model_kind kind);
const char *mb_loss_name(mb_loss_kind kind);

#define MB_MAX_LAYERS 16

typedef struct {
    mb_model_config cfg;
    mb_backend *be;
    mb_layer layers[MB_MAX_LAYERS]; /* encoder then decoder */
    int n_layers, n_encoder;        /* layers [0, n_encoder) form the encoder */
    int first_trainable;            /* the first layer with parameters */
    size_t n_params;
    mb_real *params, *grads, *adam_m, *adam_v; /* views of one arena */
    mb_real *acts[MB_MAX_LAYERS + 1];  /* acts[i] = input of layer i, for cfg.batch images */
    mb_real *dacts[MB_MAX_LAYERS + 1];
    mb_real *latent, *dlatent, *noise; /* z, dz, eps: [batch, d] */
    mb_real *scratch_of[MB_MAX_LAYERS]; /* im2col columns of layer i, kept from forward to backward */
    double *loss_accum; /* backend [2]: reconstruction, beta * KL (batch means, summed) */
    void *param_arena, *act_arena;
    long step;               /* Adam steps taken */
    uint64_t noise_counter;  /* Philox offset of the next VAE noise draw */
} mb_model;

/* Allocates every arena once; parameters are initialised from cfg->seed. */
int mb_model_create(mb_model *m, mb_backend *be, const mb_model_config *cfg);
void mb_model_destroy(mb_model *m);
size_t mb_model_image_size(const mb_model *m);

/* Forward and backward on a batch x [n, C, H, W] (backend pointer, n <= batch):
 * fills the gradients and adds the batch losses to loss_accum. Uses the noise at
 * noise_counter without advancing it. */
void mb_model_forward_backward(mb_model *m, const mb_real *x, int n);
/* forward_backward, one Adam step, and the noise counter moves on. */
void mb_model_train_step(mb_model *m, const mb_real *x, int n);
/* mu [n, d] (and logvar [n, d] when not NULL; VAE only) for images x. */
void mb_model_encode(mb_model *m, const mb_real *x, int n, mb_real *mu, mb_real *logvar);
/* images [n, C, H, W] in [0, 1] from latent codes z [n, d]. */
void mb_model_decode(mb_model *m, const mb_real *z, int n, mb_real *images);

/* ---- training ---- */
typedef struct {
    int epochs;
    uint64_t seed;   /* shuffling */
    int progress;    /* print a progress line on stderr */
    const char *label; /* prefix of the progress line, e.g. "gen 3" (may be NULL) */
    double *epoch_seconds; /* [epochs] when not NULL: wall-clock seconds of each epoch */
} mb_train_options;

/* Seeded Fisher-Yates permutation of 0..n-1 for one epoch; draw i depends only on
 * (seed, epoch, i). */
void mb_shuffle(int *order, int n, uint64_t seed, int epoch);
/* The images of ds as a backend array of reals [n, C, H, W] (NULL when out of memory). */
mb_real *mb_upload_images(mb_backend *be, const mb_dataset *ds);

/* Per-epoch mean of the batch losses (recon + beta KL); epoch_loss may be NULL. */
int mb_train(mb_model *m, const mb_dataset *ds, const mb_train_options *opt,
             double *epoch_loss);

/* ---- checkpoints: versioned header, shapes, CRC-32; written atomically ---- */
/* What a checkpoint belongs to: the loop's generation and configuration hash
 * (0, 0 outside a loop). */
typedef struct {
    int32_t generation;
    uint64_t config_hash;
} mb_checkpoint_tag;
/* tag may be NULL (generation 0, hash 0). */
int mb_checkpoint_save(const mb_model *m, const char *path, const mb_checkpoint_tag *tag);
/* Creates *m on be from the file; refuses a corrupt or mismatched file, and one
 * whose tag differs from *expect (NULL: any tag). */
int mb_checkpoint_load(mb_model *m, mb_backend *be, const char *path,
                       const mb_checkpoint_tag *expect);

#endif
