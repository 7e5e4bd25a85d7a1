/* Every CPU backend operation against a naive reference written here, on fresh
 * random inputs. Tolerances: exact for data movement; 1e-5 relative (float32
 * rounding of sums of a few hundred terms) for arithmetic. */
#include "mb_backend.h"
#include "mb_philox.h"
#include "testutil.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

static mb_backend *be;
static uint64_t next_seed = 100;

static float *random_array(size_t n, float lo, float hi)
{
    float *x = malloc(n * sizeof *x);
    be->fill_uniform(be, x, n, next_seed++, 0, lo, hi);
    return x;
}

static double max_rel_diff(const float *got, const double *want, size_t n)
{
    double worst = 0;
    for (size_t i = 0; i < n; i++)
        worst = fmax(worst, fabs(got[i] - want[i]) / (1e-3 + fabs(want[i])));
    return worst;
}

/* max |got - want| / max |want|: sums of many products may cancel to near 0, so
 * the error is judged against the size of the result, not element by element. */
static double max_norm_diff(const float *got, const double *want, size_t n)
{
    double worst = 0, scale = 0;
    for (size_t i = 0; i < n; i++)
        worst = fmax(worst, fabs(got[i] - want[i])), scale = fmax(scale, fabs(want[i]));
    return worst / scale;
}

static void test_gemm(int ta, int tb, int m, int n, int k)
{
    const int lda = ta ? m + 1 : k + 2, ldb = tb ? k + 3 : n, ldc = n + 1;
    const int a_rows = ta ? k : m, b_rows = tb ? n : k;
    float *a = random_array((size_t)a_rows * lda, -1, 1), *b = random_array((size_t)b_rows * ldb, -1, 1);
    float *c = random_array((size_t)m * ldc, -1, 1);
    double *want = calloc((size_t)m * ldc, sizeof *want);
    const float alpha = 0.7f, beta = -0.3f;
    for (int i = 0; i < m; i++)
        for (int j = 0; j < ldc; j++) {
            if (j >= n) {
                want[(size_t)i * ldc + j] = c[(size_t)i * ldc + j]; /* untouched */
                continue;
            }
            double s = 0;
            for (int p = 0; p < k; p++) {
                const double av = ta ? a[(size_t)p * lda + i] : a[(size_t)i * lda + p];
                const double bv = tb ? b[(size_t)j * ldb + p] : b[(size_t)p * ldb + j];
                s += av * bv;
            }
            want[(size_t)i * ldc + j] = alpha * s + beta * c[(size_t)i * ldc + j];
        }
    be->gemm(be, ta, tb, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc);
    const double d = max_norm_diff(c, want, (size_t)m * ldc);
    CHECK(d < 1e-5, "gemm ta=%d tb=%d %dx%dx%d: max rel diff %.3e", ta, tb, m, n, k, d);
    free(a), free(b), free(c), free(want);
}

static void test_gemm_batched(void)
{
    const int m = 5, n = 7, k = 9, batch = 4;
    float *a = random_array((size_t)m * k, -1, 1); /* shared: stride 0 */
    float *b = random_array((size_t)batch * k * n, -1, 1);
    float *c = random_array((size_t)batch * m * n, -1, 1);
    double *want = calloc((size_t)batch * m * n, sizeof *want);
    for (int t = 0; t < batch; t++)
        for (int i = 0; i < m; i++)
            for (int j = 0; j < n; j++) {
                double s = 0;
                for (int p = 0; p < k; p++)
                    s += (double)a[i * k + p] * b[(size_t)t * k * n + (size_t)j * k + p];
                want[((size_t)t * m + i) * n + j] = s;
            }
    /* B transposed: each b_t is [n, k] */
    be->gemm_strided_batched(be, 0, 1, m, n, k, 1, a, k, 0, b, k, (long long)k * n, 0, c, n,
                             (long long)m * n, batch);
    const double d = max_norm_diff(c, want, (size_t)batch * m * n);
    CHECK(d < 1e-5, "gemm_strided_batched: max rel diff %.3e", d);
    free(a), free(b), free(c), free(want);
}

