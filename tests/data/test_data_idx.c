/* test_data_idx.c — IDX reader and writer: round trips raw and gzip, every bad
 * input of issue 3 gives one clear error, and the Fashion-MNIST package loads. */
#include "test_data_util.h"

#include <zlib.h>

static void round_trip(const char *dir, const char *images, const char *labels)
{
    mb_dataset ds, back;
    make_set(&ds, 37, 1, 5, 7, 4);
    int rc = mb_idx_write(&ds, path_in(dir, images), path_in(dir, labels));
    CHECK(rc == MB_OK, "write %s: %s", images, mb_last_error());
    /* mb_dataset_load finds the labels beside the images file. */
    rc = mb_dataset_load(&back, path_in(dir, images), NULL);
    CHECK(rc == MB_OK, "read %s: %s", images, mb_last_error());
    if (rc == MB_OK) {
        CHECK(back.n == 37 && back.channels == 1 && back.height == 5 && back.width == 7,
              "%s: shape %d %dx%dx%d", images, back.n, back.channels, back.height, back.width);
        CHECK(back.labels && back.n_classes == 4, "%s: labels %p, %d classes", images,
              (void *)back.labels, back.n_classes);
        double worst = 0;
        int labels_ok = 1, origin_ok = 1;
        for (int i = 0; i < back.n; i++) {
            double d = max_image_diff(&ds, i, &back, i);
            worst = d > worst ? d : worst;
            labels_ok &= back.labels && back.labels[i] == ds.labels[i];
            origin_ok &= back.origin[i] == MB_ORIGIN_REAL;
        }
        CHECK(worst == 0, "%s: images differ by %g after the round trip", images, worst);
        CHECK(labels_ok, "%s: labels differ after the round trip", images);
        CHECK(origin_ok, "%s: origins not all real", images);
        CHECK(back.pixels && back.pixels[3] == (uint8_t)(ds.images[3] * 255 + 0.5f),
              "%s: uint8 source pixels not kept", images);
    }
    mb_dataset_free(&back);
    mb_dataset_free(&ds);
}

/* An IDX header + payload built by hand, so that each field can be wrong. */
static size_t idx_bytes(unsigned char *buf, int type, int dims, uint32_t n, uint32_t h,
                        uint32_t w, size_t payload)
{
    unsigned char head[16] = {0, 0, (unsigned char)type, (unsigned char)dims};
    uint32_t d[3] = {n, h, w};
    for (int k = 0; k < dims && k < 3; k++) {
        head[4 + 4 * k] = (unsigned char)(d[k] >> 24);
        head[5 + 4 * k] = (unsigned char)(d[k] >> 16);
        head[6 + 4 * k] = (unsigned char)(d[k] >> 8);
        head[7 + 4 * k] = (unsigned char)d[k];
    }
    size_t len = 4 + 4 * (size_t)(dims < 3 ? dims : 3);
    memcpy(buf, head, len);
    for (size_t k = 0; k < payload; k++)
        buf[len + k] = (unsigned char)(k * 7);
    return len + payload;
}

