/* loop/stages.c — curation as a table of stages. Between generation g and g+1
 * the loop hands each stage the candidates (S_g, or the real part of train set
 * g+1) with a keep flag per sample: marking, the provenance detector, the
 * watermark screen and the filter clear flags; reweighting and the quota trim
 * replace the candidates by a selection of the kept ones; the composition moves
 * them into the synthetic pool. Every stage does nothing while its config keys
 * leave it off, so the order of the table is the only policy here.
 * A new mitigation = one stage function + one table line + its config keys. */
#include "loop_internal.h"
#include "mb_philox.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

/* The candidates become their samples idx[0..n) (repeats allowed), all kept,
 * each with its sample id. */
static int replace_by(mb_curation *cu, const int *idx, int n)
{
    mb_dataset picked;
    unsigned char *keep = malloc((size_t)n + 1);
    long *ids = cu->ids ? malloc(((size_t)n + 1) * sizeof *ids) : NULL;
    int rc = keep && (ids || !cu->ids) ? mb_loop_select(&picked, &cu->set, idx, n)
                                       : mb_fail(MB_ENOMEM, "out of memory curating");
    if (rc != MB_OK) {
        free(keep), free(ids);
        return rc;
    }
    memset(keep, 1, (size_t)n + 1);
    for (int i = 0; ids && i < n; i++)
        ids[i] = cu->ids[idx[i]];
    mb_dataset_free(&cu->set);
    free(cu->keep), free(cu->ids);
    cu->set = picked;
    cu->keep = keep;
    cu->ids = ids;
    return MB_OK;
}

/* Drops the samples whose keep flag is clear. */
static int compact(mb_curation *cu)
{
    int *idx = malloc(((size_t)cu->set.n + 1) * sizeof *idx), n = 0;
    if (!idx)
        return mb_fail(MB_ENOMEM, "out of memory curating");
    for (int i = 0; i < cu->set.n; i++)
        if (cu->keep[i])
            idx[n++] = i;
    const int rc = n == cu->set.n ? MB_OK : replace_by(cu, idx, n);
    free(idx);
    return rc;
}

/* mark: every synthetic image carries the watermark (watermark.eps). */
static int stage_mark(mb_curation *cu)
{
    if (cu->cfg->watermark && cu->synthetic)
        mb_watermark_embed(&cu->set, cu->pattern, cu->cfg->watermark_eps);
    return MB_OK;
}

/* provenance detector: flags synthetic samples at rate tpr, real ones at fpr. */
static int stage_detector(mb_curation *cu)
{
    if (!cu->cfg->detector)
        return MB_OK;
    unsigned char *flags = malloc((size_t)cu->set.n + 1);
    if (!flags)
        return mb_fail(MB_ENOMEM, "out of memory curating");
    const int rc = mb_loop_detector_keep(cu->cfg, &cu->set,
                                         mb_loop_stream(cu->cfg, 0, MB_PURPOSE_DETECTOR),
                                         cu->ids, flags, cu->info->detector_dropped);
    for (int i = 0; rc == MB_OK && i < cu->set.n; i++)
        cu->keep[i] &= flags[i];
    free(flags);
    return rc;
}

/* watermark screen: drops the images that carry the mark, as a reader would. */
static int stage_screen(mb_curation *cu)
{
    if (!cu->cfg->watermark)
        return MB_OK;
    long flagged = 0;
    MB_TRY(mb_watermark_check(&cu->set, cu->pattern, cu->cfg->watermark_threshold, cu->keep,
                              &cu->info->detector_dropped[cu->synthetic], &flagged));
    if (cu->synthetic) /* the screen's true positive rate on freshly marked images */
        cu->info->wm_tpr = cu->set.n ? (double)flagged / cu->set.n : NAN;
    return MB_OK;
}

/* filter (verification): drops the worst filter.fraction of S_g by the judge's
 * confidence or by the reconstruction error. */
static int stage_filter(mb_curation *cu)
{
    const mb_run_config *c = cu->cfg;
    const int n = cu->set.n;
    if (!(c->filter_fraction > 0))
        return MB_OK;
    double *score = malloc(((size_t)n + 1) * sizeof *score);
    unsigned char *best = malloc((size_t)n + 1);
    int rc = score && best ? MB_OK : mb_fail(MB_ENOMEM, "out of memory curating");
    if (rc == MB_OK && c->filter_by == MB_FILTER_RECON) {
        rc = mb_loop_recon_errors(cu->model, &cu->set, score);
        for (int i = 0; rc == MB_OK && i < n; i++)
            score[i] = -score[i]; /* high error = bad */
    } else if (rc == MB_OK) {
        rc = mb_judge_confidence(cu->judge, &cu->set, score);
    }
    if (rc == MB_OK) {
        mb_loop_keep_best(score, n, c->filter_fraction, best);
        for (int i = 0; i < n; i++) {
            cu->info->filter_dropped += cu->keep[i] && !best[i];
            cu->keep[i] &= best[i];
        }
    }
    free(score), free(best);
    return rc;
}

/* reweight: resamples the kept samples with weight rarity^alpha, rarity = the
 * distance to the k-th nearest neighbour in judge feature space, so that the
 * tails are kept on purpose. */
