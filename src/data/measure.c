/* data/measure.c — the shapes attribute measurer: recovers radius, centre, level
 * (gray or colour), aspect and angle from any image, real or generated, so that
 * the attribute distribution of every generation can be compared with the truth. */
#include "data_internal.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#define PI 3.14159265358979323846
/* Pixels farther than this from the shape's bright part are background. */
#define REGION 2
/* A peak below this (in [0,1] units above the background) is no shape at all. */
#define MIN_PEAK 0.02
/* A shape whose level is below this is too faint: half the lowest level of a real
 * shape (intensities are U(0.4, 1) by default). */
#define MIN_CONTRAST 0.2
/* A second bright part counts as a second blob when it holds at least this share
 * of the largest part's pixels (and 2 pixels): single noise pixels do not. */
#define BLOB_SHARE 0.1

static int cmp_float(const void *a, const void *b)
{
    float x = *(const float *)a, y = *(const float *)b;
    return (x > y) - (x < y);
}

/* Median of the border pixels of one plane (4 (S - 1) values). */
static double border_median(const float *plane, int H, int W, float *scratch)
{
    int m = 0;
    for (int x = 0; x < W; x++) {
        scratch[m++] = plane[x];
        if (H > 1)
            scratch[m++] = plane[(size_t)(H - 1) * W + x];
    }
    for (int y = 1; y < H - 1; y++) {
        scratch[m++] = plane[(size_t)y * W];
        if (W > 1)
            scratch[m++] = plane[(size_t)y * W + W - 1];
    }
    qsort(scratch, (size_t)m, sizeof(float), cmp_float);
    return m % 2 ? scratch[m / 2] : 0.5 * (scratch[m / 2 - 1] + scratch[m / 2]);
}

/* Number of 8-connected parts of mask [H, W] with at least BLOB_SHARE of the
 * largest part's pixels and 2 pixels. Clears mask; stack holds H * W ints. */
static int count_blobs(unsigned char *mask, int H, int W, int *stack)
{
    int sizes[8], n_big = 0, largest = 0, n_parts = 0;
    for (int start = 0; start < H * W; start++) {
        if (!mask[start])
            continue;
        int top = 0, size = 0;
        stack[top++] = start;
        mask[start] = 0;
        while (top > 0) {
            const int p = stack[--top], y = p / W, x = p % W;
            size++;
            for (int dy = -1; dy <= 1; dy++)
                for (int dx = -1; dx <= 1; dx++) {
                    const int yy = y + dy, xx = x + dx;
                    if (yy >= 0 && yy < H && xx >= 0 && xx < W && mask[yy * W + xx]) {
                        mask[yy * W + xx] = 0;
                        stack[top++] = yy * W + xx;
                    }
                }
        }
        largest = size > largest ? size : largest;
        if (size >= 2 && n_parts < 8) /* the first 8 parts of 2+ pixels are enough */
            sizes[n_parts++] = size;
    }
    for (int i = 0; i < n_parts; i++)
        n_big += sizes[i] >= BLOB_SHARE * largest;
    return n_big;
}

