/* metrics/judge.c — the judge network: a small CNN classifier trained once on the real
 * training set and frozen; its penultimate layer gives the features of every
 * metric (as the MAD paper's MNIST "FID" uses LeNet features; InceptionV3 is not
 * available offline). Architecture (28x28 input; other sizes scale):
 *
 *   conv3x3 s2 (C -> 32) ReLU, conv3x3 s2 (32 -> 64) ReLU, flatten,
 *   linear 3136 -> 128 [features], ReLU, linear 128 -> classes
 *
 * The features are the pre-activation of the 128-wide layer: unlike the ReLU
 * output they have no dead (constant 0) coordinates, so the feature covariance is
 * full rank and its log-determinant and whitening are defined. Trained with Adam
 * and softmax cross-entropy through the backend table. Unlabelled data get the
 * encoder of an autoencoder (mb_model, MB_MODEL_AE) instead, features = mu
 * standardised per coordinate with the real training set's mean and std, so that
 * FD and KID are on the same scale for every data set. */
#include "mb_judge.h"
#include "mb_philox.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

/* metrics/judge_cache.c */
int mb_judge_cache_load(mb_judge *j);
int mb_judge_cache_save(const mb_judge *j);
void mb_judge_cache_path(mb_judge *j, const char *ext);
int mb_judge_cache_lock(const mb_judge *j);
void mb_judge_cache_unlock(int lock);

void mb_judge_config_default(mb_judge_config *cfg)
{
    memset(cfg, 0, sizeof *cfg);
    cfg->features = 128;
    cfg->conv1 = 32;
    cfg->conv2 = 64;
    cfg->epochs = 5;
    cfg->batch = 128;
    cfg->lr = 1e-3f;
    cfg->seed = 20231;
    cfg->ae_latent = 32;
    cfg->ae_epochs = 5;
    cfg->random_dim = 64;
}

int mb_feature_kind_parse(const char *name, mb_feature_kind *out)
{
    static const char *names[] = {"judge", "pixels", "random"};
    for (int i = 0; i < 3; i++)
        if (!strcmp(name, names[i])) {
            *out = (mb_feature_kind)i;
            return MB_OK;
        }
    return mb_fail(MB_EINPUT, "--features '%s': unknown feature extractor (expected judge, "
                              "pixels or random)", name);
}

const char *mb_feature_kind_name(mb_feature_kind kind)
{
    return kind == MB_FEATURES_PIXELS ? "pixels" : kind == MB_FEATURES_RANDOM ? "random" : "judge";
}

static size_t image_size(const mb_judge *j)
{
    return (size_t)j->channels * j->height * j->width;
}

/* Images i0 .. i0+n-1 of ds into the backend staging buffer (mb_real). */
static void stage_batch(mb_judge *j, const mb_dataset *ds, int i0, int n)
{
    mb_backend *be = j->be;
    const size_t len = (size_t)n * image_size(j);
    const float *src = ds->images + (size_t)i0 * image_size(j);
#ifdef MB_REAL_DOUBLE
    double *tmp = malloc(len * sizeof *tmp);
    for (size_t i = 0; tmp && i < len; i++)
        tmp[i] = src[i];
    if (tmp)
        be->upload(be, j->batch_in, tmp, len * sizeof *tmp);
    free(tmp);
#else
    be->upload(be, j->batch_in, src, len * sizeof(float));
#endif
}

/* ---- the classifier ---- */

