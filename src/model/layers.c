/* model/layers.c — forward and backward of each layer through the backend table.
 *
 * Convolutions are im2col + one GEMM over the whole batch. Activations inside the
 * convolution stack are channel-major [C, N, H, W], so the columns of a batch form
 * one [C*k*k, N*OH*OW] matrix and each layer is a single large GEMM — on a 2-core
 * CPU and on a GPU alike far faster than N small per-image GEMMs, and the same
 * three pieces (im2col, col2im, GEMM) serve conv and transposed conv, forward and
 * backward. A transposed convolution is the adjoint of a convolution: its forward
 * pass is a convolution's input-gradient pass and vice versa. */
#include "mb_model.h"

#include <math.h>

mb_layer mb_layer_conv(int in_c, int in_h, int in_w, int out_c, int kernel, int stride,
                       int pad)
{
    mb_layer l = {.kind = MB_LAYER_CONV, .in_c = in_c, .in_h = in_h, .in_w = in_w,
                  .out_c = out_c, .kernel = kernel, .stride = stride, .pad = pad};
    l.out_h = (in_h + 2 * pad - kernel) / stride + 1;
    l.out_w = (in_w + 2 * pad - kernel) / stride + 1;
    l.n_params = (size_t)out_c * in_c * kernel * kernel + out_c;
    return l;
}

mb_layer mb_layer_deconv(int in_c, int in_h, int in_w, int out_c, int kernel, int stride,
                         int pad, int out_pad)
{
    mb_layer l = {.kind = MB_LAYER_DECONV, .in_c = in_c, .in_h = in_h, .in_w = in_w,
                  .out_c = out_c, .kernel = kernel, .stride = stride, .pad = pad,
                  .out_pad = out_pad};
    l.out_h = (in_h - 1) * stride - 2 * pad + kernel + out_pad;
    l.out_w = (in_w - 1) * stride - 2 * pad + kernel + out_pad;
    l.n_params = (size_t)in_c * out_c * kernel * kernel + out_c;
    return l;
}

mb_layer mb_layer_linear(int in_features, int out_features)
{
    mb_layer l = {.kind = MB_LAYER_LINEAR, .in_c = in_features, .in_h = 1, .in_w = 1,
                  .out_c = out_features, .out_h = 1, .out_w = 1};
    l.n_params = (size_t)out_features * in_features + out_features;
    return l;
}

mb_layer mb_layer_with_relu(mb_layer l)
{
    l.relu = 1;
    return l;
}

mb_layer mb_layer_elementwise(mb_layer_kind kind, int c, int h, int w)
{
    mb_layer l = {.kind = kind, .in_c = c, .in_h = h, .in_w = w, .out_c = c, .out_h = h,
                  .out_w = w};
    return l;
}

size_t mb_layers_place_params(mb_layer *layers, int n)
{
    size_t offset = 0;
    for (int i = 0; i < n; i++) {
        if (!layers[i].n_params)
            continue;
        layers[i].weight_off = offset;
        layers[i].bias_off = offset + layers[i].n_params - layers[i].out_c;
        offset += layers[i].n_params;
    }
    return offset;
}

size_t mb_layer_in_size(const mb_layer *l) { return (size_t)l->in_c * l->in_h * l->in_w; }
size_t mb_layer_out_size(const mb_layer *l) { return (size_t)l->out_c * l->out_h * l->out_w; }

size_t mb_layer_scratch_size(const mb_layer *l, int n_images)
{
    const size_t taps = (size_t)l->kernel * l->kernel;
    if (l->kind == MB_LAYER_CONV)
        return (size_t)l->in_c * taps * n_images * l->out_h * l->out_w;
    if (l->kind == MB_LAYER_DECONV)
        return (size_t)l->out_c * taps * n_images * l->in_h * l->in_w;
    return 0;
}

/* The convolution geometry of a conv layer (image side = its input) or of a
 * transposed conv (image side = its output). */
static mb_conv_geom geometry(const mb_layer *l, int n)
{
    mb_conv_geom g = {.n_images = n, .kernel = l->kernel, .stride = l->stride, .pad = l->pad};
    if (l->kind == MB_LAYER_CONV) {
        g.channels = l->in_c, g.height = l->in_h, g.width = l->in_w;
        g.out_h = l->out_h, g.out_w = l->out_w;
    } else {
        g.channels = l->out_c, g.height = l->out_h, g.width = l->out_w;
        g.out_h = l->in_h, g.out_w = l->in_w;
    }
    return g;
}

static size_t fan_in(const mb_layer *l)
{
    const size_t taps = (size_t)l->kernel * l->kernel;
    switch (l->kind) {
    case MB_LAYER_CONV: return l->in_c * taps;
    case MB_LAYER_DECONV: return l->out_c * taps; /* PyTorch: weight dim 1 is out_c */
    default: return (size_t)l->in_c;
    }
}

void mb_layer_init(mb_backend *be, const mb_layer *l, mb_real *params, uint64_t seed)
{
    if (!l->n_params)
        return;
    const mb_real bound = (mb_real)(1.0 / sqrt((double)fan_in(l)));
    const size_t n_weights = l->n_params - l->out_c;
    /* the counter is the parameter's index in the arena: every parameter of a
     * model draws a distinct number from one seed */
    be->fill_uniform(be, params + l->weight_off, n_weights, seed, l->weight_off, -bound, bound);
    be->fill_uniform(be, params + l->bias_off, l->out_c, seed, l->bias_off, -bound, bound);
}

