/* test_data_folder.c — image folders: PNG folder writer round trips (gray and
 * colour, labelled and not, train/test), JPEG reading, resize, and the bad
 * folders: mixed sizes, unreadable images, empty folders. */
#include "test_data_util.h"

#include <stb/stb_image_write.h>
#include <sys/stat.h>

static void round_trip(const char *dir, int C, int n_classes)
{
    char out[512];
    snprintf(out, sizeof out, "%s/rt_c%d_k%d", dir, C, n_classes);
    mb_dataset ds, back;
    make_set(&ds, 23, C, 9, 6, n_classes);
    /* sorted by class, so that the folder order is the original order */
    if (n_classes)
        for (int i = 0; i < ds.n; i++)
            ds.labels[i] = i * n_classes / ds.n;
    int rc = mb_png_folder_write(&ds, out);
    CHECK(rc == MB_OK, "write %s: %s", out, mb_last_error());
    rc = mb_dataset_load(&back, out, NULL);
    CHECK(rc == MB_OK, "read %s: %s", out, mb_last_error());
    if (rc == MB_OK) {
        CHECK(back.n == 23 && back.channels == C && back.height == 9 && back.width == 6,
              "%s: shape %d %dx%dx%d", out, back.n, back.channels, back.height, back.width);
        CHECK(back.n_classes == n_classes && (n_classes == 0) == (back.labels == NULL),
              "%s: %d classes", out, back.n_classes);
        double worst = 0;
        int labels_ok = 1;
        for (int i = 0; i < back.n && back.n == ds.n; i++) {
            double d = max_image_diff(&ds, i, &back, i);
            worst = d > worst ? d : worst;
            if (n_classes)
                labels_ok &= back.labels[i] == ds.labels[i];
        }
        CHECK(worst == 0, "%s: images differ by %g after the round trip", out, worst);
        CHECK(labels_ok, "%s: labels differ after the round trip", out);
    }
    mb_dataset_free(&back);
    /* Writing again into the same (now non-empty) folder is refused. */
    CHECK(mb_png_folder_write(&ds, out) == MB_EINPUT && strstr(mb_last_error(), "not empty"),
          "rewrite into a non-empty folder: %s", mb_last_error());
    mb_dataset_free(&ds);
}

static void named_classes_and_split(const char *dir)
{
    mb_dataset ds, back;
    const char *names[] = {"T-shirt/top", "Trouser", "Bag"};
    make_set(&ds, 12, 1, 4, 4, 3);
    ds.class_names = calloc(3, MB_MAX_CLASS_NAME);
    for (int k = 0; k < 3; k++)
        strcpy(ds.class_names[k], names[k]);
    CHECK(mb_png_folder_write(&ds, path_in(dir, "split/train")) == MB_OK, "write train: %s",
          mb_last_error());
    ds.n = 5; /* the first 5 as the test part */
    CHECK(mb_png_folder_write(&ds, path_in(dir, "split/test")) == MB_OK, "write test: %s",
          mb_last_error());
    ds.n = 12;
    struct stat st;
    CHECK(stat(path_in(dir, "split/train/00_T-shirt_top/00000000.png"), &st) == 0,
          "class folder named 00_T-shirt_top");
    mb_data_options opt = {.split = MB_SPLIT_TEST};
    int rc = mb_dataset_load(&back, path_in(dir, "split"), &opt);
    CHECK(rc == MB_OK && back.n == 5 && back.n_classes == 3, "test split: %s (n %d)",
          mb_last_error(), back.n);
    if (rc == MB_OK)
        CHECK(!strcmp(back.class_names[1], "01_Trouser"), "class name %s", back.class_names[1]);
    mb_dataset_free(&back);
    opt.split = MB_SPLIT_TRAIN;
    rc = mb_dataset_load(&back, path_in(dir, "split"), &opt);
    CHECK(rc == MB_OK && back.n == 12, "train split: %s", mb_last_error());
    mb_dataset_free(&back);
    mb_dataset_free(&ds);
}

static void write_gray_png(const char *path, int w, int h, int value)
{
    unsigned char *px = malloc((size_t)w * h);
    memset(px, value, (size_t)w * h);
    stbi_write_png(path, w, h, 1, px, w);
    free(px);
}

static void make_dir(const char *path)
{
    mkdir(path, 0777);
}