static int classifier_create(mb_judge *j)
{
    mb_backend *be = j->be;
    const mb_judge_config *c = &j->cfg;
    const int h1 = (j->height - 1) / 2 + 1, w1 = (j->width - 1) / 2 + 1; /* k3 s2 p1 */
    const int h2 = (h1 - 1) / 2 + 1, w2 = (w1 - 1) / 2 + 1;
    mb_layer *l = j->layers;
    int n = 0;
    l[n++] = mb_layer_elementwise(MB_LAYER_TO_CHANNEL_MAJOR, j->channels, j->height, j->width);
    l[n++] = mb_layer_with_relu(
        mb_layer_conv(j->channels, j->height, j->width, c->conv1, 3, 2, 1));
    l[n++] = mb_layer_with_relu(mb_layer_conv(c->conv1, h1, w1, c->conv2, 3, 2, 1));
    l[n++] = mb_layer_elementwise(MB_LAYER_TO_BATCH_MAJOR, c->conv2, h2, w2);
    j->feature_layer = n;
    l[n++] = mb_layer_linear(c->conv2 * h2 * w2, c->features);
    l[n++] = mb_layer_elementwise(MB_LAYER_RELU, c->features, 1, 1);
    l[n++] = mb_layer_linear(c->features, j->n_classes);
    j->n_layers = n;
    j->dim = c->features;

    j->n_params = mb_layers_place_params(l, n);
    j->param_arena = be->alloc(be, 4 * j->n_params * sizeof(mb_real));
    if (!j->param_arena)
        return MB_ENOMEM;
    j->params = j->param_arena;
    j->grads = j->params + j->n_params;
    j->adam_m = j->grads + j->n_params;
    j->adam_v = j->adam_m + j->n_params;

    const int batch = c->batch;
    size_t reals = 0;
    for (int i = 0; i < n; i++)
        reals += 2 * (size_t)batch * mb_layer_out_size(&l[i]) +
                 mb_layer_scratch_size(&l[i], batch);
    const size_t head = 8 * sizeof(double); /* the loss accumulator; keeps reals aligned */
    j->act_arena = be->alloc(be, head + reals * sizeof(mb_real));
    if (!j->act_arena)
        return MB_ENOMEM;
    j->loss_accum = j->act_arena;
    mb_real *p = (mb_real *)((char *)j->act_arena + head);
    for (int i = 0; i < n; i++) {
        const size_t out = (size_t)batch * mb_layer_out_size(&l[i]);
        j->acts[i + 1] = p, p += out;
        j->dacts[i + 1] = p, p += out;
        j->scratch_of[i] = p, p += mb_layer_scratch_size(&l[i], batch);
    }
    for (int i = 0; i < n; i++)
        mb_layer_init(be, &l[i], j->params, c->seed);
    be->fill(be, j->grads, 3 * j->n_params, 0);
    return MB_OK;
}

static void classifier_forward(mb_judge *j, const mb_real *x, int n)
{
    j->acts[0] = (mb_real *)x;
    for (int i = 0; i < j->n_layers; i++)
        mb_layer_forward(j->be, &j->layers[i], j->params, j->acts[i], j->acts[i + 1],
                         j->scratch_of[i], n);
}

static void classifier_train_step(mb_judge *j, const mb_real *x, const int *labels, int n,
                                  long step)
{
    mb_backend *be = j->be;
    const int last = j->n_layers;
    classifier_forward(j, x, n);
    be->softmax_xent(be, j->acts[last], labels, n, j->n_classes, j->dacts[last],
                     j->loss_accum);
    for (int i = last - 1; i >= 1; i--) /* layer 0 (a permute) has no parameters */
        mb_layer_backward(be, &j->layers[i], j->params, j->grads, j->acts[i], j->acts[i + 1],
                          j->dacts[i + 1], i == 1 ? NULL : j->dacts[i], j->scratch_of[i], n);
    const mb_adam_config adam = {j->cfg.lr, 0.9f, 0.999f, 1e-8f};
    be->adam_step(be, j->params, j->grads, j->adam_m, j->adam_v, j->n_params, &adam, (int)step);
}

/* Epochs of minibatch Adam with the data set resident on the backend: per epoch
 * the batch order and the labels in that order are uploaded once; batches are
 * gathered on the device and the loss is read once at the end of the epoch. */
