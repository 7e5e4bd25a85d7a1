/* stats/linalg.c — the small dense algebra of the toy loops (Cholesky, determinant,
 * matrix square root) and the Wasserstein distances between fitted models and the
 * original distribution. Matrices are dim x dim with dim <= MB_STATS_MAX_DIM; at these
 * sizes a plain loop beats a library call, except the eigen-decomposition. */
#include "mb_stats.h"

#include <lapacke.h>
#include <math.h>
#include <string.h>

int mb_stats_cholesky(int d, const double *a, double *l)
{
    double scale = 0;
    for (int i = 0; i < d; i++)
        scale = fmax(scale, fabs(a[i * d + i]));
    int zero_pivots = 0;
    memset(l, 0, sizeof(double) * (size_t)d * d);
    for (int j = 0; j < d; j++) {
        double p = a[j * d + j];
        for (int k = 0; k < j; k++)
            p -= l[j * d + k] * l[j * d + k];
        if (p < -1e-10 * scale || isnan(p))
            return -1;
        if (p <= 1e-14 * scale) { /* a collapsed direction: semi-definite factor */
            zero_pivots++;
            continue;             /* column j stays 0 */
        }
        double ljj = sqrt(p);
        l[j * d + j] = ljj;
        for (int i = j + 1; i < d; i++) {
            double s = a[i * d + j];
            for (int k = 0; k < j; k++)
                s -= l[i * d + k] * l[j * d + k];
            l[i * d + j] = s / ljj;
        }
    }
    return zero_pivots;
}

double mb_stats_det(int d, const double *a)
{
    double l[MB_STATS_MAX_DIM * MB_STATS_MAX_DIM];
    if (mb_stats_cholesky(d, a, l) != 0)
        return 0;
    double det = 1;
    for (int i = 0; i < d; i++)
        det *= l[i * d + i] * l[i * d + i];
    return det;
}

/* Eigenvalues (ascending) and, when vectors != NULL, eigenvectors (columns) of a
 * symmetric matrix. */
static int sym_eigen(int d, const double *s, double *values, double *vectors)
{
    double work[MB_STATS_MAX_DIM * MB_STATS_MAX_DIM];
    memcpy(work, s, sizeof(double) * (size_t)d * d);
    lapack_int info = LAPACKE_dsyev(LAPACK_ROW_MAJOR, vectors ? 'V' : 'N', 'L', d, work, d,
                                    values);
    if (info != 0)
        return mb_fail(MB_ENUMERIC, "symmetric eigen-decomposition failed (info %d)",
                       (int)info);
    if (vectors)
        memcpy(vectors, work, sizeof(double) * (size_t)d * d);
    return MB_OK;
}

int mb_stats_sqrtm(int d, const double *s, double *out)
{
    double values[MB_STATS_MAX_DIM], v[MB_STATS_MAX_DIM * MB_STATS_MAX_DIM];
    MB_TRY(sym_eigen(d, s, values, v));
    for (int i = 0; i < d; i++)
        for (int j = 0; j < d; j++) {
            double acc = 0;
            for (int k = 0; k < d; k++)
                acc += v[i * d + k] * sqrt(fmax(values[k], 0)) * v[j * d + k];
            out[i * d + j] = acc;
        }
    return MB_OK;
}

double mb_stats_gauss_w2_sq(int d, const double *m1, const double *s1, const double *m0,
                            const double *s0, const double *sqrt_s0)
{
    double dist = 0, trace = 0;
    for (int i = 0; i < d; i++) {
        dist += (m1[i] - m0[i]) * (m1[i] - m0[i]);
        trace += s1[i * d + i] + s0[i * d + i];
    }
    if (d == 1)
        return dist + trace - 2 * sqrt(fmax(s1[0], 0)) * sqrt_s0[0];
    /* tr (R S1 R)^{1/2} with R = S0^{1/2}: the sum of the square roots of its
     * eigenvalues. */
    double t[MB_STATS_MAX_DIM * MB_STATS_MAX_DIM], c[MB_STATS_MAX_DIM * MB_STATS_MAX_DIM];
    c[0] = 0; /* d >= 2 here; silences a maybe-uninitialized false positive */
    for (int i = 0; i < d; i++)
        for (int j = 0; j < d; j++) {
            double acc = 0;
            for (int k = 0; k < d; k++)
                acc += sqrt_s0[i * d + k] * s1[k * d + j];
            t[i * d + j] = acc;
        }
    for (int i = 0; i < d; i++)
        for (int j = 0; j < d; j++) {
            double acc = 0;
            for (int k = 0; k < d; k++)
                acc += t[i * d + k] * sqrt_s0[k * d + j];
            c[i * d + j] = acc;
        }
    double values[MB_STATS_MAX_DIM];
    if (sym_eigen(d, c, values, NULL) != MB_OK)
        return NAN;
    double cross = 0;
    for (int i = 0; i < d; i++)
        cross += sqrt(fmax(values[i], 0));
    return fmax(dist + trace - 2 * cross, 0);
}

