/* stats/model.c — Gaussian / mixture models of the toy loops: storage, the original
 * distributions, sampling through Philox, and the closed-form Gaussian fit. */
#include "mb_toy.h"
#include "mb_philox.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

int mb_stats_model_alloc(mb_stats_model *m, int dim, int n_components)
{
    memset(m, 0, sizeof *m);
    if (dim < 1 || dim > MB_STATS_MAX_DIM || n_components < 1 ||
        n_components > MB_STATS_MAX_COMPONENTS)
        return mb_fail(MB_EINTERNAL, "Gaussian model: dim %d / components %d out of range", dim,
                       n_components);
    size_t k = (size_t)n_components, d = (size_t)dim;
    double *block = mb_host_alloc(sizeof(double) * (k + k * d + 2 * k * d * d), "Gaussian model");
    if (!block)
        return MB_ENOMEM;
    m->dim = dim;
    m->n_components = n_components;
    m->weight = block;
    m->mean = block + k;
    m->cov = m->mean + k * d;
    m->chol = m->cov + k * d * d;
    return MB_OK;
}

void mb_stats_model_free(mb_stats_model *m)
{
    free(m->weight); /* the one block */
    memset(m, 0, sizeof *m);
}

void mb_stats_model_copy(mb_stats_model *dst, const mb_stats_model *src)
{
    size_t k = (size_t)src->n_components, d = (size_t)src->dim;
    memcpy(dst->weight, src->weight, sizeof(double) * (k + k * d + 2 * k * d * d));
}

int mb_stats_model_prepare(mb_stats_model *m)
{
    int d = m->dim;
    for (int k = 0; k < m->n_components; k++) {
        if (m->weight[k] <= 0)
            continue;
        if (mb_stats_cholesky(d, m->cov + (size_t)k * d * d, m->chol + (size_t)k * d * d) < 0)
            return mb_fail(MB_ENUMERIC,
                           "Gaussian model: covariance of component %d is not positive "
                           "semi-definite", k);
    }
    return MB_OK;
}

int mb_stats_original_gaussian(mb_stats_model *m, int dim, double mean, double sigma0,
                               double rho)
{
    MB_TRY(mb_stats_model_alloc(m, dim, 1));
    m->weight[0] = 1;
    for (int i = 0; i < dim; i++) {
        m->mean[i] = mean;
        for (int j = 0; j < dim; j++)
            m->cov[i * dim + j] = sigma0 * sigma0 * (i == j ? 1.0 : rho);
    }
    int rc = mb_stats_model_prepare(m);
    if (rc != MB_OK) {
        mb_stats_model_free(m);
        return mb_fail(MB_EINPUT,
                       "toy: --rho %g gives a covariance that is not positive definite in "
                       "dimension %d (expected -1/(dim-1) < rho < 1)", rho, dim);
    }
    return MB_OK;
}

int mb_stats_original_gmm(mb_stats_model *m, int dim, int n_components, const double *weights,
                          double separation, double sigma0)
{
    MB_TRY(mb_stats_model_alloc(m, dim, n_components));
    double total = 0;
    for (int k = 0; k < n_components; k++)
        total += weights ? weights[k] : 1.0;
    for (int k = 0; k < n_components; k++) {
        m->weight[k] = (weights ? weights[k] : 1.0) / total;
        double *mu = m->mean + (size_t)k * dim;
        if (dim == 1) {
            mu[0] = n_components == 1 ? 0
                                      : separation * (2.0 * k / (n_components - 1) - 1.0);
        } else {
            double angle = 6.283185307179586 * k / n_components;
            mu[0] = separation * cos(angle);
            mu[1] = separation * sin(angle);
        }
        double *s = m->cov + (size_t)k * dim * dim;
        for (int i = 0; i < dim; i++)
            s[i * dim + i] = sigma0 * sigma0;
    }
    return mb_stats_model_prepare(m);
}

/* SplitMix64 (Steele et al. 2014): turns (seed, replica) into a well-mixed key. */
static uint64_t splitmix64(uint64_t x)
{
    x += 0x9E3779B97F4A7C15ull;
    x = (x ^ (x >> 30)) * 0xBF58476D1CE4E5B9ull;
    x = (x ^ (x >> 27)) * 0x94D049BB133111EBull;
    return x ^ (x >> 31);
}

uint64_t mb_toy_replica_key(uint64_t seed, int replica)
{
    return splitmix64(seed ^ splitmix64((uint64_t)replica + 1));
}

