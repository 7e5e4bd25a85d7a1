/* test_metrics_tails.c — the on-manifold tail shares of the metric suite on
 * constructed sets whose answer is known (issue 17): the reference set against
 * a second sample of the same Gaussian (tail99_on near 0.01), a Gaussian with its
 * tails cut off (no tail at all), and a Gaussian plus far-away junk (the junk
 * raises off_manifold and the raw tail, not the on-manifold tail); and when a
 * set counts as far from the real data (the generation-1 warning). */
#include "mb_metrics.h"
#include "mb_philox.h"
#include "testutil.h"

#include <math.h>
#include <stdlib.h>

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

static void compare(mb_metrics_ref *ref, const double *host, mb_metrics_result *r)
{
    mb_real *x = upload(host, N);
    CHECK(mb_metrics_compare(ref, x, N, NULL, NULL, r) == MB_OK, "%s", mb_last_error());
    be->free(be, x);
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

    mb_metrics_ref_destroy(ref);
    be->free(be, real);
    free(host);
    mb_backend_destroy(be);
    return mb_test_finish("test_metrics_tails");
}
