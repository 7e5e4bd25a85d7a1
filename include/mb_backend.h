/* mb_backend.h — the one table of operations behind which the CPU and CUDA
 * backends sit. Model, training and metric code call these and never ask which
 * backend runs.
 *
 * Conventions
 * - Every pointer an op takes is a backend pointer (device memory for CUDA)
 *   unless its name ends in _host. The host never dereferences backend pointers;
 *   it moves data with upload/download.
 * - Matrices are row-major. gemm computes C = alpha op(A) op(B) + beta C with
 *   op(A) [m,k], op(B) [k,n], C [m,n]; lda/ldb/ldc are row strides.
 * - Ops are asynchronous on backends that can be (CUDA: one stream); only ops
 *   returning a value to the host, download and synchronize wait.
 * - Image tensors inside the model are channel-major [C, N, H, W] so that one GEMM
 *   covers a whole batch (see mb_conv_geom).
 */
#ifndef MB_BACKEND_H
#define MB_BACKEND_H

#include "mb_common.h"

typedef enum { MB_LOSS_BCE = 0, MB_LOSS_MSE = 1 } mb_loss_kind;

/* Geometry of a 2-D convolution between an image side [channels, n_images,
 * height, width] and a column side [channels * kernel * kernel, n_images *
 * out_h * out_w]. out_h = (height + 2 pad - kernel) / stride + 1 for a
 * convolution; a transposed convolution uses the same geometry with the roles of
 * input and output swapped (its output padding is in height/width). */
typedef struct {
    int channels, n_images, height, width;
    int kernel, stride, pad;
    int out_h, out_w;
} mb_conv_geom;

typedef struct {
    float lr, beta1, beta2, eps;
} mb_adam_config;

typedef struct mb_backend mb_backend;

struct mb_backend {
    const char *name;      /* "cpu" or "cuda" */
    char device_name[160]; /* e.g. "NVIDIA H100 80GB HBM3" or the CPU model */
    void *impl;            /* backend-private state */

    void (*destroy)(mb_backend *be);

    /* ---- memory ---- */
    /* Returns NULL and records MB_ENOMEM (with the size requested and free) on failure. */
    void *(*alloc)(mb_backend *be, size_t bytes);
    void (*free)(mb_backend *be, void *ptr);
    void (*upload)(mb_backend *be, void *dst, const void *src_host, size_t bytes);
    void (*download)(mb_backend *be, void *dst_host, const void *src, size_t bytes);
    void (*copy)(mb_backend *be, void *dst, const void *src, size_t bytes);
    void (*synchronize)(mb_backend *be);

    /* ---- fills ---- */
    void (*fill)(mb_backend *be, mb_real *x, size_t n, mb_real value);
    /* Counter-based (Philox4x32-10, mb_philox.h): element i uses counter offset + i. */
    void (*fill_uniform)(mb_backend *be, mb_real *x, size_t n, uint64_t seed,
                         uint64_t offset, mb_real lo, mb_real hi);
    void (*fill_normal)(mb_backend *be, mb_real *x, size_t n, uint64_t seed,
                        uint64_t offset, mb_real mean, mb_real std);

    /* ---- linear algebra ---- */
    void (*gemm)(mb_backend *be, int trans_a, int trans_b, int m, int n, int k,
                 mb_real alpha, const mb_real *a, int lda, const mb_real *b, int ldb,
                 mb_real beta, mb_real *c, int ldc);
    /* batch independent GEMMs; matrix i starts at a + i*stride_a etc.
     * (a stride of 0 shares one matrix across the batch). */
    void (*gemm_strided_batched)(mb_backend *be, int trans_a, int trans_b, int m, int n,
                                 int k, mb_real alpha, const mb_real *a, int lda,
                                 long long stride_a, const mb_real *b, int ldb,
                                 long long stride_b, mb_real beta, mb_real *c, int ldc,
                                 long long stride_c, int batch);

    /* ---- convolution pieces (im2col + GEMM; see model/layers.c for why) ---- */
    /* cols[(c*k + ki)*k + kj][(n*out_h + oh)*out_w + ow] =
     *   image[c][n][oh*stride - pad + ki][ow*stride - pad + kj]  (0 outside). */
    void (*im2col)(mb_backend *be, const mb_conv_geom *g, const mb_real *image,
                   mb_real *cols);
    /* The adjoint of im2col: image = sum of the column entries that map to each
     * pixel, added in kernel-tap order (overwrites image; each pixel belongs to one
     * thread, so no atomics are needed). */
    void (*col2im)(mb_backend *be, const mb_conv_geom *g, const mb_real *cols,
                   mb_real *image);
    /* y[j][i][r] = x[i][j][r] for x [rows, cols, inner]: switches between the
     * batch-major [N, C, HW] and channel-major [C, N, HW] layouts. */
    void (*permute_01)(mb_backend *be, const mb_real *x, mb_real *y, int rows, int cols,
                       int inner);

