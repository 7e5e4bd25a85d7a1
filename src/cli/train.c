/* cli/train.c — `madbench train` and `madbench sample`. */
#include "mb_cli.h"
#include "mb_image.h"
#include "mb_model.h"

#include <stdio.h>
#include <stdlib.h>
#include <math.h>
#include <string.h>

static const char *const kind_names[] = {"vae", "ae", NULL}; /* mb_model_kind order */
static const char *const loss_names[] = {"bce", "mse", NULL}; /* mb_loss_kind order */

/* The options of train and sample: one table each, read by the parser and
 * printed by --help. */
typedef struct {
    mb_model_config model;
    const char *data, *out, *device;
    long n, epochs;
    int threads, quiet;
} train_options;

#define T(field) MB_OPT_AT(train_options, field)
static const mb_option train_table[] = {
    {"data", MB_OPT_STRING, T(data), "SOURCE", 0, 0, NULL,
     "training data (see madbench data --help)", NULL, NULL},
    {"n", MB_OPT_LONG, T(n), "N", 0, __INT_MAX__, NULL,
     "use the first N images after a seeded shuffle; 0: all", NULL, NULL},
    {"epochs", MB_OPT_LONG, T(epochs), "E", 1, 1000000, NULL,
     "passes over the data", NULL, NULL},
    {"model", MB_OPT_CHOICE, T(model.kind), NULL, 0, 0, kind_names,
     "VAE or deterministic autoencoder", NULL, NULL},
    {"loss", MB_OPT_CHOICE, T(model.loss), NULL, 0, 0, loss_names,
     "reconstruction loss", NULL, NULL},
    {"latent", MB_OPT_INT, T(model.latent), "D", 1, 4096, NULL, "latent size", NULL, NULL},
    {"beta", MB_OPT_FLOAT, T(model.beta), "B", 0, 1e6, NULL,
     "weight of the KL term", NULL, NULL},
    {"conv1", MB_OPT_INT, T(model.conv1_channels), "C", 1, 4096, NULL,
     "channels of the first conv layer", NULL, NULL},
    {"conv2", MB_OPT_INT, T(model.conv2_channels), "C", 1, 4096, NULL,
     "channels of the second conv layer", NULL, NULL},
    {"batch", MB_OPT_INT, T(model.batch), "B", 1, 65536, NULL, "minibatch size", NULL, NULL},
    {"lr", MB_OPT_FLOAT, T(model.adam.lr), "LR", 1e-9, 10, NULL,
     "Adam learning rate", NULL, NULL},
    {"seed", MB_OPT_U64, T(model.seed), "S", 0, (double)__LONG_MAX__, NULL,
     "initialisation, noise and shuffling", NULL, NULL},
    {"device", MB_OPT_STRING, T(device), "D", 0, 0, NULL, "cpu, cuda or auto", NULL, NULL},
    {"threads", MB_OPT_INT, T(threads), "T", 0, 1024, NULL,
     "CPU threads; 0: all cores", NULL, NULL},
    {"out", MB_OPT_STRING, T(out), "PATH", 0, 0, NULL, "checkpoint to write", NULL, NULL},
    {"quiet", MB_OPT_FLAG, T(quiet), NULL, 0, 0, NULL, "no progress line", NULL, NULL},
};
#undef T

static void train_defaults(train_options *o)
{
    *o = (train_options){.data = "fashion-mnist", .out = "results/model.ckpt",
                         .device = "auto", .epochs = 10};
    mb_model_config_default(&o->model);
}

static mb_backend *open_backend(const char *device, int threads)
{
    mb_cpu_set_threads(threads);
    return mb_backend_create(device);
}

int mb_cli_train(int argc, char **argv)
{
    mb_args a;
    train_options o;
    train_defaults(&o);
    MB_TRY(mb_args_parse(&a, "train", argc, argv, train_table, MB_ARRAY_LEN(train_table)));
    if (mb_args_help(&a)) {
        printf("usage: madbench train [options]\n\n"
               "Trains the reference VAE (or AE) and saves a checkpoint.\n\n");
        const void *d = &o;
        mb_options_help(stdout, train_table, MB_ARRAY_LEN(train_table), &d, NULL, 1);
        return MB_OK;
    }
    MB_TRY(mb_options_read(&a, train_table, MB_ARRAY_LEN(train_table), NULL, &o));
    MB_TRY(mb_args_check_unused(&a));
    mb_model_config cfg = o.model;
    const long epochs = o.epochs, n = o.n;
    const char *source = o.data, *out = o.out;
    mb_set_quiet(o.quiet);
    mb_backend *be = open_backend(o.device, o.threads);
    if (!be)
        return (int)mb_last_status(); /* 2 for an unknown name, 6 for no device */
    int rc = MB_OK;

    mb_dataset ds = {0};
    mb_model m = {0};
    mb_data_options dopt = {.split = MB_SPLIT_TRAIN, .max_images = n, .seed = cfg.seed,
                            .shuffle = n > 0};
    if (rc == MB_OK)
        rc = mb_dataset_load(&ds, source, &dopt);
    if (rc == MB_OK) {
        cfg.channels = ds.channels, cfg.height = ds.height, cfg.width = ds.width;
        rc = mb_model_create(&m, be, &cfg);
    }
    if (rc == MB_OK) {
        mb_progress("train: %s model, %zu parameters, %d images %dx%dx%d from %s, on %s (%s)\n",
                    mb_model_kind_name(cfg.kind), m.n_params, ds.n, ds.channels, ds.height,
                    ds.width, ds.source, be->name, be->device_name);
        mb_train_options topt = {.epochs = (int)epochs, .seed = cfg.seed, .progress = 1};
        const double t0 = mb_now_seconds();
        rc = mb_train(&m, &ds, &topt, NULL);
        const double seconds = mb_now_seconds() - t0;
        if (rc == MB_OK)
            printf("trained: %ld epochs of %d images in %.3f s (%.1f img/s)\n", epochs, ds.n,
                   seconds, (double)epochs * ds.n / seconds);
    }
    if (rc == MB_OK)
        rc = mb_checkpoint_save(&m, out, NULL);
    if (rc == MB_OK)
        printf("checkpoint: %s\n", out);
    mb_model_destroy(&m);
    mb_dataset_free(&ds);
    mb_backend_destroy(be);
    return rc;
}

