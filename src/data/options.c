/* data/options.c — data options from their command-line form (key=value). */
#include "data_internal.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *const kind_names[MB_SHAPE_N_KINDS] = {"disk", "ellipse", "square"};

static int parse_double(const char *s, char **end, double *out)
{
    errno = 0;
    *out = strtod(s, end);
    return !errno && *end != s && isfinite(*out);
}

static int parse_long(const char *s, long lo, long hi, long *out)
{
    char *end;
    errno = 0;
    long v = strtol(s, &end, 10);
    if (errno || end == s || *end || v < lo || v > hi)
        return 0;
    *out = v;
    return 1;
}

/* "A:B" (or "A" for both when single) into two doubles. */
static int parse_range(const char *s, double *a, double *b)
{
    char *end;
    if (!parse_double(s, &end, a))
        return 0;
    if (*end == 0) {
        *b = *a;
        return 1;
    }
    if (*end != ':')
        return 0;
    return parse_double(end + 1, &end, b) && *end == 0 && *a <= *b;
}

static int bad(const char *key, const char *value, const char *expected)
{
    return mb_fail(MB_EINPUT, "data option %s='%s' is invalid (expected %s)", key, value,
                   expected);
}

static int set_imbalance(mb_data_options *opt, const char *value)
{
    const char *p = value;
    while (*p) {
        char *end;
        errno = 0;
        long c = strtol(p, &end, 10);
        double share;
        if (errno || end == p || *end != ':' || c < 0 || c > 1000000 ||
            !parse_double(end + 1, &end, &share) || share < 0 || share > 1 ||
            (*end && *end != ','))
            return bad("imbalance", value, "CLASS:SHARE[,CLASS:SHARE...], share in 0..1");
        if (opt->n_imbalance == MB_MAX_IMBALANCE)
            return bad("imbalance", value, "at most 16 classes");
        opt->imbalance[opt->n_imbalance].label = (int)c;
        opt->imbalance[opt->n_imbalance].share = share;
        opt->n_imbalance++;
        p = *end ? end + 1 : end;
    }
    if (!opt->n_imbalance)
        return bad("imbalance", value, "CLASS:SHARE");
    return MB_OK;
}

static int set_kinds(mb_shapes_options *so, const char *value)
{
    char buf[256];
    snprintf(buf, sizeof buf, "%s", value);
    so->n_kinds = 0;
    for (char *save = NULL, *tok = strtok_r(buf, ",", &save); tok;
         tok = strtok_r(NULL, ",", &save)) {
        int found = -1;
        for (int k = 0; k < MB_SHAPE_N_KINDS; k++)
            if (!strcmp(tok, kind_names[k]))
                found = k;
        for (int j = 0; j < so->n_kinds; j++)
            if ((int)so->kinds[j] == found)
                found = -1;
        if (found < 0 || so->n_kinds == MB_SHAPE_N_KINDS)
            return bad("kinds", value, "distinct names among disk, ellipse, square");
        so->kinds[so->n_kinds++] = (mb_shape_kind)found;
    }
    if (!so->n_kinds)
        return bad("kinds", value, "disk, ellipse and/or square");
    return MB_OK;
}

static int set_shares(mb_shapes_options *so, const char *value)
{
    const char *p = value;
    int n = 0;
    double total = 0;
    while (*p) {
        char *end;
        double v;
        if (n == MB_SHAPE_N_KINDS || !parse_double(p, &end, &v) || v < 0 ||
            (*end && *end != ','))
            return bad("shares", value, "up to 3 comma-separated shares >= 0, one per kind");
        so->kind_shares[n++] = v;
        total += v;
        p = *end ? end + 1 : end;
    }
    if (n == 0 || total <= 0)
        return bad("shares", value, "shares with a positive sum");
    for (int k = n; k < MB_SHAPE_N_KINDS; k++)
        so->kind_shares[k] = 0;
    return MB_OK;
}