static int stage_reweight(mb_curation *cu)
{
    const mb_run_config *c = cu->cfg;
    if (!(c->reweight_alpha > 0))
        return MB_OK;
    MB_TRY(compact(cu));
    const int n = cu->set.n, d = cu->judge->dim;
    if (n <= c->reweight_k)
        return MB_OK;
    mb_backend *be = cu->judge->be;
    const size_t nd = (size_t)n * d;
    mb_real *features = be->alloc(be, nd * sizeof *features);
    double *f64 = be->alloc(be, nd * sizeof *f64);
    double *radius = be->alloc(be, (size_t)n * sizeof *radius);
    double *weight = malloc((size_t)n * sizeof *weight);
    int *idx = malloc((size_t)n * sizeof *idx);
    int rc = features && f64 && radius && weight && idx
                 ? MB_OK : mb_fail(MB_ENOMEM, "out of memory reweighting %d samples", n);
    if (rc == MB_OK)
        rc = mb_judge_features(cu->judge, &cu->set, features, NULL);
    if (rc == MB_OK) {
        be->to_f64(be, features, f64, nd);
        rc = mb_knn_sq_radii(be, f64, n, d, c->reweight_k, radius, NULL);
    }
    if (rc == MB_OK) {
        be->download(be, weight, radius, (size_t)n * sizeof *weight);
        for (int i = 0; i < n; i++)
            weight[i] = pow(sqrt(fmax(weight[i], 0)) + 1e-12, c->reweight_alpha);
        mb_loop_resample(weight, n, mb_loop_stream(c, cu->g, MB_PURPOSE_RESAMPLE), idx);
        cu->info->reweight_unique = 0;
        for (int i = 0; i < n; i++)
            cu->info->reweight_unique += i == 0 || idx[i] != idx[i - 1];
        rc = replace_by(cu, idx, n);
    }
    if (features)
        be->free(be, features);
    if (f64)
        be->free(be, f64);
    if (radius)
        be->free(be, radius);
    free(weight), free(idx);
    return rc;
}

/* quota: the synthetic share of the next train set, a seeded random subset. */
static int stage_quota(mb_curation *cu)
{
    const mb_run_config *c = cu->cfg;
    MB_TRY(compact(cu));
    const long n_r = c->type == MB_LOOP_FULLY_SYNTHETIC ? 0
                                                         : lround(c->real_fraction * (double)c->n_real);
    const long quota = c->n_real - n_r;
    const int n = cu->set.n;
    if (n <= quota)
        return MB_OK;
    int *order = malloc((size_t)n * sizeof *order);
    if (!order)
        return mb_fail(MB_ENOMEM, "out of memory curating");
    for (int i = 0; i < n; i++)
        order[i] = i;
    const uint64_t stream = mb_loop_stream(c, cu->g, MB_PURPOSE_TRIM);
    for (int i = 0; i < (int)quota; i++) { /* partial Fisher-Yates */
        int j = i + (int)(mb_uniform_at(stream, (uint64_t)i) * (n - i));
        j = j < n ? j : n - 1;
        const int t = order[i];
        order[i] = order[j], order[j] = t;
    }
    const int rc = replace_by(cu, order, (int)quota);
    free(order);
    return rc;
}

/* pool composition: replace (the pool is the curated S_g) or accumulate (the
 * curated S_1..S_g). */
static int stage_compose(mb_curation *cu)
{
    MB_TRY(compact(cu));
    if (cu->cfg->composition == MB_COMPOSE_ACCUMULATE && cu->pool->n) {
        mb_dataset joined;
        MB_TRY(mb_loop_concat(&joined, cu->pool, &cu->set));
        mb_dataset_free(cu->pool);
        *cu->pool = joined;
        mb_dataset_free(&cu->set);
    } else {
        mb_dataset_free(cu->pool);
        *cu->pool = cu->set;
    }
    memset(&cu->set, 0, sizeof cu->set);
    return MB_OK;
}

const mb_curation_stage mb_curation_stages[] = {
    {"mark", "watermark.enabled, watermark.eps, watermark.key", 0, stage_mark},
    {"provenance detector", "provenance.detector, provenance.tpr, provenance.fpr", 1,
     stage_detector},
    {"watermark screen", "watermark.enabled, watermark.threshold", 1, stage_screen},
    {"filter", "filter.fraction, filter.by", 0, stage_filter},
    {"reweight", "reweight.alpha, reweight.k", 0, stage_reweight},
    {"quota trim", "data.n_real, loop.real_fraction", 0, stage_quota},
    {"pool composition", "loop.composition", 0, stage_compose},
};
const int mb_n_curation_stages = (int)MB_ARRAY_LEN(mb_curation_stages);

int mb_loop_curate(mb_curation *cu)
{
    const int n = cu->set.n;
    cu->keep = malloc((size_t)n + 1);
    cu->ids = malloc(((size_t)n + 1) * sizeof *cu->ids);
    int rc = cu->keep && cu->ids ? MB_OK : mb_fail(MB_ENOMEM, "out of memory curating");
    for (int i = 0; rc == MB_OK && i < n; i++) { /* the detector's decision is the sample's */
        cu->keep[i] = 1;
        cu->ids[i] = cu->synthetic ? ((long)cu->g << 32) | i : cu->first_id + i;
    }
    for (int s = 0; rc == MB_OK && s < mb_n_curation_stages; s++)
        if (cu->synthetic || mb_curation_stages[s].on_real)
            rc = mb_curation_stages[s].apply(cu);
    if (rc == MB_OK && !cu->synthetic)
        rc = compact(cu);
    free(cu->keep), free(cu->ids);
    cu->keep = NULL, cu->ids = NULL;
    return rc;
}
