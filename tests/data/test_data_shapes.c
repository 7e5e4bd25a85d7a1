/* test_data_shapes.c — the procedural shapes set: same seed same bytes (for any
 * thread count), the radius follows the stated distribution, kind shares are
 * exact, and the measurer recovers the attributes within stated bounds:
 *   clean images: radius within 0.05 px (disks, ellipses, squares),
 *   centre within 0.05 px, level within 0.01, ellipse aspect within 0.08 and
 *   angle within 0.05 rad (aspect <= 0.8);
 *   noise=0.05 (pixel std): radius within 0.5 px. */
#include "test_data_util.h"

#include <math.h>
#ifdef _OPENMP
#include <omp.h>
#endif

static void determinism(void)
{
    mb_shapes_options o = {0};
    o.n_kinds = 3;
    o.kinds[0] = MB_SHAPE_DISK;
    o.kinds[1] = MB_SHAPE_ELLIPSE;
    o.kinds[2] = MB_SHAPE_SQUARE;
    o.noise_std = 0.02;
    mb_dataset a, b, c;
#ifdef _OPENMP
    int threads = omp_get_max_threads();
    omp_set_num_threads(1);
#endif
    CHECK(mb_shapes_generate(&a, 300, 42, &o) == MB_OK, "generate: %s", mb_last_error());
#ifdef _OPENMP
    omp_set_num_threads(threads > 1 ? threads : 3);
#endif
    CHECK(mb_shapes_generate(&b, 300, 42, &o) == MB_OK, "generate: %s", mb_last_error());
    CHECK(mb_shapes_generate(&c, 300, 43, &o) == MB_OK, "generate: %s", mb_last_error());
    size_t bytes = (size_t)300 * 28 * 28;
    CHECK(!memcmp(a.pixels, b.pixels, bytes), "same seed, other thread count: other bytes");
    CHECK(!memcmp(a.attrs, b.attrs, 300 * 6 * sizeof(float)), "same seed: other attributes");
    CHECK(!memcmp(a.labels, b.labels, 300 * sizeof(int)), "same seed: other kinds");
    CHECK(memcmp(a.pixels, c.pixels, bytes) != 0, "seed 43 gave the bytes of seed 42");
    /* A prefix is the same images: image i depends on (seed, i) only. */
    mb_dataset d;
    o.noise_std = 0;
    mb_dataset_free(&c);
    CHECK(mb_shapes_generate(&c, 300, 42, &o) == MB_OK, "generate");
    CHECK(mb_shapes_generate(&d, 100, 42, &o) == MB_OK, "generate");
    int same = 1;
    for (int i = 0; i < 100; i++)
        same &= c.attrs[i * 6] == d.attrs[i * 6] || c.labels[i] != d.labels[i];
    CHECK(same, "radius of image i depends on n");
    mb_dataset_free(&a);
    mb_dataset_free(&b);
    mb_dataset_free(&c);
    mb_dataset_free(&d);
}

static void distribution(void)
{
    mb_dataset ds;
    mb_shapes_options o = {0};
    int n = 10000;
    CHECK(mb_shapes_generate(&ds, n, 7, &o) == MB_OK, "generate: %s", mb_last_error());
    double sum = 0, sq = 0;
    long beyond2 = 0;
    int in_range = 1;
    for (int i = 0; i < n; i++) {
        double r = ds.attrs[i * 6];
        sum += r;
        sq += r * r;
        beyond2 += fabs(r - 6.0) > 2 * 1.25;
        in_range &= ds.attrs[i * 6 + 3] >= 0.4f && ds.attrs[i * 6 + 3] <= 1.0f;
    }
    double mean = sum / n, sd = sqrt(sq / n - mean * mean);
    /* N(6, 1.25): standard error of the mean 0.009, of the std 0.006 */
    CHECK_CLOSE(mean, 6.0, 0.04, 0, "radius mean");
    CHECK_CLOSE(sd, 1.25, 0.03, 0, "radius std");
    /* 4.55% of a normal lies beyond 2 std: the tail the MAD experiments watch */
    CHECK_CLOSE((double)beyond2 / n, 0.0455, 0.006, 0, "share beyond 2 std");
    CHECK(in_range, "intensity outside 0.4..1");
    CHECK(ds.n_classes == 1 && !strcmp(ds.class_names[0], "disk"), "default: one kind, disk");
    CHECK(!strcmp(ds.attr_names[0], "radius") && !strcmp(ds.attr_names[3], "intensity"),
          "attribute names");
    mb_dataset_free(&ds);

    o.radius_dist = MB_DIST_UNIFORM;
    o.radius_lo = 3;
    o.radius_hi = 5;
    CHECK(mb_shapes_generate(&ds, 2000, 7, &o) == MB_OK, "uniform: %s", mb_last_error());
    double lo = 99, hi = 0;
    for (int i = 0; i < ds.n; i++) {
        lo = fmin(lo, ds.attrs[i * 6]);
        hi = fmax(hi, ds.attrs[i * 6]);
    }
    CHECK(lo >= 3 && lo < 3.05 && hi <= 5 && hi > 4.95, "uniform 3..5 gave %g..%g", lo, hi);
    mb_dataset_free(&ds);
    o.radius_hi = 20; /* does not fit 28x28 */
    CHECK(mb_shapes_generate(&ds, 10, 7, &o) == MB_EINPUT && strstr(mb_last_error(), "fit"),
          "radius 20 accepted: %s", mb_last_error());
}

