/* report/plots.c — the report's figures as SVG (through util/svg.c): every metric
 * against generation (one line per run), the tail figure of each generation and
 * the class shares per generation. */
#include "report_internal.h"

#include <ctype.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

int mb_report_skip_key(const char *key)
{
    return mb_column_find(key) != NULL; /* plotted in its group, or never */
}

void report_figure_free(report_figure *fig)
{
    free(fig->svg);
    fig->svg = NULL;
    fig->len = 0;
}

/* A line plot into fig->svg (through a memory stream). */
static int capture_lines(report_figure *fig, const mb_svg_plot *p, const mb_svg_series *s,
                         int ns)
{
    FILE *mem = open_memstream(&fig->svg, &fig->len);
    int rc = mem ? mb_svg_write_line_plot(mem, p, s, ns) : MB_ENOMEM;
    if (mem && fclose(mem) && rc == MB_OK)
        rc = MB_ENOMEM;
    if (rc != MB_OK) {
        report_figure_free(fig);
        return mb_fail(rc, "report: cannot draw %s", fig->file);
    }
    return MB_OK;
}

static const char *const run_colours[] = {"#0072B2", "#D55E00", "#009E73", "#CC79A7",
                                          "#E69F00", "#56B4E9", "#000000", "#F0E442"};

const char *report_run_colour(int r)
{
    return run_colours[r % MB_ARRAY_LEN(run_colours)];
}

int report_metric_plot(mb_report_run *const *runs, int n_runs, const mb_column *m,
                       const char *id, report_figure *fig)
{
    int max_rows = 0;
    for (int r = 0; r < n_runs; r++)
        max_rows = runs[r]->n_rows > max_rows ? runs[r]->n_rows : max_rows;
    double *x = malloc(sizeof(double) * (size_t)max_rows * (n_runs + 2));
    mb_svg_series *s = calloc((size_t)n_runs + 1, sizeof *s);
    if (!x || !s) {
        free(x), free(s);
        return mb_fail(MB_ENOMEM, "report: out of memory plotting %s", m->name);
    }
    for (int g = 0; g < max_rows; g++)
        x[g] = g;
    int ns = 0;
    for (int r = 0; r < n_runs; r++) {
        double *y = x + (size_t)(r + 1) * max_rows;
        mb_report_series(runs[r], m->name, y);
        if (!strcmp(m->name, "reweight_unique"))
            for (int g = 0; g < runs[r]->n_rows; g++)
                y[g] = y[g] < 0 ? NAN : y[g]; /* -1: reweighting off */
        s[ns++] = (mb_svg_series){n_runs > 1 ? runs[r]->name : NULL, x, y, runs[r]->n_rows,
                                  report_run_colour(r), 0, 1, 2.2, NULL};
    }
    /* the real test set's value, from the first run's last row that has one */
    double ref = m->ref_value != 0 ? m->ref_value : NAN;
    if (m->ref)
        for (int g = runs[0]->n_rows - 1; g >= 0 && !isfinite(ref); g--)
            ref = mb_json_number(runs[0]->rows[g], m->ref);
    double *ry = x + (size_t)(n_runs + 1) * max_rows;
    if (isfinite(ref) && max_rows > 0) {
        for (int g = 0; g < max_rows; g++)
            ry[g] = ref;
        s[ns++] = (mb_svg_series){"real test set", x, ry, max_rows, "#888888", 1, 0, 1.4, NULL};
    }
    char clip[96];
    snprintf(fig->file, sizeof fig->file, "metric_%s.svg", m->name);
    snprintf(clip, sizeof clip, "%s", id);
    for (char *c = fig->file; *c; c++) /* keys come from the file: keep names plain */
        *c = isalnum((unsigned char)*c) || *c == '.' || *c == '-' ? *c : '_';
    for (char *c = clip; *c; c++)
        *c = isalnum((unsigned char)*c) || *c == '-' ? *c : '_';
    mb_svg_plot p = {.title = m->title, .x_label = "generation", .width = 460, .height = 300,
                     .y_from_zero = m->from_zero, .subtitle = m->meaning && *m->meaning ? m->meaning : NULL,
                     .id = clip, .x_integer = 1};
    if (max_rows > 0)
        p.x_min = 0, p.x_max = max_rows - 1 > 0 ? max_rows - 1 : 1;
    const int rc = capture_lines(fig, &p, s, ns);
    free(x), free(s);
    return rc;
}

