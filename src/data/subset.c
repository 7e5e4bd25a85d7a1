/* data/subset.c — the part of a loaded set that a run uses: seeded shuffle, seeded
 * train/test hold-out, imposed class imbalance, and the image count. */
#include "data_internal.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum { STREAM_SHUFFLE = 1, STREAM_SPLIT = 2 };

/* Keeps order[i] where keep[order[i]] is set; returns the new length. */
static int filter(int *order, int n, const unsigned char *keep)
{
    int m = 0;
    for (int i = 0; i < n; i++)
        if (keep[order[i]])
            order[m++] = order[i];
    return m;
}

static int check_imbalance(const mb_dataset *ds, const mb_data_options *opt, double *share)
{
    if (!ds->labels || ds->n_classes <= 0)
        return mb_fail(MB_EINPUT, "%s: imbalance needs class labels but the data set has "
                       "none (expected a labelled source)", ds->source);
    double total = 0;
    for (int k = 0; k < ds->n_classes; k++)
        share[k] = -1; /* not fixed */
    for (int j = 0; j < opt->n_imbalance; j++) {
        int c = opt->imbalance[j].label;
        double s = opt->imbalance[j].share;
        if (c < 0 || c >= ds->n_classes)
            return mb_fail(MB_EINPUT, "%s: imbalance=%d:%g names class %d (expected a class "
                           "0..%d)", ds->source, c, s, c, ds->n_classes - 1);
        if (!(s >= 0 && s <= 1))
            return mb_fail(MB_EINPUT, "%s: imbalance=%d:%g has share %g (expected 0..1)",
                           ds->source, c, s, s);
        if (share[c] >= 0)
            return mb_fail(MB_EINPUT, "%s: imbalance names class %d twice (expected each "
                           "class once)", ds->source, c);
        share[c] = s;
        total += s;
    }
    if (total > 1 + 1e-9)
        return mb_fail(MB_EINPUT, "%s: imbalance shares add up to %g (expected at most 1)",
                       ds->source, total);
    return MB_OK;
}

/* Per-class targets for a set of n images: fixed classes get llround(share * n),
 * the others split the rest in proportion to what is available (largest
 * remainder). Returns 0 when n is not feasible with the available images. */
static int targets_for(long n, int n_classes, const double *share, const long *avail,
                       long *target)
{
    long rest = n, other_avail = 0;
    for (int k = 0; k < n_classes; k++) {
        if (share[k] >= 0) {
            target[k] = llround(share[k] * (double)n);
            if (target[k] > avail[k])
                return 0;
            rest -= target[k];
        } else {
            other_avail += avail[k];
        }
    }
    if (rest < 0 || rest > other_avail)
        return 0;
    long given = 0;
    for (int k = 0; k < n_classes; k++)
        if (share[k] < 0) {
            target[k] = other_avail ? (long)((long long)rest * avail[k] / other_avail) : 0;
            given += target[k];
        }
    /* Hand out the remainder, largest fractional part first, one image per class
     * at most (ties: the lower class index). */
    while (given < rest) {
        int best = -1;
        long long best_frac = -1;
        for (int k = 0; k < n_classes; k++) {
            if (share[k] >= 0 || target[k] >= avail[k] ||
                target[k] > (long)((long long)rest * avail[k] / other_avail))
                continue; /* fixed, exhausted, or already given its extra image */
            long long frac = (long long)rest * avail[k] % other_avail;
            if (frac > best_frac) {
                best_frac = frac;
                best = k;
            }
        }
        if (best < 0)
            return 0;
        target[best]++;
        given++;
    }
    return 1;
}