static void kind_shares(void)
{
    mb_shapes_options o = {0};
    o.n_kinds = 3;
    o.kinds[0] = MB_SHAPE_SQUARE;
    o.kinds[1] = MB_SHAPE_DISK;
    o.kinds[2] = MB_SHAPE_ELLIPSE;
    o.kind_shares[0] = 0.5;
    o.kind_shares[1] = 0.48;
    o.kind_shares[2] = 0.02;
    mb_dataset ds;
    CHECK(mb_shapes_generate(&ds, 1000, 3, &o) == MB_OK, "generate: %s", mb_last_error());
    long counts[3];
    mb_dataset_class_counts(&ds, counts);
    CHECK(counts[0] == 500 && counts[1] == 480 && counts[2] == 20,
          "shares 0.5/0.48/0.02 of 1000 gave %ld/%ld/%ld", counts[0], counts[1], counts[2]);
    CHECK(!strcmp(ds.class_names[2], "ellipse"), "class 2 is ellipse");
    mb_dataset_free(&ds);
}

/* Largest measurement errors over a set, per kind. */
static void measure_errors(const mb_dataset *ds, int kind, double *err)
{
    int C = ds->channels, na = C == 3 ? 8 : 6;
    float *m = malloc((size_t)ds->n * na * sizeof(float));
    mb_shape_verdict *v = malloc((size_t)ds->n * sizeof *v);
    mb_shapes_measure_all(ds, m, v);
    long malformed = 0;
    for (int i = 0; i < ds->n; i++)
        malformed += v[i] != MB_SHAPE_WELL_FORMED;
    CHECK(malformed == 0, "%ld of %d real shapes judged malformed", malformed, ds->n);
    free(v);
    for (int a = 0; a < 5; a++)
        err[a] = 0;
    for (int i = 0; i < ds->n; i++) {
        if (ds->labels[i] != kind)
            continue;
        const float *t = ds->attrs + (size_t)i * na, *g = m + (size_t)i * na;
        double e[5] = {fabs(g[0] - t[0]), fmax(fabs(g[1] - t[1]), fabs(g[2] - t[2])), 0, 0, 0};
        for (int c = 0; c < C; c++)
            e[2] = fmax(e[2], fabs(g[3 + c] - t[3 + c]));
        e[3] = fabs(g[3 + C] - t[3 + C]);
        if (t[3 + C] <= 0.8) { /* the angle of a near-circle is not defined */
            double d = fabs(g[4 + C] - t[4 + C]);
            e[4] = fmin(d, 3.14159265358979 - d);
        }
        for (int a = 0; a < 5; a++)
            err[a] = fmax(err[a], isnan(e[a]) ? INFINITY : e[a]);
    }
    free(m);
}