static int classifier_train(mb_judge *j, const mb_dataset *ds)
{
    mb_backend *be = j->be;
    const int n = ds->n, batch = j->cfg.batch;
    const size_t img = image_size(j);
    int *order = malloc((size_t)n * sizeof *order);
    int *labels = malloc((size_t)n * sizeof *labels);
    mb_real *data = mb_upload_images(be, ds);
    int *order_dev = be->alloc(be, (size_t)n * sizeof(int));
    int *labels_dev = be->alloc(be, (size_t)n * sizeof(int));
    int rc = MB_OK;
    if (!order || !labels || !data || !order_dev || !labels_dev) {
        rc = mb_fail(MB_ENOMEM, "out of memory training the judge on %d images", n);
        goto done;
    }
    long step = 0;
    const double t0 = mb_now_seconds();
    for (int epoch = 0; epoch < j->cfg.epochs && rc == MB_OK; epoch++) {
        mb_shuffle(order, n, j->cfg.seed ^ 0x4a554447ull, epoch); /* its own stream */
        for (int i = 0; i < n; i++)
            labels[i] = ds->labels[order[i]];
        be->upload(be, order_dev, order, (size_t)n * sizeof(int));
        be->upload(be, labels_dev, labels, (size_t)n * sizeof(int));
        const double zero = 0;
        be->upload(be, j->loss_accum, &zero, sizeof zero);
        int n_batches = 0;
        for (int b0 = 0; b0 < n; b0 += batch) {
            const int b = b0 + batch <= n ? batch : n - b0;
            be->gather_rows(be, j->batch_in, data, order_dev + b0, b, img);
            classifier_train_step(j, j->batch_in, labels_dev + b0, b, ++step);
            n_batches++;
        }
        double loss = 0;
        be->download(be, &loss, j->loss_accum, sizeof loss);
        loss /= n_batches;
        if (!isfinite(loss))
            rc = mb_fail(MB_ENUMERIC, "judge training on %s: the loss became %g in epoch %d "
                                      "(lower the judge learning rate)", ds->source, loss,
                         epoch + 1);
        mb_progress("judge: epoch %d/%d  cross-entropy %.4f  (%.1f s)\n", epoch + 1,
                    j->cfg.epochs, loss, mb_now_seconds() - t0);
    }
done:
    free(order);
    free(labels);
    if (data)
        be->free(be, data);
    be->free(be, order_dev);
    be->free(be, labels_dev);
    return rc;
}

/* Rescales the feature layer so that the mean squared feature coordinate over the
 * training set is 1 (the scale KID's kernel (x.y/d + 1)^3 assumes; raw features
 * of a trained classifier are far larger, which makes KID's subset estimates very
 * noisy). Folded into the weights: the feature layer is multiplied by s and the
 * last layer's weights divided by s; ReLU(s z) = s ReLU(z), so the logits and the
 * classification do not change. */
static int normalise_features(mb_judge *j, const mb_dataset *train)
{
    mb_backend *be = j->be;
    mb_dataset head = *train;
    head.n = train->n < 5000 ? train->n : 5000;
    const size_t n_feat = (size_t)head.n * j->dim;
    mb_real *dev = be->alloc(be, n_feat * sizeof(mb_real));
    mb_real *host = malloc((n_feat > j->n_params ? n_feat : j->n_params) * sizeof *host);
    int rc = MB_OK;
    if (!dev || !host) {
        rc = mb_fail(MB_ENOMEM, "out of memory normalising the judge's features");
        goto done;
    }
    if ((rc = mb_judge_features(j, &head, dev, NULL)) != MB_OK)
        goto done;
    be->download(be, host, dev, n_feat * sizeof(mb_real));
    double ms = 0;
    for (size_t i = 0; i < n_feat; i++)
        ms += (double)host[i] * host[i];
    ms /= (double)n_feat;
    if (!(ms > 0) || !isfinite(ms)) {
        rc = mb_fail(MB_ENUMERIC, "judge: the features of %s are all 0 or not finite",
                     train->source);
        goto done;
    }
    const double s = 1.0 / sqrt(ms);
    const mb_layer *feat = &j->layers[j->feature_layer], *last = &j->layers[j->n_layers - 1];
    be->download(be, host, j->params, j->n_params * sizeof(mb_real));
    for (size_t i = 0; i < feat->n_params; i++) /* weights and bias of the feature layer */
        host[feat->weight_off + i] = (mb_real)(host[feat->weight_off + i] * s);
    for (size_t i = 0; i < last->n_params - (size_t)last->out_c; i++) /* last weights only */
        host[last->weight_off + i] = (mb_real)(host[last->weight_off + i] / s);
    be->upload(be, j->params, host, j->n_params * sizeof(mb_real));
done:
    be->free(be, dev);
    free(host);
    return rc;
}

/* ---- the autoencoder judge (unlabelled data) ---- */

