/* stats/em.c — fitting a K-component, full-covariance Gaussian mixture by EM
 * (Dempster, Laird & Rubin 1977; Bishop, PRML Section 9.2.2), with k-means++
 * seeding (Arthur & Vassilvitskii 2007) or a warm start from the previous
 * generation. */
#include "mb_stats.h"
#include "mb_philox.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

static const double LOG_2PI = 1.8378770664093453;

static double dist2(int d, const double *a, const double *b)
{
    double s = 0;
    for (int j = 0; j < d; j++)
        s += (a[j] - b[j]) * (a[j] - b[j]);
    return s;
}

/* Covariance (divisor = the weight sum) of the points weighted by w (w == NULL:
 * all 1, or only those with label == k when labels != NULL), plus reg on the
 * diagonal; mean and weight sum are returned too. */
static double weighted_moments(const double *x, long n, int d, const double *w, int stride,
                               const int *labels, int k, double reg, double *mu, double *s)
{
    double total = 0;
    memset(mu, 0, sizeof(double) * (size_t)d);
    memset(s, 0, sizeof(double) * (size_t)d * d);
    for (long i = 0; i < n; i++) {
        double wi = w ? w[i * stride] : labels ? (labels[i] == k) : 1.0;
        if (wi == 0)
            continue;
        total += wi;
        for (int j = 0; j < d; j++)
            mu[j] += wi * x[i * d + j];
    }
    if (total <= 0)
        return 0;
    for (int j = 0; j < d; j++)
        mu[j] /= total;
    double c[MB_STATS_MAX_DIM];
    for (long i = 0; i < n; i++) {
        double wi = w ? w[i * stride] : labels ? (labels[i] == k) : 1.0;
        if (wi == 0)
            continue;
        for (int j = 0; j < d; j++)
            c[j] = x[i * d + j] - mu[j];
        for (int a = 0; a < d; a++)
            for (int b = 0; b <= a; b++)
                s[a * d + b] += wi * c[a] * c[b];
    }
    for (int a = 0; a < d; a++) {
        for (int b = 0; b <= a; b++) {
            s[a * d + b] /= total;
            s[b * d + a] = s[a * d + b];
        }
        s[a * d + a] += reg;
    }
    return total;
}

/* k-means++ seeds (uniforms at counters base, base + 1, ...), 10 Lloyd iterations,
 * then weights, means and covariances of the hard clusters. */
static void kmeanspp_init(const double *x, long n, int d, int K, double reg, uint64_t key,
                          uint64_t base, int *labels, double *d2, mb_stats_model *m)
{
    double *centre = m->mean;
    long first = (long)(mb_uniform_at(key, base) * (double)n);
    memcpy(centre, x + (size_t)(first < n ? first : n - 1) * d, sizeof(double) * (size_t)d);
    for (long i = 0; i < n; i++)
        d2[i] = dist2(d, x + (size_t)i * d, centre);
    for (int c = 1; c < K; c++) {
        double total = 0;
        for (long i = 0; i < n; i++)
            total += d2[i];
        double target = mb_uniform_at(key, base + (uint64_t)c) * total, acc = 0;
        long pick = n - 1;
        for (long i = 0; i < n && total > 0; i++) {
            acc += d2[i];
            if (acc >= target) {
                pick = i;
                break;
            }
        }
        memcpy(centre + (size_t)c * d, x + (size_t)pick * d, sizeof(double) * (size_t)d);
        for (long i = 0; i < n; i++)
            d2[i] = fmin(d2[i], dist2(d, x + (size_t)i * d, centre + (size_t)c * d));
    }
    for (int iter = 0; iter < 10; iter++) {
        for (long i = 0; i < n; i++) {
            int best = 0;
            double best_d = INFINITY;
            for (int c = 0; c < K; c++) {
                double dd = dist2(d, x + (size_t)i * d, centre + (size_t)c * d);
                if (dd < best_d) {
                    best_d = dd;
                    best = c;
                }
            }
            labels[i] = best;
        }
        double mu[MB_STATS_MAX_DIM];
        for (int c = 0; c < K; c++) {
            double count = weighted_moments(x, n, d, NULL, 1, labels, c, reg, mu,
                                            m->cov + (size_t)c * d * d);
            if (count > 0) /* an empty cluster keeps its centre */
                memcpy(centre + (size_t)c * d, mu, sizeof(double) * (size_t)d);
        }
    }
    double global_mu[MB_STATS_MAX_DIM], global_cov[MB_STATS_MAX_DIM * MB_STATS_MAX_DIM];
    weighted_moments(x, n, d, NULL, 1, NULL, 0, reg, global_mu, global_cov);
    double total = 0;
    for (int c = 0; c < K; c++) {
        double mu[MB_STATS_MAX_DIM];
        double count = weighted_moments(x, n, d, NULL, 1, labels, c, reg, mu,
                                        m->cov + (size_t)c * d * d);
        if (count < d + 1) { /* too few points for a covariance: start broad */
            memcpy(m->cov + (size_t)c * d * d, global_cov, sizeof(double) * (size_t)d * d);
            count = 1;
        } else {
            memcpy(centre + (size_t)c * d, mu, sizeof(double) * (size_t)d);
        }
        m->weight[c] = count;
        total += count;
    }
    for (int c = 0; c < K; c++)
        m->weight[c] /= total;
}

