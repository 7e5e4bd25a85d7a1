/* test_metrics_tails.c — the on-manifold tail shares of the metric suite on
 * constructed sets whose answer is known (issue 17): the reference set against
 * a second sample of the same Gaussian (tail99_on near 0.01), a Gaussian with its
 * tails cut off (no tail at all), a Gaussian plus far-away junk (the junk
 * raises off_manifold and the raw tail, not the on-manifold tail), junk inside the
 * ball of a real outlier (precision counts it; the on-manifold tail, which uses
 * only the balls of real inliers, does not), malformed samples (never a tail);
 * the inliers of a set worked out by hand; and when a set counts as far from the
 * real data (the generation-1 warning). */
#include "mb_metrics.h"
#include "mb_philox.h"
#include "testutil.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

/* Three dimensions, like the few intrinsic dimensions of real image features
 * (fashion-mnist judge features, real test vs train, 5000 each: tail99 0.016,
 * tail99_on 0.008). In 8 isotropic dimensions even real tail samples mostly lie
 * outside the k-NN balls (tail99_on 0.001 of 0.01): the criterion needs data on
 * a low-dimensional manifold, as images are. */
enum { N = 4000, D = 3 };
/* chi-square(3) quantile 0.90: a cut well inside the real p95 radius (7.81) */
#define CUT_R2 6.251

static mb_backend *be;

/* Backend [n, D] mb_real features from host rows. */
static mb_real *upload(const double *host, int n)
{
    mb_real *tmp = malloc((size_t)n * D * sizeof *tmp);
    for (size_t i = 0; i < (size_t)n * D; i++)
        tmp[i] = (mb_real)host[i];
    mb_real *x = be->alloc(be, (size_t)n * D * sizeof(mb_real));
    be->upload(be, x, tmp, (size_t)n * D * sizeof(mb_real));
    free(tmp);
    return x;
}

/* Row i of a standard normal stream, drawn again (next index) while its squared
 * radius is at least max_r2 (rejection: a Gaussian with its tails cut). */
static void normal_rows(double *out, int n, uint64_t seed, double max_r2)
{
    uint64_t k = 0;
    for (int i = 0; i < n; i++) {
        double r2;
        do {
            r2 = 0;
            for (int j = 0; j < D; j++) {
                out[(size_t)i * D + j] = mb_normal_at(seed, k++);
                r2 += out[(size_t)i * D + j] * out[(size_t)i * D + j];
            }
        } while (r2 >= max_r2);
    }
}

/* The inliers of a small set, worked out by hand: 0, 1, 2.5, 4.5, 7, 10 on a line
 * (gaps 1, 1.5, 2, 2.5, 3) and an outlier at 50, k = 2 (squared radii 6.25, 2.25,
 * 4, 6.25, 9, 30.25, 1849). Strictly inside another's ball: 0 in 1's; 1 in 0's and
 * 2.5's; 2.5 in 4.5's; 4.5 in 7's; 7 in 10's; 10 in the outlier's; 50 in none. */
static void test_inliers(void)
{
    enum { n = 7, k = 2 };
    const double host[n] = {0, 1, 2.5, 4.5, 7, 10, 50};
    const double sq_radius[n] = {6.25, 2.25, 4, 6.25, 9, 30.25, 1849};
    double radius[n];
    double *x = be->alloc(be, sizeof host), *sq = be->alloc(be, sizeof host);
    double *inlier = be->alloc(be, sizeof host);
    be->upload(be, x, host, sizeof host);
    CHECK(mb_knn_sq_radii(be, x, n, 1, k, sq, NULL) == MB_OK, "%s", mb_last_error());
    for (int balls = 1; balls <= 2; balls++) {
        CHECK(mb_knn_inlier_sq_radii(be, x, n, 1, sq, balls, inlier) == MB_OK, "%s",
              mb_last_error());
        be->download(be, radius, inlier, sizeof radius);
        for (int i = 0; i < n; i++) {
            /* one other ball: all but 50; two: only 1 */
            const int kept = balls == 1 ? i < n - 1 : i == 1;
            CHECK(radius[i] == (kept ? sq_radius[i] : -1),
                  "at least %d other balls: point %g has squared radius %g (expected %g)", balls,
                  host[i], radius[i], kept ? sq_radius[i] : -1);
        }
    }
    be->free(be, x);
    be->free(be, sq);
    be->free(be, inlier);
}

