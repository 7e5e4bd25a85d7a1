/* fuzz_folder.c — libFuzzer target for the image-folder reader (stb_image). The
 * first byte picks the layout: 1..4 files, flat or in two class folders, an
 * optional resize; the rest of the input is cut into that many image files. */
#include "fuzz_common.h"

#include <sys/stat.h>

static const char *const names[4] = {"a.png", "b.jpg", "c.png", "d.bmp"};

static void clear(const char *root)
{
    char p[512];
    for (int i = 0; i < 4; i++) {
        snprintf(p, sizeof p, "%s/%s", root, names[i]);
        unlink(p);
        for (int k = 0; k < 2; k++) {
            snprintf(p, sizeof p, "%s/class%d/%s", root, k, names[i]);
            unlink(p);
        }
    }
    for (int k = 0; k < 2; k++) {
        snprintf(p, sizeof p, "%s/class%d", root, k);
        rmdir(p);
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1)
        return 0;
    uint8_t mode = data[0];
    data++;
    size--;
    const char *root = fuzz_path("images");
    mkdir(root, 0700);
    clear(root);
    int n_files = 1 + (mode & 3), classes = (mode >> 2) & 1;
    size_t part = size / (size_t)n_files;
    char p[512];
    for (int i = 0; i < n_files; i++) {
        if (classes) {
            snprintf(p, sizeof p, "%s/class%d", root, i % 2);
            mkdir(p, 0700);
            snprintf(p, sizeof p, "%s/class%d/%s", root, i % 2, names[i]);
        } else {
            snprintf(p, sizeof p, "%s/%s", root, names[i]);
        }
        size_t len = i == n_files - 1 ? size - part * (size_t)i : part;
        fuzz_write(p, data + part * (size_t)i, len);
    }
    mb_data_options opt = {0};
    if (mode & 8)
        opt.resize_height = opt.resize_width = 1 + ((mode >> 4) & 7);
    if (mode & 128)
        opt.channels = 3;
    mb_dataset ds;
    fuzz_check(mb_dataset_load(&ds, root, &opt), &ds);
    return 0;
}
