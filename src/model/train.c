/* model/train.c — epochs of minibatch training with the data set resident on the
 * backend. Inside an epoch nothing waits for the device: the batch order is
 * uploaded once per epoch, the losses accumulate on the device and are read once
 * at the end of the epoch. */
#include "mb_model.h"
#include "mb_philox.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>

void mb_shuffle(int *order, int n, uint64_t seed, int epoch)
{
    for (int i = 0; i < n; i++)
        order[i] = i;
    for (int i = n - 1; i > 0; i--) {
        const double u = mb_uniform_at(seed, (uint64_t)epoch * (uint64_t)n + (uint64_t)i);
        int j = (int)(u * (i + 1));
        if (j > i)
            j = i; /* u == 1 */
        const int t = order[i];
        order[i] = order[j];
        order[j] = t;
    }
}

mb_real *mb_upload_images(mb_backend *be, const mb_dataset *ds)
{
    const size_t n = (size_t)ds->n * ds->channels * ds->height * ds->width;
    mb_real *dev = be->alloc(be, n * sizeof(mb_real));
    if (!dev)
        return NULL;
#ifdef MB_REAL_DOUBLE
    double *tmp = mb_host_alloc(n * sizeof *tmp, "image conversion");
    if (!tmp) {
        be->free(be, dev);
        return NULL;
    }
    for (size_t i = 0; i < n; i++)
        tmp[i] = ds->images[i];
    be->upload(be, dev, tmp, n * sizeof *tmp);
    free(tmp);
#else
    be->upload(be, dev, ds->images, n * sizeof(float));
#endif
    return dev;
}

int mb_train(mb_model *m, const mb_dataset *ds, const mb_train_options *opt,
             double *epoch_loss)
{
    mb_backend *be = m->be;
    const mb_model_config *c = &m->cfg;
    if (ds->channels != c->channels || ds->height != c->height || ds->width != c->width)
        return mb_fail(MB_EINPUT, "%s: images are %dx%dx%d but the model expects %dx%dx%d",
                       ds->source, ds->channels, ds->height, ds->width, c->channels,
                       c->height, c->width);
    if (ds->n < 1)
        return mb_fail(MB_EINPUT, "%s: no images to train on", ds->source);

    const size_t img = mb_model_image_size(m);
    const int n = ds->n, batch = c->batch, n_batches = (n + batch - 1) / batch;
    int rc = MB_OK;
    int *order = mb_host_alloc((size_t)n * sizeof *order, "batch order");
    mb_real *data = mb_upload_images(be, ds);
    int *order_dev = be->alloc(be, (size_t)n * sizeof *order_dev);
    mb_real *batch_buf = be->alloc(be, (size_t)batch * img * sizeof(mb_real));
    if (!order || !data || !order_dev || !batch_buf) {
        rc = MB_ENOMEM;
        goto done;
    }

    const double start = mb_now_seconds();
    const int live = mb_progress_live(); /* batch updates only on a terminal */
    const long total_batches = (long)opt->epochs * n_batches;
    double last_loss = NAN, last_print = 0;
    for (int epoch = 0; epoch < opt->epochs; epoch++) {
        const double zeros[2] = {0, 0}, epoch_start = mb_now_seconds();
        mb_shuffle(order, n, opt->seed, epoch);
        be->upload(be, order_dev, order, (size_t)n * sizeof *order);
        be->upload(be, m->loss_accum, zeros, sizeof zeros);
        for (int b = 0; b < n_batches; b++) {
            const int nb = (b + 1) * batch <= n ? batch : n - b * batch;
            be->gather_rows(be, batch_buf, data, order_dev + (size_t)b * batch, nb, img);
            mb_model_train_step(m, batch_buf, nb);
            const double now = mb_now_seconds();
            if (opt->progress && live && (now - last_print > 1.0 || b == n_batches - 1)) {
                const long done_batches = (long)epoch * n_batches + b + 1;
                const double rate = ((double)epoch * n + (double)b * batch + nb) / (now - start);
                char eta[32];
                mb_format_duration(eta, sizeof eta,
                                (now - start) * (total_batches - done_batches) / done_batches);
                char loss[32] = "-"; /* the last finished epoch's; none yet in the first */
                if (epoch > 0)
                    snprintf(loss, sizeof loss, "%.4f", last_loss);
                mb_progress("\r%s%sepoch %d/%d  batch %d/%d  loss %s  %.0f img/s  ETA %s   ",
                            opt->label ? opt->label : "", opt->label ? "  " : "", epoch + 1,
                            opt->epochs, b + 1, n_batches, loss, rate, eta);
                last_print = now;
            }
        }
        double acc[2];
        be->download(be, acc, m->loss_accum, sizeof acc);
        last_loss = (acc[0] + acc[1]) / n_batches;
        if (epoch_loss)
            epoch_loss[epoch] = last_loss;
        if (opt->epoch_seconds)
            opt->epoch_seconds[epoch] = mb_now_seconds() - epoch_start;
        if (!isfinite(last_loss)) {
            rc = mb_fail(MB_ENUMERIC, "%s%sepoch %d: the loss is %g (training diverged; try a "
                         "smaller lr)", opt->label ? opt->label : "", opt->label ? ", " : "",
                         epoch + 1, last_loss);
            break;
        }
        if (opt->progress) /* on a terminal: over the batch line, blanking its tail */
            mb_progress("%s%s%sepoch %d/%d  loss %.4f (recon %.4f, KL %.4f)  %.1f s%*s\n",
                        live ? "\r" : "", opt->label ? opt->label : "", opt->label ? "  " : "",
                        epoch + 1, opt->epochs, last_loss, acc[0] / n_batches,
                        acc[1] / n_batches, mb_now_seconds() - start, live ? 20 : 0, "");
    }
done:
    free(order);
    if (data)
        be->free(be, data);
    if (order_dev)
        be->free(be, order_dev);
    if (batch_buf)
        be->free(be, batch_buf);
    return rc;
}
