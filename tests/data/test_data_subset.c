/* test_data_subset.c — subsets of a loaded set: imposed imbalance gives exact
 * shares, shuffle and hold-out are seeded and deterministic, n= caps the count,
 * and the key=value options parse or fail with a message naming the key. */
#include "test_data_util.h"

#include <math.h>

/* 1000 images in 10 classes of 100, image i of class i % 10; pixel 0 = i / 1000. */
static void make_classes(mb_dataset *ds)
{
    make_set(ds, 1000, 1, 2, 2, 10);
    for (int i = 0; i < ds->n; i++)
        ds->images[i * 4] = (float)i / 1000;
}

static int image_id(const mb_dataset *ds, int i) { return (int)lroundf(ds->images[i * 4] * 1000); }

static void imbalance(void)
{
    mb_dataset ds;
    long c[10];
    /* class 3 at 2%: the others keep all 900 images, class 3 keeps round(0.02 n) */
    make_classes(&ds);
    mb_data_options opt = {.n_imbalance = 1};
    opt.imbalance[0].label = 3;
    opt.imbalance[0].share = 0.02;
    CHECK(mb_dataset_subset(&ds, &opt) == MB_OK, "imbalance: %s", mb_last_error());
    mb_dataset_class_counts(&ds, c);
    CHECK(c[3] == lround(0.02 * ds.n) && c[0] == 100 && ds.n == 918,
          "class 3 at 2%%: %ld of %d", c[3], ds.n);
    mb_dataset_free(&ds);

    /* with n=500: class 3 exactly 10, the other 490 split evenly (largest remainder) */
    make_classes(&ds);
    opt.max_images = 500;
    CHECK(mb_dataset_subset(&ds, &opt) == MB_OK, "imbalance n=500: %s", mb_last_error());
    mb_dataset_class_counts(&ds, c);
    long others_lo = 1000, others_hi = 0;
    for (int k = 0; k < 10; k++)
        if (k != 3) {
            others_lo = c[k] < others_lo ? c[k] : others_lo;
            others_hi = c[k] > others_hi ? c[k] : others_hi;
        }
    CHECK(ds.n == 500 && c[3] == 10 && others_lo >= 54 && others_hi <= 55,
          "n=500: n %d, class 3 %ld, others %ld..%ld", ds.n, c[3], others_lo, others_hi);
    /* every kept image is one of the first of its class (file order, no shuffle) */
    int first_ok = 1;
    for (int i = 0; i < ds.n; i++)
        first_ok &= image_id(&ds, i) / 10 < c[ds.labels[i]];
    CHECK(first_ok, "imbalance without shuffle keeps the first images of each class");
    mb_dataset_free(&ds);

    /* a class raised above its natural share: the others shrink */
    make_classes(&ds);
    opt = (mb_data_options){.n_imbalance = 2};
    opt.imbalance[0].label = 0;
    opt.imbalance[0].share = 0.5;
    opt.imbalance[1].label = 9;
    opt.imbalance[1].share = 0.25;
    CHECK(mb_dataset_subset(&ds, &opt) == MB_OK, "two classes: %s", mb_last_error());
    mb_dataset_class_counts(&ds, c);
    CHECK(ds.n == 200 && c[0] == 100 && c[9] == 50, "0 at 50%%, 9 at 25%%: n %d, %ld, %ld",
          ds.n, c[0], c[9]);
    mb_dataset_free(&ds);

    /* share 0 drops a class */
    make_classes(&ds);
    opt = (mb_data_options){.n_imbalance = 1, .max_images = 300, .shuffle = 1, .seed = 4};
    opt.imbalance[0].label = 5;
    opt.imbalance[0].share = 0;
    CHECK(mb_dataset_subset(&ds, &opt) == MB_OK, "share 0: %s", mb_last_error());
    mb_dataset_class_counts(&ds, c);
    CHECK(ds.n == 300 && c[5] == 0, "share 0: n %d, class 5 %ld", ds.n, c[5]);
    mb_dataset_free(&ds);

    /* errors: unknown class, shares above 1, unlabelled set */
    make_classes(&ds);
    opt = (mb_data_options){.n_imbalance = 1};
    opt.imbalance[0].label = 10;
    opt.imbalance[0].share = 0.1;
    CHECK(mb_dataset_subset(&ds, &opt) == MB_EINPUT && strstr(mb_last_error(), "class 0..9"),
          "class 10 of 10: %s", mb_last_error());
    opt = (mb_data_options){.n_imbalance = 2};
    opt.imbalance[0].label = 1;
    opt.imbalance[0].share = 0.7;
    opt.imbalance[1].label = 2;
    opt.imbalance[1].share = 0.7;
    CHECK(mb_dataset_subset(&ds, &opt) == MB_EINPUT && strstr(mb_last_error(), "add up"),
          "shares 1.4: %s", mb_last_error());
    CHECK(ds.n == 1000, "a failed subset changed the set");
    mb_dataset_free(&ds);
    make_set(&ds, 10, 1, 2, 2, 0);
    opt.n_imbalance = 1;
    CHECK(mb_dataset_subset(&ds, &opt) == MB_EINPUT && strstr(mb_last_error(), "labels"),
          "unlabelled: %s", mb_last_error());
    mb_dataset_free(&ds);
}