void mb_layer_forward(mb_backend *be, const mb_layer *l, const mb_real *params,
                      const mb_real *x, mb_real *y, mb_real *scratch, int n)
{
    const mb_real *w = params + l->weight_off, *b = params + l->bias_off;
    const int hw_in = l->in_h * l->in_w, hw_out = l->out_h * l->out_w;
    const size_t n_in = (size_t)n * mb_layer_in_size(l);
    const int taps = l->kernel * l->kernel;
    mb_conv_geom g = geometry(l, n);
    switch (l->kind) {
    case MB_LAYER_CONV: /* y [out_c, N*P] = W [out_c, in_c*k*k] cols */
        be->im2col(be, &g, x, scratch);
        be->gemm(be, 0, 0, l->out_c, n * hw_out, l->in_c * taps, 1, w, l->in_c * taps,
                 scratch, n * hw_out, 0, y, n * hw_out);
        be->bias_add(be, y, b, 1, l->out_c, n * hw_out, l->relu);
        break;
    case MB_LAYER_DECONV: /* cols [out_c*k*k, N*P_in] = W^T x, then scatter back */
        be->gemm(be, 1, 0, l->out_c * taps, n * hw_in, l->in_c, 1, w, l->out_c * taps, x,
                 n * hw_in, 0, scratch, n * hw_in);
        be->col2im(be, &g, scratch, y);
        be->bias_add(be, y, b, 1, l->out_c, n * hw_out, l->relu);
        break;
    case MB_LAYER_LINEAR: /* y [N, out] = x W^T + b */
        be->gemm(be, 0, 1, n, l->out_c, l->in_c, 1, x, l->in_c, w, l->in_c, 0, y, l->out_c);
        be->bias_add(be, y, b, n, l->out_c, 1, l->relu);
        break;
    case MB_LAYER_RELU: be->relu_forward(be, x, y, n_in); break;
    case MB_LAYER_SIGMOID: be->sigmoid_forward(be, x, y, n_in); break;
    case MB_LAYER_TO_CHANNEL_MAJOR: be->permute_01(be, x, y, n, l->in_c, hw_in); break;
    case MB_LAYER_TO_BATCH_MAJOR: be->permute_01(be, x, y, l->in_c, n, hw_in); break;
    }
}

void mb_layer_backward(mb_backend *be, const mb_layer *l, const mb_real *params,
                       mb_real *grads, const mb_real *x, const mb_real *y, mb_real *dy,
                       mb_real *dx, mb_real *scratch, int n)
{
    const mb_real *w = params + l->weight_off, *relu_y = l->relu ? y : NULL;
    mb_real *dw = grads + l->weight_off, *db = grads + l->bias_off;
    const int hw_in = l->in_h * l->in_w, hw_out = l->out_h * l->out_w;
    const size_t n_in = (size_t)n * mb_layer_in_size(l);
    const int taps = l->kernel * l->kernel;
    mb_conv_geom g = geometry(l, n);
    switch (l->kind) {
    case MB_LAYER_CONV: /* scratch still holds the forward columns of x */
        be->bias_grad(be, relu_y, dy, db, 1, l->out_c, n * hw_out);
        be->gemm(be, 0, 1, l->out_c, l->in_c * taps, n * hw_out, 1, dy, n * hw_out, scratch,
                 n * hw_out, 0, dw, l->in_c * taps);
        if (dx) {
            be->gemm(be, 1, 0, l->in_c * taps, n * hw_out, l->out_c, 1, w, l->in_c * taps, dy,
                     n * hw_out, 0, scratch, n * hw_out);
            be->col2im(be, &g, scratch, dx);
        }
        break;
    case MB_LAYER_DECONV:
        be->bias_grad(be, relu_y, dy, db, 1, l->out_c, n * hw_out);
        be->im2col(be, &g, dy, scratch);
        be->gemm(be, 0, 1, l->in_c, l->out_c * taps, n * hw_in, 1, x, n * hw_in, scratch,
                 n * hw_in, 0, dw, l->out_c * taps);
        if (dx)
            be->gemm(be, 0, 0, l->in_c, n * hw_in, l->out_c * taps, 1, w, l->out_c * taps,
                     scratch, n * hw_in, 0, dx, n * hw_in);
        break;
    case MB_LAYER_LINEAR:
        be->bias_grad(be, relu_y, dy, db, n, l->out_c, 1);
        be->gemm(be, 1, 0, l->out_c, l->in_c, n, 1, dy, l->out_c, x, l->in_c, 0, dw, l->in_c);
        if (dx)
            be->gemm(be, 0, 0, n, l->in_c, l->out_c, 1, dy, l->out_c, w, l->in_c, 0, dx,
                     l->in_c);
        break;
    case MB_LAYER_RELU:
        if (dx)
            be->relu_backward(be, y, dy, dx, n_in);
        break;
    case MB_LAYER_SIGMOID:
        if (dx)
            be->sigmoid_backward(be, y, dy, dx, n_in);
        break;
    case MB_LAYER_TO_CHANNEL_MAJOR:
        if (dx)
            be->permute_01(be, dy, dx, l->in_c, n, hw_in);
        break;
    case MB_LAYER_TO_BATCH_MAJOR:
        if (dx)
            be->permute_01(be, dy, dx, n, l->in_c, hw_in);
        break;
    }
}
