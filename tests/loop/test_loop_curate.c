/* Curation stages: the watermark's measured TPR on marked Fashion-MNIST images and
 * FPR on real ones; the shared threshold count; keep_best drops exactly the worst
 * share; systematic resampling follows the weights; the stage table's order and
 * a curation through it (detector, quota, replace and accumulate); the run
 * configuration parses, refuses bad values and reads back what it writes. */
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
    const long false_pos = mb_loop_count_above(score, ds.n, 0.1, NULL, NULL);
    long true_pos = 0, dropped = 0;
    CHECK(mb_watermark_check(&marked, pattern, 0.1, NULL, &dropped, &true_pos) == MB_OK, "%s",
          mb_last_error());
    const double tpr = (double)true_pos / ds.n, fpr = (double)false_pos / ds.n;
    printf("watermark eps 0.08, threshold 0.1: TPR %.4f, FPR %.4f on %d images\n", tpr, fpr, ds.n);
    CHECK(tpr >= 0.99, "TPR %.4f below 0.99 on marked images", tpr);
    CHECK(fpr <= 0.005, "FPR %.4f above 0.005 on real images", fpr);
    /* a different key does not detect the mark */
    mb_watermark_pattern(777, per, pattern);
    long other = 0;
    CHECK(mb_watermark_check(&marked, pattern, 0.1, NULL, NULL, &other) == MB_OK, "%s",
          mb_last_error());
    CHECK(other <= ds.n / 200, "%ld images flagged under a wrong key", other);
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

static void test_count_above(void)
{
    const double score[6] = {0.05, 0.2, 0.1, 0.3, NAN, 0.11};
    unsigned char keep[6] = {1, 0, 1, 1, 1, 1};
    long dropped = 5;
    CHECK(mb_loop_count_above(score, 6, 0.1, NULL, NULL) == 3, "3 scores exceed 0.1");
    CHECK(mb_loop_count_above(score, 6, 0.1, keep, &dropped) == 3, "the count with keep flags");
    CHECK(dropped == 7, "dropped grows by the 2 still kept, got %ld", dropped - 5);
    const unsigned char want[6] = {1, 0, 1, 0, 1, 0};
    CHECK(!memcmp(keep, want, 6), "keep flags %d%d%d%d%d%d", keep[0], keep[1], keep[2], keep[3],
          keep[4], keep[5]);
}

/* n images of origin `origin` (pixels i / n, so that samples differ). */
static void make_set(mb_dataset *ds, int n, int origin)
{
    CHECK(mb_dataset_alloc(ds, n, 1, 2, 2, 0, 0) == MB_OK, "%s", mb_last_error());
    for (int i = 0; i < n; i++) {
        ds->origin[i] = (int16_t)origin;
        for (int p = 0; p < 4; p++)
            ds->images[i * 4 + p] = (float)i / n;
    }
}

static void test_stages(void)
{
    const char *order[] = {"mark", "provenance detector", "watermark screen", "filter",
                           "reweight", "quota trim", "pool composition"};
    CHECK(mb_n_curation_stages == 7, "%d stages", mb_n_curation_stages);
    for (int s = 0; s < mb_n_curation_stages && s < 7; s++) {
        const mb_curation_stage *st = &mb_curation_stages[s];
        CHECK(!strcmp(st->name, order[s]), "stage %d is '%s', expected '%s'", s, st->name,
              order[s]);
        CHECK(st->on_real == (s == 1 || s == 2), "stage '%s' on real images: %d", st->name,
              st->on_real);
        char keys[256]; /* every named key is a config key */
        snprintf(keys, sizeof keys, "%s", st->keys);
        for (char *k = strtok(keys, ", "); k; k = strtok(NULL, ", ")) {
            mb_run_config c;
            mb_run_config_default(&c);
            CHECK(mb_run_config_set(&c, k, "1", "test") == MB_OK ||
                  !strstr(mb_last_error(), "unknown key"), "stage '%s': key %s: %s", st->name, k,
                  mb_last_error());
        }
    }

    /* detector (tpr 0.5) then the quota (100 real, real_fraction 0.5: 50 synthetic) */
    mb_run_config c;
    mb_run_config_default(&c);
    c.type = MB_LOOP_SYNTHETIC_AUGMENTATION, c.real_fraction = 0.5, c.n_real = 100;
    c.detector = 1, c.detector_tpr = 0.5, c.detector_fpr = 0.25;
    mb_generation_info info = {.reweight_unique = -1};
    mb_dataset pool = {0};
    mb_curation cu = {.cfg = &c, .g = 1, .synthetic = 1, .pool = &pool, .info = &info};
    make_set(&cu.set, 120, 1);
    CHECK(mb_loop_curate(&cu) == MB_OK, "curate: %s", mb_last_error());
    const long kept = 120 - info.detector_dropped[1];
    CHECK(info.detector_dropped[1] > 30 && info.detector_dropped[1] < 90,
          "detector at tpr 0.5 dropped %ld of 120", info.detector_dropped[1]);
    CHECK(pool.n == (kept < 50 ? kept : 50), "pool of %d, expected min(%ld, 50)", pool.n, kept);
    CHECK(cu.set.n == 0 && !cu.keep && !cu.ids, "S_g moved into the pool");
    /* accumulate: generation 2's curated set joins the pool */
    c.composition = MB_COMPOSE_ACCUMULATE;
    const int before = pool.n;
    cu.g = 2;
    make_set(&cu.set, 120, 2);
    CHECK(mb_loop_curate(&cu) == MB_OK, "curate: %s", mb_last_error());
    int from_g2 = 0;
    for (int i = 0; i < pool.n; i++)
        from_g2 += pool.origin[i] == 2;
    CHECK(pool.n - before == from_g2 && from_g2 > 0 && from_g2 <= 50 && pool.origin[0] == 1,
          "accumulated pool: %d before, %d now, %d from generation 2", before, pool.n, from_g2);
    /* a real part: only the detector and the screen apply; the kept images come back */
    mb_curation real = {.cfg = &c, .g = 2, .first_id = 40, .pool = &pool, .info = &info};
    make_set(&real.set, 80, MB_ORIGIN_REAL);
    const int pool_n = pool.n;
    CHECK(mb_loop_curate(&real) == MB_OK, "curate real: %s", mb_last_error());
    CHECK(real.set.n == 80 - info.detector_dropped[0] && info.detector_dropped[0] > 5 &&
          pool.n == pool_n, "real part: %d kept, %ld dropped", real.set.n, info.detector_dropped[0]);
    mb_dataset_free(&real.set);
    mb_dataset_free(&pool);
}

