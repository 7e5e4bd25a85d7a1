/* metrics/columns.c — the table of a generation's columns (mb_row.h) and the
 * writers it drives: CSV, JSON (through jansson), the progress line and the
 * docs' Markdown table.
 * Table order is the order of metrics.csv and metrics.jsonl. */
#include "mb_row.h"
#include "mb_json.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#define INT(f) .type = MB_COL_INT, .offset = offsetof(mb_row, f)
#define LONG(f) .type = MB_COL_LONG, .offset = offsetof(mb_row, f)
#define REAL(f) .type = MB_COL_REAL, .offset = offsetof(mb_row, f)
#define SERIES(f, n) .type = MB_COL_SERIES, .offset = offsetof(mb_row, f), \
                     .count_offset = offsetof(mb_row, n)
#define PLOT(g, t, from0) .group = MB_GROUP_##g, .title = t, .from_zero = from0
#define CSV MB_COL_CSV
#define METRIC MB_COL_METRIC

const mb_column mb_columns[] = {
    {"generation", "generation g (0: the real training set itself)", INT(info.generation),
     .flags = CSV},
    {"train_images", "images model g trained on", LONG(info.train_images), .flags = CSV,
     PLOT(CURATION, "Train set size", 1)},
    {"train_real", "real images in train set g", LONG(info.train_real), .flags = CSV,
     PLOT(CURATION, "Real images in the train set", 1)},
    {"train_synthetic", "synthetic images in train set g", LONG(info.train_synthetic),
     .flags = CSV, PLOT(CURATION, "Synthetic images in the train set", 1)},
    {"loss", "training loss of model g at its last epoch (per image)", REAL(info.loss),
     .flags = CSV, PLOT(CURATION, "Final training loss", 0)},
    {"n_gen", "images in the measured set", INT(metrics.n_gen), .flags = CSV | METRIC},
    {"n_ref", "images in the reference set (the real test set)", INT(metrics.n_ref),
     .flags = METRIC},
    {"dim", "feature dimension d", INT(metrics.dim), .flags = METRIC},
    {"fd", "Fréchet distance of judge-feature Gaussians (FID-style), lower = closer", REAL(metrics.fd), .flags = CSV | METRIC,
     PLOT(FIDELITY, "Fréchet distance", 1), .progress = "FD %.4g"},
    {"fd_inf", "FD extrapolated to infinitely many samples (Chong & Forsyth 2020)", REAL(metrics.fd_inf),
     .flags = CSV | METRIC, PLOT(FIDELITY, "FD-infinity", 1)},
    {"kid", "KID: unbiased MMD², cubic kernel, mean over subsets; lower = closer", REAL(metrics.kid_mean), .flags = CSV | METRIC, PLOT(FIDELITY, "KID", 0)},
    {"kid_std", "standard deviation of KID over the subsets", REAL(metrics.kid_std),
     .flags = CSV | METRIC},
    {"kid_subsets", "KID subsets", INT(metrics.kid_subsets), .flags = METRIC},
    {"kid_subset_size", "KID subset size", INT(metrics.kid_subset_size), .flags = METRIC},
    {"prdc_k", "k of the k-NN manifolds of precision, recall, density and coverage",
     INT(metrics.prdc_k), .flags = METRIC},
    {"precision", "share of samples on the real k-NN manifold (quality), 0..1",
     REAL(metrics.prdc.precision), .flags = CSV | METRIC, PLOT(FIDELITY, "Precision", 1),
     .progress = "precision %.3f"},
    {"recall", "share of real samples on the generated k-NN manifold (diversity), 0..1",
     REAL(metrics.prdc.recall), .flags = CSV | METRIC, PLOT(DIVERSITY, "Recall", 1),
     .progress = "recall %.3f"},
    {"density", "k-NN density (Naeem et al. 2020), 1 ≈ real", REAL(metrics.prdc.density),
     .flags = CSV | METRIC, PLOT(FIDELITY, "Density", 1)},
    {"coverage", "share of real k-NN balls that hold a sample, 0..1",
     REAL(metrics.prdc.coverage), .flags = CSV | METRIC, PLOT(DIVERSITY, "Coverage", 1)},
    {"vendi", "Vendi score: effective number of distinct samples (cosine kernel)",
     REAL(metrics.vendi), .flags = CSV | METRIC, PLOT(DIVERSITY, "Vendi score", 1),
     .ref = "ref_vendi", .progress = "vendi %.3g"},
    {"ref_vendi", "Vendi score of the reference set", REAL(metrics.ref_vendi), .flags = METRIC},
    {"mean_pairwise_dist", "mean pairwise distance in judge feature space (feature units)",
     REAL(metrics.mean_pairwise_dist), .flags = CSV | METRIC,
     PLOT(DIVERSITY, "Mean pairwise distance", 1), .ref = "ref_mean_pairwise_dist"},
    {"ref_mean_pairwise_dist", "mean pairwise distance of the reference set",
     REAL(metrics.ref_mean_pairwise_dist), .flags = METRIC},
    {"effective_rank", "effective rank of the feature covariance (Roy & Vetterli 2007), 1..d",
     REAL(metrics.effective_rank), .flags = CSV | METRIC, PLOT(DIVERSITY, "Effective rank", 1),
     .ref = "ref_effective_rank"},
    {"ref_effective_rank", "effective rank of the reference set",
     REAL(metrics.ref_effective_rank), .flags = METRIC},
    {"cov_trace", "trace of the feature covariance: total variance (squared units)",
     REAL(metrics.cov_trace), .flags = CSV | METRIC, PLOT(DIVERSITY, "Covariance trace", 1),
     .ref = "ref_cov_trace"},
    {"ref_cov_trace", "covariance trace of the reference set", REAL(metrics.ref_cov_trace),
     .flags = METRIC},
    {"cov_log_det", "log-det of the feature covariance: log volume (empty: rank-deficient)", REAL(metrics.cov_log_det), .flags = CSV | METRIC,
     PLOT(DIVERSITY, "Covariance log-det", 0), .ref = "ref_cov_log_det"},
    {"ref_cov_log_det", "covariance log-determinant of the reference set",
     REAL(metrics.ref_cov_log_det), .flags = METRIC},
    {"tail95", "share beyond the real 95th percentile of the Mahalanobis radius, 0..1", REAL(metrics.tail95), .flags = CSV | METRIC,
     PLOT(TAILS, "Tail share > real p95", 1), .ref_value = 0.05},
    {"tail99", "share beyond the real 99th percentile of the Mahalanobis radius, 0..1", REAL(metrics.tail99), .flags = CSV | METRIC,
     PLOT(TAILS, "Tail share > real p99", 1), .ref_value = 0.01, .progress = "tail99 %.4f"},
    {"tail95_on", "share past the real p95 radius in real inliers' balls, well formed, 0..1",
     REAL(metrics.tail95_on), .flags = CSV | METRIC, PLOT(TAILS, "On-manifold tail > real p95", 1)},
    {"tail99_on", "share past the real p99 radius in real inliers' balls, well formed, 0..1",
     REAL(metrics.tail99_on), .flags = CSV | METRIC, PLOT(TAILS, "On-manifold tail > real p99", 1),
     .progress = "tail99_on %.4f"},
    {"off_manifold", "share of samples off the real k-NN manifold (1 - precision), 0..1",
     REAL(metrics.off_manifold), .flags = CSV | METRIC, PLOT(TAILS, "Off the real manifold", 1)},
    {"radius_lo", "lower end of the radius histograms' range", REAL(metrics.radius_lo),
     .flags = METRIC},
    {"radius_hi", "upper end of the radius histograms' range: 1.5 x the real 99.9th "
     "percentile", REAL(metrics.radius_hi), .flags = METRIC},
    {"radius_hist", "shares of the Mahalanobis radius in bins over [radius_lo, radius_hi), the last bin open",
     SERIES(metrics.radius_hist, metrics.radius_bins), .flags = METRIC},
    {"ref_radius_hist", "the same histogram of the reference set",
     SERIES(metrics.ref_radius_hist, metrics.radius_bins), .flags = METRIC},
    {"class_entropy", "entropy of the judge's class histogram (nats)",
     REAL(metrics.classes.entropy), .flags = CSV | METRIC | MB_COL_CLASSES,
     PLOT(MINORITY, "Class entropy", 1), .ref = "ref_class_entropy"},
    {"ref_class_entropy", "class entropy of the reference set (nats)",
     REAL(metrics.ref_classes.entropy), .flags = METRIC | MB_COL_CLASSES},
    {"class_min_share", "the rarest class's share, 0..1", REAL(metrics.classes.min_share),
     .flags = CSV | METRIC | MB_COL_CLASSES, PLOT(MINORITY, "Smallest class share", 1)},
    {"classes_below_threshold", "classes with a share below 1% (vanishing classes)",
     INT(metrics.classes.n_below), .flags = CSV | METRIC | MB_COL_CLASSES,
     PLOT(MINORITY, "Vanishing classes", 1)},
    {"class_kl", "KL(generated ‖ real) of the class shares (nats)",
     REAL(metrics.classes.kl_to_ref), .flags = CSV | METRIC | MB_COL_CLASSES,
     PLOT(MINORITY, "Class KL to real", 1)},
    {"class_shares", "share of each class (judge predictions)",
     SERIES(metrics.classes.share, metrics.classes.n_classes),
     .flags = METRIC | MB_COL_CLASSES},
    {"attr_beyond_2sigma", "shapes: share of measured radii outside real μ ± 2σ, 0..1", REAL(metrics.attr.beyond_2sigma),
     .flags = CSV | METRIC | MB_COL_ATTR, PLOT(TAILS, "Attribute beyond ±2σ", 1),
     .ref = "ref_attr_beyond_2sigma"},
    {"ref_attr_beyond_2sigma", "the same share for the reference set",
     REAL(metrics.attr.ref_beyond_2sigma), .flags = METRIC | MB_COL_ATTR},
    {"attr_below_2sigma", "shapes: share of well-formed samples below real μ - 2σ, 0..1",
     REAL(metrics.attr.below_2sigma), .flags = CSV | METRIC | MB_COL_ATTR,
     PLOT(TAILS, "Attribute below −2σ", 1), .ref = "ref_attr_below_2sigma"},
    {"ref_attr_below_2sigma", "the same share for the reference set",
     REAL(metrics.attr.ref_below_2sigma), .flags = METRIC | MB_COL_ATTR},
    {"attr_above_2sigma", "shapes: share of well-formed samples above real μ + 2σ, 0..1",
     REAL(metrics.attr.above_2sigma), .flags = CSV | METRIC | MB_COL_ATTR,
     PLOT(TAILS, "Attribute above +2σ", 1), .ref = "ref_attr_above_2sigma"},
    {"ref_attr_above_2sigma", "the same share for the reference set",
     REAL(metrics.attr.ref_above_2sigma), .flags = METRIC | MB_COL_ATTR},
    {"malformed", "shapes: share of images without one well-formed shape, 0..1",
     REAL(metrics.attr.malformed), .flags = CSV | METRIC | MB_COL_ATTR,
     PLOT(TAILS, "Malformed shapes", 1)},
    {"ref_malformed", "the same share for the reference set", REAL(metrics.attr.ref_malformed),
     .flags = METRIC | MB_COL_ATTR},
    {"attr_lo", "lower end of the attribute histograms: real mu - 4 sigma (pixels)",
     REAL(metrics.attr.lo), .flags = METRIC | MB_COL_ATTR},
    {"attr_hi", "upper end of the attribute histograms: real mu + 4 sigma (pixels)",
     REAL(metrics.attr.hi), .flags = METRIC | MB_COL_ATTR},
    {"attr_hist", "shares of the measured radius in equal bins over [attr_lo, attr_hi)",
     SERIES(metrics.attr.hist, metrics.attr.bins), .flags = METRIC | MB_COL_ATTR},
    {"ref_attr_hist", "the same histogram of the reference set",
     SERIES(metrics.ref_attr_hist, metrics.attr.bins), .flags = METRIC | MB_COL_ATTR},
    {"wm_tpr", "share of marked synthetic images flagged (empty: watermark off)", REAL(info.wm_tpr), .flags = CSV, PLOT(CURATION, "Watermark TPR", 1)},
    {"wm_fpr", "share of real test images the watermark check flags (empty: off)",
     REAL(info.wm_fpr), .flags = CSV, PLOT(CURATION, "Watermark FPR", 1)},
    {"wm_passthrough", "share of samples still marked after training on marked ones (empty: off)", REAL(info.wm_passthrough), .flags = CSV,
     PLOT(CURATION, "Watermark pass-through", 1)},
    {"detector_dropped_real", "real images flagged by the provenance detector or the watermark",
     LONG(info.detector_dropped[0]), .flags = CSV, PLOT(CURATION, "Real images flagged", 1)},
    {"detector_dropped_synthetic", "synthetic images flagged by the provenance detector or "
     "the watermark", LONG(info.detector_dropped[1]), .flags = CSV,
     PLOT(CURATION, "Synthetic images flagged", 1)},
    {"filter_dropped", "synthetic images dropped by the filter", LONG(info.filter_dropped),
     .flags = CSV, PLOT(CURATION, "Dropped by the filter", 1)},
    {"reweight_unique", "distinct samples after tail reweighting (-1: off)",
     LONG(info.reweight_unique), .flags = CSV, PLOT(CURATION, "Distinct after reweighting", 1)},
    {"gen1_broken", "1 when generation 1 was already far from the real data (off_manifold or "
     "recall past the limits of docs/metrics.md), else 0; empty at generation 0",
     REAL(info.gen1_broken), .flags = CSV},
    {"seconds", "wall-clock seconds of the metric suite", REAL(metrics.seconds),
     .flags = METRIC},
    {"train_s", "wall-clock seconds training model g", REAL(info.seconds[MB_PHASE_TRAIN]),
     PLOT(TIMINGS, "Training time", 1)},
    {"generate_s", "wall-clock seconds generating set g", REAL(info.seconds[MB_PHASE_GENERATE]),
     PLOT(TIMINGS, "Generation time", 1)},
    {"metrics_s", "wall-clock seconds measuring set g (features and the suite)",
     REAL(info.seconds[MB_PHASE_METRICS]), PLOT(TIMINGS, "Metrics time", 1)},
    {"curate_s", "wall-clock seconds curating train set g+1",
     REAL(info.seconds[MB_PHASE_CURATE]), PLOT(TIMINGS, "Curation time", 1)},
};
const int mb_n_columns = (int)MB_ARRAY_LEN(mb_columns);

