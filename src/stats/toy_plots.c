/* stats/toy_plots.c — the SVG figures of a toy run: metrics against generation and the
 * bell-curve histograms. */
#include "mb_svg.h"
#include "toy_internal.h"

#include <math.h>
#include <stddef.h>
#include <stdlib.h>


/* One line of a metric plot: a field of mb_toy_row against generation. */
typedef struct {
    const char *label;
    size_t offset; /* into mb_toy_row */
    const char *color;
    int dashed;
    double width;
} line_spec;

#define ROW(f) offsetof(mb_toy_row, f)
#define ROW_K(f, k) (offsetof(mb_toy_row, f) + (size_t)(k) * sizeof(double))

static int metric_plot(const mb_toy_writer *w, const char *file, const mb_svg_plot *plot,
                       const line_spec *lines, int n_lines)
{
    int n = w->n_rows;
    double *v = malloc(sizeof(double) * (size_t)n * (n_lines + 1));
    mb_svg_series series[2 * MB_STATS_MAX_COMPONENTS + 2];
    if (!v || n_lines > (int)MB_ARRAY_LEN(series)) {
        free(v);
        return mb_fail(MB_ENOMEM, "toy: out of memory for plot %s", file);
    }
    for (int i = 0; i < n; i++)
        v[i] = w->rows[i].generation;
    for (int l = 0; l < n_lines; l++) {
        double *y = v + (size_t)(l + 1) * n;
        for (int i = 0; i < n; i++)
            y[i] = *(const double *)((const char *)&w->rows[i] + lines[l].offset);
        series[l] = (mb_svg_series){lines[l].label, v,     y, n, lines[l].color,
                                    lines[l].dashed, 0, lines[l].width, NULL};
    }
    char path[4096];
    snprintf(path, sizeof path, "%s/%s", w->dir, file);
    int rc = mb_svg_line_plot(path, plot, series, n_lines);
    free(v);
    return rc;
}

/* The bell-curve figure: histograms of the first coordinate of S_t at a few
 * generations over the original's marginal density. centred = 1: each replica's
 * points relative to its own model's mean (the spread each replica keeps: its
 * tails vanish); 0: raw points pooled over replicas (their mixture keeps the
 * original variance under MLE, since drift makes up for the shrinkage). */
static int write_histogram(const mb_toy_writer *w, int centred, const char *name,
                           const char *subtitle)
{
    const mb_toy_config *c = w->cfg;
    const mb_stats_model *o = c->original;
    int d = o->dim, K = o->n_components, ns = 0, np = 2 * MB_TOY_HIST_BINS + 2;
    double edges[MB_TOY_HIST_BINS + 1], x[MB_TOY_MAX_HISTS + 1][2 * MB_TOY_HIST_BINS + 2],
        y[MB_TOY_MAX_HISTS + 1][2 * MB_TOY_HIST_BINS + 2];
    char labels[MB_TOY_MAX_HISTS][48];
    mb_svg_series s[MB_TOY_MAX_HISTS + 1];
    for (int b = 0; b <= MB_TOY_HIST_BINS; b++)
        edges[b] = MB_TOY_HIST_LO + (MB_TOY_HIST_HI - MB_TOY_HIST_LO) * b / MB_TOY_HIST_BINS;
    for (int h = 0; h < w->n_hists; h++) {
        if (w->hist_gen[h] >= w->n_rows)
            continue; /* the run stopped before it */
        int n = mb_svg_histogram_steps(edges, w->hist[centred][h], MB_TOY_HIST_BINS, x[ns], y[ns]);
        snprintf(labels[ns], sizeof labels[ns], "S_%d%s", w->hist_gen[h],
                 w->hist_gen[h] == 0 ? " (real)" : "");
        s[ns] = (mb_svg_series){labels[ns], x[ns], y[ns], n, NULL, 0, 0, 1.6, NULL};
        ns++;
    }
    /* the original's marginal density of the first coordinate, in the same units */
    for (int i = 0; i < np; i++) {
        double z = MB_TOY_HIST_LO + (MB_TOY_HIST_HI - MB_TOY_HIST_LO) * i / (np - 1), dens = 0;
        double xv = w->ref_mean0 + z * w->ref_sd0;
        for (int k = 0; k < K; k++) {
            double v = o->cov[(size_t)k * d * d], m = o->mean[(size_t)k * d];
            dens += o->weight[k] * exp(-0.5 * (xv - m) * (xv - m) / v) /
                    sqrt(6.283185307179586 * v);
        }
        x[ns][i] = z;
        y[ns][i] = dens * w->ref_sd0;
    }
    s[ns] = (mb_svg_series){"original density", x[ns], y[ns], np, "#000000", 1, 0, 1.2, NULL};
    ns++;
    mb_svg_plot p = {centred ? "First coordinate of S_t, each replica centred on its own mean"
                             : "First coordinate of S_t, pooled over replicas",
                     centred ? "(x - mean of the replica's model) / sd_0"
                             : "(x - mean_0) / sd_0 of the original",
                     "density", 0, 0, 0, 1, MB_TOY_HIST_LO, MB_TOY_HIST_HI, 0, 0, subtitle, NULL, 0};
    char path[4096];
    snprintf(path, sizeof path, "%s/%s", w->dir, name);
    return mb_svg_line_plot(path, &p, s, ns);
}

/* GMM: fitted weights, class shares (original Bayes classifier) and component
 * variances, per original component. */
