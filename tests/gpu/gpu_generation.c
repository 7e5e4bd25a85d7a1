/* gpu_generation.c — one whole generation of the self-consuming loop (measure the
 * real data, train, sample, measure, curate) with `madbench run`'s library entry
 * point, once on the CPU and once on CUDA, and the two metrics.csv compared.
 * Exits 77 (skipped) without a CUDA device.
 *
 * The run is small (procedural shapes, 256 training images, one epoch, pixel
 * features so that no judge network is trained). Tolerances (README.md, "The CUDA backend"):
 * - generation 0 (the real data measured against the real test set): the same
 *   images on both sides, only float64 summation orders, Dgemm and syevd differ:
 *   relative 1e-3 + absolute 1e-6 (the Frechet distance takes square roots of the
 *   ~500 eigenvalues near 0 of a rank-deficient covariance, where rounding of
 *   1e-15 becomes 3e-8 each; the host emulation showed 2e-7 relative);
 * - generation 1 (after training and sampling): the models differ by float
 *   rounding only (see gpu_train_step) and the noise is bit-identical, so the
 *   samples agree closely; k-NN counts may flip a sample near a radius:
 *   relative 1e-2 + absolute 1e-2 for every metric, relative 1e-3 for the loss;
 * - the integer columns (image counts) and the empty cells: identical. */
#include "mb_backend.h"
#include "mb_loop.h"
#include "testutil.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#ifndef MB_HAVE_CUDA
int main(void)
{
    puts("gpu_generation: built without CUDA: skipped");
    return MB_TEST_SKIP;
}
#else

#define MAX_COLS 64
#define MAX_ROWS 4

typedef struct {
    int n_cols, n_rows;
    char names[MAX_COLS][48];
    char cells[MAX_ROWS][MAX_COLS][48];
} csv_table;

static int read_csv(const char *path, csv_table *t)
{
    memset(t, 0, sizeof *t);
    FILE *f = fopen(path, "r");
    if (!f)
        return 0;
    char line[8192];
    int row = -1;
    while (fgets(line, sizeof line, f) && row < MAX_ROWS) {
        line[strcspn(line, "\r\n")] = 0;
        int col = 0;
        for (char *p = line, *end; col < MAX_COLS; p = end + 1, col++) {
            end = strchr(p, ',');
            if (end)
                *end = 0;
            char *dst = row < 0 ? t->names[col] : t->cells[row][col];
            const size_t len = strlen(p) < 47 ? strlen(p) : 47;
            memcpy(dst, p, len);
            dst[len] = 0;
            if (!end)
                break;
        }
        if (row < 0)
            t->n_cols = col + 1;
        row++;
    }
    t->n_rows = row;
    fclose(f);
    return 1;
}

static int run_once(const char *out, const char *device, uint64_t seed)
{
    mb_run_config cfg;
    mb_run_config_default(&cfg);
    char seed_s[32];
    snprintf(seed_s, sizeof seed_s, "%llu", (unsigned long long)seed);
    const char *const kv[][2] = {
        {"run.generations", "1"},      {"run.device", device},         {"run.out", out},
        {"run.name", device},          {"run.seed", seed_s},           {"data.source", "shapes"},
        {"data.n_real", "256"},        {"data.n_test", "128"},         {"model.epochs", "1"},
        {"metrics.features", "pixels"}, {"metrics.kid_subsets", "4"},
        {"metrics.kid_subset_size", "64"}, {"export.format", "none"}};
    for (size_t i = 0; i < MB_ARRAY_LEN(kv); i++)
        MB_TRY(mb_run_config_set(&cfg, kv[i][0], kv[i][1], "gpu_generation"));
    return mb_run(&cfg, 0, "gpu_generation");
}

int main(void)
{
    if (mb_cuda_device_count() <= 0) {
        puts("gpu_generation: no CUDA device: skipped");
        return MB_TEST_SKIP;
    }
    const char *s = getenv("MB_TEST_SEED");
    const uint64_t seed = s ? strtoull(s, NULL, 0) : 7;
    char dir[] = "/tmp/madbench_gpu_generation_XXXXXX";
    if (!mkdtemp(dir)) {
        perror("gpu_generation: mkdtemp");
        return 1;
    }
    mb_set_quiet(1);
    const int rc_cpu = run_once(dir, "cpu", seed);
    CHECK(rc_cpu == MB_OK, "cpu run: %s", mb_last_error());
    const int rc_cuda = run_once(dir, "cuda", seed);
    CHECK(rc_cuda == MB_OK, "cuda run: %s", mb_last_error());

    char path[512];
    csv_table tc, tg;
    snprintf(path, sizeof path, "%s/cpu/metrics.csv", dir);
    const int ok_c = read_csv(path, &tc);
    snprintf(path, sizeof path, "%s/cuda/metrics.csv", dir);
    const int ok_g = read_csv(path, &tg);
    CHECK(ok_c && ok_g, "metrics.csv missing under %s", dir);
    CHECK(tc.n_cols == tg.n_cols && tc.n_rows == tg.n_rows && tc.n_rows == 2,
          "metrics.csv shapes: cpu %d x %d, cuda %d x %d (expected 2 rows)", tc.n_rows,
          tc.n_cols, tg.n_rows, tg.n_cols);
    printf("gpu_generation: seed %llu, runs under %s\n", (unsigned long long)seed, dir);
    for (int r = 0; r < tc.n_rows && r < tg.n_rows; r++)
        for (int c = 1; c < tc.n_cols; c++) {
            const char *a = tc.cells[r][c], *b = tg.cells[r][c], *name = tc.names[c];
            if (!*a || !*b) {
                CHECK(!*a && !*b, "generation %d %s: cpu '%s', cuda '%s'", r, name, a, b);
                continue;
            }
            const double vc = atof(a), vg = atof(b);
            double atol = 1e-2, rtol = 1e-2;
            if (!strchr(a, '.') && !strchr(a, 'e')) /* integer column */
                atol = rtol = 0;
            else if (r == 0)
                atol = 1e-6, rtol = 1e-3;
            else if (!strcmp(name, "loss"))
                atol = 0, rtol = 1e-3;
            CHECK(mb_test_close(vg, vc, atol, rtol), "generation %d %s: cuda %s, cpu %s", r,
                  name, b, a);
            printf("  gen %d %-28s cuda %-16s cpu %-16s\n", r, name, b, a);
        }
    const int rc = mb_test_finish("gpu_generation");
    if (!rc) { /* keep the runs of a failure for inspection */
        char cmd[600];
        snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
        if (system(cmd) != 0)
            fprintf(stderr, "gpu_generation: could not remove %s\n", dir);
    }
    return rc;
}
#endif