    /* ---- bias over x [outer, channels, inner], with a layer's fused ReLU ---- */
    /* x += bias[channel]; then, when relu, x = x > 0 ? x : 0 (one pass instead of
     * two over the layer's output). */
    void (*bias_add)(mb_backend *be, mb_real *x, const mb_real *bias, int outer,
                     int channels, int inner, int relu);
    /* dbias[c] = sum over outer and inner of dy (overwrites dbias). When relu_y (the
     * output of a fused ReLU) is not NULL, dy first becomes dy * (relu_y > 0) in
     * place, the ReLU's backward, so the sum and the layer's GEMMs read the masked
     * gradient. */
    void (*bias_grad)(mb_backend *be, const mb_real *relu_y, mb_real *dy, mb_real *dbias,
                      int outer, int channels, int inner);

    /* ---- activations (elementwise; x and y may alias) ---- */
    void (*relu_forward)(mb_backend *be, const mb_real *x, mb_real *y, size_t n);
    /* dx = dy * (y > 0); dy and dx may alias. */
    void (*relu_backward)(mb_backend *be, const mb_real *y, const mb_real *dy,
                          mb_real *dx, size_t n);
    void (*sigmoid_forward)(mb_backend *be, const mb_real *x, mb_real *y, size_t n);
    /* dx = dy * y * (1 - y); dy and dx may alias. */
    void (*sigmoid_backward)(mb_backend *be, const mb_real *y, const mb_real *dy,
                             mb_real *dx, size_t n);

    /* ---- losses; each adds its batch value to *loss_accum (a backend double)
     * so a whole epoch accumulates on the device and is read once ---- */
    /* Reconstruction loss of images x = sigmoid(logits) against target, summed over
     * the `cols` pixels of each row and averaged over `rows` (the batch).
     * BCE uses the stable form max(z,0) - z t + log(1 + exp(-|z|)); MSE is
     * sum (sigmoid(z) - t)^2. dlogits = d(loss)/d(logits). */
    void (*recon_loss)(mb_backend *be, mb_loss_kind kind, const mb_real *logits,
                       const mb_real *target, int rows, int cols, mb_real *dlogits,
                       double *loss_accum);
    /* VAE latent: stats [rows, 2d] holds mu | log-variance per row;
     * z = mu + exp(logvar / 2) * eps (the reparameterisation trick). */
    void (*vae_latent_forward)(mb_backend *be, const mb_real *stats, const mb_real *eps,
                               mb_real *z, int rows, int d);
    /* dstats from dz through the reparameterisation, plus beta times the gradient
     * of KL(N(mu, exp(logvar)) || N(0, I)) = -1/2 sum(1 + logvar - mu^2 - exp(logvar)),
     * averaged over rows; adds beta * KL / rows to *loss_accum. */
    void (*vae_latent_backward)(mb_backend *be, const mb_real *stats, const mb_real *eps,
                                const mb_real *dz, mb_real beta, mb_real *dstats,
                                int rows, int d, double *loss_accum);

    /* ---- optimiser: one Adam step (Kingma & Ba 2015, with bias correction)
     * over all n parameters; step counts from 1 ---- */
    void (*adam_step)(mb_backend *be, mb_real *param, const mb_real *grad, mb_real *m,
                      mb_real *v, size_t n, const mb_adam_config *cfg, int step);

    /* ---- data movement ---- */
    /* dst row i = src row idx[i]; idx is a backend int array of n_rows entries. */
    void (*gather_rows)(mb_backend *be, mb_real *dst, const mb_real *src, const int *idx,
                        int n_rows, size_t row_len);

    /* ---- reductions (return to the host, so they synchronise) ---- */
    double (*sum)(mb_backend *be, const mb_real *x, size_t n);
    /* 1 when every element is finite, 0 otherwise. */
    int (*all_finite)(mb_backend *be, const mb_real *x, size_t n);

