/* data/load.c — mb_dataset_load: turns a source name or path into a data set by
 * picking the reader, the train or test part, and then the subset (data/subset.c). */
#include "data_internal.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *const fashion_mnist_classes[] = {
    "T-shirt/top", "Trouser", "Pullover", "Dress", "Coat",
    "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot"};

static const char *const expected_sources =
    "expected fashion-mnist, shapes, shapes32, an IDX file or directory, a CIFAR-10 "
    ".bin batch or directory, or a folder of PNG/JPEG images";

/* dir/name or dir/name.gz, whichever exists (raw first). */
static int find_in_dir(char *out, size_t size, const char *dir, const char *name)
{
    snprintf(out, size, "%s/%s", dir, name);
    if (mb_data_is_file(out))
        return 1;
    snprintf(out, size, "%s/%s.gz", dir, name);
    return mb_data_is_file(out);
}

/* A directory in the MNIST layout: {train,t10k}-images-idx3-ubyte[.gz] + labels. */
static int is_idx_dir(const char *dir)
{
    char p[4096];
    return find_in_dir(p, sizeof p, dir, "train-images-idx3-ubyte") ||
           find_in_dir(p, sizeof p, dir, "t10k-images-idx3-ubyte");
}

static int load_idx_dir(mb_dataset *ds, const char *dir, mb_split split)
{
    const char *prefix = split == MB_SPLIT_TEST ? "t10k" : "train";
    char images[4096], labels[4096], name[64];
    snprintf(name, sizeof name, "%s-images-idx3-ubyte", prefix);
    if (!find_in_dir(images, sizeof images, dir, name))
        return mb_fail(MB_EINPUT, "%s: no %s[.gz] there (expected the IDX files of the %s "
                       "split)", dir, name, split == MB_SPLIT_TEST ? "test" : "train");
    snprintf(name, sizeof name, "%s-labels-idx1-ubyte", prefix);
    int have_labels = find_in_dir(labels, sizeof labels, dir, name);
    return mb_idx_read(ds, images, have_labels ? labels : NULL);
}

/* The labels file next to an IDX images file: "images-idx3" -> "labels-idx1",
 * same compression first, then the other. Returns 0 when there is none. */
static int idx_labels_path(char *out, size_t size, const char *images)
{
    const char *slash = strrchr(images, '/');
    const char *base = slash ? slash + 1 : images;
    const char *hit = strstr(base, "images-idx3");
    if (!hit)
        return 0;
    size_t pre = (size_t)(hit - images);
    if (pre + strlen(images) + 8 > size)
        return 0;
    memcpy(out, images, pre);
    snprintf(out + pre, size - pre, "labels-idx1%s", hit + strlen("images-idx3"));
    if (mb_data_is_file(out))
        return 1;
    size_t n = strlen(out);
    if (mb_data_has_suffix(out, ".gz"))
        out[n - 3] = 0;
    else
        snprintf(out + n, size - n, ".gz");
    return mb_data_is_file(out);
}

static int is_cifar_dir(const char *dir)
{
    char p[4096];
    snprintf(p, sizeof p, "%s/data_batch_1.bin", dir);
    if (mb_data_is_file(p))
        return 1;
    snprintf(p, sizeof p, "%s/test_batch.bin", dir);
    return mb_data_is_file(p);
}

static int load_cifar_dir(mb_dataset *ds, const char *dir, mb_split split)
{
    char paths[5][4096];
    const char *list[5];
    int n = 0;
    if (split == MB_SPLIT_TEST) {
        snprintf(paths[0], sizeof paths[0], "%s/test_batch.bin", dir);
        n = 1;
    } else {
        for (int b = 1; b <= 5; b++) {
            snprintf(paths[n], sizeof paths[n], "%s/data_batch_%d.bin", dir, b);
            if (mb_data_is_file(paths[n]))
                n++;
        }
    }
    if (n == 0 || !mb_data_is_file(paths[0]))
        return mb_fail(MB_EINPUT, "%s: no %s there (expected the CIFAR-10 binary batches "
                       "of the %s split)", dir,
                       split == MB_SPLIT_TEST ? "test_batch.bin" : "data_batch_N.bin",
                       split == MB_SPLIT_TEST ? "test" : "train");
    for (int i = 0; i < n; i++)
        list[i] = paths[i];
    MB_TRY(mb_cifar_read(ds, list, n));
    snprintf(ds->source, sizeof ds->source, "%s", dir);
    return MB_OK;
}

