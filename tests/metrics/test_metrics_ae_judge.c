/* test_metrics_ae_judge.c — the autoencoder judge's features are standardised with
 * the real training set's per-coordinate mean and std (issue 17), so that FD and
 * KID of real against real data sit at the level of sampling noise on any data
 * set:
 *   - on the training set every used coordinate has mean 0 and std 1;
 *   - the cached judge gives the same features, and its file names the feature
 *     definition ("judge-ae-std-"), so a judge cached under the raw definition is
 *     never read;
 *   - FD of two independent real sets of N images is below a bound from N and d:
 *     for two samples of N from one Gaussian with covariance I (the standardised
 *     scale), E[FD] ~ 2d / N (means) + d (d + 1) / (2N) (covariances, second order);
 *     the bound allows 3x that for features that are not Gaussian;
 *   - KID of the same two sets: |mean| < 3 std over its subsets.
 * The judge is trained briefly (1 epoch): real-vs-real noise does not depend on
 * how good the judge is, only on N, d and the scale. */
#include "mb_judge.h"
#include "mb_metrics.h"
#include "testutil.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

enum { N = 2000 };

static void real_vs_real(mb_backend *be, int colour, const char *cache)
{
    const char *name = colour ? "shapes32" : "shapes";
    mb_shapes_options o = {0};
    o.size = colour ? 32 : 28;
    o.channels = colour ? 3 : 1;
    mb_dataset train, a, b;
    CHECK(mb_shapes_generate(&train, N, 1, &o) == MB_OK && mb_shapes_generate(&a, N, 2, &o) ==
              MB_OK && mb_shapes_generate(&b, N, 3, &o) == MB_OK, "%s", mb_last_error());
    mb_judge_config cfg;
    mb_judge_config_default(&cfg);
    cfg.ae_epochs = 1;
    cfg.cache_dir = cache;
    mb_judge j;
    CHECK(mb_judge_prepare(&j, be, MB_FEATURES_JUDGE, &cfg, &train, NULL) == MB_OK, "%s",
          mb_last_error());
    CHECK(j.is_ae && j.standardised, "%s: a standardised autoencoder judge", name);
    CHECK(strstr(j.cache_path, "/judge-ae-std-") != NULL, "cache file %s names the definition",
          j.cache_path);
    const int d = j.dim;
    mb_real *ft = be->alloc(be, (size_t)N * d * sizeof(mb_real));
    mb_real *fa = be->alloc(be, (size_t)N * d * sizeof(mb_real));
    mb_real *fb = be->alloc(be, (size_t)N * d * sizeof(mb_real));
    mb_real *host = malloc((size_t)N * d * sizeof *host);
    CHECK(mb_judge_features(&j, &train, ft, NULL) == MB_OK, "%s", mb_last_error());
    be->download(be, host, ft, (size_t)N * d * sizeof *host);
    double worst_mean = 0, worst_std = 0;
    int used = 0;
    for (int c = 0; c < d; c++) {
        double m = 0, v = 0;
        for (int i = 0; i < N; i++)
            m += host[(size_t)i * d + c] / (double)N;
        for (int i = 0; i < N; i++)
            v += (host[(size_t)i * d + c] - m) * (host[(size_t)i * d + c] - m) / (N - 1.0);
        if (v == 0) /* a coordinate the encoder does not use: scale 0 */
            continue;
        used++;
        worst_mean = fmax(worst_mean, fabs(m));
        worst_std = fmax(worst_std, fabs(sqrt(v) - 1));
    }
    CHECK(used >= d / 2 && worst_mean < 1e-4 && worst_std < 1e-4,
          "%s: %d of %d coordinates used, largest |mean| %g, largest |std - 1| %g", name, used, d,
          worst_mean, worst_std);
    mb_judge_destroy(&j);

    /* the cached judge: the same features, bit for bit */
    CHECK(mb_judge_prepare(&j, be, MB_FEATURES_JUDGE, &cfg, &train, NULL) == MB_OK &&
              j.from_cache, "%s: judge from the cache: %s", name, mb_last_error());
    mb_real *again = malloc((size_t)N * d * sizeof *again);
    CHECK(mb_judge_features(&j, &train, fa, NULL) == MB_OK, "%s", mb_last_error());
    be->download(be, again, fa, (size_t)N * d * sizeof *again);
    CHECK(memcmp(again, host, (size_t)N * d * sizeof *host) == 0, "%s: cached features differ",
          name);
    free(again);

    CHECK(mb_judge_features(&j, &a, fa, NULL) == MB_OK &&
              mb_judge_features(&j, &b, fb, NULL) == MB_OK, "%s", mb_last_error());
    mb_metrics_options opt;
    mb_metrics_options_default(&opt);
    opt.kid_subset_size = 500;
    mb_metrics_ref *ref = NULL;
    mb_metrics_result r;
    CHECK(mb_metrics_ref_create(&ref, be, fa, N, d, NULL, 0, NULL, &opt) == MB_OK, "%s",
          mb_last_error());
    CHECK(mb_metrics_compare(ref, fb, N, NULL, NULL, &r) == MB_OK, "%s", mb_last_error());
    const double expected = 2.0 * used / N + used * (used + 1.0) / (2.0 * N);
    printf("%s real vs real (N = %d, d = %d used of %d): FD %.4f (Gaussian noise level %.4f, "
           "bound %.4f), KID %.3g +- %.3g, tail99_on %.4f, off_manifold %.4f\n", name, N, used,
           d, r.fd, expected, 3 * expected, r.kid_mean, r.kid_std, r.tail99_on, r.off_manifold);
    CHECK(r.fd < 3 * expected, "%s: FD real vs real %g above 3 x %g", name, r.fd, expected);
    CHECK(fabs(r.kid_mean) < 3 * r.kid_std, "%s: KID real vs real %g, std %g", name, r.kid_mean,
          r.kid_std);
    mb_metrics_ref_destroy(ref);
    mb_judge_destroy(&j);
    be->free(be, ft);
    be->free(be, fa);
    be->free(be, fb);
    free(host);
    mb_dataset_free(&train);
    mb_dataset_free(&a);
    mb_dataset_free(&b);
}

int main(void)
{
    mb_set_quiet(1);
    mb_backend *be = mb_backend_cpu_create();
    char cache[] = "/tmp/mb_ae_judge_test_XXXXXX";
    if (!be || !mkdtemp(cache)) {
        fprintf(stderr, "setup failed: %s\n", mb_last_error());
        return 1;
    }
    real_vs_real(be, 0, cache);
    real_vs_real(be, 1, cache);
    char cmd[600];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", cache);
    if (system(cmd))
        fprintf(stderr, "could not remove %s\n", cache);
    mb_backend_destroy(be);
    return mb_test_finish("test_metrics_ae_judge");
}
