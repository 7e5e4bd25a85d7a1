/* cli/data.c — `madbench data`: look at a data set (info), export it as PNG or
 * IDX files (export), and measure shapes attributes on any images (measure). */
#include "mb_cli.h"
#include "mb_dataset.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *const usage_text =
    "usage: madbench data info SOURCE [options]\n"
    "       madbench data export SOURCE OUT [options]\n"
    "       madbench data measure SOURCE [options]\n"
    "\n"
    "SOURCE: fashion-mnist | shapes | shapes32 | an IDX images file (.gz or raw) or a\n"
    "        directory of {train,t10k}-*-ubyte[.gz] | a CIFAR-10 .bin batch or the\n"
    "        directory of data_batch_N.bin/test_batch.bin | a folder of PNG/JPEG images\n"
    "        (one subfolder per class, optionally under train/ and test/)\n"
    "\n"
    "info     prints count, shape, classes with their shares, pixel mean and std, and\n"
    "         the ground-truth attributes of shapes sets\n"
    "export   writes the images to OUT: a PNG folder (one subfolder per class), or IDX\n"
    "         files when OUT ends in -images-idx3-ubyte[.gz] (labels beside it)\n"
    "measure  runs the shapes attribute measurer on every image and prints the\n"
    "         attribute statistics (and the error against the truth when known)\n";

typedef struct {
    int flat, shuffle;
} data_cli;

static const mb_option data_table[] = {
    {"flat", MB_OPT_FLAG, MB_OPT_AT(data_cli, flat), NULL, 0, 0, NULL,
     "export: every image directly in OUT, as pytorch-fid reads them", NULL, NULL},
    {"shuffle", MB_OPT_FLAG, MB_OPT_AT(data_cli, shuffle), NULL, 0, 0, NULL,
     "the same as shuffle=1", NULL, NULL},
};

static void usage(FILE *out)
{
    fputs(usage_text, out);
    fprintf(out, "\noptions:\n");
    const data_cli defaults = {0};
    const void *d = &defaults;
    mb_options_help(out, data_table, MB_ARRAY_LEN(data_table), &d, NULL, 1);
    fprintf(out, "\ndata options (key=value or --key value):\n");
    for (const mb_data_option *o = mb_data_option_table; o->key; o++) {
        char left[128];
        snprintf(left, sizeof left, "%s=%s", o->key, o->value);
        mb_help_line(out, left, o->help);
    }
}

static int parse(int argc, char **argv, mb_args *a, mb_data_options *opt, data_cli *c,
                 int n_pos)
{
    MB_TRY(mb_args_parse(a, "data", argc, argv, data_table, MB_ARRAY_LEN(data_table)));
    memset(opt, 0, sizeof *opt);
    memset(c, 0, sizeof *c);
    MB_TRY(mb_options_read(a, data_table, MB_ARRAY_LEN(data_table), NULL, c));
    if (c->shuffle)
        opt->shuffle = 1;
    for (int i = 0; i < a->n_args; i++) {
        if (a->args[i].used || !strcmp(a->args[i].name, "help"))
            continue; /* command options, not data options */
        a->args[i].used = 1;
        MB_TRY(mb_data_option_set(opt, a->args[i].name, a->args[i].value));
    }
    if (a->n_positional != n_pos && !mb_args_help(a))
        return mb_fail(MB_EINPUT, "data %s: expected %d argument%s, got %d (see madbench "
                       "data --help)", a->positional[0], n_pos - 1, n_pos == 2 ? "" : "s",
                       a->n_positional - 1);
    return MB_OK;
}

static void print_stats(const char *name, const float *v, int n, int stride)
{
    double sum = 0, sq = 0, lo = INFINITY, hi = -INFINITY;
    int m = 0;
    for (int i = 0; i < n; i++) {
        double x = v[(size_t)i * stride];
        if (isnan(x))
            continue;
        sum += x;
        sq += x * x;
        lo = fmin(lo, x);
        hi = fmax(hi, x);
        m++;
    }
    double mean = m ? sum / m : NAN;
    double sd = m ? sqrt(fmax(sq / m - mean * mean, 0)) : NAN;
    printf("  %-10s %10.4f %10.4f %10.4f %10.4f %8d\n", name, mean, sd, lo, hi, m);
}