typedef struct {
    const char *device, *out;
    long n, columns;
    uint64_t seed;
    double lambda;
    int threads;
} sample_options;

#define S(field) MB_OPT_AT(sample_options, field)
static const mb_option sample_table[] = {
    {"n", MB_OPT_LONG, S(n), "N", 1, 1000000, NULL, "images", NULL, NULL},
    {"lambda", MB_OPT_DOUBLE, S(lambda), "L", 0, 1e6, NULL,
     "sampling bias: scales the prior's covariance", NULL, NULL},
    {"columns", MB_OPT_LONG, S(columns), "C", 1, 1000, NULL,
     "grid width in images", NULL, NULL},
    {"seed", MB_OPT_U64, S(seed), "S", 0, (double)__LONG_MAX__, NULL,
     "latent draws", NULL, NULL},
    {"device", MB_OPT_STRING, S(device), "D", 0, 0, NULL, "cpu, cuda or auto", NULL, NULL},
    {"threads", MB_OPT_INT, S(threads), "T", 0, 1024, NULL,
     "CPU threads; 0: all cores", NULL, NULL},
    {"out", MB_OPT_STRING, S(out), "PATH", 0, 0, NULL, "PNG to write", NULL, NULL},
};
#undef S

int mb_cli_sample(int argc, char **argv)
{
    mb_args a;
    sample_options o = {.device = "auto", .out = "results/samples.png", .n = 64,
                        .columns = 8, .seed = 1, .lambda = 1};
    MB_TRY(mb_args_parse(&a, "sample", argc, argv, sample_table, MB_ARRAY_LEN(sample_table)));
    if (mb_args_help(&a)) {
        printf("usage: madbench sample CHECKPOINT [options]\n\n"
               "Decodes images from the prior z ~ N(0, lambda I) into a PNG grid.\n\n");
        const void *d = &o;
        mb_options_help(stdout, sample_table, MB_ARRAY_LEN(sample_table), &d, NULL, 1);
        return MB_OK;
    }
    if (a.n_positional != 1)
        return mb_fail(MB_EINPUT, "sample: expected one checkpoint path (see --help)");
    MB_TRY(mb_options_read(&a, sample_table, MB_ARRAY_LEN(sample_table), NULL, &o));
    MB_TRY(mb_args_check_unused(&a));
    const long n = o.n, columns = o.columns;
    const uint64_t seed = o.seed;
    const double lambda = o.lambda;
    const char *out = o.out;
    mb_backend *be = open_backend(o.device, o.threads);
    if (!be)
        return (int)mb_last_status(); /* 2 for an unknown name, 6 for no device */
    int rc = MB_OK;

    mb_model m = {0};
    mb_real *z = NULL, *images = NULL;
    float *host = NULL;
    if (rc == MB_OK)
        rc = mb_checkpoint_load(&m, be, a.positional[0], NULL);
    const size_t img = rc == MB_OK ? mb_model_image_size(&m) : 0;
    if (rc == MB_OK) {
        z = be->alloc(be, (size_t)n * m.cfg.latent * sizeof(mb_real));
        images = be->alloc(be, (size_t)n * img * sizeof(mb_real));
        host = mb_host_alloc((size_t)n * img * sizeof *host, "sampled images");
        if (!z || !images || !host)
            rc = MB_ENOMEM;
    }
    if (rc == MB_OK) {
        be->fill_normal(be, z, (size_t)n * m.cfg.latent, (uint64_t)seed, 0, 0,
                        (mb_real)sqrt(lambda));
        mb_model_decode(&m, z, (int)n, images);
        be->download(be, host, images, (size_t)n * img * sizeof *host);
        rc = mb_write_png_grid(out, host, (int)n, m.cfg.channels, m.cfg.height, m.cfg.width,
                               (int)columns);
    }
    if (rc == MB_OK)
        printf("samples: %s (%ld images)\n", out, n);
    free(host);
    if (z)
        be->free(be, z);
    if (images)
        be->free(be, images);
    mb_model_destroy(&m);
    mb_backend_destroy(be);
    return rc;
}