static int ae_prepare(mb_judge *j, const mb_dataset *train)
{
    mb_model_config mc;
    mb_model_config_default(&mc);
    mc.kind = MB_MODEL_AE;
    mc.channels = j->channels;
    mc.height = j->height;
    mc.width = j->width;
    mc.conv1_channels = j->cfg.conv1;
    mc.conv2_channels = j->cfg.conv2;
    mc.latent = j->cfg.ae_latent;
    mc.batch = j->cfg.batch;
    mc.adam.lr = j->cfg.lr;
    mc.seed = j->cfg.seed;
    j->is_ae = 1;
    j->dim = mc.latent;
    mb_judge_cache_path(j, "ckpt");
    if (!j->cfg.no_cache && mb_checkpoint_load(&j->ae, j->be, j->cache_path, NULL) == MB_OK) {
        j->from_cache = 1;
        mb_progress("judge: autoencoder loaded from %s\n", j->cache_path);
        return MB_OK;
    }
    mb_clear_error();
    MB_TRY(mb_model_create(&j->ae, j->be, &mc));
    mb_progress("judge: %s is unlabelled: training an autoencoder encoder (latent %d, %d "
                "epochs) on %d images\n", train->source, mc.latent, j->cfg.ae_epochs, train->n);
    mb_train_options to = {.epochs = j->cfg.ae_epochs, .seed = j->cfg.seed, .progress = 1,
                           .label = "judge AE"};
    MB_TRY(mb_train(&j->ae, train, &to, NULL));
    if (!j->cfg.no_cache && mb_checkpoint_save(&j->ae, j->cache_path, NULL) != MB_OK)
        mb_warn("judge cache not written: %s", mb_last_error());
    return MB_OK;
}

/* The encoder's mu over the whole training set, then per coordinate
 * scale = 1 / std and shift = -mean / std (std with N - 1), applied by
 * mb_judge_features. A coordinate the encoder does not use (std below 1e-6 of the
 * largest) gets scale 0 rather than its noise blown up to unit variance. */
static int ae_standardise(mb_judge *j, const mb_dataset *train)
{
    mb_backend *be = j->be;
    const int d = j->dim;
    const size_t n_feat = (size_t)train->n * d;
    mb_real *dev = be->alloc(be, n_feat * sizeof(mb_real));
    mb_real *host = malloc(n_feat * sizeof *host);
    mb_real *diag = calloc((size_t)d * d, sizeof *diag), *shift = malloc(d * sizeof *shift);
    double *mean = calloc(d, sizeof *mean), *var = calloc(d, sizeof *var);
    j->ae_scale = be->alloc(be, (size_t)d * d * sizeof(mb_real));
    j->ae_shift = be->alloc(be, d * sizeof(mb_real));
    j->ae_mu = be->alloc(be, (size_t)j->cfg.batch * d * sizeof(mb_real));
    int rc = MB_OK;
    if (!dev || !host || !diag || !shift || !mean || !var || !j->ae_scale || !j->ae_shift ||
        !j->ae_mu) {
        rc = mb_fail(MB_ENOMEM, "out of memory standardising the judge's features");
        goto done;
    }
    j->standardised = 0; /* raw mu while the statistics are gathered */
    if ((rc = mb_judge_features(j, train, dev, NULL)) != MB_OK)
        goto done;
    be->download(be, host, dev, n_feat * sizeof(mb_real));
    for (size_t i = 0; i < n_feat; i++)
        mean[i % d] += host[i] / (double)train->n;
    for (size_t i = 0; i < n_feat; i++)
        var[i % d] += (host[i] - mean[i % d]) * (host[i] - mean[i % d]) / (train->n - 1.0);
    double largest = 0;
    for (int c = 0; c < d; c++)
        largest = fmax(largest, sqrt(var[c]));
    if (!(largest > 0) || !isfinite(largest)) {
        rc = mb_fail(MB_ENUMERIC, "judge: the autoencoder features of %s are constant or not "
                     "finite", train->source);
        goto done;
    }
    for (int c = 0; c < d; c++) {
        const double sd = sqrt(var[c]), scale = sd > 1e-6 * largest ? 1 / sd : 0;
        diag[(size_t)c * d + c] = (mb_real)scale;
        shift[c] = (mb_real)(-mean[c] * scale);
    }
    be->upload(be, j->ae_scale, diag, (size_t)d * d * sizeof(mb_real));
    be->upload(be, j->ae_shift, shift, d * sizeof(mb_real));
    j->standardised = 1;
done:
    be->free(be, dev);
    free(host);
    free(diag);
    free(shift);
    free(mean);
    free(var);
    return rc;
}

/* ---- the extractor ---- */

static int load_or_train(mb_judge *j, const mb_dataset *train, const mb_dataset *test);