/* attr (host [N] or NULL): the shapes attribute, NaN where malformed. */
static void compare_attr(mb_metrics_ref *ref, const double *host, const float *attr,
                         mb_metrics_result *r)
{
    mb_real *x = upload(host, N);
    CHECK(mb_metrics_compare(ref, x, N, NULL, attr, r) == MB_OK, "%s", mb_last_error());
    be->free(be, x);
}

static void compare(mb_metrics_ref *ref, const double *host, mb_metrics_result *r)
{
    compare_attr(ref, host, NULL, r);
}

static mb_metrics_ref *make_ref(const double *host, const mb_metrics_options *opt)
{
    mb_real *x = upload(host, N);
    mb_metrics_ref *ref = NULL;
    CHECK(mb_metrics_ref_create(&ref, be, x, N, D, NULL, 0, NULL, opt) == MB_OK, "%s",
          mb_last_error());
    be->free(be, x);
    return ref;
}

/* Junk inside the ball of a real outlier: the reference is the Gaussian with one
 * sample moved far out to (8, 0, 0); its k-NN ball (radius about 5) reaches into
 * empty space, and 25% of the generated set is junk placed in that space, next to
 * no other real sample. Precision's test counts the junk as on the manifold; the
 * on-manifold tail, which uses only the balls of real inliers, does not. */
static void test_junk_in_outlier_ball(const mb_metrics_options *opt, double *host)
{
    normal_rows(host, N, 71, INFINITY);
    host[0] = 8.0;
    host[1] = host[2] = 0.0;
    mb_metrics_ref *ref = make_ref(host, opt);
    const int n_junk = N / 4;
    normal_rows(host, N, 76, INFINITY);
    for (int i = 0; i < n_junk; i++) {
        host[(size_t)i * D] = 8.0 + 0.3 * host[(size_t)i * D];
        host[(size_t)i * D + 1] = 2.5 + 0.3 * host[(size_t)i * D + 1];
        host[(size_t)i * D + 2] = 0.3 * host[(size_t)i * D + 2];
    }
    mb_metrics_result r;
    compare(ref, host, &r);
    printf("junk in an outlier's ball: precision %.4f tail99 %.4f tail99_on %.4f tail95_on "
           "%.4f\n", r.prdc.precision, r.tail99, r.tail99_on, r.tail95_on);
    CHECK(r.prdc.precision > 0.9, "the junk should lie inside the outlier's ball (precision %g)",
          r.prdc.precision);
    CHECK(r.tail99 >= 0.25, "junk in the outlier's ball: raw tail99 %g", r.tail99);
    CHECK_CLOSE(r.tail99_on, 0.75 * 0.01, 0.005, 0, "junk in the outlier's ball: tail99_on");
    CHECK_CLOSE(r.tail95_on, 0.75 * 0.05, 0.012, 0, "junk in the outlier's ball: tail95_on");
    mb_metrics_ref_destroy(ref);
}

/* Malformed samples (shapes: attribute NaN) are never on-manifold tails, wherever
 * they lie: the real sample again, with every sample beyond the real p95 radius
 * marked malformed, then none. */
static void test_malformed_not_tail(mb_metrics_ref *ref, double *host)
{
    float *attr = malloc(N * sizeof *attr);
    normal_rows(host, N, 72, INFINITY);
    for (int i = 0; i < N; i++)
        attr[i] = 6.0f;
    mb_metrics_result r;
    compare_attr(ref, host, attr, &r);
    const double on95 = r.tail95_on, on99 = r.tail99_on;
    for (int i = 0; i < N; i++) {
        double r2 = 0;
        for (int j = 0; j < D; j++)
            r2 += host[(size_t)i * D + j] * host[(size_t)i * D + j];
        if (r2 > 6.0) /* every sample of the real p95 tail (chi-square(3) 0.95: 7.81) */
            attr[i] = NAN;
    }
    compare_attr(ref, host, attr, &r);
    printf("malformed tail: tail95 %.4f tail95_on %.4f (well formed: %.4f)\n", r.tail95,
           r.tail95_on, on95);
    CHECK(on95 > 0.03 && on99 > 0.004, "well formed: tail95_on %g tail99_on %g", on95, on99);
    CHECK(r.tail95 > 0.03 && r.tail95_on == 0 && r.tail99_on == 0,
          "malformed tail samples: tail95 %g tail95_on %g tail99_on %g", r.tail95, r.tail95_on,
          r.tail99_on);
    free(attr);
}