mb_stats_em_config mb_stats_em_defaults(void)
{
    mb_stats_em_config em = {MB_STATS_INIT_KMEANSPP, 200, 1e-6, 1e-6, MB_STATS_MLE};
    return em;
}

int mb_stats_fit_gmm(const double *x, long n, const mb_stats_em_config *em, uint64_t key,
                     uint64_t counter_base, mb_stats_model *m, int *iterations)
{
    int d = m->dim, K = m->n_components;
    double *resp = malloc(sizeof(double) * (size_t)n * (size_t)K);
    int *labels = malloc(sizeof(int) * (size_t)n);
    double *d2 = malloc(sizeof(double) * (size_t)n);
    if (!resp || !labels || !d2) {
        free(resp);
        free(labels);
        free(d2);
        return mb_fail(MB_ENOMEM, "EM: out of memory on %ld points", n);
    }
    if (em->init == MB_STATS_INIT_KMEANSPP)
        kmeanspp_init(x, n, d, K, em->reg, key, counter_base, labels, d2, m);

    double prev_ll = -INFINITY, logdet[MB_STATS_MAX_COMPONENTS], nk[MB_STATS_MAX_COMPONENTS];
    int iter = 0;
    for (iter = 1; iter <= em->max_iter; iter++) {
        /* E-step: responsibilities through log-sum-exp. */
        for (int k = 0; k < K; k++) {
            if (m->weight[k] <= 0)
                continue;
            double *l = m->chol + (size_t)k * d * d;
            if (mb_stats_cholesky(d, m->cov + (size_t)k * d * d, l) != 0) {
                m->weight[k] = 0; /* singular (only possible with --em-reg 0): dies */
                continue;
            }
            logdet[k] = 0;
            for (int j = 0; j < d; j++)
                logdet[k] += 2 * log(l[j * d + j]);
        }
        double ll = 0;
        for (long i = 0; i < n; i++) {
            double *r = resp + (size_t)i * K, top = -INFINITY;
            for (int k = 0; k < K; k++) {
                r[k] = -INFINITY;
                if (m->weight[k] <= 0)
                    continue;
                const double *l = m->chol + (size_t)k * d * d, *mu = m->mean + (size_t)k * d;
                double y[MB_STATS_MAX_DIM], q = 0;
                for (int a = 0; a < d; a++) { /* y = L^{-1} (x - mu) */
                    double s = x[i * d + a] - mu[a];
                    for (int b = 0; b < a; b++)
                        s -= l[a * d + b] * y[b];
                    y[a] = s / l[a * d + a];
                    q += y[a] * y[a];
                }
                r[k] = log(m->weight[k]) - 0.5 * (d * LOG_2PI + logdet[k] + q);
                top = fmax(top, r[k]);
            }
            double sum = 0;
            for (int k = 0; k < K; k++)
                sum += (r[k] = isfinite(r[k]) ? exp(r[k] - top) : 0);
            for (int k = 0; k < K; k++)
                r[k] /= sum;
            ll += top + log(sum);
        }
        ll /= (double)n;
        /* M-step; a component with fewer than d + 1 points' worth of
         * responsibility cannot hold a full covariance and dies (but never the
         * heaviest one). */
        int heaviest = 0;
        for (int k = 0; k < K; k++) {
            nk[k] = 0;
            if (m->weight[k] > 0)
                for (long i = 0; i < n; i++)
                    nk[k] += resp[(size_t)i * K + k];
            if (nk[k] > nk[heaviest])
                heaviest = k;
        }
        double live_total = 0;
        for (int k = 0; k < K; k++) {
            if (m->weight[k] <= 0 || (nk[k] < d + 1 && k != heaviest)) {
                m->weight[k] = 0;
                continue;
            }
            weighted_moments(x, n, d, resp + k, K, NULL, 0, em->reg,
                             m->mean + (size_t)k * d, m->cov + (size_t)k * d * d);
            m->weight[k] = nk[k];
            live_total += nk[k];
        }
        if (!(live_total > 0)) {
            prev_ll = NAN; /* every component singular: only possible with --em-reg 0 */
            break;
        }
        for (int k = 0; k < K; k++)
            m->weight[k] /= live_total;
        if (iter > 1 && ll - prev_ll < em->tol) {
            prev_ll = ll;
            break;
        }
        prev_ll = ll;
    }
    if (iter > em->max_iter)
        iter = em->max_iter;
    if (em->estimator == MB_STATS_UNBIASED) {
        /* N_k / (N_k - 1): Bessel's correction with the responsibility sum as n. */
        for (int k = 0; k < K; k++) {
            if (m->weight[k] <= 0 || nk[k] <= 1)
                continue;
            double f = nk[k] / (nk[k] - 1);
            double *s = m->cov + (size_t)k * d * d;
            for (int a = 0; a < d * d; a++)
                s[a] = (s[a] - (a % (d + 1) == 0 ? em->reg : 0)) * f +
                       (a % (d + 1) == 0 ? em->reg : 0);
        }
    }
    if (iterations)
        *iterations = iter;
    free(resp);
    free(labels);
    free(d2);
    if (!isfinite(prev_ll))
        return mb_fail(MB_ENUMERIC, "EM failed after %d iterations: the log-likelihood "
                       "is not finite (every covariance singular? raise --em-reg)", iter);
    return mb_stats_model_prepare(m);
}