/* The n * dim normals of a call form one flat stream: normal j comes from the
 * Philox block at counter base + j/2 (Box-Muller gives two normals per block; the
 * even one equals mb_normal_at(key, base + j/2)). The uniform that picks point i's
 * component is at base + 2^35 + i. */
#define MB_TOY_UNIFORM_OFFSET (1ull << 35)

void mb_stats_sample(const mb_stats_model *m, double lambda, long n, uint64_t key,
                     uint64_t counter_base, double *out)
{
    int d = m->dim, K = m->n_components;
    double scale = sqrt(lambda), z[MB_STATS_MAX_DIM], spare = 0;
    uint64_t flat = 0; /* index of the next normal in the flat stream */
    for (long i = 0; i < n; i++) {
        int k = 0;
        if (K > 1) {
            double u = mb_uniform_at(key, counter_base + MB_TOY_UNIFORM_OFFSET + (uint64_t)i);
            double acc = 0;
            int last_live = 0;
            for (k = 0; k < K; k++) {
                if (m->weight[k] <= 0)
                    continue;
                last_live = k;
                acc += m->weight[k];
                if (u <= acc)
                    break;
            }
            if (k == K)
                k = last_live; /* rounding: acc ended a hair below 1 */
        }
        for (int j = 0; j < d; j++, flat++) {
            if (flat % 2) {
                z[j] = spare;
                continue;
            }
            mb_philox_block b = mb_philox4x32(counter_base + flat / 2, key);
            double radius = sqrt(-2.0 * log(mb_u32_to_unit(b.v[0], b.v[1])));
            double angle = 6.283185307179586 * mb_u32_to_unit(b.v[2], b.v[3]);
            z[j] = radius * cos(angle);
            spare = radius * sin(angle);
        }
        const double *mu = m->mean + (size_t)k * d, *l = m->chol + (size_t)k * d * d;
        double *x = out + (size_t)i * d;
        for (int r = 0; r < d; r++) {
            double acc = 0;
            for (int c = 0; c <= r; c++)
                acc += l[r * d + c] * z[c];
            x[r] = mu[r] + scale * acc;
        }
    }
}

int mb_stats_fit_gaussian(const double *x, long n, int dim, mb_stats_estimator est,
                          mb_stats_model *m)
{
    if (m->n_components != 1 || m->dim != dim)
        return mb_fail(MB_EINTERNAL, "Gaussian fit: needs a one-component model");
    if (n < 2)
        return mb_fail(MB_EINPUT, "Gaussian fit: a variance needs at least 2 points (got %ld)", n);
    double *mu = m->mean, *s = m->cov;
    for (int j = 0; j < dim; j++)
        mu[j] = 0;
    for (long i = 0; i < n; i++)
        for (int j = 0; j < dim; j++)
            mu[j] += x[i * dim + j];
    for (int j = 0; j < dim; j++)
        mu[j] /= (double)n;
    /* Two passes (mean, then centred products): no cancellation when the variance
     * has collapsed far below the mean's square. */
    memset(s, 0, sizeof(double) * (size_t)dim * dim);
    double c[MB_STATS_MAX_DIM];
    for (long i = 0; i < n; i++) {
        for (int j = 0; j < dim; j++)
            c[j] = x[i * dim + j] - mu[j];
        for (int a = 0; a < dim; a++)
            for (int b = 0; b <= a; b++)
                s[a * dim + b] += c[a] * c[b];
    }
    double divisor = est == MB_STATS_MLE ? (double)n : (double)(n - 1);
    for (int a = 0; a < dim; a++)
        for (int b = 0; b <= a; b++) {
            s[a * dim + b] /= divisor;
            s[b * dim + a] = s[a * dim + b];
        }
    m->weight[0] = 1;
    return mb_stats_model_prepare(m);
}

/* ---- special functions ---- */

/* Recurrence psi(x) = psi(x + 1) - 1/x up to x >= 10, then the asymptotic series
 * (Abramowitz & Stegun 6.3.18); error < 1e-13 for x > 0. */
double mb_stats_digamma(double x)
{
    double acc = 0;
    while (x < 10) {
        acc -= 1 / x;
        x += 1;
    }
    double f = 1 / (x * x);
    double series = f * (1.0 / 12 - f * (1.0 / 120 - f * (1.0 / 252 - f * (1.0 / 240 -
                                                                            f / 132))));
    return acc + log(x) - 0.5 / x - series;
}

double mb_stats_c4(double m)
{
    return sqrt(2 / (m - 1)) * exp(lgamma(m / 2) - lgamma((m - 1) / 2));
}