static int load_shapes(mb_dataset *ds, const char *source, const mb_data_options *opt)
{
    mb_shapes_options so = opt->shapes;
    int colour = !strcmp(source, "shapes32");
    if (!so.size)
        so.size = colour ? 32 : 28;
    if (!so.channels)
        so.channels = colour ? 3 : 1;
    long n = so.n_images;
    if (n <= 0 && opt->max_images > 0 && opt->n_imbalance) {
        /* Enough images that every kind alone could fill the set, so that any
         * imposed share can be met: n / (smallest natural share of a kind). */
        mb_shapes_options d = so;
        mb_shapes_defaults(&d);
        double total = 0, smallest = 1;
        for (int k = 0; k < d.n_kinds; k++)
            total += d.kind_shares[k];
        for (int k = 0; k < d.n_kinds; k++) {
            double share = total > 0 ? d.kind_shares[k] / total : 1.0 / d.n_kinds;
            if (share > 0 && share < smallest)
                smallest = share;
        }
        n = (long)ceil(opt->max_images / smallest);
    } else if (n <= 0) {
        n = opt->max_images > 0 ? opt->max_images : opt->split == MB_SPLIT_TEST ? 2000 : 10000;
    }
    if (n > MB_DATA_MAX_IMAGES)
        return mb_fail(MB_EINPUT, "%s: %ld images requested (expected at most %ld)", source,
                       n, MB_DATA_MAX_IMAGES);
    /* Train and test are independent draws from the same distributions. */
    uint64_t seed = opt->split == MB_SPLIT_TEST ? mb_data_stream(opt->seed, 0x7e57) : opt->seed;
    MB_TRY(mb_shapes_generate(ds, (int)n, seed, &so));
    snprintf(ds->source, sizeof ds->source, "%s", source);
    return MB_OK;
}

/* Loads the whole source (the part named by split where it has parts) and says
 * whether it had a natural train / test split. */
static int load_source(mb_dataset *ds, const char *source, const mb_data_options *opt,
                       int *has_split)
{
    *has_split = 1;
    if (!strcmp(source, "fashion-mnist")) {
        const char *dir = getenv("MADBENCH_FASHION_MNIST");
        if (!dir || !*dir)
            dir = MB_FASHION_MNIST_DIR;
        if (!mb_data_is_dir(dir))
            return mb_fail(MB_EINPUT, "fashion-mnist: %s does not exist (expected the "
                           "Debian package dataset-fashion-mnist, or MADBENCH_FASHION_MNIST "
                           "naming a directory of its IDX files)", dir);
        MB_TRY(load_idx_dir(ds, dir, opt->split));
        MB_TRY(mb_data_set_class_names(ds, fashion_mnist_classes, 10));
        if (ds->n_classes < 10)
            ds->n_classes = 10;
        snprintf(ds->source, sizeof ds->source, "fashion-mnist");
        return MB_OK;
    }
    if (!strcmp(source, "shapes") || !strcmp(source, "shapes32"))
        return load_shapes(ds, source, opt);
    if (mb_data_is_dir(source)) {
        if (is_idx_dir(source)) {
            MB_TRY(load_idx_dir(ds, source, opt->split));
            snprintf(ds->source, sizeof ds->source, "%s", source);
            return MB_OK;
        }
        if (is_cifar_dir(source))
            return load_cifar_dir(ds, source, opt->split);
        *has_split = mb_folder_has_split(source);
        return mb_folder_read(ds, source, opt);
    }
    if (!mb_data_is_file(source))
        return mb_fail(MB_EINPUT, "%s: no such file, directory or built-in data set (%s)",
                       source, expected_sources);
    *has_split = 0;
    const char *slash = strrchr(source, '/');
    if (mb_data_is_image_name(slash ? slash + 1 : source))
        return mb_fail(MB_EINPUT, "%s: a single image is not a data set (expected the folder "
                       "that holds the images)", source);
    if (mb_data_has_suffix(source, ".bin"))
        return mb_cifar_read(ds, &source, 1);
    /* Anything else must be IDX: the reader checks the magic number. */
    char labels[4096];
    int have_labels = idx_labels_path(labels, sizeof labels, source);
    return mb_idx_read(ds, source, have_labels ? labels : NULL);
}

int mb_dataset_load(mb_dataset *ds, const char *source, const mb_data_options *opt)
{
    static const mb_data_options defaults;
    if (!opt)
        opt = &defaults;
    memset(ds, 0, sizeof *ds);
    if (!source || !*source)
        return mb_fail(MB_EINPUT, "data source is empty (%s)", expected_sources);
    if (strlen(source) > 3000) /* leaves room for the file names joined to it */
        return mb_fail(MB_EINPUT, "%.64s...: path longer than 3000 bytes (expected a "
                       "shorter path)", source);
    int has_split;
    int rc = load_source(ds, source, opt, &has_split);
    if (rc == MB_OK && !has_split && opt->split == MB_SPLIT_TEST && opt->test_fraction <= 0)
        rc = mb_fail(MB_EINPUT, "%s: has no test part (expected test_fraction=F to hold out "
                     "a seeded share of it as the test split)", source);
    if (rc == MB_OK)
        rc = mb_dataset_subset(ds, opt);
    if (rc != MB_OK)
        mb_dataset_free(ds);
    return rc;
}