static const mb_curation_stage *stage_named(const char *name)
{
    for (int s = 0; s < mb_n_curation_stages; s++)
        if (!strcmp(mb_curation_stages[s].name, name))
            return &mb_curation_stages[s];
    CHECK(0, "no stage '%s'", name);
    exit(1);
}

/* Single stages through their one signature, on hand-made candidates: each does
 * nothing while its keys leave it off, the watermark screen counts only what
 * the detector left, and the quota trim keeps a seeded subset of the kept. */
static void test_one_stage(void)
{
    mb_run_config c;
    mb_run_config_default(&c);
    c.type = MB_LOOP_SYNTHETIC_AUGMENTATION, c.real_fraction = 0.5, c.n_real = 40;
    float *pattern = malloc(4 * sizeof *pattern);
    mb_watermark_pattern(7, 4, pattern);
    mb_generation_info info = {.wm_tpr = NAN, .reweight_unique = -1};
    unsigned char keep[60];
    long ids[60];
    mb_curation cu = {.cfg = &c, .g = 1, .synthetic = 1, .pattern = pattern, .info = &info,
                      .keep = keep, .ids = ids};
    make_set(&cu.set, 60, 1);
    for (int i = 0; i < 60; i++)
        keep[i] = 1, ids[i] = ((long)1 << 32) | i;
    /* all off: no stage touches the candidates */
    const char *off[] = {"mark", "provenance detector", "watermark screen", "filter", "reweight"};
    const float first = cu.set.images[4 * 59];
    for (size_t s = 0; s < sizeof off / sizeof *off; s++)
        CHECK(stage_named(off[s])->apply(&cu) == MB_OK, "%s: %s", off[s], mb_last_error());
    CHECK(cu.set.n == 60 && cu.set.images[4 * 59] == first && !memchr(keep, 0, 60) &&
          info.detector_dropped[1] == 0 && info.filter_dropped == 0 && isnan(info.wm_tpr) &&
          info.reweight_unique == -1, "a stage acted while off");
    /* the detector drops some, the mark + screen flag every marked image but count
     * only those the detector left */
    c.detector = 1, c.detector_tpr = 0.5;
    c.watermark = 1, c.watermark_eps = 0.5, c.watermark_threshold = 0.1;
    CHECK(stage_named("mark")->apply(&cu) == MB_OK, "mark: %s", mb_last_error());
    CHECK(stage_named("provenance detector")->apply(&cu) == MB_OK, "%s", mb_last_error());
    const long by_detector = info.detector_dropped[1];
    CHECK(by_detector > 10 && by_detector < 50, "detector at tpr 0.5 dropped %ld of 60",
          by_detector);
    CHECK(stage_named("watermark screen")->apply(&cu) == MB_OK, "screen: %s", mb_last_error());
    CHECK(info.wm_tpr == 1, "screen TPR %g on images marked at eps 0.5", info.wm_tpr);
    CHECK(info.detector_dropped[1] == 60 && !memchr(keep, 1, 60),
          "detector + screen dropped %ld of 60 (flagged by either, counted once)",
          info.detector_dropped[1]);
    /* the quota: 20 synthetic of 40, from the 30 odd ones of 60 fresh candidates */
    mb_dataset_free(&cu.set);
    make_set(&cu.set, 60, 1);
    for (int i = 0; i < 60; i++)
        keep[i] = i % 2;
    cu.keep = malloc(60), cu.ids = malloc(60 * sizeof *cu.ids); /* the quota replaces them */
    memcpy(cu.keep, keep, 60);
    memcpy(cu.ids, ids, 60 * sizeof *ids);
    CHECK(stage_named("quota trim")->apply(&cu) == MB_OK, "quota: %s", mb_last_error());
    CHECK(cu.set.n == 20, "quota trim kept %d, expected 20", cu.set.n);
    for (int k = 0; k < cu.set.n; k++) { /* a kept sample: odd, with its own id */
        const long i = lround(cu.set.images[4 * k] * 60);
        CHECK(i % 2 == 1 && (cu.ids[k] & 0xffffffff) == i && cu.keep[k],
              "quota trim: sample %d is image %ld with id %ld", k, i, cu.ids[k] & 0xffffffff);
    }
    free(cu.keep), free(cu.ids);
    mb_dataset_free(&cu.set);
    free(pattern);
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
    test_count_above();
    test_keep_and_resample();
    test_stages();
    test_one_stage();
    test_config();
    return mb_test_finish("test_loop_curate");
}