static void test_conv_pieces(int channels, int n_img, int h, int w, int k, int s, int pad)
{
    mb_conv_geom g = {.channels = channels, .n_images = n_img, .height = h, .width = w,
                      .kernel = k, .stride = s, .pad = pad};
    g.out_h = (h + 2 * pad - k) / s + 1, g.out_w = (w + 2 * pad - k) / s + 1;
    const size_t n_image = (size_t)channels * n_img * h * w;
    const size_t col_len = (size_t)n_img * g.out_h * g.out_w, n_cols = (size_t)channels * k * k * col_len;
    float *img = random_array(n_image, -1, 1), *cols = malloc(n_cols * sizeof *cols);
    be->im2col(be, &g, img, cols);
    int exact = 1;
    double *scatter = calloc(n_image, sizeof *scatter);
    float *c2 = random_array(n_cols, -1, 1), *img2 = malloc(n_image * sizeof *img2);
    for (int c = 0; c < channels; c++)
        for (int ki = 0; ki < k; ki++)
            for (int kj = 0; kj < k; kj++)
                for (int n = 0; n < n_img; n++)
                    for (int oh = 0; oh < g.out_h; oh++)
                        for (int ow = 0; ow < g.out_w; ow++) {
                            const int ih = oh * s - pad + ki, iw = ow * s - pad + kj;
                            const size_t row = ((size_t)c * k + ki) * k + kj;
                            const size_t col = ((size_t)n * g.out_h + oh) * g.out_w + ow;
                            const int inside = ih >= 0 && ih < h && iw >= 0 && iw < w;
                            const size_t pix = (((size_t)c * n_img + n) * h + ih) * w + iw;
                            const float want = inside ? img[pix] : 0;
                            exact &= cols[row * col_len + col] == want;
                            if (inside)
                                scatter[pix] += c2[row * col_len + col];
                        }
    CHECK(exact, "im2col C=%d N=%d %dx%d k=%d s=%d p=%d differs from the definition", channels,
          n_img, h, w, k, s, pad);
    be->col2im(be, &g, c2, img2);
    const double d = max_rel_diff(img2, scatter, n_image);
    CHECK(d < 1e-5, "col2im (adjoint of im2col) k=%d s=%d p=%d: max rel diff %.3e", k, s, pad, d);
    free(img), free(cols), free(scatter), free(c2), free(img2);
}

/* bias_add and bias_grad, plain and with the fused ReLU: y = max(x + b, 0), dy
 * masked by y > 0 in place, then summed per channel. inner = 1 is a linear layer's
 * layout [outer, channels], which takes its own path. */
static void check_bias(int outer, int ch, int inner)
{
    const size_t n = (size_t)outer * ch * inner;
    float *x = random_array(n, -3, 3), *y = malloc(n * sizeof *y), *dy = random_array(n, -1, 1);
    float *dx = malloc(n * sizeof *dx), *bias = random_array(ch, -1, 1), *db = malloc(ch * sizeof *db);
    double *want_db = calloc(ch, sizeof *want_db), *want_relu_db = calloc(ch, sizeof *want_db);
    int ok;

    memcpy(y, x, n * sizeof *y);
    be->bias_add(be, y, bias, outer, ch, inner, 0);
    ok = 1;
    for (size_t i = 0; i < n; i++)
        ok &= y[i] == x[i] + bias[(i / inner) % ch];
    CHECK(ok, "bias_add %dx%dx%d differs from x + b[c]", outer, ch, inner);
    be->bias_grad(be, NULL, dy, db, outer, ch, inner);
    for (size_t i = 0; i < n; i++)
        want_db[(i / inner) % ch] += dy[i];
    CHECK(max_rel_diff(db, want_db, ch) < 1e-5,
          "bias_grad %dx%dx%d differs from the sum over outer, inner", outer, ch, inner);

    /* the fused ReLU: y = max(x + b, 0); dy masked by y > 0 in place, then summed */
    memcpy(y, x, n * sizeof *y);
    be->bias_add(be, y, bias, outer, ch, inner, 1);
    ok = 1;
    int zeros = 0;
    for (size_t i = 0; i < n; i++) {
        const float v = x[i] + bias[(i / inner) % ch];
        ok &= y[i] == (v > 0 ? v : 0);
        zeros += y[i] == 0;
    }
    CHECK(ok && zeros > 0 && zeros < (int)n,
          "bias_add with relu %dx%dx%d differs from max(x + b[c], 0)", outer, ch, inner);
    memcpy(dx, dy, n * sizeof *dx);
    be->bias_grad(be, y, dx, db, outer, ch, inner);
    ok = 1;
    for (size_t i = 0; i < n; i++) {
        const float g = y[i] > 0 ? dy[i] : 0;
        ok &= dx[i] == g;
        want_relu_db[(i / inner) % ch] += g;
    }
    CHECK(ok, "bias_grad with relu %dx%dx%d: dy not masked by y > 0", outer, ch, inner);
    CHECK(max_rel_diff(db, want_relu_db, ch) < 1e-5, "bias_grad with relu %dx%dx%d: wrong sums",
          outer, ch, inner);
    free(x), free(y), free(dy), free(dx), free(bias), free(db), free(want_db), free(want_relu_db);
}

