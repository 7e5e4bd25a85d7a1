/* test_stats_toy_w2.c — distances and small algebra of the toy loops against cases with
 * known answers: W2 between Gaussians (1-D, commuting and non-commuting 2-D
 * covariances), exact discrete optimal transport, mixture-W2, Cholesky,
 * determinants, digamma and c4. */
#include "mb_toy.h"
#include "testutil.h"

#include <math.h>
#include <string.h>

static void test_gauss_w2(void)
{
    /* 1-D: (m1 - m0)^2 + (s1 - s0)^2 */
    double m1 = 1.5, s1 = 4.0, m0 = -0.5, s0 = 0.25, r0 = 0.5;
    CHECK_CLOSE(mb_stats_gauss_w2_sq(1, &m1, &s1, &m0, &s0, &r0), 4.0 + 2.25, 1e-12, 1e-12,
                "1-D W2^2");
    /* diagonal (commuting) 2-D: |dm|^2 + sum (sqrt a_i - sqrt b_i)^2 */
    double ma[2] = {1, 2}, mb[2] = {0, 0};
    double a[4] = {4, 0, 0, 9}, b[4] = {1, 0, 0, 16}, rb[4];
    CHECK(mb_stats_sqrtm(2, b, rb) == MB_OK, "sqrtm");
    CHECK_CLOSE(rb[0], 1.0, 1e-12, 0, "sqrt of diag(1, 16)[0][0]");
    CHECK_CLOSE(rb[3], 4.0, 1e-12, 0, "sqrt of diag(1, 16)[1][1]");
    CHECK_CLOSE(mb_stats_gauss_w2_sq(2, ma, a, mb, b, rb), 5.0 + 1.0 + 1.0, 1e-10, 1e-12,
                "diagonal 2-D W2^2");
    /* non-commuting 2-D: for 2x2 PSD C, tr C^{1/2} = sqrt(tr C + 2 sqrt(det C)), and
     * C = S0^1/2 S1 S0^1/2 has tr C = tr(S0 S1), det C = det S0 det S1. */
    double p[4] = {2.0, 0.8, 0.8, 1.0}, q[4] = {1.0, -0.3, -0.3, 3.0}, rq[4];
    CHECK(mb_stats_sqrtm(2, q, rq) == MB_OK, "sqrtm");
    double tr_pq = p[0] * q[0] + p[1] * q[2] + p[2] * q[1] + p[3] * q[3];
    double det_p = p[0] * p[3] - p[1] * p[2], det_q = q[0] * q[3] - q[1] * q[2];
    double cross = sqrt(tr_pq + 2 * sqrt(det_p * det_q));
    double want = (p[0] + p[3]) + (q[0] + q[3]) - 2 * cross + 5.0;
    CHECK_CLOSE(mb_stats_gauss_w2_sq(2, ma, p, mb, q, rq), want, 1e-10, 1e-10,
                "non-commuting 2-D W2^2");
    /* sqrtm squared gives back the matrix */
    double back = rq[0] * rq[1] + rq[1] * rq[3];
    CHECK_CLOSE(back, q[1], 1e-12, 1e-12, "sqrtm(q)^2 off-diagonal");
    /* W2 of a Gaussian to itself is 0 */
    CHECK_CLOSE(mb_stats_gauss_w2_sq(2, mb, q, mb, q, rq), 0, 1e-12, 0, "W2(q, q)");
}

static void test_ot(void)
{
    /* Diracs at 0 and 10 with weights (0.5, 0.5) vs (0.7, 0.3): the optimal plan moves
     * 0.2 from 10 to 0, cost 0.2 * 100 = 20. */
    double a[2] = {0.5, 0.5}, b[2] = {0.7, 0.3}, cost[4] = {0, 100, 100, 0};
    CHECK_CLOSE(mb_stats_ot_cost(2, 2, a, b, cost), 20.0, 1e-12, 1e-12, "OT two Diracs");
    /* 3x3 where the greedy (north-west / cheapest-first) plan is not optimal:
     * brute force over the vertices is replaced by a known optimum. Supplies and
     * demands of 1/3: it is an assignment problem, optimum = min over permutations. */
    double c3[9] = {4, 1, 3, 2, 0, 5, 3, 2, 2};
    double u[3] = {1.0 / 3, 1.0 / 3, 1.0 / 3};
    const int perms[6][3] = {{0, 1, 2}, {0, 2, 1}, {1, 0, 2}, {1, 2, 0}, {2, 0, 1}, {2, 1, 0}};
    double best = INFINITY;
    for (int p = 0; p < 6; p++) {
        double c = 0;
        for (int i = 0; i < 3; i++)
            c += c3[i * 3 + perms[p][i]] / 3;
        best = fmin(best, c);
    }
    CHECK_CLOSE(mb_stats_ot_cost(3, 3, u, u, c3), best, 1e-12, 1e-12, "OT 3x3 assignment");
    /* unequal sizes with a zero weight: supply 1 to demands (0.25, 0.75, 0) */
    double one = 1, d3[3] = {0.25, 0.75, 0}, c13[3] = {2, 4, 0};
    CHECK_CLOSE(mb_stats_ot_cost(1, 3, &one, d3, c13), 0.5 + 3.0, 1e-12, 1e-12,
                "OT 1x3 with a zero demand");
}