static int info(const mb_dataset *ds, const mb_data_options *opt)
{
    printf("source       %s (%s)\n", ds->source, opt->split == MB_SPLIT_TEST ? "test" : "train");
    printf("images       %d\n", ds->n);
    printf("shape        %dx%dx%d (channels x height x width)\n", ds->channels, ds->height,
           ds->width);
    if (ds->labels && ds->n_classes > 0) {
        long *counts = calloc((size_t)ds->n_classes, sizeof(long));
        if (!counts)
            return mb_fail(MB_ENOMEM, "out of host memory");
        mb_dataset_class_counts(ds, counts);
        printf("classes      %d\n", ds->n_classes);
        for (int k = 0; k < ds->n_classes; k++)
            printf("  %3d %-16s %9ld %8.3f%%\n", k,
                   ds->class_names ? ds->class_names[k] : "", counts[k],
                   100.0 * counts[k] / ds->n);
        free(counts);
    } else {
        printf("classes      none (unlabelled)\n");
    }
    double sum = 0, sq = 0;
    size_t values = (size_t)ds->n * mb_dataset_image_size(ds);
    for (size_t k = 0; k < values; k++) {
        sum += ds->images[k];
        sq += (double)ds->images[k] * ds->images[k];
    }
    double mean = sum / values;
    printf("pixel mean   %.6f\n", mean);
    printf("pixel std    %.6f\n", sqrt(fmax(sq / values - mean * mean, 0)));
    if (ds->n_attrs) {
        printf("attributes   (ground truth)      mean        std        min        max    count\n");
        for (int a = 0; a < ds->n_attrs; a++)
            print_stats(ds->attr_names[a], ds->attrs + a, ds->n, ds->n_attrs);
    }
    return MB_OK;
}

static int measure(const mb_dataset *ds)
{
    if (ds->channels != 1 && ds->channels != 3)
        return mb_fail(MB_EINPUT, "%s: the measurer reads 1- or 3-channel images, this set "
                       "has %d", ds->source, ds->channels);
    int n_attrs = ds->channels == 3 ? 8 : 6;
    float *m = mb_host_alloc((size_t)ds->n * n_attrs * sizeof(float), "measured attributes");
    if (!m)
        return MB_ENOMEM;
    MB_TRY(mb_shapes_measure_all(ds, m, NULL));
    static const char *const gray[] = {"radius", "cx", "cy", "intensity", "aspect", "angle"};
    static const char *const rgb[] = {"radius", "cx", "cy", "red", "green", "blue", "aspect",
                                      "angle"};
    printf("images       %d (%s)\n", ds->n, ds->source);
    printf("measured                         mean        std        min        max    count\n");
    for (int a = 0; a < n_attrs; a++)
        print_stats(ds->channels == 3 ? rgb[a] : gray[a], m + a, ds->n, n_attrs);
    if (ds->n_attrs == n_attrs) {
        double worst = 0, total = 0;
        for (int i = 0; i < ds->n; i++) {
            double e = fabs(m[(size_t)i * n_attrs] - ds->attrs[(size_t)i * n_attrs]);
            total += e;
            worst = fmax(worst, isnan(e) ? INFINITY : e);
        }
        printf("radius error vs ground truth: mean %.4f px, max %.4f px\n", total / ds->n,
               worst);
    }
    free(m);
    return MB_OK;
}

int mb_cli_data(int argc, char **argv)
{
    if (argc < 1 || !strcmp(argv[0], "--help") || !strcmp(argv[0], "-h")) {
        usage(argc < 1 ? stderr : stdout);
        return argc < 1 ? mb_fail(MB_EINPUT, "data: expected a subcommand: info, export or "
                                  "measure") : MB_OK;
    }
    const char *what = argv[0];
    int n_pos = !strcmp(what, "export") ? 3 : 2;
    if (strcmp(what, "info") && strcmp(what, "export") && strcmp(what, "measure"))
        return mb_fail(MB_EINPUT, "data: unknown subcommand '%s' (expected info, export or "
                       "measure)", what);
    mb_args a;
    mb_data_options opt;
    data_cli c;
    MB_TRY(parse(argc, argv, &a, &opt, &c, n_pos));
    if (mb_args_help(&a)) {
        usage(stdout);
        return MB_OK;
    }
    if (strcmp(what, "export") && c.flat)
        return mb_fail(MB_EINPUT, "data %s: option --flat is for data export only", what);
    mb_dataset ds;
    MB_TRY(mb_dataset_load(&ds, a.positional[1], &opt));
    int rc;
    if (!strcmp(what, "info")) {
        rc = info(&ds, &opt);
    } else if (!strcmp(what, "measure")) {
        rc = measure(&ds);
    } else {
        const char *out = a.positional[2];
        const char *hit = strstr(out, "-images-idx3-ubyte");
        if (hit && (!strcmp(hit, "-images-idx3-ubyte") || !strcmp(hit, "-images-idx3-ubyte.gz"))) {
            char labels[4096];
            int len = snprintf(labels, sizeof labels, "%.*s-labels-idx1-ubyte%s",
                               (int)(hit - out), out, hit + strlen("-images-idx3-ubyte"));
            rc = len < (int)sizeof labels
                     ? mb_idx_write(&ds, out, ds.labels ? labels : NULL)
                     : mb_fail(MB_EINPUT, "%.64s...: path too long (expected under 4096 "
                               "bytes)", out);
        } else {
            mb_dataset view = ds; /* flat: no class folders, for pytorch-fid */
            if (c.flat) {
                view.labels = NULL;
                view.n_classes = 0;
            }
            rc = mb_png_folder_write(&view, out);
        }
        if (rc == MB_OK)
            printf("wrote %d images to %s\n", ds.n, out);
    }
    mb_dataset_free(&ds);
    return rc;
}