/* Transportation problem by successive shortest paths (Bellman-Ford on the
 * residual graph source -> a_i -> b_j -> sink). Each augmentation saturates a
 * supply, a demand or a reverse edge, so it ends after a few K^2 steps. */
double mb_stats_ot_cost(int n1, int n2, const double *a, const double *b, const double *cost)
{
    enum { N = MB_STATS_MAX_COMPONENTS };
    double flow[N][N] = {{0}}, supply[N], demand[N], total = 0, moved = 0;
    for (int i = 0; i < n1; i++)
        total += (supply[i] = fmax(a[i], 0));
    for (int j = 0; j < n2; j++)
        demand[j] = fmax(b[j], 0);
    const double eps = 1e-13 * (total > 0 ? total : 1);
    for (int step = 0; step < 4 * (n1 + n2) * (n1 + n2) + 16 && moved < total - eps; step++) {
        /* nodes: 0..n1-1 left, n1..n1+n2-1 right; the source reaches left nodes with
         * supply at cost 0. */
        double dist[2 * N];
        int prev[2 * N];
        for (int v = 0; v < n1 + n2; v++) {
            dist[v] = v < n1 && supply[v] > eps ? 0 : INFINITY;
            prev[v] = -1;
        }
        for (int round = 0; round < n1 + n2; round++) {
            int changed = 0;
            for (int i = 0; i < n1; i++)
                for (int j = 0; j < n2; j++) {
                    double c = cost[i * n2 + j];
                    if (dist[i] + c < dist[n1 + j] - 1e-15) { /* forward edge */
                        dist[n1 + j] = dist[i] + c;
                        prev[n1 + j] = i;
                        changed = 1;
                    }
                    if (flow[i][j] > eps && dist[n1 + j] - c < dist[i] - 1e-15) {
                        dist[i] = dist[n1 + j] - c; /* reverse edge: undo flow */
                        prev[i] = n1 + j;
                        changed = 1;
                    }
                }
            if (!changed)
                break;
        }
        int best = -1;
        for (int j = 0; j < n2; j++)
            if (demand[j] > eps && isfinite(dist[n1 + j]) &&
                (best < 0 || dist[n1 + j] < dist[n1 + best]))
                best = j;
        if (best < 0)
            break;
        /* bottleneck along the path back to a left node with supply */
        double amount = demand[best];
        int v = n1 + best, hops = 0;
        while (prev[v] >= 0 && hops++ <= n1 + n2) {
            int u = prev[v];
            if (u >= n1) /* reverse edge right u -> left v */
                amount = fmin(amount, flow[v][u - n1]);
            v = u;
        }
        amount = fmin(amount, supply[v]);
        if (prev[v] >= 0)
            break; /* a cycle in the predecessors: only rounding can cause it */
        v = n1 + best;
        while (prev[v] >= 0) {
            int u = prev[v];
            if (u < n1)
                flow[u][v - n1] += amount;
            else
                flow[v][u - n1] -= amount;
            v = u;
        }
        supply[v] -= amount;
        demand[best] -= amount;
        moved += amount;
    }
    double result = 0;
    for (int i = 0; i < n1; i++)
        for (int j = 0; j < n2; j++)
            result += flow[i][j] * cost[i * n2 + j];
    return result;
}

double mb_stats_mixture_w2(const mb_stats_model *m, const mb_stats_model *ref,
                           const double *sqrt_ref)
{
    int d = m->dim, k1 = m->n_components, k2 = ref->n_components;
    double cost[MB_STATS_MAX_COMPONENTS * MB_STATS_MAX_COMPONENTS];
    for (int i = 0; i < k1; i++)
        for (int j = 0; j < k2; j++)
            cost[i * k2 + j] = mb_stats_gauss_w2_sq(
                d, m->mean + (size_t)i * d, m->cov + (size_t)i * d * d,
                ref->mean + (size_t)j * d, ref->cov + (size_t)j * d * d,
                sqrt_ref + (size_t)j * d * d);
    return sqrt(fmax(mb_stats_ot_cost(k1, k2, m->weight, ref->weight, cost), 0));
}