const char *const mb_group_titles[MB_N_GROUPS] = {
    NULL, "Fidelity", "Diversity and coverage", "Tails", "Minority data",
    "Training and curation", "Timings"};

const mb_column *mb_column_find(const char *name)
{
    for (int i = 0; i < mb_n_columns; i++)
        if (!strcmp(mb_columns[i].name, name))
            return &mb_columns[i];
    return NULL;
}

static int measured(const mb_column *c, const mb_row *row)
{
    return !((c->flags & MB_COL_CLASSES) && !row->metrics.has_classes) &&
           !((c->flags & MB_COL_ATTR) && !row->metrics.has_attr);
}

double mb_column_value(const mb_column *c, const mb_row *row)
{
    const char *p = (const char *)row + c->offset;
    if (!measured(c, row))
        return NAN;
    switch (c->type) {
    case MB_COL_INT: return *(const int *)p;
    case MB_COL_LONG: return (double)*(const long *)p;
    case MB_COL_REAL: return *(const double *)p;
    case MB_COL_SERIES: break;
    }
    return NAN;
}

void mb_row_print_csv_header(FILE *out)
{
    const char *sep = "";
    for (int i = 0; i < mb_n_columns; i++)
        if (mb_columns[i].flags & MB_COL_CSV) {
            fprintf(out, "%s%s", sep, mb_columns[i].name);
            sep = ",";
        }
    fputc('\n', out);
}