/* Generation 1 judged far by its malformed share (shapes): a reference with
 * attributes (all well formed), then generated sets whose samples are the real
 * ones, 11% and 75% of them malformed. Precision and recall stay high; only the
 * malformed share (over MB_FAR_MALFORMED) decides. */
static void test_far_malformed(const mb_metrics_options *opt, double *host)
{
    float *attr = malloc(N * sizeof *attr);
    normal_rows(host, N, 76, INFINITY);
    for (int i = 0; i < N; i++)
        attr[i] = 6.0f;
    mb_real *x = upload(host, N);
    mb_metrics_ref *ref = NULL;
    CHECK(mb_metrics_ref_create(&ref, be, x, N, D, NULL, 0, attr, opt) == MB_OK, "%s",
          mb_last_error());
    be->free(be, x);
    normal_rows(host, N, 77, INFINITY);
    mb_metrics_result r;
    char why[200];
    for (int share = 0; share < 2; share++) {
        for (int i = 0; i < N; i++)
            attr[i] = (share ? i % 4 : i % 9 == 0) ? NAN : 6.0f;
        compare_attr(ref, host, attr, &r);
        const int far = mb_metrics_far_from_real(&r, why, sizeof why);
        printf("malformed %.3f: off_manifold %.4f recall %.4f far %d (%s)\n", r.attr.malformed,
               r.off_manifold, r.prdc.recall, far, why);
        CHECK(r.has_attr && far == share && strstr(why, share ? "malformed 0.750 > 0.50"
                                                              : "malformed 0.111 <= 0.50"),
              "malformed %g: far %d: %s", r.attr.malformed, far, why);
    }
    mb_metrics_ref_destroy(ref);
    free(attr);
}