static void bad_inputs(const char *dir)
{
    static unsigned char buf[1 << 16];
    const char *p = path_in(dir, "bad-images-idx3-ubyte");
    size_t len;

    len = idx_bytes(buf, 8, 3, 10, 4, 4, 10 * 16 - 5); /* 5 bytes short */
    write_bytes(p, buf, len);
    CHECK_LOAD_FAILS(p, NULL, MB_EINPUT, "truncated");

    len = idx_bytes(buf, 8, 3, 10, 4, 4, 10 * 16 + 3); /* 3 bytes too many */
    write_bytes(p, buf, len);
    CHECK_LOAD_FAILS(p, NULL, MB_EINPUT, "unexpected data after");

    len = idx_bytes(buf, 8, 3, 10, 4, 4, 160);
    buf[0] = 0x1f; /* wrong magic */
    write_bytes(p, buf, len);
    CHECK_LOAD_FAILS(p, NULL, MB_EINPUT, "wrong magic number");

    len = idx_bytes(buf, 8, 1, 10, 0, 0, 10); /* a labels file given as images */
    write_bytes(p, buf, len);
    CHECK_LOAD_FAILS(p, NULL, MB_EINPUT, "1 dimensions (expected 3");

    len = idx_bytes(buf, 0x0d, 3, 10, 4, 4, 160); /* float data */
    write_bytes(p, buf, len);
    CHECK_LOAD_FAILS(p, NULL, MB_EINPUT, "data type 0x0d");

    len = idx_bytes(buf, 8, 3, 0, 4, 4, 0); /* zero images */
    write_bytes(p, buf, len);
    CHECK_LOAD_FAILS(p, NULL, MB_EINPUT, "0 images");

    len = idx_bytes(buf, 8, 3, 3, 0, 4, 0); /* zero rows */
    write_bytes(p, buf, len);
    CHECK_LOAD_FAILS(p, NULL, MB_EINPUT, "image size 0x4");

    write_bytes(p, buf, 2); /* shorter than the magic */
    CHECK_LOAD_FAILS(p, NULL, MB_EINPUT, "truncated");

    write_bytes(p, buf, 0); /* empty file */
    CHECK_LOAD_FAILS(p, NULL, MB_EINPUT, "truncated");

    len = idx_bytes(buf, 8, 3, 100000, 1000, 1000, 16); /* header lies: 100 GB */
    write_bytes(p, buf, len);
    CHECK_LOAD_FAILS(p, NULL, MB_EINPUT, "truncated");

    /* images / labels count mismatch */
    len = idx_bytes(buf, 8, 3, 10, 4, 4, 160);
    write_bytes(p, buf, len);
    len = idx_bytes(buf, 8, 1, 9, 0, 0, 9);
    write_bytes(path_in(dir, "bad-labels-idx1-ubyte"), buf, len);
    CHECK_LOAD_FAILS(p, NULL, MB_EINPUT, "has 9 labels but the images file has 10");

    /* truncated labels */
    len = idx_bytes(buf, 8, 1, 10, 0, 0, 6);
    write_bytes(path_in(dir, "bad-labels-idx1-ubyte"), buf, len);
    CHECK_LOAD_FAILS(p, NULL, MB_EINPUT, "bad-labels-idx1-ubyte: truncated");
    remove(path_in(dir, "bad-labels-idx1-ubyte"));

    CHECK_LOAD_FAILS(path_in(dir, "missing-images-idx3-ubyte"), NULL, MB_EINPUT,
                     "no such file");
}

/* A valid .gz cut short, and one with bytes flipped inside the deflate stream. */
static void bad_gzip(const char *dir)
{
    mb_dataset ds;
    make_set(&ds, 200, 1, 12, 12, 3);
    const char *good = path_in(dir, "gz-images-idx3-ubyte.gz");
    CHECK(mb_idx_write(&ds, good, NULL) == MB_OK, "write: %s", mb_last_error());
    mb_dataset_free(&ds);
    size_t n;
    unsigned char *bytes = read_bytes(good, &n);
    const char *bad = path_in(dir, "cut-images-idx3-ubyte.gz");
    write_bytes(bad, bytes, n / 2);
    CHECK_LOAD_FAILS(bad, NULL, MB_EINPUT, "gzip stream");

    for (size_t k = n / 3; k < n / 3 + 16; k++)
        bytes[k] ^= 0x5a;
    write_bytes(bad, bytes, n);
    CHECK_LOAD_FAILS(bad, NULL, MB_EINPUT, "corrupt");

    /* Corrupt only the CRC-32 in the trailer: the data inflate fine, the check fails. */
    free(bytes);
    bytes = read_bytes(good, &n);
    bytes[n - 6] ^= 0xff;
    write_bytes(bad, bytes, n);
    CHECK_LOAD_FAILS(bad, NULL, MB_EINPUT, "corrupt");
    free(bytes);
}

