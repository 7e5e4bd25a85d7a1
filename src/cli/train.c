/* cli/train.c — `madbench train` and `madbench sample`. */
#include "mb_cli.h"
#include "mb_image.h"
#include "mb_model.h"

#include <stdio.h>
#include <stdlib.h>
#include <math.h>
#include <string.h>

static const char *const train_flags[] = {"quiet", "help", NULL};

static void train_usage(void)
{
    printf("usage: madbench train [options]\n\n"
           "Trains the reference VAE (or AE) and saves a checkpoint.\n\n"
           "  --data SOURCE     training data (default fashion-mnist; see `madbench data`)\n"
           "  --n N             use the first N images after a seeded shuffle (default: all)\n"
           "  --epochs E        passes over the data (default 10)\n"
           "  --model vae|ae    VAE (default) or deterministic autoencoder\n"
           "  --loss bce|mse    reconstruction loss (default bce)\n"
           "  --latent D        latent size (default 16)\n"
           "  --beta B          weight of the KL term (default 1)\n"
           "  --conv1 C1, --conv2 C2  channels of the two conv layers (default 32, 64)\n"
           "  --batch B         minibatch size (default 128)\n"
           "  --lr LR           Adam learning rate (default 1e-3)\n"
           "  --seed S          initialisation, noise and shuffling (default 1)\n"
           "  --device D        cpu, cuda or auto (default auto)\n"
           "  --threads T       CPU threads (default: all cores)\n"
           "  --out PATH        checkpoint to write (default results/model.ckpt)\n"
           "  --quiet           no progress line\n");
}

/* Model options shared by train and the loop. */
static int parse_model(mb_args *a, mb_model_config *cfg)
{
    long latent, batch, conv1, conv2, seed;
    double beta, lr;
    mb_model_config_default(cfg);
    const char *model = mb_args_str(a, "model", "vae"), *loss = mb_args_str(a, "loss", "bce");
    if (strcmp(model, "vae") && strcmp(model, "ae"))
        return mb_fail(MB_EINPUT, "%s: --model '%s' (expected vae or ae)", a->command, model);
    if (strcmp(loss, "bce") && strcmp(loss, "mse"))
        return mb_fail(MB_EINPUT, "%s: --loss '%s' (expected bce or mse)", a->command, loss);
    cfg->kind = strcmp(model, "vae") ? MB_MODEL_AE : MB_MODEL_VAE;
    cfg->loss = strcmp(loss, "bce") ? MB_LOSS_MSE : MB_LOSS_BCE;
    MB_TRY(mb_args_long(a, "latent", cfg->latent, 1, 4096, &latent));
    MB_TRY(mb_args_long(a, "batch", cfg->batch, 1, 65536, &batch));
    MB_TRY(mb_args_long(a, "conv1", cfg->conv1_channels, 1, 4096, &conv1));
    MB_TRY(mb_args_long(a, "conv2", cfg->conv2_channels, 1, 4096, &conv2));
    MB_TRY(mb_args_long(a, "seed", 1, 0, __LONG_MAX__, &seed));
    MB_TRY(mb_args_double(a, "beta", cfg->beta, 0, 1e6, &beta));
    MB_TRY(mb_args_double(a, "lr", cfg->adam.lr, 1e-9, 10, &lr));
    cfg->latent = (int)latent, cfg->batch = (int)batch, cfg->conv1_channels = (int)conv1;
    cfg->conv2_channels = (int)conv2, cfg->seed = (uint64_t)seed;
    cfg->beta = (float)beta, cfg->adam.lr = (float)lr;
    return MB_OK;
}

static int open_backend(mb_args *a, mb_backend **be)
{
    long threads;
    MB_TRY(mb_args_long(a, "threads", 0, 0, 1024, &threads));
    mb_cpu_set_threads((int)threads);
    *be = mb_backend_create(mb_args_str(a, "device", "auto"));
    return *be ? MB_OK : (int)mb_last_status(); /* 2 for an unknown name, 6 for no device */
}

int mb_cli_train(int argc, char **argv)
{
    mb_args a;
    MB_TRY(mb_args_parse(&a, "train", argc, argv, train_flags));
    if (mb_args_flag(&a, "help")) {
        train_usage();
        return MB_OK;
    }
    mb_model_config cfg;
    long epochs, n;
    MB_TRY(parse_model(&a, &cfg));
    MB_TRY(mb_args_long(&a, "epochs", 10, 1, 1000000, &epochs));
    MB_TRY(mb_args_long(&a, "n", 0, 0, __INT_MAX__, &n));
    const char *source = mb_args_str(&a, "data", "fashion-mnist");
    const char *out = mb_args_str(&a, "out", "results/model.ckpt");
    mb_set_quiet(mb_args_flag(&a, "quiet"));
    mb_backend *be = NULL;
    MB_TRY(open_backend(&a, &be));
    int rc = mb_args_check_unused(&a);

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

static void sample_usage(void)
{
    printf("usage: madbench sample CHECKPOINT [options]\n\n"
           "Decodes images from the prior z ~ N(0, lambda I) into a PNG grid.\n\n"
           "  --n N          images (default 64)\n"
           "  --lambda L     sampling bias: scales the prior's covariance (default 1)\n"
           "  --columns C    grid width in images (default 8)\n"
           "  --seed S       latent draws (default 1)\n"
           "  --device D     cpu, cuda or auto (default auto)\n"
           "  --threads T    CPU threads (default: all cores)\n"
           "  --out PATH     PNG to write (default results/samples.png)\n");
}

int mb_cli_sample(int argc, char **argv)
{
    mb_args a;
    static const char *const flags[] = {"help", NULL};
    MB_TRY(mb_args_parse(&a, "sample", argc, argv, flags));
    if (mb_args_flag(&a, "help")) {
        sample_usage();
        return MB_OK;
    }
    if (a.n_positional != 1)
        return mb_fail(MB_EINPUT, "sample: expected one checkpoint path (see --help)");
    long n, columns, seed;
    double lambda;
    MB_TRY(mb_args_long(&a, "n", 64, 1, 1000000, &n));
    MB_TRY(mb_args_long(&a, "columns", 8, 1, 1000, &columns));
    MB_TRY(mb_args_long(&a, "seed", 1, 0, __LONG_MAX__, &seed));
    MB_TRY(mb_args_double(&a, "lambda", 1, 0, 1e6, &lambda));
    const char *out = mb_args_str(&a, "out", "results/samples.png");
    mb_backend *be = NULL;
    MB_TRY(open_backend(&a, &be));
    int rc = mb_args_check_unused(&a);

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
