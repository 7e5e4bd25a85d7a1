/* make_seeds.c — writes the seed corpora of the data fuzz targets (small valid
 * inputs made by madbench's own writers) into DIR/{idx,cifar,folder,npy}. */
#include "mb_dataset.h"
#include "mb_npy.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

static unsigned char *slurp(const char *path, size_t *n)
{
    FILE *f = fopen(path, "rb");
    if (!f) {
        perror(path);
        exit(1);
    }
    fseek(f, 0, SEEK_END);
    *n = (size_t)ftell(f);
    fseek(f, 0, SEEK_SET);
    unsigned char *buf = malloc(*n + 1);
    if (fread(buf, 1, *n, f) != *n)
        exit(1);
    fclose(f);
    return buf;
}

/* Writes prefix (plen bytes) followed by the given files, concatenated. */
static void seed(const char *out, const unsigned char *prefix, size_t plen,
                 const char *const *files, int n_files)
{
    FILE *f = fopen(out, "wb");
    if (!f) {
        perror(out);
        exit(1);
    }
    fwrite(prefix, 1, plen, f);
    for (int i = 0; i < n_files; i++) {
        size_t n;
        unsigned char *b = slurp(files[i], &n);
        fwrite(b, 1, n, f);
        free(b);
    }
    fclose(f);
}

static void shapes(mb_dataset *ds, int n, int size, int channels)
{
    mb_shapes_options o = {0};
    o.size = size;
    o.channels = channels;
    o.radius_mean = size / 4.0;
    o.radius_std = 0.5;
    o.n_kinds = 2;
    o.kinds[1] = MB_SHAPE_SQUARE;
    if (mb_shapes_generate(ds, n, 1, &o) != MB_OK) {
        fprintf(stderr, "make_seeds: %s\n", mb_last_error());
        exit(1);
    }
}

int main(int argc, char **argv)
{
    if (argc != 2) {
        fprintf(stderr, "usage: make_seeds DIR\n");
        return 2;
    }
    char p[4][1024];
    const char *d = argv[1];
    for (int i = 0; i < 4; i++) {
        const char *sub[] = {"idx", "cifar", "folder", "npy"};
        snprintf(p[0], sizeof p[0], "%s/%s", d, sub[i]);
        mkdir(d, 0777);
        mkdir(p[0], 0777);
    }
    mb_dataset ds;
    /* IDX: raw and gzip, with and without labels (2-byte split prefix). */
    shapes(&ds, 3, 8, 1);
    for (int gz = 0; gz < 2; gz++) {
        snprintf(p[0], sizeof p[0], "%s/i-images-idx3-ubyte%s", d, gz ? ".gz" : "");
        snprintf(p[1], sizeof p[1], "%s/i-labels-idx1-ubyte%s", d, gz ? ".gz" : "");
        if (mb_idx_write(&ds, p[0], p[1]) != MB_OK)
            return 1;
        size_t n;
        free(slurp(p[0], &n));
        unsigned char split[2] = {(unsigned char)(n >> 8), (unsigned char)n};
        const char *files[2] = {p[0], p[1]};
        snprintf(p[2], sizeof p[2], "%s/idx/labelled%d", d, gz);
        seed(p[2], split, 2, files, 2);
        unsigned char zero[2] = {0, 0};
        snprintf(p[2], sizeof p[2], "%s/idx/alone%d", d, gz);
        seed(p[2], zero, 2, files, 1);
        remove(p[0]);
        remove(p[1]);
    }
    mb_dataset_free(&ds);
    /* CIFAR-10: two records, with a few option bytes. */
    shapes(&ds, 2, 32, 3);
    snprintf(p[0], sizeof p[0], "%s/c.bin", d);
    if (mb_cifar_write(&ds, p[0]) != MB_OK)
        return 1;
    const unsigned char modes[3] = {0, 1 + 4, 16 + 32};
    for (int m = 0; m < 3; m++) {
        const char *files[1] = {p[0]};
        snprintf(p[2], sizeof p[2], "%s/cifar/batch%d", d, m);
        seed(p[2], &modes[m], 1, files, 1);
    }
    remove(p[0]);
    mb_dataset_free(&ds);
    /* Folder: one gray PNG; two colour PNGs in class folders; a resize. */
    for (int c = 1; c <= 3; c += 2) {
        shapes(&ds, 1, 8, c);
        ds.labels = NULL; /* flat PNG, no class folder */
        free(ds.class_names);
        ds.class_names = NULL;
        snprintf(p[1], sizeof p[1], "%s/png%d", d, c);
        if (mb_png_folder_write(&ds, p[1]) != MB_OK) {
            fprintf(stderr, "make_seeds: %s\n", mb_last_error());
            return 1;
        }
        snprintf(p[0], sizeof p[0], "%s/png%d/00000000.png", d, c);
        const unsigned char one = 0, two_classes = 1 + 4, resized = 8 + 32;
        const char *files[2] = {p[0], p[0]};
        snprintf(p[2], sizeof p[2], "%s/folder/one%d", d, c);
        seed(p[2], &one, 1, files, 1);
        snprintf(p[2], sizeof p[2], "%s/folder/classes%d", d, c);
        seed(p[2], &two_classes, 1, files, 2);
        snprintf(p[2], sizeof p[2], "%s/folder/resized%d", d, c);
        seed(p[2], &resized, 1, files, 1);
        remove(p[0]);
        remove(p[1]);
        mb_dataset_free(&ds);
    }
    /* NumPy: features float32 [3, 2], a float64 vector, statistics (.npz, deflated). */
    const float f32[6] = {1, -2, 0.5f, 3, 4, -1e-3f};
    const double mu[2] = {0.25, -1}, sigma[4] = {2, 0.5, 0.5, 1};
    const long shape32[2] = {3, 2}, shape64[1] = {2};
    snprintf(p[0], sizeof p[0], "%s/npy/features.npy", d);
    snprintf(p[1], sizeof p[1], "%s/npy/vector.npy", d);
    snprintf(p[2], sizeof p[2], "%s/npy/stats.npz", d);
    if (mb_npy_write(p[0], f32, 4, 2, shape32) != MB_OK ||
        mb_npy_write(p[1], mu, 8, 1, shape64) != MB_OK ||
        mb_npz_write_stats(p[2], mu, sigma, 2) != MB_OK) {
        fprintf(stderr, "make_seeds: %s\n", mb_last_error());
        return 1;
    }
    return 0;
}