/* A numeric array member of a row into v[max], returning its length (0: absent). */
static int row_array(const json_t *row, const char *key, double *v, int max)
{
    const json_t *a = row ? json_object_get(row, key) : NULL;
    const int n = (int)json_array_size(a) < max ? (int)json_array_size(a) : max;
    for (int i = 0; i < n; i++) {
        const json_t *x = json_array_get(a, (size_t)i);
        v[i] = json_is_number(x) ? json_number_value(x) : NAN;
    }
    return n;
}

int report_is_shapes(const mb_report_run *run)
{
    for (int g = 0; g < run->n_rows; g++)
        if (json_is_array(json_object_get(run->rows[g], "attr_hist"))) /* null: not shapes */
            return 1;
    return 0;
}

#define MAX_BINS 256

int report_tail_plot(const mb_report_run *run, int g, int shapes, const char *id,
                     report_figure *fig)
{
    const json_t *row = run->rows[g];
    double h[MAX_BINS], ref[MAX_BINS], edges[MAX_BINS + 1];
    double x[2][2 * MAX_BINS + 2], y[2][2 * MAX_BINS + 2], vx[2][2], vy[2][2];
    int n = row_array(row, shapes ? "attr_hist" : "radius_hist", h, MAX_BINS);
    int n_ref = row_array(row, shapes ? "ref_attr_hist" : "ref_radius_hist", ref, MAX_BINS);
    if (n_ref != n && shapes && run->n_rows > 0) { /* older runs: generation 0 is real data */
        n_ref = row_array(run->rows[0], "attr_hist", ref, MAX_BINS);
    }
    const double lo = mb_json_number(row, shapes ? "attr_lo" : "radius_lo");
    const double hi = mb_json_number(row, shapes ? "attr_hi" : "radius_hi");
    fig->svg = NULL;
    if (n == 0 || n_ref != n || !(hi > lo))
        return MB_OK;
    /* shares as densities (share / bin width), so that areas compare; one y scale
     * for all generations of the run, so that the panels compare too */
    const double w = (hi - lo) / n;
    double top = 0, other[MAX_BINS];
    for (int b = 0; b <= n; b++)
        edges[b] = lo + w * b;
    for (int b = 0; b < n; b++) {
        h[b] /= w, ref[b] /= w;
        top = fmax(top, isfinite(ref[b]) ? ref[b] : 0);
    }
    for (int r = 0; r < run->n_rows; r++) {
        const int m = row_array(run->rows[r], shapes ? "attr_hist" : "radius_hist", other, n);
        for (int b = 0; m == n && b < n; b++)
            top = fmax(top, isfinite(other[b]) ? other[b] / w : 0);
    }
    mb_svg_series s[4];
    int ns = 0;
    int np = mb_svg_histogram_steps(edges, ref, n, x[0], y[0]);
    s[ns++] = (mb_svg_series){NULL, x[0], y[0], np, "#7a7a7a", 0, 0, 1.0, "#c9c9c9"};
    np = mb_svg_histogram_steps(edges, h, n, x[1], y[1]);
    s[ns++] = (mb_svg_series){NULL, x[1], y[1], np, g == 0 ? "#009E73" : "#D55E00", 0, 0, 2.0,
                              NULL};
    char sub[128];
    if (shapes) { /* the real mu +- 2 sigma (lo, hi = mu -+ 4 sigma) */
        const double mu = (lo + hi) / 2, sd = (hi - lo) / 8;
        for (int k = 0; k < 2; k++) {
            vx[k][0] = vx[k][1] = mu + (k ? 2 : -2) * sd;
            vy[k][0] = 0, vy[k][1] = top * 1.05;
            s[ns++] = (mb_svg_series){NULL, vx[k], vy[k], 2, "#444444", 1, 0, 1.0, NULL};
        }
        const double malformed = mb_json_number(row, "malformed");
        char bad[48] = "";
        if (isfinite(malformed) && malformed > 0)
            snprintf(bad, sizeof bad, " · malformed %.2g left out", malformed);
        if (isfinite(mb_json_number(row, "attr_below_2sigma")))
            snprintf(sub, sizeof sub, "< −2σ %.3g (real %.3g) · > +2σ %.3g (real %.3g)%s",
                     mb_json_number(row, "attr_below_2sigma"),
                     mb_json_number(row, "ref_attr_below_2sigma"),
                     mb_json_number(row, "attr_above_2sigma"),
                     mb_json_number(row, "ref_attr_above_2sigma"), bad);
        else /* runs written before the tails were split */
            snprintf(sub, sizeof sub, "beyond ±2σ: %.3g (real %.3g)",
                     mb_json_number(row, "attr_beyond_2sigma"),
                     mb_json_number(row, "ref_attr_beyond_2sigma"));
    } else {
        snprintf(sub, sizeof sub, "tail99 %.3g, on the manifold %.3g · off it %.3g",
                 mb_json_number(row, "tail99"), mb_json_number(row, "tail99_on"),
                 mb_json_number(row, "off_manifold"));
    }
    char title[64];
    snprintf(title, sizeof title, g == 0 ? "Generation 0 (real train set)" : "Generation %d", g);
    char clip[96];
    snprintf(fig->file, sizeof fig->file, "%s_gen_%02d.svg", id, g);
    snprintf(clip, sizeof clip, "%s_g%02d", id, g);
    mb_svg_plot p = {.title = title, .subtitle = sub, .width = 400, .height = 270,
                     .x_label = shapes ? "measured radius (pixels)"
                                       : "Mahalanobis radius in judge space",
                     .y_label = "density", .y_from_zero = 1, .x_min = lo, .x_max = hi,
                     .y_min = 0, .y_max = top * 1.08 > 0 ? top * 1.08 : 1, .id = clip};
    return capture_lines(fig, &p, s, ns);
}