void mb_row_print_csv(FILE *out, const mb_row *row)
{
    const char *sep = "";
    for (int i = 0; i < mb_n_columns; i++) {
        if (!(mb_columns[i].flags & MB_COL_CSV))
            continue;
        const double v = mb_column_value(&mb_columns[i], row);
        fputs(sep, out);
        if (isfinite(v))
            fprintf(out, "%.10g", v);
        sep = ",";
    }
    fputc('\n', out);
}

json_t *mb_row_json(const mb_row *row, unsigned need)
{
    json_t *obj = json_object();
    for (int i = 0; obj && i < mb_n_columns; i++) {
        const mb_column *c = &mb_columns[i];
        const char *p = (const char *)row + c->offset;
        json_t *v;
        if ((c->flags & need) != need)
            continue;
        if (!measured(c, row))
            v = json_null();
        else if (c->type == MB_COL_INT)
            v = json_integer(*(const int *)p);
        else if (c->type == MB_COL_LONG)
            v = json_integer(*(const long *)p);
        else if (c->type == MB_COL_REAL)
            v = mb_json_real(*(const double *)p);
        else {
            const int n = *(const int *)((const char *)row + c->count_offset);
            v = n > 0 ? mb_json_reals((const double *)p, n) : json_null();
        }
        if (mb_json_set(obj, c->name, v) != MB_OK) {
            json_decref(obj);
            return NULL;
        }
    }
    return obj;
}

