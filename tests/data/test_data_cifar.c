/* test_data_cifar.c — CIFAR-10 binary batches: round trip through the writer, the
 * batch directory with its train / test split, and the bad inputs. */
#include "test_data_util.h"

#define RECORD 3073

static void round_trip(const char *dir)
{
    mb_dataset a, b, back;
    make_set(&a, 25, 3, 32, 32, 10);
    make_set(&b, 7, 3, 32, 32, 10);
    for (int i = 0; i < 7; i++)
        b.labels[i] = 9 - i;
    CHECK(mb_cifar_write(&a, path_in(dir, "data_batch_1.bin")) == MB_OK, "write 1: %s",
          mb_last_error());
    CHECK(mb_cifar_write(&b, path_in(dir, "data_batch_2.bin")) == MB_OK, "write 2: %s",
          mb_last_error());
    CHECK(mb_cifar_write(&b, path_in(dir, "test_batch.bin")) == MB_OK, "write test: %s",
          mb_last_error());

    int rc = mb_dataset_load(&back, dir, NULL);
    CHECK(rc == MB_OK, "load CIFAR dir: %s", mb_last_error());
    if (rc == MB_OK) {
        CHECK(back.n == 32 && back.channels == 3 && back.height == 32 && back.width == 32,
              "train part: %d %dx%dx%d", back.n, back.channels, back.height, back.width);
        CHECK(back.n_classes == 10 && back.class_names &&
                  !strcmp(back.class_names[0], "airplane"), "CIFAR class names");
        double worst = 0;
        int labels_ok = 1;
        for (int i = 0; i < 25; i++) {
            double d = max_image_diff(&a, i, &back, i);
            worst = d > worst ? d : worst;
            labels_ok &= back.labels[i] == a.labels[i];
        }
        for (int i = 0; i < 7; i++) {
            double d = max_image_diff(&b, i, &back, 25 + i);
            worst = d > worst ? d : worst;
            labels_ok &= back.labels[25 + i] == b.labels[i];
        }
        CHECK(worst == 0, "images differ by %g after the round trip", worst);
        CHECK(labels_ok, "labels differ after the round trip");
    }
    mb_dataset_free(&back);
    mb_data_options opt = {.split = MB_SPLIT_TEST};
    rc = mb_dataset_load(&back, dir, &opt);
    CHECK(rc == MB_OK && back.n == 7 && back.labels[0] == 9, "test part: %s", mb_last_error());
    mb_dataset_free(&back);
    /* a single batch file */
    rc = mb_dataset_load(&back, path_in(dir, "data_batch_2.bin"), NULL);
    CHECK(rc == MB_OK && back.n == 7, "single batch: %s", mb_last_error());
    mb_dataset_free(&back);
    /* the writer refuses what CIFAR cannot hold */
    mb_dataset gray;
    make_set(&gray, 2, 1, 28, 28, 2);
    CHECK(mb_cifar_write(&gray, path_in(dir, "x.bin")) == MB_EINPUT, "gray written as CIFAR");
    mb_dataset_free(&gray);
    mb_dataset_free(&a);
    mb_dataset_free(&b);
}

static void bad_inputs(const char *dir)
{
    static unsigned char buf[RECORD * 3];
    for (int i = 0; i < 3; i++) {
        memset(buf + i * RECORD, 0x40, RECORD);
        buf[i * RECORD] = (unsigned char)i;
    }
    const char *p = path_in(dir, "bad.bin");
    write_bytes(p, buf, RECORD * 3 - 100);
    CHECK_LOAD_FAILS(p, NULL, MB_EINPUT, "truncated");
    write_bytes(p, buf, 0);
    CHECK_LOAD_FAILS(p, NULL, MB_EINPUT, "0 images");
    buf[RECORD] = 10; /* label of record 1 */
    write_bytes(p, buf, RECORD * 3);
    CHECK_LOAD_FAILS(p, NULL, MB_EINPUT, "record 1 has label 10");
    /* A batch missing from a CIFAR directory holding only test_batch.bin */
    const char *sub = path_in(dir, "only_test");
    char cmd[600];
    snprintf(cmd, sizeof cmd, "mkdir -p '%s'", sub);
    CHECK(system(cmd) == 0, "mkdir");
    buf[RECORD] = 1;
    write_bytes(path_in(sub, "test_batch.bin"), buf, RECORD * 3);
    CHECK_LOAD_FAILS(sub, NULL, MB_EINPUT, "data_batch_N.bin");
    /* A truncated batch inside a directory names that file */
    write_bytes(path_in(sub, "data_batch_1.bin"), buf, RECORD * 2 + 5);
    CHECK_LOAD_FAILS(sub, NULL, MB_EINPUT, "data_batch_1.bin: truncated");
}

int main(void)
{
    const char *dir = tmp_dir();
    round_trip(dir);
    bad_inputs(dir);
    tmp_remove(dir);
    return mb_test_finish("test_data_cifar");
}