static int set_radius(mb_shapes_options *so, const char *value)
{
    char *end;
    double a, b;
    const char *expected = "normal:MEAN:STD or uniform:LO:HI, in pixels, MEAN > 0, STD > 0, "
                           "0 < LO <= HI";
    if (!strncmp(value, "normal:", 7)) {
        if (!parse_double(value + 7, &end, &a) || *end != ':' ||
            !parse_double(end + 1, &end, &b) || *end || a <= 0 || b <= 0)
            return bad("radius", value, expected);
        so->radius_dist = MB_DIST_NORMAL;
        so->radius_mean = a;
        so->radius_std = b;
        return MB_OK;
    }
    if (!strncmp(value, "uniform:", 8)) {
        if (!parse_range(value + 8, &a, &b) || a <= 0)
            return bad("radius", value, expected);
        so->radius_dist = MB_DIST_UNIFORM;
        so->radius_lo = a;
        so->radius_hi = b;
        return MB_OK;
    }
    return bad("radius", value, expected);
}

/* ---- one setter per option; the table below names them ---- */

static int set_n(mb_data_options *opt, const char *key, const char *value)
{
    long v;
    if (!parse_long(value, 0, MB_DATA_MAX_IMAGES, &v))
        return bad(key, value, "an image count 0..100000000, 0 = all");
    opt->max_images = v;
    return MB_OK;
}

static int set_split(mb_data_options *opt, const char *key, const char *value)
{
    if (!strcmp(value, "train"))
        opt->split = MB_SPLIT_TRAIN;
    else if (!strcmp(value, "test"))
        opt->split = MB_SPLIT_TEST;
    else
        return bad(key, value, "train or test");
    return MB_OK;
}

static int set_seed(mb_data_options *opt, const char *key, const char *value)
{
    char *end;
    errno = 0;
    unsigned long long s = strtoull(value, &end, 10);
    if (errno || end == value || *end || value[0] == '-')
        return bad(key, value, "a non-negative integer");
    opt->seed = opt->split_seed = s;
    return MB_OK;
}

static int set_shuffle(mb_data_options *opt, const char *key, const char *value)
{
    if (!strcmp(value, "1") || !strcmp(value, "true") || !strcmp(value, "yes"))
        opt->shuffle = 1;
    else if (!strcmp(value, "0") || !strcmp(value, "false") || !strcmp(value, "no"))
        opt->shuffle = 0;
    else
        return bad(key, value, "1 or 0");
    return MB_OK;
}

static int set_test_fraction(mb_data_options *opt, const char *key, const char *value)
{
    char *end;
    double f;
    if (!parse_double(value, &end, &f) || *end || f < 0 || f >= 1)
        return bad(key, value, "a fraction 0 <= F < 1");
    opt->test_fraction = f;
    return MB_OK;
}

static int set_imbalance_option(mb_data_options *opt, const char *key, const char *value)
{
    (void)key;
    return set_imbalance(opt, value);
}

static int set_resize(mb_data_options *opt, const char *key, const char *value)
{
    long h, w;
    char hs[32], ws[32];
    const char *x = strchr(value, 'x');
    if (x && (size_t)(x - value) < sizeof hs) {
        snprintf(hs, sizeof hs, "%.*s", (int)(x - value), value);
        snprintf(ws, sizeof ws, "%s", x + 1);
    } else {
        snprintf(hs, sizeof hs, "%s", value);
        snprintf(ws, sizeof ws, "%s", value);
    }
    if (!parse_long(hs, 1, MB_DATA_MAX_SIDE, &h) || !parse_long(ws, 1, MB_DATA_MAX_SIDE, &w))
        return bad(key, value, "HEIGHTxWIDTH or SIDE, 1..16384 pixels");
    opt->resize_height = (int)h;
    opt->resize_width = (int)w;
    return MB_OK;
}

static int set_channels(mb_data_options *opt, const char *key, const char *value)
{
    long v;
    if (!parse_long(value, 1, 3, &v) || v == 2)
        return bad(key, value, "1 (gray) or 3 (RGB)");
    opt->channels = (int)v;
    return MB_OK;
}