char *mb_row_text(const mb_row *row, mb_row_format format)
{
    if (format == MB_ROW_JSON) {
        json_t *obj = mb_row_json(row, 0);
        char *line = obj ? mb_json_line(obj) : NULL;
        json_decref(obj);
        return line;
    }
    char *text = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&text, &len);
    if (!f)
        return NULL;
    if (format == MB_ROW_CSV_HEADER)
        mb_row_print_csv_header(f);
    else
        mb_row_print_csv(f, row);
    if (fclose(f)) {
        free(text);
        return NULL;
    }
    return text;
}

void mb_row_progress(const mb_row *row, char *buf, size_t len)
{
    size_t used = 0;
    buf[0] = 0;
    for (int i = 0; i < mb_n_columns && used < len; i++)
        if (mb_columns[i].progress) {
            used += (size_t)snprintf(buf + used, len - used, used ? "  " : "");
            if (used < len)
                used += (size_t)snprintf(buf + used, len - used, mb_columns[i].progress,
                                         mb_column_value(&mb_columns[i], row));
        }
}

void mb_columns_print_markdown(FILE *out)
{
    fputs("| column | meaning (unit) | metrics.csv | `metrics --json` | measured |\n"
          "|---|---|---|---|---|\n", out);
    for (int i = 0; i < mb_n_columns; i++) {
        const mb_column *c = &mb_columns[i];
        fprintf(out, "| `%s` | %s%s | %s | %s | %s |\n", c->name, c->meaning,
                c->type == MB_COL_SERIES ? " (array)" : "", c->flags & MB_COL_CSV ? "yes" : "no",
                c->flags & MB_COL_METRIC ? "yes" : "no",
                c->flags & MB_COL_CLASSES ? "classifier judge"
                : c->flags & MB_COL_ATTR  ? "shapes data"
                                          : "always");
    }
}