static int impose_imbalance(mb_dataset *ds, const mb_data_options *opt, int *order, int *n)
{
    int nc = ds->n_classes;
    double *share = malloc(nc * sizeof *share);
    long *avail = calloc(nc, sizeof *avail), *target = calloc(nc, sizeof *target);
    int rc = MB_OK;
    if (!share || !avail || !target) {
        rc = mb_fail(MB_ENOMEM, "out of host memory for the class imbalance");
        goto done;
    }
    rc = check_imbalance(ds, opt, share);
    if (rc != MB_OK)
        goto done;
    for (int i = 0; i < *n; i++)
        avail[ds->labels[order[i]]]++;
    /* The largest feasible set, from the bounds n * share <= avail. */
    double bound = (double)*n, fixed = 0;
    long other_avail = 0;
    for (int k = 0; k < nc; k++) {
        if (share[k] > 0 && avail[k] / share[k] < bound)
            bound = avail[k] / share[k];
        if (share[k] >= 0)
            fixed += share[k];
        else
            other_avail += avail[k];
    }
    if (fixed < 1 && other_avail / (1 - fixed) < bound)
        bound = other_avail / (1 - fixed);
    long want = (long)floor(bound + 1e-9);
    if (opt->max_images > 0 && opt->max_images < want)
        want = opt->max_images;
    long feasible = want;
    while (feasible > 0 && !targets_for(feasible, nc, share, avail, target))
        feasible--;
    if (feasible <= 0) {
        rc = mb_fail(MB_EINPUT, "%s: imbalance cannot be met: no non-empty subset has the "
                     "requested class shares (expected shares the available images allow)",
                     ds->source);
        goto done;
    }
    if (opt->max_images > 0 && feasible < opt->max_images)
        mb_warn("%s: imbalance keeps %ld images, fewer than the %ld asked for (not enough "
                "images of the classes with fixed shares)", ds->source, feasible,
                opt->max_images);
    int m = 0;
    for (int i = 0; i < *n; i++) {
        int c = ds->labels[order[i]];
        if (target[c] > 0) {
            target[c]--;
            order[m++] = order[i];
        }
    }
    *n = m;
done:
    free(share);
    free(avail);
    free(target);
    return rc;
}

int mb_dataset_subset(mb_dataset *ds, const mb_data_options *opt)
{
    if (!opt->shuffle && opt->test_fraction <= 0 && !opt->n_imbalance &&
        (opt->max_images <= 0 || opt->max_images >= ds->n))
        return MB_OK;
    if (!opt->shuffle && opt->test_fraction <= 0 && !opt->n_imbalance) {
        /* The first images: keep them where they are, give back the rest. */
        ds->n = (int)opt->max_images;
        size_t values = (size_t)ds->n * mb_dataset_image_size(ds);
        float *images = realloc(ds->images, values * sizeof(float));
        if (images)
            ds->images = images;
        uint8_t *pixels = ds->pixels ? realloc(ds->pixels, values) : NULL;
        if (pixels)
            ds->pixels = pixels;
        return MB_OK;
    }
    if (!(opt->test_fraction >= 0 && opt->test_fraction < 1))
        return mb_fail(MB_EINPUT, "%s: test_fraction=%g (expected 0 <= F < 1)", ds->source,
                       opt->test_fraction);
    int n = ds->n;
    int *order = mb_host_alloc((size_t)n * sizeof(int), "subset order");
    unsigned char *keep = mb_host_alloc((size_t)n, "subset mask");
    int rc = MB_OK;
    if (!order || !keep) {
        rc = MB_ENOMEM;
        goto done;
    }
    if (opt->shuffle)
        mb_data_permutation(order, n, mb_data_stream(opt->seed, STREAM_SHUFFLE));
    else
        for (int i = 0; i < n; i++)
            order[i] = i;
    if (opt->test_fraction > 0) {
        /* The hold-out depends on split_seed only, not on the shuffle seed or n. */
        int *split = mb_host_alloc((size_t)n * sizeof(int), "split order");
        if (!split) {
            rc = MB_ENOMEM;
            goto done;
        }
        mb_data_permutation(split, n, mb_data_stream(opt->split_seed, STREAM_SPLIT));
        long n_test = lround(opt->test_fraction * n);
        for (int i = 0; i < n; i++)
            keep[split[i]] = (i < n_test) == (opt->split == MB_SPLIT_TEST);
        free(split);
        n = filter(order, n, keep);
        if (n == 0) {
            rc = mb_fail(MB_EINPUT, "%s: test_fraction=%g of %d images leaves the %s split "
                         "empty (expected a fraction that keeps both parts non-empty)",
                         ds->source, opt->test_fraction, ds->n,
                         opt->split == MB_SPLIT_TEST ? "test" : "train");
            goto done;
        }
    }
    if (opt->n_imbalance) {
        rc = impose_imbalance(ds, opt, order, &n);
        if (rc != MB_OK)
            goto done;
    } else if (opt->max_images > 0 && opt->max_images < n) {
        n = (int)opt->max_images;
    }
    mb_dataset picked;
    rc = mb_dataset_select(&picked, ds, order, n);
    if (rc == MB_OK) {
        mb_dataset_free(ds);
        *ds = picked;
    }
done:
    free(order);
    free(keep);
    return rc;
}