int main(void)
{
    be = mb_backend_cpu_create();
    if (!be) {
        fprintf(stderr, "%s\n", mb_last_error());
        return 1;
    }
    double *host = malloc((size_t)N * D * sizeof *host);
    normal_rows(host, N, 71, INFINITY);
    mb_real *real = upload(host, N);
    mb_metrics_options opt;
    mb_metrics_options_default(&opt);
    opt.kid_subsets = 10;
    mb_metrics_ref *ref = NULL;
    CHECK(mb_metrics_ref_create(&ref, be, real, N, D, NULL, 0, NULL, &opt) == MB_OK, "%s",
          mb_last_error());
    mb_metrics_result r;

    /* The same distribution: the raw tails are 0.05 / 0.01 up to sampling noise
     * (binomial std 0.0035 / 0.0016 at N = 4000), and real tail samples lie in the
     * manifold of the real set, as any real sample mostly does. */
    normal_rows(host, N, 72, INFINITY);
    compare(ref, host, &r);
    printf("real vs real: tail95 %.4f tail99 %.4f tail95_on %.4f tail99_on %.4f "
           "off_manifold %.4f precision %.4f\n", r.tail95, r.tail99, r.tail95_on, r.tail99_on,
           r.off_manifold, r.prdc.precision);
    CHECK_CLOSE(r.tail99, 0.01, 0.005, 0, "real vs real: raw tail99");
    CHECK_CLOSE(r.tail99_on, 0.01, 0.005, 0, "real vs real: tail99_on");
    CHECK_CLOSE(r.tail95_on, 0.05, 0.012, 0, "real vs real: tail95_on");
    CHECK(r.tail99_on <= r.tail99 && r.tail95_on <= r.tail95, "on-manifold tails exceed raw");
    CHECK_CLOSE(r.off_manifold, 1 - r.prdc.precision, 1e-12, 0, "off_manifold = 1 - precision");
    CHECK(r.off_manifold < 0.1, "real vs real: off_manifold %g", r.off_manifold);
    const double off_real = r.off_manifold;
    char why[160];
    CHECK(!mb_metrics_far_from_real(&r, why, sizeof why), "real vs real judged far: %s", why);

    /* Tails cut at r^2 < 6.25 (the chi-square(3) 0.90 quantile): nothing lies
     * beyond the real p95 radius, on the manifold or off it. */
    normal_rows(host, N, 73, CUT_R2);
    compare(ref, host, &r);
    printf("tails cut:    tail95 %.4f tail99 %.4f tail95_on %.4f tail99_on %.4f "
           "off_manifold %.4f\n", r.tail95, r.tail99, r.tail95_on, r.tail99_on, r.off_manifold);
    CHECK(r.tail95 == 0 && r.tail95_on == 0 && r.tail99_on == 0,
          "tails cut: tail95 %g tail95_on %g tail99_on %g", r.tail95, r.tail95_on, r.tail99_on);
    CHECK(r.off_manifold < off_real + 0.02, "tails cut: off_manifold %g", r.off_manifold);

    /* 75% the real Gaussian, 25% junk around (6, 6, 6) (r^2 near 108): the raw
     * tail counts the junk, the on-manifold tail does not, off_manifold does. */
    const int n_junk = N / 4;
    normal_rows(host, N, 74, INFINITY);
    for (size_t i = 0; i < (size_t)n_junk * D; i++)
        host[i] = 6.0 + 0.3 * host[i];
    compare(ref, host, &r);
    printf("junk 25%%:     tail95 %.4f tail99 %.4f tail95_on %.4f tail99_on %.4f "
           "off_manifold %.4f\n", r.tail95, r.tail99, r.tail95_on, r.tail99_on, r.off_manifold);
    CHECK(r.tail99 >= 0.25, "junk: raw tail99 %g counts the junk", r.tail99);
    CHECK_CLOSE(r.tail99_on, 0.75 * 0.01, 0.005, 0, "junk: tail99_on");
    CHECK_CLOSE(r.tail95_on, 0.75 * 0.05, 0.012, 0, "junk: tail95_on");
    CHECK(r.off_manifold >= 0.25 && r.off_manifold <= 0.25 + 0.75 * off_real + 0.02,
          "junk: off_manifold %g (junk 0.25, real part %g)", r.off_manifold, off_real);

    CHECK(!mb_metrics_far_from_real(&r, why, sizeof why), "25%% junk judged far: %s", why);

    /* What an undertrained generation 1 looks like. All junk: off the manifold. */
    for (size_t i = 0; i < (size_t)N * D; i++)
        host[i] = 6.0 + 0.3 * host[i];
    compare(ref, host, &r);
    CHECK(r.off_manifold == 1 && mb_metrics_far_from_real(&r, why, sizeof why),
          "all junk: off_manifold %g, judged far: %s", r.off_manifold, why);
    /* Gray blobs near the mean: on the manifold (precision 1) but covering almost
     * none of it, so recall is near 0. */
    normal_rows(host, N, 75, INFINITY);
    for (size_t i = 0; i < (size_t)N * D; i++)
        host[i] *= 0.02;
    compare(ref, host, &r);
    printf("blobs at the mean: off_manifold %.4f recall %.4f\n", r.off_manifold, r.prdc.recall);
    CHECK(r.off_manifold < 0.01 && r.prdc.recall < MB_FAR_RECALL &&
              mb_metrics_far_from_real(&r, why, sizeof why),
          "blobs: off_manifold %g, recall %g, judged far: %s", r.off_manifold, r.prdc.recall, why);

    test_inliers();
    test_malformed_not_tail(ref, host);
    test_junk_in_outlier_ball(&opt, host);
    test_far_malformed(&opt, host);

    mb_metrics_ref_destroy(ref);
    be->free(be, real);
    free(host);
    mb_backend_destroy(be);
    return mb_test_finish("test_metrics_tails");
}