static void test_mixture_w2(void)
{
    /* K = 1: MW2 equals the Gaussian W2 */
    mb_stats_model a, b;
    CHECK(mb_stats_original_gaussian(&a, 2, 1.0, 2.0, 0.3) == MB_OK, "model");
    CHECK(mb_stats_original_gaussian(&b, 2, -1.0, 1.0, -0.2) == MB_OK, "model");
    double rb[4];
    mb_stats_sqrtm(2, b.cov, rb);
    double w2 = sqrt(mb_stats_gauss_w2_sq(2, a.mean, a.cov, b.mean, b.cov, rb));
    CHECK_CLOSE(mb_stats_mixture_w2(&a, &b, rb), w2, 1e-12, 1e-12, "MW2 with K = 1");
    mb_stats_model_free(&a);
    mb_stats_model_free(&b);
    /* Two mixtures with the same components and different weights: MW2^2 moves the
     * weight difference between components at their W2^2 = |dm|^2 (equal covs). */
    const double w1[2] = {0.5, 0.5}, w2v[2] = {0.8, 0.2};
    CHECK(mb_stats_original_gmm(&a, 1, 2, w1, 3.0, 1.0) == MB_OK, "gmm");
    CHECK(mb_stats_original_gmm(&b, 1, 2, w2v, 3.0, 1.0) == MB_OK, "gmm");
    double roots[2] = {1, 1};
    CHECK_CLOSE(mb_stats_mixture_w2(&a, &b, roots), sqrt(0.3 * 36.0), 1e-12, 1e-12,
                "MW2 of reweighted mixtures");
    CHECK_CLOSE(mb_stats_mixture_w2(&a, &a, roots), 0, 1e-12, 0, "MW2 to itself");
    mb_stats_model_free(&a);
    mb_stats_model_free(&b);
}

static void test_algebra(void)
{
    double s[9] = {4, 2, 0.4, 2, 5, 1, 0.4, 1, 3}, l[9];
    CHECK(mb_stats_cholesky(3, s, l) == 0, "cholesky of a positive definite matrix");
    for (int i = 0; i < 3; i++)
        for (int j = 0; j < 3; j++) {
            double acc = 0;
            for (int k = 0; k < 3; k++)
                acc += l[i * 3 + k] * l[j * 3 + k];
            CHECK_CLOSE(acc, s[i * 3 + j], 1e-12, 1e-12, "L L^T");
        }
    double det = 4 * (5 * 3 - 1) - 2 * (2 * 3 - 0.4) + 0.4 * (2 - 5 * 0.4);
    CHECK_CLOSE(mb_stats_det(3, s), det, 1e-12, 1e-12, "det");
    double singular[4] = {1, 1, 1, 1};
    CHECK(mb_stats_cholesky(2, singular, l) == 1 && l[3] == 0, "semi-definite: one zero pivot");
    double negative[4] = {1, 2, 2, 1};
    CHECK(mb_stats_cholesky(2, negative, l) == -1, "indefinite matrix rejected");
    /* digamma(1) = -gamma, digamma(1/2) = -gamma - 2 ln 2, digamma(x+1) = digamma(x) + 1/x */
    const double euler = 0.57721566490153286;
    CHECK_CLOSE(mb_stats_digamma(1), -euler, 1e-12, 0, "digamma(1)");
    CHECK_CLOSE(mb_stats_digamma(0.5), -euler - 2 * log(2.0), 1e-12, 0, "digamma(1/2)");
    CHECK_CLOSE(mb_stats_digamma(9.5), mb_stats_digamma(8.5) + 1 / 8.5, 1e-12, 0, "recurrence");
    /* c4(2) = sqrt(2/pi), c4(3) = sqrt(pi)/2 */
    CHECK_CLOSE(mb_stats_c4(2), sqrt(2 / 3.141592653589793), 1e-12, 1e-12, "c4(2)");
    CHECK_CLOSE(mb_stats_c4(3), sqrt(3.141592653589793) / 2, 1e-12, 1e-12, "c4(3)");
}

int main(void)
{
    test_gauss_w2();
    test_ot();
    test_mixture_w2();
    test_algebra();
    return mb_test_finish("test_stats_toy_w2");
}
