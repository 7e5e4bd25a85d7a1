/* loop/curate.c — the pieces the curation stages (loop/stages.c) are made of:
 * the watermark, the provenance detector's decisions, the threshold count,
 * keep-the-best, systematic resampling and set selection. Every random choice is
 * Philox at a counter derived from (seed, generation, purpose, sample), so a
 * resumed run repeats it. */
#include "loop_internal.h"
#include "mb_philox.h"

#include <limits.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

uint64_t mb_loop_stream(const mb_run_config *cfg, int generation, mb_loop_purpose purpose)
{
    /* splitmix64 of the three, so nearby seeds give unrelated streams */
    uint64_t z = (uint64_t)cfg->seed * 0x9E3779B97F4A7C15ull + (uint64_t)generation * 1000003u +
                 (uint64_t)purpose * 0xD1B54A32D192ED03ull;
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
}

/* ---- watermark: a keyed +-1 pattern of amplitude eps, detected by normalised
 * correlation (the classic spread-spectrum mark, Cox et al. 1997) ---- */
void mb_watermark_pattern(uint64_t key, size_t n_values, float *pattern)
{
    /* balanced: exactly half +1, half -1 (a seeded shuffle), so the mean is 0 */
    for (size_t i = 0; i < n_values; i++)
        pattern[i] = i < n_values / 2 ? 1.0f : -1.0f;
    for (size_t i = n_values - 1; i > 0; i--) {
        size_t j = (size_t)(mb_uniform_at(key, i) * (double)(i + 1));
        if (j > i)
            j = i;
        const float t = pattern[i];
        pattern[i] = pattern[j];
        pattern[j] = t;
    }
}

void mb_watermark_embed(mb_dataset *ds, const float *pattern, double eps)
{
    const size_t per = (size_t)ds->channels * ds->height * ds->width;
    for (size_t i = 0; i < (size_t)ds->n * per; i++) {
        const double v = ds->images[i] + eps * pattern[i % per];
        ds->images[i] = (float)(v < 0 ? 0 : v > 1 ? 1 : v);
    }
}

void mb_watermark_scores(const mb_dataset *ds, const float *pattern, double *score)
{
    const size_t per = (size_t)ds->channels * ds->height * ds->width;
#pragma omp parallel for schedule(static)
    for (int i = 0; i < ds->n; i++) {
        const float *x = ds->images + (size_t)i * per;
        double mean = 0, xx = 0, xp = 0;
        for (size_t j = 0; j < per; j++)
            mean += x[j];
        mean /= (double)per;
        for (size_t j = 0; j < per; j++) {
            const double c = x[j] - mean;
            xx += c * c;
            xp += c * pattern[j];
        }
        /* ||pattern|| = sqrt(per) for a +-1 pattern */
        score[i] = xx > 0 ? xp / (sqrt(xx) * sqrt((double)per)) : 0;
    }
}

long mb_loop_count_above(const double *score, int n, double threshold, unsigned char *keep,
                         long *dropped)
{
    long above = 0;
    for (int i = 0; i < n; i++) {
        if (!(score[i] > threshold))
            continue;
        above++;
        if (keep) {
            *dropped += keep[i] != 0;
            keep[i] = 0;
        }
    }
    return above;
}

int mb_watermark_check(const mb_dataset *ds, const float *pattern, double threshold,
                       unsigned char *keep, long *dropped, long *flagged)
{
    double *score = malloc(((size_t)ds->n + 1) * sizeof *score);
    if (!score)
        return mb_fail(MB_ENOMEM, "out of memory checking the watermark of %d images", ds->n);
    mb_watermark_scores(ds, pattern, score);
    *flagged = mb_loop_count_above(score, ds->n, threshold, keep, dropped);
    free(score);
    return MB_OK;
}

/* ---- keep masks ---- */
int mb_loop_detector_keep(const mb_run_config *cfg, const mb_dataset *ds, uint64_t stream,
                          const long *sample_ids, unsigned char *keep, long *dropped)
{
    for (int i = 0; i < ds->n; i++) {
        const int synthetic = ds->origin[i] != MB_ORIGIN_REAL;
        const double rate = synthetic ? cfg->detector_tpr : cfg->detector_fpr;
        const int flagged = mb_uniform_at(stream, (uint64_t)sample_ids[i]) <= rate;
        keep[i] = !flagged;
        dropped[synthetic] += flagged;
    }
    return MB_OK;
}