static void idx_directory(const char *dir)
{
    /* The MNIST layout: train / t10k by split. */
    mb_dataset a, b, back;
    make_set(&a, 30, 1, 4, 4, 3);
    make_set(&b, 12, 1, 4, 4, 3);
    CHECK(mb_idx_write(&a, path_in(dir, "train-images-idx3-ubyte.gz"),
                       path_in(dir, "train-labels-idx1-ubyte.gz")) == MB_OK, "write train");
    CHECK(mb_idx_write(&b, path_in(dir, "t10k-images-idx3-ubyte"),
                       path_in(dir, "t10k-labels-idx1-ubyte")) == MB_OK, "write t10k");
    mb_data_options opt = {0};
    CHECK(mb_dataset_load(&back, dir, &opt) == MB_OK && back.n == 30 && back.labels,
          "IDX dir train: %s", mb_last_error());
    mb_dataset_free(&back);
    opt.split = MB_SPLIT_TEST;
    CHECK(mb_dataset_load(&back, dir, &opt) == MB_OK && back.n == 12 && back.labels,
          "IDX dir test: %s", mb_last_error());
    mb_dataset_free(&back);
    mb_dataset_free(&a);
    mb_dataset_free(&b);
    /* A single file has no test part unless test_fraction asks for one. */
    CHECK_LOAD_FAILS(path_in(dir, "t10k-images-idx3-ubyte"), &opt, MB_EINPUT, "no test part");
}

static void fashion_mnist(void)
{
    const char *dir = getenv("MADBENCH_FASHION_MNIST");
    char probe[512];
    snprintf(probe, sizeof probe, "%s/t10k-images-idx3-ubyte.gz",
             dir && *dir ? dir : MB_FASHION_MNIST_DIR);
    FILE *f = fopen(probe, "rb");
    if (!f) {
        printf("fashion-mnist not installed: skipping its checks\n");
        return;
    }
    fclose(f);
    mb_dataset ds;
    mb_data_options opt = {.split = MB_SPLIT_TEST};
    int rc = mb_dataset_load(&ds, "fashion-mnist", &opt);
    CHECK(rc == MB_OK, "fashion-mnist test: %s", mb_last_error());
    if (rc != MB_OK)
        return;
    CHECK(ds.n == 10000 && ds.channels == 1 && ds.height == 28 && ds.width == 28,
          "fashion-mnist test: %d %dx%dx%d", ds.n, ds.channels, ds.height, ds.width);
    CHECK(ds.n_classes == 10 && ds.class_names && !strcmp(ds.class_names[9], "Ankle boot"),
          "fashion-mnist classes");
    long counts[10];
    mb_dataset_class_counts(&ds, counts);
    int balanced = 1;
    for (int k = 0; k < 10; k++)
        balanced &= counts[k] == 1000;
    CHECK(balanced, "fashion-mnist test: 1000 images per class");
    float lo = 1, hi = 0;
    for (size_t k = 0; k < (size_t)ds.n * 784; k++) {
        lo = ds.images[k] < lo ? ds.images[k] : lo;
        hi = ds.images[k] > hi ? ds.images[k] : hi;
    }
    CHECK(lo == 0.0f && hi == 1.0f, "fashion-mnist pixel range %g..%g", lo, hi);
    CHECK(ds.labels[0] == 9, "first test image is an ankle boot (label %d)", ds.labels[0]);
    mb_dataset_free(&ds);
    opt.max_images = 100;
    rc = mb_dataset_load(&ds, "fashion-mnist", &opt);
    CHECK(rc == MB_OK && ds.n == 100, "fashion-mnist max_images=100: n %d", ds.n);
    mb_dataset_free(&ds);
}

int main(void)
{
    const char *dir = tmp_dir();
    round_trip(dir, "rt-images-idx3-ubyte", "rt-labels-idx1-ubyte");
    round_trip(dir, "rtz-images-idx3-ubyte.gz", "rtz-labels-idx1-ubyte.gz");
    bad_inputs(dir);
    bad_gzip(dir);
    tmp_remove(dir);
    dir = tmp_dir();
    idx_directory(dir);
    tmp_remove(dir);
    fashion_mnist();
    return mb_test_finish("test_data_idx");
}