void mb_stats_match_components(mb_stats_model *m, const mb_stats_model *ref)
{
    int d = m->dim, K = m->n_components;
    if (K == 1 || ref->n_components != K)
        return;
    /* Greedy on squared mean distance; dead components are matched last. */
    double cost[MB_STATS_MAX_COMPONENTS][MB_STATS_MAX_COMPONENTS];
    int taken_m[MB_STATS_MAX_COMPONENTS] = {0}, taken_r[MB_STATS_MAX_COMPONENTS] = {0};
    int source_of[MB_STATS_MAX_COMPONENTS];
    for (int i = 0; i < K; i++)
        for (int j = 0; j < K; j++)
            cost[i][j] = dist2(d, m->mean + (size_t)i * d, ref->mean + (size_t)j * d) +
                         (m->weight[i] > 0 ? 0 : 1e300);
    for (int pair = 0; pair < K; pair++) {
        int bi = -1, bj = -1;
        for (int i = 0; i < K; i++)
            for (int j = 0; j < K; j++)
                if (!taken_m[i] && !taken_r[j] && (bi < 0 || cost[i][j] < cost[bi][bj])) {
                    bi = i;
                    bj = j;
                }
        taken_m[bi] = taken_r[bj] = 1;
        source_of[bj] = bi;
    }
    mb_stats_model tmp;
    if (mb_stats_model_alloc(&tmp, d, K) != MB_OK)
        return; /* out of memory: leave the order as it is */
    mb_stats_model_copy(&tmp, m);
    size_t dd = (size_t)d * d;
    for (int j = 0; j < K; j++) {
        int i = source_of[j];
        m->weight[j] = tmp.weight[i];
        memcpy(m->mean + (size_t)j * d, tmp.mean + (size_t)i * d, sizeof(double) * d);
        memcpy(m->cov + j * dd, tmp.cov + i * dd, sizeof(double) * dd);
        memcpy(m->chol + j * dd, tmp.chol + i * dd, sizeof(double) * dd);
    }
    mb_stats_model_free(&tmp);
}