static int compare_scores(const void *a, const void *b)
{
    const double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

/* Keeps the (1 - fraction) share of samples with the highest score (ties kept in
 * order): the threshold is the fraction-quantile of the scores. */
void mb_loop_keep_best(const double *score, int n, double fraction, unsigned char *keep)
{
    const int n_drop = (int)floor(fraction * n);
    if (n_drop <= 0) {
        memset(keep, 1, (size_t)n);
        return;
    }
    double *sorted = malloc((size_t)n * sizeof *sorted);
    memcpy(sorted, score, (size_t)n * sizeof *sorted);
    qsort(sorted, (size_t)n, sizeof *sorted, compare_scores);
    const double cut = sorted[n_drop - 1];
    /* drop everything strictly below the cut, then ties at the cut in index order */
    int below = 0;
    for (int i = 0; i < n; i++)
        below += score[i] < cut;
    int ties_to_drop = n_drop - below;
    for (int i = 0; i < n; i++) {
        keep[i] = score[i] > cut;
        if (score[i] == cut) {
            keep[i] = ties_to_drop <= 0;
            ties_to_drop--;
        }
    }
    free(sorted);
}

/* Systematic resampling (one uniform offset, n evenly spaced pointers into the
 * cumulative weights): n indices drawn with probability proportional to weight. */
void mb_loop_resample(const double *weight, int n, uint64_t stream, int *idx)
{
    double total = 0;
    for (int i = 0; i < n; i++)
        total += weight[i];
    const double step = total / n;
    double pointer = mb_uniform_at(stream, 0) * step, cumulative = weight[0];
    int j = 0;
    for (int i = 0; i < n; i++, pointer += step) {
        while (cumulative < pointer && j < n - 1)
            cumulative += weight[++j];
        idx[i] = j;
    }
}

/* dst = the samples of src whose keep flag is set (images and origin only). */
int mb_loop_take(mb_dataset *dst, const mb_dataset *src, const unsigned char *keep)
{
    int n = 0;
    for (int i = 0; i < src->n; i++)
        n += keep[i] != 0;
    int *idx = malloc(((size_t)n + 1) * sizeof *idx);
    if (!idx)
        return mb_fail(MB_ENOMEM, "out of memory selecting samples");
    n = 0;
    for (int i = 0; i < src->n; i++)
        if (keep[i])
            idx[n++] = i;
    const int rc = mb_loop_select(dst, src, idx, n);
    free(idx);
    return rc;
}

/* Images and origins of src[idx] (labels are not needed to train the generator). */
int mb_loop_select(mb_dataset *dst, const mb_dataset *src, const int *idx, int n)
{
    memset(dst, 0, sizeof *dst);
    dst->channels = src->channels, dst->height = src->height, dst->width = src->width;
    if (n == 0)
        return MB_OK; /* an empty set is valid here: everything may be filtered */
    MB_TRY(mb_dataset_alloc(dst, n, src->channels, src->height, src->width, 0, 0));
    const size_t per = (size_t)src->channels * src->height * src->width;
    for (int i = 0; i < n; i++) {
        memcpy(dst->images + (size_t)i * per, src->images + (size_t)idx[i] * per,
               per * sizeof(float));
        dst->origin[i] = src->origin ? src->origin[idx[i]] : MB_ORIGIN_REAL;
    }
    snprintf(dst->source, sizeof dst->source, "%s", src->source);
    return MB_OK;
}

/* dst = a followed by b (images and origins). Either may be empty. */
int mb_loop_concat(mb_dataset *dst, const mb_dataset *a, const mb_dataset *b)
{
    if ((long)a->n + b->n > INT_MAX) /* accumulate: the pool counts its images in an int */
        return mb_fail(MB_EINPUT, "the pool would hold %ld images (expected at most %d: fewer "
                       "generations or images per generation)", (long)a->n + b->n, INT_MAX);
    const int n = a->n + b->n;
    const mb_dataset *shape = a->n ? a : b;
    memset(dst, 0, sizeof *dst);
    dst->channels = shape->channels, dst->height = shape->height, dst->width = shape->width;
    if (n == 0)
        return MB_OK;
    MB_TRY(mb_dataset_alloc(dst, n, shape->channels, shape->height, shape->width, 0, 0));
    const size_t per = (size_t)shape->channels * shape->height * shape->width;
    if (a->n) {
        memcpy(dst->images, a->images, (size_t)a->n * per * sizeof(float));
        memcpy(dst->origin, a->origin, (size_t)a->n * sizeof *dst->origin);
    }
    if (b->n) {
        memcpy(dst->images + (size_t)a->n * per, b->images, (size_t)b->n * per * sizeof(float));
        memcpy(dst->origin + a->n, b->origin, (size_t)b->n * sizeof *dst->origin);
    }
    snprintf(dst->source, sizeof dst->source, "train set");
    return MB_OK;
}