static void test_elementwise(void)
{
    const int outer = 3, ch = 5, inner = 7;
    const size_t n = (size_t)outer * ch * inner;
    float *x = random_array(n, -3, 3), *y = malloc(n * sizeof *y), *dy = random_array(n, -1, 1);
    float *dx = malloc(n * sizeof *dx);
    int ok = 1;

    be->permute_01(be, x, y, outer, ch, inner);
    for (int i = 0; i < outer; i++)
        for (int j = 0; j < ch; j++)
            for (int r = 0; r < inner; r++)
                ok &= y[((size_t)j * outer + i) * inner + r] == x[((size_t)i * ch + j) * inner + r];
    CHECK(ok, "permute_01 moves elements wrongly");
    check_bias(outer, ch, inner);
    check_bias(4, 300, 1); /* a linear layer's layout, over more than one channel block */

    double *want = calloc(n, sizeof *want);
    be->relu_forward(be, x, y, n);
    for (size_t i = 0; i < n; i++)
        want[i] = x[i] > 0 ? x[i] : 0;
    CHECK(max_rel_diff(y, want, n) == 0, "relu_forward");
    be->relu_backward(be, y, dy, dx, n);
    for (size_t i = 0; i < n; i++)
        want[i] = x[i] > 0 ? dy[i] : 0;
    CHECK(max_rel_diff(dx, want, n) == 0, "relu_backward");
    be->sigmoid_forward(be, x, y, n);
    for (size_t i = 0; i < n; i++)
        want[i] = 1 / (1 + exp(-(double)x[i]));
    CHECK(max_rel_diff(y, want, n) < 1e-6, "sigmoid_forward");
    be->sigmoid_backward(be, y, dy, dx, n);
    for (size_t i = 0; i < n; i++)
        want[i] = dy[i] * want[i] * (1 - want[i]);
    CHECK(max_rel_diff(dx, want, n) < 1e-5, "sigmoid_backward");
    free(x), free(y), free(dy), free(dx), free(want);
}