static void jpeg_and_resize(const char *dir)
{
    const char *jd = path_in(dir, "jpeg");
    make_dir(jd);
    unsigned char rgb[16 * 16 * 3];
    for (int p = 0; p < 256; p++) {
        rgb[3 * p] = 200;
        rgb[3 * p + 1] = 100;
        rgb[3 * p + 2] = 50;
    }
    stbi_write_jpg(path_in(jd, "a.jpg"), 16, 16, 3, rgb, 100);
    stbi_write_jpg(path_in(jd, "b.JPEG"), 16, 16, 3, rgb, 100);
    mb_dataset back;
    int rc = mb_dataset_load(&back, jd, NULL);
    CHECK(rc == MB_OK && back.n == 2 && back.channels == 3 && !back.labels,
          "jpeg folder: %s", mb_last_error());
    if (rc == MB_OK) {
        /* flat colour survives JPEG at quality 100 within a few levels */
        CHECK_CLOSE(back.images[0], 200 / 255.0, 3 / 255.0, 0, "jpeg red");
        CHECK_CLOSE(back.images[256], 100 / 255.0, 3 / 255.0, 0, "jpeg green (plane 1)");
        CHECK_CLOSE(back.images[512], 50 / 255.0, 3 / 255.0, 0, "jpeg blue (plane 2)");
    }
    mb_dataset_free(&back);
    /* channels=1 turns colour into gray */
    mb_data_options opt = {.channels = 1};
    rc = mb_dataset_load(&back, jd, &opt);
    CHECK(rc == MB_OK && back.channels == 1, "channels=1: %s", mb_last_error());
    mb_dataset_free(&back);

    /* mixed sizes: rejected, naming both files, unless resize is asked for */
    const char *md = path_in(dir, "mixed");
    make_dir(md);
    write_gray_png(path_in(md, "a.png"), 8, 8, 255);
    write_gray_png(path_in(md, "b.png"), 10, 6, 255);
    CHECK_LOAD_FAILS(md, NULL, MB_EINPUT, "b.png: image is 10x6 but");
    opt = (mb_data_options){.resize_height = 4, .resize_width = 5};
    rc = mb_dataset_load(&back, md, &opt);
    CHECK(rc == MB_OK && back.n == 2 && back.height == 4 && back.width == 5,
          "resize=4x5: %s", mb_last_error());
    if (rc == MB_OK)
        CHECK_CLOSE(back.images[7], 1.0, 1e-6, 0, "a flat white image stays white resized");
    mb_dataset_free(&back);
}

static void bad_folders(const char *dir)
{
    const char *e = path_in(dir, "empty");
    make_dir(e);
    CHECK_LOAD_FAILS(e, NULL, MB_EINPUT, "contains 0 images");

    const char *u = path_in(dir, "unreadable");
    make_dir(u);
    write_gray_png(path_in(u, "ok.png"), 4, 4, 10);
    write_bytes(path_in(u, "zz_broken.png"), "\x89PNG\r\n\x1a\n garbage", 17);
    CHECK_LOAD_FAILS(u, NULL, MB_EINPUT, "zz_broken.png: PNG chunk");

    const char *t = path_in(dir, "truncated");
    make_dir(t);
    write_gray_png(path_in(t, "a.png"), 16, 16, 10);
    size_t n;
    unsigned char *bytes = read_bytes(path_in(t, "a.png"), &n);
    write_bytes(path_in(t, "b.png"), bytes, n / 2);
    CHECK_LOAD_FAILS(t, NULL, MB_EINPUT, "b.png: cannot decode the image: corrupt");

    /* A chunk stating 1 GiB in a small file (a fuzzer find: stb_image would grow
     * its buffer to 2 GiB before reading) is refused before decoding. */
    const char *g = path_in(dir, "giant_chunk");
    make_dir(g);
    unsigned char head[33 + 8 + 16] = {0};
    memcpy(head, bytes, 33); /* signature and IHDR */
    memcpy(head + 33, "\x40\x00\x00\x00IDAT", 8);
    write_bytes(path_in(g, "a.png"), head, sizeof head);
    CHECK_LOAD_FAILS(g, NULL, MB_EINPUT,
                     "a.png: PNG chunk IDAT at byte 33 states 1073741824 bytes, past the end "
                     "of the 57-byte file");
    free(bytes);

    const char *c = path_in(dir, "empty_class");
    make_dir(c);
    make_dir(path_in(c, "cats"));
    make_dir(path_in(c, "dogs"));
    write_gray_png(path_in(c, "cats/1.png"), 4, 4, 10);
    CHECK_LOAD_FAILS(c, NULL, MB_EINPUT, "dogs: class folder has no PNG/JPEG images");

    const char *m = path_in(dir, "mixed_layout");
    make_dir(m);
    make_dir(path_in(m, "cats"));
    write_gray_png(path_in(m, "cats/1.png"), 4, 4, 10);
    write_gray_png(path_in(m, "loose.png"), 4, 4, 10);
    CHECK_LOAD_FAILS(m, NULL, MB_EINPUT, "holds both images");

    /* Files that are not images (README, hidden files) are ignored. */
    const char *r = path_in(dir, "with_readme");
    make_dir(r);
    write_gray_png(path_in(r, "1.png"), 4, 4, 10);
    write_bytes(path_in(r, "README.txt"), "hello", 5);
    write_bytes(path_in(r, ".hidden.png"), "x", 1);
    mb_dataset back;
    CHECK(mb_dataset_load(&back, r, NULL) == MB_OK && back.n == 1, "README ignored: %s",
          mb_last_error());
    mb_dataset_free(&back);
}

int main(void)
{
    const char *dir = tmp_dir();
    round_trip(dir, 1, 0);
    round_trip(dir, 1, 4);
    round_trip(dir, 3, 0);
    round_trip(dir, 3, 2);
    named_classes_and_split(dir);
    jpeg_and_resize(dir);
    bad_folders(dir);
    tmp_remove(dir);
    return mb_test_finish("test_data_folder");
}