static int write_component_plots(const mb_toy_writer *w, const char *subtitle)
{
    const mb_stats_model *o = w->cfg->original;
    int K = o->n_components;
    char label[MB_STATS_MAX_COMPONENTS][48];
    line_spec weights[MB_STATS_MAX_COMPONENTS + 1], classes[MB_STATS_MAX_COMPONENTS + 2],
        vars[MB_STATS_MAX_COMPONENTS];
    for (int k = 0; k < K; k++) {
        snprintf(label[k], sizeof label[k], "component %d (w_0 = %.3g)", k, o->weight[k]);
        weights[k] = (line_spec){label[k], ROW_K(weight_mean, k), NULL, 0, 0};
        classes[k] = (line_spec){label[k], ROW_K(class_share_mean, k), NULL, 0, 0};
        vars[k] = (line_spec){label[k], ROW_K(comp_var_q50, k), NULL, 0, 0};
    }
    weights[K] = (line_spec){"smallest weight", ROW(min_weight_mean), "#000000", 1, 0};
    classes[K] = (line_spec){"smallest share", ROW(min_class_share_mean), "#000000", 1, 0};
    classes[K + 1] = (line_spec){"replicas with a share < 1%", ROW(lost_share), "#777777", 1, 0};
    mb_svg_plot pw = {"Fitted component weights (matched to the original), mean over replicas",
                      "generation t", "weight", 0, 0, 0, 1, 0, 0, 0, 1, subtitle, NULL, 0};
    mb_svg_plot pc = {"Class shares of S_t under the original mixture's Bayes classifier",
                      "generation t", "share", 0, 0, 0, 1, 0, 0, 0, 1, subtitle, NULL, 0};
    mb_svg_plot pv = {"Component variance tr(Sigma_k)/d, median over replicas", "generation t",
                      "variance (log scale)", 0, 0, 1, 0, 0, 0, 0, 0, subtitle, NULL, 0};
    MB_TRY(metric_plot(w, "weights.svg", &pw, weights, K + 1));
    MB_TRY(metric_plot(w, "classes.svg", &pc, classes, K + 2));
    return metric_plot(w, "component_variance.svg", &pv, vars, K);
}

int mb_toy_write_plots(const mb_toy_writer *w)
{
    const mb_toy_config *c = w->cfg;
    int K = c->n_components;
    char subtitle[256];
    snprintf(subtitle, sizeof subtitle, "%s, %s loop, M=%ld, %s, lambda=%g, R=%d",
             c->kind == MB_TOY_GMM ? "GMM" : "Gaussian", mb_toy_loop_name(c->loop), c->n_samples,
             c->estimator == MB_STATS_MLE ? "MLE" : "unbiased", c->lambda, c->replicas);

    const line_spec variance[] = {
        {"mean", ROW(var_mean), NULL, 0, 2.2},
        {"median", ROW(var_q50), NULL, 0, 0},
        {"5% quantile", ROW(var_q05), NULL, 0, 1.2},
        {"95% quantile", ROW(var_q95), NULL, 0, 1.2},
        {"closed form E[var_t]", ROW(var_closed_form), "#000000", 1, 1.4}};
    mb_svg_plot pv = {"Fitted variance tr(Sigma_t)/d", "generation t", "variance (log scale)",
                      0, 0, 1, 0, 0, 0, 0, 0, subtitle, NULL, 0};
    int has_closed_form = isfinite(w->rows[0].var_closed_form);
    MB_TRY(metric_plot(w, "variance.svg", &pv, variance, has_closed_form ? 5 : 4));

    const line_spec tails[] = {{"beyond 2 sigma_0, mean", ROW(tail2_mean), NULL, 0, 0},
                               {"beyond 2 sigma_0, median", ROW(tail2_q50), NULL, 1, 0},
                               {"beyond 3 sigma_0, mean", ROW(tail3_mean), NULL, 0, 0},
                               {"beyond 3 sigma_0, median", ROW(tail3_q50), NULL, 1, 0}};
    mb_svg_plot pt = {"Tails: share of S_t beyond 2 and 3 sigma_0", "generation t",
                      "share of samples", 0, 0, 0, 1, 0, 0, 0, 0, subtitle, NULL, 0};
    MB_TRY(metric_plot(w, "tails.svg", &pt, tails, 4));

    const line_spec w2[] = {{"mean", ROW(w2_mean), NULL, 0, 0},
                            {"median", ROW(w2_q50), NULL, 1, 0}};
    mb_svg_plot pw = {K == 1 ? "W2 distance to the original"
                             : "Mixture-Wasserstein MW2 distance to the original",
                      "generation t", K == 1 ? "W2" : "MW2", 0, 0, 0, 1, 0, 0, 0, 0, subtitle, NULL, 0};
    MB_TRY(metric_plot(w, "w2.svg", &pw, w2, 2));

    const line_spec drift[] = {{"mean squared drift", ROW(drift2_mean), NULL, 0, 0}};
    mb_svg_plot pd = {"Mean drift |mu_t - mu_0|^2, mean over replicas", "generation t",
                      "|mu_t - mu_0|^2", 0, 0, 0, 1, 0, 0, 0, 0, subtitle, NULL, 0};
    MB_TRY(metric_plot(w, "drift.svg", &pd, drift, 1));

    MB_TRY(write_histogram(w, 1, "histogram.svg", subtitle));
    MB_TRY(write_histogram(w, 0, "histogram_pooled.svg", subtitle));
    return K > 1 ? write_component_plots(w, subtitle) : MB_OK;
}