static void test_losses(void)
{
    const int rows = 6, cols = 11, d = 4;
    const size_t n = (size_t)rows * cols;
    float *z = random_array(n, -6, 6), *t = random_array(n, 0, 1), *dz = malloc(n * sizeof *dz);
    double *want = calloc(n, sizeof *want);
    for (int kind = 0; kind < 2; kind++) {
        double loss = 0, acc = 0.25; /* accumulates on top of what is there */
        for (size_t i = 0; i < n; i++) {
            const double y = 1 / (1 + exp(-(double)z[i]));
            if (kind == MB_LOSS_BCE) {
                loss += -(t[i] * log(y) + (1 - t[i]) * log(1 - y));
                want[i] = (y - t[i]) / rows;
            } else {
                loss += (y - t[i]) * (y - t[i]);
                want[i] = 2 * (y - t[i]) * y * (1 - y) / rows;
            }
        }
        be->recon_loss(be, (mb_loss_kind)kind, z, t, rows, cols, dz, &acc);
        CHECK_CLOSE(acc, 0.25 + loss / rows, 0, 1e-5, kind ? "MSE loss" : "BCE loss");
        CHECK(max_rel_diff(dz, want, n) < 1e-5, "%s gradient", kind ? "MSE" : "BCE");
    }
    float *stats = random_array((size_t)rows * 2 * d, -1, 1), *eps = random_array((size_t)rows * d, -2, 2);
    float *zz = malloc((size_t)rows * d * sizeof *zz), *dzz = random_array((size_t)rows * d, -1, 1);
    float *dstats = malloc((size_t)rows * 2 * d * sizeof *dstats);
    double *want_z = calloc((size_t)rows * d, sizeof *want_z), *want_ds = calloc((size_t)rows * 2 * d, sizeof *want_ds);
    double kl = 0, acc = 0;
    const float beta = 0.6f;
    for (int r = 0; r < rows; r++)
        for (int j = 0; j < d; j++) {
            const double mu = stats[r * 2 * d + j], lv = stats[r * 2 * d + d + j], e = eps[r * d + j];
            want_z[r * d + j] = mu + exp(lv / 2) * e;
            kl += -0.5 * (1 + lv - mu * mu - exp(lv));
            want_ds[r * 2 * d + j] = dzz[r * d + j] + beta * mu / rows;
            want_ds[r * 2 * d + d + j] = dzz[r * d + j] * e * exp(lv / 2) / 2 + beta * (exp(lv) - 1) / 2 / rows;
        }
    be->vae_latent_forward(be, stats, eps, zz, rows, d);
    CHECK(max_rel_diff(zz, want_z, (size_t)rows * d) < 1e-6, "vae_latent_forward");
    be->vae_latent_backward(be, stats, eps, dzz, beta, dstats, rows, d, &acc);
    CHECK(max_rel_diff(dstats, want_ds, (size_t)rows * 2 * d) < 1e-5, "vae_latent_backward");
    CHECK_CLOSE(acc, beta * kl / rows, 0, 1e-5, "KL term");
    free(z), free(t), free(dz), free(want), free(stats), free(eps), free(zz), free(dzz);
    free(dstats), free(want_z), free(want_ds);
}

static void test_fills_and_reductions(void)
{
    const size_t n = 200000;
    float *u = malloc(n * sizeof *u), *v = malloc(n * sizeof *v), *part = malloc(100 * sizeof *part);
    be->fill_uniform(be, u, n, 7, 0, -2, 3);
    double mean = 0, lo = 1e9, hi = -1e9;
    for (size_t i = 0; i < n; i++)
        mean += u[i], lo = fmin(lo, u[i]), hi = fmax(hi, u[i]);
    mean /= n;
    /* U(-2, 3): mean 0.5, std 5/sqrt(12); 6 standard errors */
    CHECK(fabs(mean - 0.5) < 6 * 5 / sqrt(12.0 * n), "uniform mean %.5f", mean);
    CHECK(lo >= -2 && hi <= 3 && hi - lo > 4.99, "uniform range [%g, %g]", lo, hi);
    be->fill_uniform(be, part, 100, 7, 5000, -2, 3);
    CHECK(!memcmp(part, u + 5000, 100 * sizeof *part), "fill at an offset differs from the same counters in a larger fill");

    be->fill_normal(be, v, n, 8, 0, 1.5f, 2);
    double m1 = 0, m2 = 0;
    for (size_t i = 0; i < n; i++)
        m1 += v[i], m2 += (double)v[i] * v[i];
    m1 /= n, m2 = m2 / n - m1 * m1;
    CHECK(fabs(m1 - 1.5) < 6 * 2 / sqrt((double)n), "normal mean %.5f", m1);
    CHECK(fabs(sqrt(m2) - 2) < 6 * 2 / sqrt(2.0 * n), "normal std %.5f", sqrt(m2));

    double want = 0;
    for (size_t i = 0; i < n; i++)
        want += v[i];
    CHECK_CLOSE(be->sum(be, v, n), want, 1e-9, 1e-12, "sum");
    CHECK(be->all_finite(be, v, n), "all_finite on finite data");
    v[n / 2] = INFINITY;
    CHECK(!be->all_finite(be, v, n), "all_finite misses an Inf");
    v[n / 2] = NAN;
    CHECK(!be->all_finite(be, v, n), "all_finite misses a NaN");

    int idx[5] = {7, 0, 3, 3, 9};
    float *rows = random_array(10 * 6, -1, 1), *out = malloc(5 * 6 * sizeof *out);
    be->gather_rows(be, out, rows, idx, 5, 6);
    int ok = 1;
    for (int i = 0; i < 5; i++)
        ok &= !memcmp(out + i * 6, rows + idx[i] * 6, 6 * sizeof *out);
    CHECK(ok, "gather_rows");
    be->fill(be, out, 30, 2.5f);
    CHECK(out[0] == 2.5f && out[29] == 2.5f, "fill");
    free(u), free(v), free(part), free(rows), free(out);
}