static const char *const fashion_names[] = {"T-shirt/top", "Trouser", "Pullover", "Dress",
                                            "Coat", "Sandal", "Shirt", "Sneaker", "Bag",
                                            "Ankle boot"};

int report_class_plot(const mb_report_run *run, const char *id, report_figure *fig)
{
    int k = 0;
    fig->svg = NULL;
    for (int g = 0; g < run->n_rows; g++) {
        const json_t *a = run->rows[g] ? json_object_get(run->rows[g], "class_shares") : NULL;
        if ((int)json_array_size(a) > k)
            k = (int)json_array_size(a);
    }
    if (k == 0 || k > 64)
        return MB_OK;
    double *v = calloc((size_t)run->n_rows * k, sizeof *v), *x = malloc(sizeof(double) * run->n_rows);
    char(*names)[32] = malloc((size_t)k * sizeof *names);
    const char **labels = malloc((size_t)k * sizeof *labels);
    if (!v || !x || !names || !labels) {
        free(v), free(x), free(names), free(labels);
        return mb_fail(MB_ENOMEM, "report: out of memory for the class shares");
    }
    const char *dataset = mb_json_string(run->manifest, "dataset");
    const int fashion = k == 10 && dataset && strstr(dataset, "fashion");
    for (int c = 0; c < k; c++) {
        snprintf(names[c], sizeof names[c], "%s", fashion ? fashion_names[c] : "");
        if (!fashion)
            snprintf(names[c], sizeof names[c], "class %d", c);
        labels[c] = names[c];
    }
    for (int g = 0; g < run->n_rows; g++) {
        x[g] = g;
        row_array(run->rows[g], "class_shares", v + (size_t)g * k, k);
    }
    snprintf(fig->file, sizeof fig->file, "%s.svg", id);
    mb_svg_plot p = {.title = "Class shares per generation",
                     .subtitle = "judge classifier's predictions; generation 0 = real train set",
                     .x_label = "generation", .y_label = "share", .width = 720, .height = 340,
                     .y_min = 0, .y_max = 1, .id = id};
    FILE *mem = open_memstream(&fig->svg, &fig->len);
    int rc = mem ? mb_svg_write_stacked_bars(mem, &p, x, run->n_rows, v, k, labels) : MB_ENOMEM;
    if (mem && fclose(mem) && rc == MB_OK)
        rc = MB_ENOMEM;
    free(v), free(x), free(names), free(labels);
    if (rc != MB_OK)
        report_figure_free(fig);
    return rc == MB_OK ? MB_OK : mb_fail(rc, "report: cannot draw the class shares");
}