static void shuffle_and_split(void)
{
    mb_dataset a, b, c;
    mb_data_options opt = {.shuffle = 1, .seed = 9, .max_images = 100};
    make_classes(&a);
    make_classes(&b);
    make_classes(&c);
    mb_dataset_subset(&a, &opt);
    mb_dataset_subset(&b, &opt);
    opt.seed = 10;
    mb_dataset_subset(&c, &opt);
    int same_ab = 1, same_ac = 1, in_order = 1;
    for (int i = 0; i < 100; i++) {
        same_ab &= image_id(&a, i) == image_id(&b, i);
        same_ac &= image_id(&a, i) == image_id(&c, i);
        in_order &= image_id(&a, i) == i;
    }
    CHECK(a.n == 100 && same_ab, "same seed, other shuffle");
    CHECK(!same_ac && !in_order, "shuffle ignored the seed or did nothing");
    CHECK(a.origin[0] == MB_ORIGIN_REAL && a.labels[0] == image_id(&a, 0) % 10,
          "labels did not follow their images");
    mb_dataset_free(&a);
    mb_dataset_free(&b);
    mb_dataset_free(&c);

    /* hold-out: train and test are disjoint, cover the set, 20% test */
    make_classes(&a);
    make_classes(&b);
    opt = (mb_data_options){.test_fraction = 0.2, .seed = 3, .split_seed = 3};
    mb_dataset_subset(&a, &opt);
    opt.split = MB_SPLIT_TEST;
    opt.shuffle = 1; /* shuffling, and its seed, do not change which images are held out */
    opt.seed = 4;    /* (madbench run shuffles its test set with run.seed + 1) */
    mb_dataset_subset(&b, &opt);
    CHECK(a.n == 800 && b.n == 200, "hold-out sizes %d / %d", a.n, b.n);
    unsigned char seen[1000] = {0};
    int overlap = 0;
    for (int i = 0; i < a.n; i++)
        seen[image_id(&a, i)] = 1;
    for (int i = 0; i < b.n; i++)
        overlap += seen[image_id(&b, i)]++;
    int covered = 1;
    for (int i = 0; i < 1000; i++)
        covered &= seen[i] == 1;
    CHECK(overlap == 0 && covered, "train and test overlap %d, cover %d", overlap, covered);
    mb_dataset_free(&a);
    mb_dataset_free(&b);
}

static void options(void)
{
    mb_data_options opt = {0};
    CHECK(mb_data_option_set(&opt, "n", "500") == MB_OK && opt.max_images == 500, "n=500");
    CHECK(mb_data_option_set(&opt, "split", "test") == MB_OK && opt.split == MB_SPLIT_TEST,
          "split=test");
    CHECK(mb_data_option_set(&opt, "imbalance", "3:0.02,5:0.1") == MB_OK &&
              opt.n_imbalance == 2 && opt.imbalance[1].label == 5 &&
              opt.imbalance[1].share == 0.1, "imbalance=3:0.02,5:0.1");
    CHECK(mb_data_option_set(&opt, "resize", "32x28") == MB_OK && opt.resize_height == 32 &&
              opt.resize_width == 28, "resize=32x28");
    CHECK(mb_data_option_set(&opt, "radius", "uniform:2:9") == MB_OK &&
              opt.shapes.radius_dist == MB_DIST_UNIFORM && opt.shapes.radius_hi == 9,
          "radius=uniform:2:9");
    CHECK(mb_data_option_set(&opt, "kinds", "square,disk") == MB_OK &&
              opt.shapes.n_kinds == 2 && opt.shapes.kinds[0] == MB_SHAPE_SQUARE, "kinds");
    CHECK(mb_data_option_set(&opt, "shares", "0.9,0.1") == MB_OK &&
              opt.shapes.kind_shares[1] == 0.1, "shares");
    struct { const char *key, *value; } bad[] = {
        {"n", "-1"}, {"n", "ten"}, {"split", "val"}, {"imbalance", "3"},
        {"imbalance", "3:1.5"}, {"imbalance", "x:0.1"}, {"resize", "0x5"},
        {"radius", "normal:6"}, {"radius", "poisson:3"}, {"kinds", "disk,disk"},
        {"shares", "-1,2"}, {"test_fraction", "1"}, {"channels", "2"}, {"colour", "red"}};
    for (size_t i = 0; i < MB_ARRAY_LEN(bad); i++) {
        mb_clear_error();
        CHECK(mb_data_option_set(&opt, bad[i].key, bad[i].value) == MB_EINPUT &&
                  strstr(mb_last_error(), bad[i].key), "%s=%s accepted or message '%s'",
              bad[i].key, bad[i].value, mb_last_error());
    }
}

int main(void)
{
    imbalance();
    shuffle_and_split();
    options();
    return mb_test_finish("test_data_subset");
}