/* Adam against values worked out by hand: with m0 = v0 = 0 the first bias-corrected
 * step is lr * g / (|g| + eps) = lr * sign(g) (up to eps); the second follows
 * from m2 = b1 (1-b1) g1 + (1-b1) g2, v2 = b2 (1-b2) g1^2 + (1-b2) g2^2. */
static void test_adam(void)
{
    mb_adam_config cfg = {.lr = 0.01f, .beta1 = 0.9f, .beta2 = 0.999f, .eps = 1e-8f};
    float p[3] = {1.0f, -2.0f, 0.5f}, m[3] = {0}, v[3] = {0};
    const float g1[3] = {0.3f, -4.0f, 1e-3f}, g2[3] = {-0.1f, 2.0f, 1e-3f};
    be->adam_step(be, p, g1, m, v, 3, &cfg, 1);
    CHECK_CLOSE(p[0], 1.0 - 0.01, 1e-6, 0, "adam step 1, p0");
    CHECK_CLOSE(p[1], -2.0 + 0.01, 1e-6, 0, "adam step 1, p1");
    CHECK_CLOSE(p[2], 0.5 - 0.01 * 1e-3 / (1e-3 + 1e-8), 1e-6, 0, "adam step 1, p2");
    const double after1[3] = {p[0], p[1], p[2]};
    be->adam_step(be, p, g2, m, v, 3, &cfg, 2);
    const double b1 = cfg.beta1, b2 = cfg.beta2; /* the float values, as the step uses */
    for (int i = 0; i < 3; i++) {
        const double mm = b1 * (1 - b1) * g1[i] + (1 - b1) * g2[i];
        const double vv = b2 * (1 - b2) * g1[i] * g1[i] + (1 - b2) * g2[i] * g2[i];
        const double m_hat = mm / (1 - b1 * b1), v_hat = vv / (1 - b2 * b2);
        const double want = after1[i] - 0.01 * m_hat / (sqrt(v_hat) + 1e-8);
        CHECK_CLOSE(p[i], want, 1e-6, 1e-6, "adam step 2");
        CHECK_CLOSE(m[i], mm, 1e-8, 1e-5, "adam first moment");
        CHECK_CLOSE(v[i], vv, 1e-12, 1e-5, "adam second moment");
    }
}

int main(void)
{
    be = mb_backend_cpu_create();
    for (int ta = 0; ta < 2; ta++)
        for (int tb = 0; tb < 2; tb++) {
            test_gemm(ta, tb, 13, 17, 29);
            test_gemm(ta, tb, 64, 300, 288); /* large enough for OpenBLAS's threaded path */
        }
    test_gemm_batched();
    test_conv_pieces(2, 3, 7, 6, 3, 2, 1);
    test_conv_pieces(3, 2, 14, 14, 3, 2, 1);
    test_conv_pieces(1, 2, 5, 5, 3, 1, 0);
    test_conv_pieces(2, 1, 9, 8, 5, 2, 2);
    test_conv_pieces(2, 2, 6, 6, 4, 2, 1);
    test_elementwise();
    test_losses();
    test_fills_and_reductions();
    test_adam();
    mb_backend_destroy(be);
    return mb_test_finish("test_cpu_ops");
}