    /* ---- metric operations ----
     * Statistics of feature sets (metrics_*.c) run in float64 whatever mb_real is:
     * features are promoted once with to_f64. Matrices are row-major as above.
     * Reductions are deterministic for any thread count. */
    /* y[i] = (double)x[i]. */
    void (*to_f64)(mb_backend *be, const mb_real *x, double *y, size_t n);
    /* gemm in double precision (same conventions as gemm; cuBLAS Dgemm). */
    void (*gemm_f64)(mb_backend *be, int trans_a, int trans_b, int m, int n, int k,
                     double alpha, const double *a, int lda, const double *b, int ldb,
                     double beta, double *c, int ldc);
    /* Symmetric eigen-decomposition of a [n, n] (row-major, both triangles set):
     * on return w [n] holds the eigenvalues in ascending order and column i of a
     * the unit eigenvector of w[i] (LAPACK dsyevd / cuSOLVER syevd). w is a backend
     * pointer. Synchronises; returns MB_OK or MB_ENUMERIC (recorded) when the
     * decomposition fails. */
    int (*syevd_f64)(mb_backend *be, int n, double *a, double *w);
    /* mean[j] = sum_i x[i][j] / rows for x [rows, cols]. */
    void (*column_means_f64)(mb_backend *be, const double *x, int rows, int cols,
                             double *mean);
    /* x[i][j] -= v[j]: centres rows on a mean (own or another set's). */
    void (*sub_row_f64)(mb_backend *be, double *x, int rows, int cols, const double *v);
    /* x[i][j] *= s[j]: e.g. eigenvectors times sqrt(eigenvalues). */
    void (*scale_columns_f64)(mb_backend *be, double *x, int rows, int cols,
                              const double *s);
    /* a = (a + a^T) / 2 for a [n, n]: removes rounding asymmetry before syevd. */
    void (*symmetrize_f64)(mb_backend *be, double *a, int n);
    /* out[i] = sum_j x[i][j]^2. */
    void (*row_sq_norms_f64)(mb_backend *be, const double *x, int rows, int cols,
                             double *out);
    /* x[i] /= ||x[i]|| (rows of norm 0 are left as they are): the cosine kernel. */
    void (*normalize_rows_f64)(mb_backend *be, double *x, int rows, int cols);
    /* Squared Euclidean distances through one GEMM:
     * out[i][j] = max(x_sq[i] - 2 x[i].y[j] + y_sq[j], 0) for x [m, d], y [n, d],
     * x_sq [m], y_sq [n] (row_sq_norms_f64) and out [m, n] (row stride n). */
    void (*sq_distances_f64)(mb_backend *be, int m, int n, int d, const double *x,
                             const double *y, const double *x_sq, const double *y_sq,
                             double *out);
    /* out[i] = the k-th smallest (k counts from 1) of row i of x [rows, cols];
     * 1 <= k <= cols. Used for k-NN radii (k + 1 when the row contains the point
     * itself at distance 0). */
    void (*row_kth_smallest_f64)(mb_backend *be, const double *x, int rows, int cols,
                                 int k, double *out);
    /* Counts the entries of dist [rows, cols] strictly below a radius, adding to
     * int counts: the radius of entry (i, j) is radius[i] when radius_per_row,
     * else radius[j]; counts[i] += ... per row when count_per_row, else counts[j]
     * per column. (Precision/recall/density/coverage, Naeem et al. 2020.) */
    void (*count_below_f64)(mb_backend *be, const double *dist, int rows, int cols,
                            const double *radius, int radius_per_row, int *counts,
                            int count_per_row);
    /* Sum over gram [rows, cols] of the cubic polynomial kernel (g * scale + 1)^3,
     * skipping the diagonal (i == j) when skip_diag (KID, Binkowski et al. 2018). */
    double (*poly3_kernel_sum_f64)(mb_backend *be, const double *gram, int rows, int cols,
                                   double scale, int skip_diag);
    /* Sum of x[i] (of sqrt(max(x[i], 0)) when take_sqrt). */
    double (*sum_f64)(mb_backend *be, const double *x, size_t n, int take_sqrt);
    /* Softmax cross-entropy of logits [rows, classes] against int labels [rows]
     * (backend): adds the batch mean of -log softmax(z)[label] to *loss_accum and
     * writes dlogits = (softmax(z) - onehot(label)) / rows. */
    void (*softmax_xent)(mb_backend *be, const mb_real *logits, const int *labels,
                         int rows, int classes, mb_real *dlogits, double *loss_accum);
    /* out[i] = the index of the largest entry of row i (the first on ties). */
    void (*argmax_rows)(mb_backend *be, const mb_real *x, int rows, int cols, int *out);
};

/* "cpu", "cuda" or "auto" (CUDA when a device is present, else CPU). Returns
 * NULL with MB_ENODEVICE / MB_EINPUT recorded when the request cannot be met. */
mb_backend *mb_backend_create(const char *name);
void mb_backend_destroy(mb_backend *be);

mb_backend *mb_backend_cpu_create(void);
/* Threads of the CPU backend (OpenMP and OpenBLAS); n <= 0 keeps the default. */
void mb_cpu_set_threads(int n);
#ifdef MB_HAVE_CUDA
/* NULL (with MB_ENODEVICE recorded) when no CUDA device is present. */
mb_backend *mb_backend_cuda_create(void);
int mb_cuda_device_count(void);
#endif

static inline double mb_mean(mb_backend *be, const mb_real *x, size_t n)
{
    return n ? be->sum(be, x, n) / (double)n : 0.0;
}

#endif