static void measurer(int colour)
{
    mb_shapes_options o = {0};
    o.size = colour ? 32 : 28;
    o.channels = colour ? 3 : 1;
    o.n_kinds = 3;
    o.kinds[0] = MB_SHAPE_DISK;
    o.kinds[1] = MB_SHAPE_ELLIPSE;
    o.kinds[2] = MB_SHAPE_SQUARE;
    mb_dataset ds;
    CHECK(mb_shapes_generate(&ds, 1500, 11, &o) == MB_OK, "generate: %s", mb_last_error());
    const char *kinds[] = {"disk", "ellipse", "square"};
    for (int k = 0; k < 3; k++) {
        double e[5];
        measure_errors(&ds, k, e);
        printf("%s %s: max error radius %.4f px, centre %.4f px, level %.4f, aspect %.4f, "
               "angle %.4f rad\n", colour ? "shapes32" : "shapes", kinds[k], e[0], e[1], e[2],
               e[3], e[4]);
        CHECK(e[0] <= 0.05, "%s radius error %g px", kinds[k], e[0]);
        CHECK(e[1] <= 0.05, "%s centre error %g px", kinds[k], e[1]);
        CHECK(e[2] <= 0.01, "%s level error %g", kinds[k], e[2]);
        if (k == 1) {
            CHECK(e[3] <= 0.08, "ellipse aspect error %g", e[3]);
            CHECK(e[4] <= 0.05, "ellipse angle error %g rad", e[4]);
        }
    }
    mb_dataset_free(&ds);
    /* with pixel noise */
    o.noise_std = 0.05;
    o.n_kinds = 1;
    CHECK(mb_shapes_generate(&ds, 1000, 12, &o) == MB_OK, "generate: %s", mb_last_error());
    double e[5];
    measure_errors(&ds, 0, e);
    printf("%s disk, noise 0.05: max radius error %.4f px\n", colour ? "shapes32" : "shapes",
           e[0]);
    CHECK(e[0] <= 0.5, "noisy disk radius error %g px", e[0]);
    mb_dataset_free(&ds);
    /* a blank image has no shape */
    float blank[3 * 32 * 32] = {0}, attrs[8];
    mb_shape_verdict v;
    CHECK(mb_shapes_measure(blank, o.channels, o.size, o.size, attrs, &v) == 0 &&
              isnan(attrs[0]) && v == MB_SHAPE_NONE, "blank image measured as a shape");
}

/* Adds a disk of radius r at (cx, cy) and level `level` (all channels) to img. */
static void draw_disk(float *img, int C, int S, double cx, double cy, double r, double level)
{
    for (int c = 0; c < C; c++)
        for (int y = 0; y < S; y++)
            for (int x = 0; x < S; x++)
                if ((x + 0.5 - cx) * (x + 0.5 - cx) + (y + 0.5 - cy) * (y + 0.5 - cy) < r * r)
                    img[((size_t)c * S + y) * S + x] += (float)level;
}

/* The malformed cases on constructed images: one disk is well formed, a faint one
 * (level 0.1 < 0.2) is not, two disks are two blobs, a disk with a lone bright
 * noise pixel is still one shape. */
static void verdicts(int colour)
{
    const int C = colour ? 3 : 1, S = colour ? 32 : 28;
    float img[3 * 32 * 32], attrs[8];
    struct {
        const char *what;
        double level, second, speck;
        mb_shape_verdict want;
    } cases[] = {{"one disk", 0.6, 0, 0, MB_SHAPE_WELL_FORMED},
                 {"dim but real disk (level 0.4)", 0.4, 0, 0, MB_SHAPE_WELL_FORMED},
                 {"faint disk (level 0.1)", 0.1, 0, 0, MB_SHAPE_FAINT},
                 {"two disks", 0.6, 0.6, 0, MB_SHAPE_BLOBS},
                 {"disk and a small dimmer disk", 0.8, 0.5, 0, MB_SHAPE_BLOBS},
                 {"disk and one bright pixel", 0.6, 0, 0.6, MB_SHAPE_WELL_FORMED}};
    for (size_t k = 0; k < sizeof cases / sizeof cases[0]; k++) {
        memset(img, 0, sizeof img);
        draw_disk(img, C, S, 9, 10, 4.5, cases[k].level);
        if (cases[k].second > 0)
            draw_disk(img, C, S, 21, 19, cases[k].level == 0.8 ? 2.5 : 4, cases[k].second);
        if (cases[k].speck > 0)
            img[(size_t)(S - 4) * S + S - 4] += (float)cases[k].speck;
        mb_shape_verdict v = MB_SHAPE_NONE;
        mb_shapes_measure(img, C, S, S, attrs, &v);
        CHECK(v == cases[k].want, "%s %s: verdict %d, expected %d", colour ? "shapes32" : "shapes",
              cases[k].what, (int)v, (int)cases[k].want);
    }
}

static void load_by_name(void)
{
    mb_dataset a, b;
    mb_data_options opt = {.max_images = 50, .seed = 5};
    CHECK(mb_dataset_load(&a, "shapes32", &opt) == MB_OK && a.n == 50 && a.channels == 3 &&
              a.height == 32 && a.n_attrs == 8, "shapes32: %s", mb_last_error());
    opt.split = MB_SPLIT_TEST;
    CHECK(mb_dataset_load(&b, "shapes32", &opt) == MB_OK && b.n == 50, "shapes32 test: %s",
          mb_last_error());
    CHECK(memcmp(a.pixels, b.pixels, 50 * 3 * 32 * 32) != 0, "test split = train split");
    mb_dataset_free(&a);
    mb_dataset_free(&b);
}

int main(void)
{
    determinism();
    distribution();
    kind_shares();
    measurer(0);
    measurer(1);
    verdicts(0);
    verdicts(1);
    load_by_name();
    return mb_test_finish("test_data_shapes");
}
