/* Curation stages: the watermark's measured TPR on marked Fashion-MNIST images and
 * FPR on real ones; keep_best drops exactly the worst share; systematic resampling
 * follows the weights; the run configuration parses, refuses bad values and
 * reads back what it writes. */
#include "../../src/loop/loop_internal.h"
#include "testutil.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static void test_watermark(void)
{
    mb_dataset ds = {0}, marked = {0};
    mb_data_options opt = {.split = MB_SPLIT_TEST, .max_images = 2000};
    CHECK(mb_dataset_load(&ds, "fashion-mnist", &opt) == MB_OK, "load: %s", mb_last_error());
    const size_t per = 784;
    float *pattern = malloc(per * sizeof *pattern);
    double *score = malloc((size_t)ds.n * sizeof *score);
    mb_watermark_pattern(20231001, per, pattern);
    double sum = 0;
    for (size_t i = 0; i < per; i++)
        sum += pattern[i];
    CHECK(sum == 0, "pattern mean is %g, expected exactly 0", sum / per);

    int *idx = malloc((size_t)ds.n * sizeof *idx);
    for (int i = 0; i < ds.n; i++)
        idx[i] = i;
    mb_loop_select(&marked, &ds, idx, ds.n);
    mb_watermark_embed(&marked, pattern, 0.08);
    mb_watermark_scores(&ds, pattern, score);
    int false_pos = 0, true_pos = 0;
    for (int i = 0; i < ds.n; i++)
        false_pos += score[i] > 0.1;
    mb_watermark_scores(&marked, pattern, score);
    for (int i = 0; i < ds.n; i++)
        true_pos += score[i] > 0.1;
    const double tpr = (double)true_pos / ds.n, fpr = (double)false_pos / ds.n;
    printf("watermark eps 0.08, threshold 0.1: TPR %.4f, FPR %.4f on %d images\n", tpr, fpr, ds.n);
    CHECK(tpr >= 0.99, "TPR %.4f below 0.99 on marked images", tpr);
    CHECK(fpr <= 0.005, "FPR %.4f above 0.005 on real images", fpr);
    /* a different key does not detect the mark */
    mb_watermark_pattern(777, per, pattern);
    mb_watermark_scores(&marked, pattern, score);
    int other = 0;
    for (int i = 0; i < ds.n; i++)
        other += score[i] > 0.1;
    CHECK(other <= ds.n / 200, "%d images flagged under a wrong key", other);
    free(pattern), free(score), free(idx);
    mb_dataset_free(&ds);
    mb_dataset_free(&marked);
}

static void test_keep_and_resample(void)
{
    enum { N = 1000 };
    double score[N], weight[N];
    unsigned char keep[N];
    for (int i = 0; i < N; i++)
        score[i] = (i * 7919) % N; /* a permutation of 0..N-1 */
    mb_loop_keep_best(score, N, 0.2, keep);
    int kept = 0, wrong = 0;
    for (int i = 0; i < N; i++) {
        kept += keep[i];
        wrong += keep[i] != (score[i] >= 200);
    }
    CHECK(kept == 800 && wrong == 0, "keep_best kept %d (%d wrong), expected the best 800", kept,
          wrong);
    for (int i = 0; i < N; i++)
        score[i] = i % 2; /* ties: half 0, half 1; drop 30% = all of 300 zeros */
    mb_loop_keep_best(score, N, 0.3, keep);
    kept = 0;
    for (int i = 0; i < N; i++)
        kept += keep[i];
    CHECK(kept == 700, "keep_best with ties kept %d, expected 700", kept);

    /* weights 1 and 3: the heavy half gets 3/4 of the draws, exactly up to 1 */
    int idx[N], heavy = 0;
    for (int i = 0; i < N; i++)
        weight[i] = i < N / 2 ? 1 : 3;
    mb_loop_resample(weight, N, 99, idx);
    for (int i = 0; i < N; i++)
        heavy += idx[i] >= N / 2;
    CHECK(abs(heavy - 750) <= 1, "resampling drew %d of %d from the heavy half, expected 750",
          heavy, N);
    int sorted = 1;
    for (int i = 1; i < N; i++)
        sorted &= idx[i] >= idx[i - 1];
    CHECK(sorted, "systematic resampling indices are not monotone");
}

static void test_config(void)
{
    mb_run_config c, back;
    mb_run_config_default(&c);
    CHECK(mb_run_config_set(&c, "loop.type", "fresh-data", "test") == MB_OK, "set loop.type");
    CHECK(mb_run_config_set(&c, "loop.real_fraction", "0.25", "test") == MB_OK, "set fraction");
    CHECK(mb_run_config_set(&c, "model.lr", "0.002", "test") == MB_OK, "set lr");
    CHECK(c.type == MB_LOOP_FRESH_DATA && c.real_fraction == 0.25 && c.model.adam.lr == 0.002f,
          "values not applied");
    CHECK(mb_run_config_set(&c, "loop.type", "sideways", "test") == MB_EINPUT &&
          strstr(mb_last_error(), "fully-synthetic"), "bad enum accepted or unhelpful: %s",
          mb_last_error());
    CHECK(mb_run_config_set(&c, "run.generations", "0", "test") == MB_EINPUT, "0 generations accepted");
    CHECK(mb_run_config_set(&c, "run.generations", "2.5", "test") == MB_EINPUT, "2.5 generations accepted");
    CHECK(mb_run_config_set(&c, "model.nonsense", "1", "test") == MB_EINPUT &&
          strstr(mb_last_error(), "model.nonsense"), "unknown key accepted: %s", mb_last_error());
    mb_run_config bad = c;
    bad.type = MB_LOOP_FULLY_SYNTHETIC;
    CHECK(mb_run_config_check(&bad) == MB_EINPUT, "real_fraction with a fully synthetic loop accepted");

    char path[] = "/tmp/mb_test_config_XXXXXX";
    close(mkstemp(path));
    CHECK(mb_run_config_write(&c, path) == MB_OK, "write: %s", mb_last_error());
    mb_run_config_default(&back);
    CHECK(mb_run_config_load(&back, path) == MB_OK, "load: %s", mb_last_error());
    CHECK(!memcmp(&back, &c, sizeof c), "the written config does not read back identically");
    FILE *f = fopen(path, "w");
    fputs("[model]\nepochs = many\n", f);
    fclose(f);
    CHECK(mb_run_config_load(&back, path) == MB_EINPUT && strstr(mb_last_error(), path) &&
          strstr(mb_last_error(), "model.epochs"), "bad file value: %s", mb_last_error());
    unlink(path);
}

int main(void)
{
    test_watermark();
    test_keep_and_resample();
    test_config();
    return mb_test_finish("test_loop_curate");
}