int mb_shapes_measure(const float *image, int C, int H, int W, float *attrs,
                      mb_shape_verdict *verdict)
{
    mb_shape_verdict v = MB_SHAPE_NONE;
    int n_attrs = C == 3 ? 8 : 6;
    for (int a = 0; a < n_attrs; a++)
        attrs[a] = NAN;
    if (verdict)
        *verdict = MB_SHAPE_NONE;
    if ((C != 1 && C != 3) || H < 3 || W < 3)
        return 0;
    size_t plane = (size_t)H * W;
    float *lum = malloc(plane * sizeof(float));
    float *scratch = malloc((plane + 4 * (size_t)(H + W)) * sizeof(float));
    int *stack = malloc(plane * sizeof(int)); /* each pixel is pushed once */
    if (!lum || !scratch || !stack) {
        free(lum);
        free(scratch);
        free(stack);
        return 0;
    }
    double bg[3];
    for (int c = 0; c < C; c++)
        bg[c] = border_median(image + (size_t)c * plane, H, W, scratch);
    /* The shape's brightness above the background, averaged over the channels. */
    double peak = 0;
    for (size_t p = 0; p < plane; p++) {
        double v = 0;
        for (int c = 0; c < C; c++)
            v += image[(size_t)c * plane + p] - bg[c];
        lum[p] = (float)(v / C);
        if (lum[p] > peak)
            peak = lum[p];
    }
    int found = 0;
    if (peak >= MIN_PEAK) {
        /* half: pixels at least half as bright as the peak (the shape, roughly). */
        unsigned char *half = calloc(plane, 1), *region = calloc(plane, 1);
        int m = 0, interior = 0;
        if (!half || !region)
            peak = 0; /* out of memory: report no shape */
        for (size_t p = 0; peak > 0 && p < plane; p++)
            half[p] = lum[p] >= 0.5 * peak;
        /* Level: median of the interior pixels (all 8 neighbours in the shape too),
         * which are fully covered on clean images and unbiased under symmetric
         * noise; tiny shapes with no interior use the brightest quarter. */
        for (int y = 1; peak > 0 && y < H - 1; y++)
            for (int x = 1; x < W - 1; x++) {
                int all = 1;
                for (int dy = -1; dy <= 1; dy++)
                    for (int dx = -1; dx <= 1; dx++)
                        all &= half[(size_t)(y + dy) * W + x + dx];
                if (all)
                    scratch[interior++] = lum[(size_t)y * W + x];
            }
        double level = 0;
        if (interior >= 3) {
            qsort(scratch, (size_t)interior, sizeof(float), cmp_float);
            level = interior % 2 ? scratch[interior / 2]
                                 : 0.5 * (scratch[interior / 2 - 1] + scratch[interior / 2]);
        } else if (peak > 0) {
            for (size_t p = 0; p < plane; p++)
                if (half[p])
                    scratch[m++] = lum[p];
            qsort(scratch, (size_t)m, sizeof(float), cmp_float);
            int top = m / 4 > 1 ? m / 4 : 1;
            for (int k = m - top; k < m; k++)
                level += scratch[k];
            level /= top;
        }
        /* Region: within 2 pixels of the shape, so that edge pixels of any coverage
         * and the blur of generated images count, and the rest of the background
         * (and its noise) does not. */
        for (int y = 0; peak > 0 && y < H; y++)
            for (int x = 0; x < W; x++) {
                if (!half[(size_t)y * W + x])
                    continue;
                for (int yy = y - REGION; yy <= y + REGION; yy++)
                    for (int xx = x - REGION; xx <= x + REGION; xx++)
                        if (yy >= 0 && yy < H && xx >= 0 && xx < W)
                            region[(size_t)yy * W + xx] = 1;
            }
        /* Area and moments with weights = coverage share of each pixel. */
        double area = 0, sx = 0, sy = 0, sum_c[3] = {0, 0, 0};
        for (int y = 0; peak > 0 && y < H; y++)
            for (int x = 0; x < W; x++) {
                size_t p = (size_t)y * W + x;
                if (!region[p])
                    continue;
                double w = lum[p] / level;
                area += w;
                sx += w * (x + 0.5);
                sy += w * (y + 0.5);
                for (int c = 0; c < C; c++)
                    sum_c[c] += image[(size_t)c * plane + p] - bg[c];
            }
        if (!(area > 0.25)) /* less than a quarter pixel: no shape */
            peak = 0;
        double cx = sx / area, cy = sy / area, sxx = 0, syy = 0, sxy = 0;
        for (int y = 0; peak > 0 && y < H; y++)
            for (int x = 0; x < W; x++) {
                size_t p = (size_t)y * W + x;
                if (!region[p])
                    continue;
                double w = lum[p] / level;
                double dx = x + 0.5 - cx, dy = y + 0.5 - cy;
                sxx += w * dx * dx;
                syy += w * dy * dy;
                sxy += w * dx * dy;
            }
        const int blobs = peak > 0 ? count_blobs(half, H, W, stack) : 0;
        free(half);
        free(region);
        sxx /= area;
        syy /= area;
        sxy /= area;
        /* A filled ellipse of semi-axes a >= b has moment eigenvalues a^2/4, b^2/4. */
        double mean = 0.5 * (sxx + syy);
        double diff = sqrt(0.25 * (sxx - syy) * (sxx - syy) + sxy * sxy);
        double l1 = mean + diff, l2 = fmax(mean - diff, 0.0);
        double angle = 0.5 * atan2(2 * sxy, sxx - syy);
        if (angle < 0)
            angle += PI;
        if (angle >= PI)
            angle -= PI;
        if (peak > 0) {
            attrs[0] = (float)sqrt(area / PI);
            attrs[1] = (float)cx;
            attrs[2] = (float)cy;
            for (int c = 0; c < C; c++)
                attrs[3 + c] = (float)(sum_c[c] / area);
            attrs[3 + C] = (float)(l1 > 0 ? sqrt(l2 / l1) : 1.0);
            attrs[4 + C] = (float)angle;
            found = n_attrs;
            double contrast = 0;
            for (int c = 0; c < C; c++)
                contrast += sum_c[c] / area / C;
            v = contrast < MIN_CONTRAST ? MB_SHAPE_FAINT
                : blobs > 1             ? MB_SHAPE_BLOBS
                                        : MB_SHAPE_WELL_FORMED;
        }
    }
    free(lum);
    free(scratch);
    free(stack);
    if (verdict)
        *verdict = v;
    return found;
}

int mb_shapes_measure_all(const mb_dataset *ds, float *out, mb_shape_verdict *verdict)
{
    if (ds->channels != 1 && ds->channels != 3)
        return mb_fail(MB_EINPUT, "%s: the shapes measurer reads 1- or 3-channel images, "
                       "the data set has %d channels", ds->source, ds->channels);
    int n_attrs = ds->channels == 3 ? 8 : 6;
    size_t per = mb_dataset_image_size(ds);
#pragma omp parallel for schedule(dynamic, 64)
    for (int i = 0; i < ds->n; i++)
        mb_shapes_measure(ds->images + per * (size_t)i, ds->channels, ds->height, ds->width,
                          out + (size_t)i * n_attrs, verdict ? verdict + i : NULL);
    return MB_OK;
}

int mb_shapes_radius(const mb_dataset *ds, float *radius)
{
    const int n_attrs = ds->channels == 3 ? 8 : 6;
    float *all = malloc((size_t)ds->n * n_attrs * sizeof *all);
    mb_shape_verdict *verdict = malloc((size_t)ds->n * sizeof *verdict);
    int rc = all && verdict ? mb_shapes_measure_all(ds, all, verdict)
                            : mb_fail(MB_ENOMEM, "out of memory measuring %d shapes", ds->n);
    for (int i = 0; rc == MB_OK && i < ds->n; i++)
        radius[i] = verdict[i] == MB_SHAPE_WELL_FORMED ? all[(size_t)i * n_attrs + MB_SHAPES_RADIUS]
                                                       : NAN;
    free(all);
    free(verdict);
    return rc;
}