int mb_judge_prepare(mb_judge *j, mb_backend *be, mb_feature_kind kind,
                     const mb_judge_config *cfg, const mb_dataset *train,
                     const mb_dataset *test)
{
    memset(j, 0, sizeof *j);
    j->kind = kind;
    j->be = be;
    j->cfg = *cfg;
    j->channels = train->channels;
    j->height = train->height;
    j->width = train->width;
    j->test_accuracy = NAN;
    if (cfg->batch < 1 || cfg->features < 1 || cfg->conv1 < 1 || cfg->conv2 < 1 ||
        cfg->epochs < 0 || !(cfg->lr > 0) || cfg->random_dim < 1 || cfg->ae_latent < 1)
        return mb_fail(MB_EINPUT, "judge: batch %d, features %d, channels %d/%d, epochs %d, "
                                  "lr %g, random dim %d, AE latent %d (expected positive sizes)",
                       cfg->batch, cfg->features, cfg->conv1, cfg->conv2, cfg->epochs,
                       cfg->lr, cfg->random_dim, cfg->ae_latent);
    j->batch_in = be->alloc(be, (size_t)cfg->batch * image_size(j) * sizeof(mb_real));
    if (!j->batch_in)
        return MB_ENOMEM;
    if (kind == MB_FEATURES_PIXELS) {
        j->dim = (int)image_size(j);
        return MB_OK;
    }
    if (kind == MB_FEATURES_RANDOM) {
        /* a fixed Johnson-Lindenstrauss map: N(0, 1/dim) entries */
        j->dim = cfg->random_dim;
        j->projection = be->alloc(be, (size_t)j->dim * image_size(j) * sizeof(mb_real));
        if (!j->projection)
            return MB_ENOMEM;
        be->fill_normal(be, j->projection, (size_t)j->dim * image_size(j), cfg->seed, 0, 0,
                        (mb_real)(1.0 / sqrt((double)j->dim)));
        return MB_OK;
    }
    if (train->n < 2)
        return mb_fail(MB_EINPUT, "judge: %s has %d images (expected a training set)",
                       train->source, train->n);
    j->data_hash = mb_dataset_content_hash(train);
    /* Concurrent processes (the cells of a sweep) share the cache: one trains while
     * the others wait on the lock, then load what it wrote (renamed into place whole). */
    const int lock = cfg->no_cache ? -1 : mb_judge_cache_lock(j);
    const int rc = load_or_train(j, train, test);
    mb_judge_cache_unlock(lock);
    return rc;
}

/* The judge from the cache, or trained on train (and cached). */
static int load_or_train(mb_judge *j, const mb_dataset *train, const mb_dataset *test)
{
    const mb_judge_config *cfg = &j->cfg;
    if (!train->labels || train->n_classes < 2) {
        MB_TRY(ae_prepare(j, train));
        return ae_standardise(j, train);
    }
    j->n_classes = train->n_classes;
    MB_TRY(classifier_create(j));
    mb_judge_cache_path(j, "bin");
    if (!cfg->no_cache && mb_judge_cache_load(j) == MB_OK) {
        j->from_cache = 1;
        mb_progress("judge: loaded from %s (test accuracy %.4f)\n", j->cache_path,
                    j->test_accuracy);
        return MB_OK;
    }
    mb_clear_error();
    mb_progress("judge: training a CNN classifier (%d classes, %d features, %d epochs) on "
                "%d images of %s\n", j->n_classes, j->dim, cfg->epochs, train->n, train->source);
    MB_TRY(classifier_train(j, train));
    MB_TRY(normalise_features(j, train));
    if (test && test->labels)
        MB_TRY(mb_judge_accuracy(j, test, &j->test_accuracy));
    if (!cfg->no_cache && mb_judge_cache_save(j) != MB_OK)
        mb_warn("judge cache not written: %s", mb_last_error());
    return MB_OK;
}

