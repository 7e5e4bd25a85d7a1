/* conv.cu — the convolution pieces: im2col, its adjoint col2im, and the layout
 * switch permute_01. Shapes and index formulas are those of mb_conv_geom
 * (include/mb_backend.h) and of src/cpu/conv.c. One thread per output element;
 * consecutive threads write consecutive addresses. */
#include "mb_cuda.cuh"

/* cols[row][col], row = (c*k + ki)*k + kj, col = (n*out_h + oh)*out_w + ow. */
static __global__ void im2col_kernel(mb_conv_geom g, const float *image, float *cols)
{
    const int k = g.kernel;
    const size_t col_len = (size_t)g.n_images * g.out_h * g.out_w;
    const size_t total = (size_t)g.channels * k * k * col_len;
    MB_FOR_EACH(idx, total) {
        const size_t row = idx / col_len, col = idx % col_len;
        const int c = (int)(row / (k * k)), ki = (int)(row / k) % k, kj = (int)(row % k);
        const int ow = (int)(col % g.out_w);
        const int oh = (int)((col / g.out_w) % g.out_h);
        const int n = (int)(col / ((size_t)g.out_w * g.out_h));
        const int ih = oh * g.stride - g.pad + ki, iw = ow * g.stride - g.pad + kj;
        float v = 0;
        if (ih >= 0 && ih < g.height && iw >= 0 && iw < g.width)
            v = image[(((size_t)c * g.n_images + n) * g.height + ih) * g.width + iw];
        cols[idx] = v;
    }
}

/* Gather form: each pixel sums the column entries that read it, in the CPU's
 * (ki, kj) order, so the sums are the CPU's bit for bit and no atomics are needed. */
static __global__ void col2im_kernel(mb_conv_geom g, const float *cols, float *image)
{
    const int k = g.kernel, s = g.stride;
    const size_t out_plane = (size_t)g.out_h * g.out_w;
    const size_t col_len = (size_t)g.n_images * out_plane;
    const size_t total = (size_t)g.channels * g.n_images * g.height * g.width;
    MB_FOR_EACH(idx, total) {
        const int w = (int)(idx % g.width);
        const int h = (int)((idx / g.width) % g.height);
        const size_t cn = idx / ((size_t)g.width * g.height); /* c * n_images + n */
        const int n = (int)(cn % g.n_images), c = (int)(cn / g.n_images);
        float acc = 0;
        for (int ki = 0; ki < k; ki++) {
            const int th = h + g.pad - ki;
            if (th < 0 || th % s)
                continue;
            const int oh = th / s;
            if (oh >= g.out_h)
                continue;
            for (int kj = 0; kj < k; kj++) {
                const int tw = w + g.pad - kj;
                if (tw < 0 || tw % s)
                    continue;
                const int ow = tw / s;
                if (ow >= g.out_w)
                    continue;
                const size_t row = ((size_t)c * k + ki) * k + kj;
                acc += cols[row * col_len + n * out_plane + (size_t)oh * g.out_w + ow];
            }
        }
        image[idx] = acc;
    }
}

/* y[j][i][r] = x[i][j][r]; indexed by the output so the writes are coalesced. */
static __global__ void permute_01_kernel(const float *x, float *y, int rows, int cols,
                                         int inner)
{
    const size_t total = (size_t)rows * cols * inner;
    MB_FOR_EACH(idx, total) {
        const size_t r = idx % inner, ji = idx / inner;
        const size_t i = ji % rows, j = ji / rows;
        y[idx] = x[(i * cols + j) * inner + r];
    }
}

static void cuda_im2col(mb_backend *be, const mb_conv_geom *g, const mb_real *image,
                        mb_real *cols)
{
    const size_t total =
        (size_t)g->channels * g->kernel * g->kernel * g->n_images * g->out_h * g->out_w;
    if (!total)
        return;
    im2col_kernel<<<mb_grid(total), MB_THREADS, 0, mb_stream(be)>>>(*g, image, cols);
    MB_LAUNCH_CHECK();
}

static void cuda_col2im(mb_backend *be, const mb_conv_geom *g, const mb_real *cols,
                        mb_real *image)
{
    const size_t total = (size_t)g->channels * g->n_images * g->height * g->width;
    if (!total)
        return;
    col2im_kernel<<<mb_grid(total), MB_THREADS, 0, mb_stream(be)>>>(*g, cols, image);
    MB_LAUNCH_CHECK();
}

static void cuda_permute_01(mb_backend *be, const mb_real *x, mb_real *y, int rows,
                            int cols, int inner)
{
    const size_t total = (size_t)rows * cols * inner;
    if (!total)
        return;
    permute_01_kernel<<<mb_grid(total), MB_THREADS, 0, mb_stream(be)>>>(x, y, rows, cols,
                                                                         inner);
    MB_LAUNCH_CHECK();
}

void mb_cuda_install_conv(mb_backend *be)
{
    be->im2col = cuda_im2col;
    be->col2im = cuda_col2im;
    be->permute_01 = cuda_permute_01;
}