static int set_radius_option(mb_data_options *opt, const char *key, const char *value)
{
    (void)key;
    return set_radius(&opt->shapes, value);
}

static int set_intensity(mb_data_options *opt, const char *key, const char *value)
{
    double lo, hi;
    if (!parse_range(value, &lo, &hi) || lo <= 0 || hi > 1)
        return bad(key, value, "LO:HI with 0 < LO <= HI <= 1");
    opt->shapes.intensity_lo = lo;
    opt->shapes.intensity_hi = hi;
    return MB_OK;
}

static int set_aspect(mb_data_options *opt, const char *key, const char *value)
{
    double lo, hi;
    if (!parse_range(value, &lo, &hi) || lo <= 0 || hi > 1)
        return bad(key, value, "LO:HI with 0 < LO <= HI <= 1 (minor / major axis)");
    opt->shapes.aspect_lo = lo;
    opt->shapes.aspect_hi = hi;
    return MB_OK;
}

static int set_kinds_option(mb_data_options *opt, const char *key, const char *value)
{
    (void)key;
    return set_kinds(&opt->shapes, value);
}

static int set_shares_option(mb_data_options *opt, const char *key, const char *value)
{
    (void)key;
    return set_shares(&opt->shapes, value);
}

static int set_noise(mb_data_options *opt, const char *key, const char *value)
{
    char *end;
    double v;
    if (!parse_double(value, &end, &v) || *end || v < 0 || v > 1)
        return bad(key, value, "a pixel noise standard deviation 0..1");
    opt->shapes.noise_std = v;
    return MB_OK;
}

/* The data options: mb_data_option_set reads this table and `madbench data --help`
 * prints it. */
const mb_data_option mb_data_option_table[] = {
    {"split", "train|test", "part of a source with train and test parts (default: train)",
     set_split},
    {"n", "N", "keep at most N images; 0: all (default: 0)", set_n},
    {"max_images", "N", "the same as n", set_n},
    {"seed", "S", "seed of shuffling, hold-out and shapes generation (default: 0)", set_seed},
    {"shuffle", "1|0", "seeded shuffle before n and imbalance pick images (default: 0)",
     set_shuffle},
    {"test_fraction", "F", "hold out a seeded share F as the test split (default: 0)",
     set_test_fraction},
    {"imbalance", "C:S[,C:S]", "class C kept at share S of the result, exactly",
     set_imbalance_option},
    {"resize", "HxW", "image folders: resize instead of rejecting other sizes", set_resize},
    {"channels", "1|3", "image folders: force gray or RGB", set_channels},
    {"radius", "normal:MEAN:STD|uniform:LO:HI",
     "shapes: radius distribution in pixels (default: normal:6:1.25, times 32/28 for "
     "shapes32)", set_radius_option},
    {"intensity", "LO:HI", "shapes: gray level (or each colour) range (default: 0.4:1)",
     set_intensity},
    {"aspect", "LO:HI", "shapes: ellipse minor / major axis range (default: 0.5:0.9)",
     set_aspect},
    {"kinds", "disk,ellipse,square", "shapes: the kinds drawn (default: disk)",
     set_kinds_option},
    {"shares", "0.5,0.3,0.2", "shapes: share of each kind, exact counts (default: equal)",
     set_shares_option},
    {"noise", "STD", "shapes: additive Gaussian pixel noise (default: 0)", set_noise},
    {NULL, NULL, NULL, NULL},
};

int mb_data_option_set(mb_data_options *opt, const char *key, const char *value)
{
    char keys[512] = "";
    for (const mb_data_option *o = mb_data_option_table; o->key; o++) {
        if (!strcmp(key, o->key))
            return o->set(opt, key, value);
        snprintf(keys + strlen(keys), sizeof keys - strlen(keys), "%s%s",
                 o == mb_data_option_table ? "" : ", ", o->key);
    }
    return mb_fail(MB_EINPUT, "unknown data option '%s' (expected one of %s)", key, keys);
}