int mb_judge_features(mb_judge *j, const mb_dataset *ds, mb_real *features, int *labels)
{
    mb_backend *be = j->be;
    if (ds->channels != j->channels || ds->height != j->height || ds->width != j->width)
        return mb_fail(MB_EINPUT, "%s: images are %dx%dx%d but the judge expects %dx%dx%d",
                       ds->source, ds->channels, ds->height, ds->width, j->channels, j->height,
                       j->width);
    const int batch = j->cfg.batch, dim = j->dim;
    const size_t img = image_size(j);
    int *pred = j->n_classes && labels ? be->alloc(be, (size_t)batch * sizeof(int)) : NULL;
    if (j->n_classes && labels && !pred)
        return MB_ENOMEM;
    for (int b0 = 0; b0 < ds->n; b0 += batch) {
        const int b = b0 + batch <= ds->n ? batch : ds->n - b0;
        mb_real *out = features + (size_t)b0 * dim;
        stage_batch(j, ds, b0, b);
        switch (j->kind) {
        case MB_FEATURES_PIXELS:
            be->copy(be, out, j->batch_in, (size_t)b * img * sizeof(mb_real));
            break;
        case MB_FEATURES_RANDOM: /* [b, dim] = x [b, img] P^T */
            be->gemm(be, 0, 1, b, dim, (int)img, 1, j->batch_in, (int)img, j->projection,
                     (int)img, 0, out, dim);
            break;
        case MB_FEATURES_JUDGE:
            if (j->is_ae && !j->standardised) {
                mb_model_encode(&j->ae, j->batch_in, b, out, NULL);
                break;
            }
            if (j->is_ae) { /* out = mu diag(1/std) + (-mean/std) */
                mb_model_encode(&j->ae, j->batch_in, b, j->ae_mu, NULL);
                be->gemm(be, 0, 0, b, dim, dim, 1, j->ae_mu, dim, j->ae_scale, dim, 0, out, dim);
                be->bias_add(be, out, j->ae_shift, b, dim, 1, 0);
                break;
            }
            classifier_forward(j, j->batch_in, b);
            be->copy(be, out, j->acts[j->feature_layer + 1], (size_t)b * dim * sizeof(mb_real));
            if (pred) {
                be->argmax_rows(be, j->acts[j->n_layers], b, j->n_classes, pred);
                be->download(be, labels + b0, pred, (size_t)b * sizeof(int));
            }
            break;
        }
    }
    be->free(be, pred);
    be->synchronize(be);
    return MB_OK;
}

int mb_judge_accuracy(mb_judge *j, const mb_dataset *ds, double *accuracy)
{
    if (!j->n_classes || !ds->labels)
        return mb_fail(MB_EINPUT, "judge accuracy: %s", !ds->labels ? "the data set has no labels"
                                                                     : "the judge is no classifier");
    mb_real *features = j->be->alloc(j->be, (size_t)ds->n * j->dim * sizeof(mb_real));
    int *pred = malloc((size_t)ds->n * sizeof *pred);
    int rc = MB_OK;
    if (!features || !pred) {
        rc = mb_fail(MB_ENOMEM, "out of memory classifying %d images", ds->n);
    } else if ((rc = mb_judge_features(j, ds, features, pred)) == MB_OK) {
        long correct = 0;
        for (int i = 0; i < ds->n; i++)
            correct += pred[i] == ds->labels[i];
        *accuracy = ds->n ? (double)correct / ds->n : NAN;
    }
    j->be->free(j->be, features);
    free(pred);
    return rc;
}

/* Top-class softmax probability of each image (the filter's "confidence"). */
int mb_judge_confidence(mb_judge *j, const mb_dataset *ds, double *confidence)
{
    if (j->kind != MB_FEATURES_JUDGE || !j->n_classes)
        return mb_fail(MB_EINPUT, "filter.by = confidence needs the judge classifier "
                       "(labelled real data and metrics.features = judge)");
    const int batch = j->cfg.batch, k = j->n_classes;
    mb_real *logits = malloc((size_t)batch * k * sizeof *logits);
    if (!logits)
        return mb_fail(MB_ENOMEM, "out of memory for judge logits");
    for (int b0 = 0; b0 < ds->n; b0 += batch) {
        const int b = b0 + batch <= ds->n ? batch : ds->n - b0;
        stage_batch(j, ds, b0, b);
        classifier_forward(j, j->batch_in, b);
        j->be->download(j->be, logits, j->acts[j->n_layers], (size_t)b * k * sizeof *logits);
        for (int i = 0; i < b; i++) {
            const mb_real *z = logits + (size_t)i * k;
            double top = z[0], total = 0;
            for (int c = 1; c < k; c++)
                top = z[c] > top ? z[c] : top;
            for (int c = 0; c < k; c++)
                total += exp(z[c] - top);
            confidence[b0 + i] = 1.0 / total; /* softmax of the largest logit */
        }
    }
    free(logits);
    return MB_OK;
}

void mb_judge_destroy(mb_judge *j)
{
    if (!j->be)
        return;
    mb_backend *be = j->be;
    be->free(be, j->param_arena);
    be->free(be, j->act_arena);
    be->free(be, j->projection);
    be->free(be, j->batch_in);
    be->free(be, j->ae_scale);
    be->free(be, j->ae_shift);
    be->free(be, j->ae_mu);
    if (j->is_ae)
        mb_model_destroy(&j->ae);
    memset(j, 0, sizeof *j);
}
