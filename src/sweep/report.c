/* sweep/report.c — the report of a sweep, one self-contained HTML page. The cells
 * that differ only in seed form a group (seeds vary fastest, so group g is cells
 * g*S .. g*S+S-1). Every interval is a 95% Student-t interval across seeds:
 * mean ± t_{0.975, n-1} s / sqrt(n). Differences against the baseline group are
 * paired by seed (the same seed draws the same real data in both groups).
 * Generations-to-collapse is the generation at which FD doubles from generation 1
 * (mb_collapse_speed); a cell in which it does not happen within its G
 * generations counts as G + 1 (censored). */
#include "mb_metrics.h"
#include "mb_report.h"
#include "mb_svg.h"
#include "sweep_internal.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

typedef struct {
    const mb_sweep *sw;
    const mb_sweep_table *t;
    int n_groups, n_seeds, max_gen;
    int *row0, *rows; /* [cell]: its first row in the table and how many (rows are in cell order) */
    int *complete;   /* [cell]: every configured generation is in the table */
    int *last_gen;   /* [cell]: the last generation recorded, -1 when none */
    char (*label)[256]; /* [group] */
} sweep_view;

static double num(const char *s)
{
    char *end;
    if (!*s)
        return NAN;
    const double v = strtod(s, &end);
    return *end ? NAN : v;
}

/* v[g] = the column's value in generation g of the cell (NaN when absent). */
static void cell_series(const sweep_view *w, int col, int cell, double *v)
{
    const int gcol = mb_sweep_table_col(w->t, "generation");
    for (int g = 0; g <= w->max_gen; g++)
        v[g] = NAN;
    for (int r = w->row0[cell]; r < w->row0[cell] + w->rows[cell] && col >= 0 && gcol >= 0; r++) {
        const double g = num(w->t->rows[r][gcol]);
        if (g >= 0 && g <= w->max_gen)
            v[(int)g] = num(w->t->rows[r][col]);
    }
}

/* The value at the cell's last generation, NaN unless the cell is complete. */
static double last_value(const sweep_view *w, const char *key, int cell, double *scratch)
{
    const int col = mb_sweep_table_col(w->t, key);
    if (col < 0 || !w->complete[cell])
        return NAN;
    cell_series(w, col, cell, scratch);
    return scratch[w->last_gen[cell]];
}

/* The collapse speed of a complete cell (0 when incomplete). */
static int cell_speed(const sweep_view *w, int cell, double *scratch, mb_collapse_speed *sp)
{
    if (!w->complete[cell])
        return 0;
    const int n = w->last_gen[cell] + 1;
    double *fd = scratch, *t99 = scratch + n, *rec = scratch + 2 * n;
    cell_series(w, mb_sweep_table_col(w->t, "fd"), cell, fd);
    cell_series(w, mb_sweep_table_col(w->t, "tail99"), cell, t99);
    cell_series(w, mb_sweep_table_col(w->t, "recall"), cell, rec);
    mb_collapse_speed_compute(fd, t99, rec, n, sp);
    return 1;
}

/* A speed as a number: NaN when undefined, G + 1 when not within G (censored). */
static double speed_value(int v, int last_generation)
{
    return v == MB_SPEED_UNDEFINED ? NAN : v == MB_SPEED_NOT_WITHIN ? last_generation + 1 : v;
}

static double fd_doubles(const sweep_view *w, int cell, double *scratch)
{
    mb_collapse_speed sp;
    return cell_speed(w, cell, scratch, &sp) ? speed_value(sp.fd_doubles, sp.last_generation)
                                             : NAN;
}

static void put_num(FILE *f, double v, const char *fmt)
{
    if (isfinite(v))
        fprintf(f, fmt, v);
    else
        fputs("–", f);
}

static void put_ci(FILE *f, double mean, double half, int sign)
{
    put_num(f, mean, sign ? "%+.4g" : "%.4g");
    if (isfinite(half))
        fprintf(f, " <span class=\"ci\">[%.4g, %.4g]</span>", mean - half, mean + half);
}

static const char *colour(int g)
{
    static const char *const palette[] = {"#0072B2", "#D55E00", "#009E73", "#CC79A7",
                                          "#E69F00", "#56B4E9", "#000000", "#F0E442",
                                          "#8c564b", "#7f7f7f"};
    return palette[g % MB_ARRAY_LEN(palette)];
}

static void group_heading(FILE *f, const sweep_view *w, int g)
{
    fprintf(f, "<th class=\"group\"><span class=\"swatch\" style=\"background:%s\"></span>",
            colour(g));
    mb_put_escaped(f, w->label[g]);
    fputs("</th>", f);
}

/* ---- tables ---- */

static const char *const last_keys[] = {"fd", "precision", "recall", "tail99", "tail99_on",
                                        "vendi"};

static void write_last_table(FILE *f, const sweep_view *w, double *scratch)
{
    fputs("<table class=\"last\"><thead><tr><th>group</th><th>seeds</th>", f);
    for (size_t k = 0; k < MB_ARRAY_LEN(last_keys); k++)
        if (mb_sweep_table_col(w->t, last_keys[k]) >= 0)
            fprintf(f, "<th>%s</th>", mb_report_metric_title(last_keys[k], NULL));
    fputs("</tr></thead><tbody>\n", f);
    double *v = malloc((size_t)w->n_seeds * sizeof *v);
    for (int g = 0; g < w->n_groups && v; g++) {
        int complete = 0;
        for (int s = 0; s < w->n_seeds; s++)
            complete += w->complete[g * w->n_seeds + s];
        fputs("<tr>", f);
        group_heading(f, w, g);
        fprintf(f, "<td>%d of %d</td>", complete, w->n_seeds);
        for (size_t k = 0; k < MB_ARRAY_LEN(last_keys); k++) {
            if (mb_sweep_table_col(w->t, last_keys[k]) < 0)
                continue;
            for (int s = 0; s < w->n_seeds; s++)
                v[s] = last_value(w, last_keys[k], g * w->n_seeds + s, scratch);
            double mean, half;
            mb_mean_ci95(v, w->n_seeds, &mean, &half);
            fprintf(f, "<td data-last=\"%s\" data-group=\"%d\">", last_keys[k], g);
            put_ci(f, mean, half, 0);
            fputs("</td>", f);
        }
        fputs("</tr>\n", f);
    }
    free(v);
    fputs("</tbody></table>\n", f);
}

static const char *const speed_keys[3] = {"fd", "tail99", "recall"};

static void write_speed_table(FILE *f, const sweep_view *w, double *scratch)
{
    fputs("<table class=\"speed\"><thead><tr><th>group</th><th>FD doubles at gen</th>"
          "<th>tail99 halves at gen</th><th>recall &lt; 0.5 at gen</th></tr></thead><tbody>\n", f);
    double *v = malloc((size_t)3 * w->n_seeds * sizeof *v);
    for (int g = 0; g < w->n_groups && v; g++) {
        int big_g = 0;
        for (int s = 0; s < w->n_seeds; s++) {
            const int cell = g * w->n_seeds + s;
            v[s] = v[w->n_seeds + s] = v[2 * w->n_seeds + s] = NAN;
            mb_collapse_speed sp;
            if (!cell_speed(w, cell, scratch, &sp))
                continue;
            const int r[3] = {sp.fd_doubles, sp.tail99_halves, sp.recall_below};
            for (int k = 0; k < 3; k++)
                v[k * w->n_seeds + s] = speed_value(r[k], sp.last_generation);
            big_g = sp.last_generation > big_g ? sp.last_generation : big_g;
        }
        fputs("<tr>", f);
        group_heading(f, w, g);
        for (int k = 0; k < 3; k++) {
            double *x = v + k * w->n_seeds;
            int n = 0; /* the seeds where it is defined */
            for (int s = 0; s < w->n_seeds; s++)
                if (isfinite(x[s]))
                    x[n++] = x[s];
            const double med = mb_quantile(x, n, 0.5);
            const double q1 = mb_quantile(x, n, 0.25), q3 = mb_quantile(x, n, 0.75);
            fprintf(f, "<td data-speed=\"%s\" data-group=\"%d\">", speed_keys[k], g);
            if (!isfinite(med))
                fputs("n/a", f);
            else if (med > big_g)
                fprintf(f, "&gt; %d", big_g);
            else
                fprintf(f, "%.3g", med);
            if (isfinite(q1))
                fprintf(f, " <span class=\"ci\">(IQR %.3g–%.3g)</span>", q1, q3);
            fputs("</td>", f);
        }
        fputs("</tr>\n", f);
    }
    free(v);
    fputs("</tbody></table>\n", f);
}

static const char *const cmp_keys[] = {"fd", "recall", "tail99", "tail99_on", "@fd_doubles"};

static void write_comparison(FILE *f, const sweep_view *w, int base, double *scratch)
{
    fputs("<table class=\"compare\"><thead><tr><th>group − baseline</th><th>seed pairs</th>", f);
    for (size_t k = 0; k < MB_ARRAY_LEN(cmp_keys); k++) {
        if (cmp_keys[k][0] == '@')
            fputs("<th>Δ generations until FD doubles</th>", f);
        else if (mb_sweep_table_col(w->t, cmp_keys[k]) >= 0)
            fprintf(f, "<th>Δ %s, last gen</th>", mb_report_metric_title(cmp_keys[k], NULL));
    }
    fputs("</tr></thead><tbody>\n", f);
    double *d = malloc((size_t)w->n_seeds * sizeof *d);
    for (int g = 0; g < w->n_groups && d; g++) {
        if (g == base)
            continue;
        fputs("<tr>", f);
        group_heading(f, w, g);
        int pairs = 0;
        for (int s = 0; s < w->n_seeds; s++)
            pairs += w->complete[g * w->n_seeds + s] && w->complete[base * w->n_seeds + s];
        fprintf(f, "<td>%d</td>", pairs);
        for (size_t k = 0; k < MB_ARRAY_LEN(cmp_keys); k++) {
            const char *key = cmp_keys[k];
            if (key[0] != '@' && mb_sweep_table_col(w->t, key) < 0)
                continue;
            for (int s = 0; s < w->n_seeds; s++) {
                const int a = g * w->n_seeds + s, b = base * w->n_seeds + s;
                d[s] = key[0] == '@' ? fd_doubles(w, a, scratch) - fd_doubles(w, b, scratch)
                                     : last_value(w, key, a, scratch) -
                                           last_value(w, key, b, scratch);
            }
            double mean, half;
            mb_mean_ci95(d, w->n_seeds, &mean, &half);
            const int sure = isfinite(half) && (mean - half > 0 || mean + half < 0);
            fprintf(f, "<td class=\"%s\" data-cmp=\"%s\" data-group=\"%d\">",
                    sure ? "sure" : "", key[0] == '@' ? key + 1 : key, g);
            put_ci(f, mean, half, 1);
            fputs("</td>", f);
        }
        fputs("</tr>\n", f);
    }
    free(d);
    fputs("</tbody></table>\n", f);
}

/* ---- plots ---- */

static int write_plot(FILE *f, const sweep_view *w, int col, const char *plots_dir)
{
    const int n_gen = w->max_gen + 1, S = w->n_seeds;
    double *x = malloc((size_t)n_gen * sizeof *x);
    double *cells = malloc((size_t)S * n_gen * sizeof *cells);
    double *stat = malloc((size_t)w->n_groups * 3 * n_gen * sizeof *stat);
    mb_svg_series *series = calloc((size_t)w->n_groups, sizeof *series);
    mb_svg_band *bands = calloc((size_t)w->n_groups, sizeof *bands);
    double *v = malloc((size_t)S * sizeof *v);
    int rc = x && cells && stat && series && bands && v ? MB_OK : mb_fail(MB_ENOMEM, "out of memory");
    int any = 0;
    for (int g = 0; g < n_gen && rc == MB_OK; g++)
        x[g] = g;
    for (int grp = 0; grp < w->n_groups && rc == MB_OK; grp++) {
        for (int s = 0; s < S; s++)
            cell_series(w, col, grp * S + s, cells + (size_t)s * n_gen);
        double *mean = stat + (size_t)grp * 3 * n_gen, *lo = mean + n_gen, *hi = lo + n_gen;
        for (int g = 0; g < n_gen; g++) {
            for (int s = 0; s < S; s++)
                v[s] = cells[(size_t)s * n_gen + g];
            double half;
            mb_mean_ci95(v, S, &mean[g], &half);
            lo[g] = mean[g] - half;
            hi[g] = mean[g] + half;
            any |= isfinite(mean[g]);
        }
        series[grp] = (mb_svg_series){.label = w->label[grp], .x = x, .y = mean, .n = n_gen,
                                      .color = colour(grp), .markers = 1};
        bands[grp] = (mb_svg_band){lo, hi};
    }
    if (rc == MB_OK && any) {
        const char *what = NULL;
        const char *title = mb_report_metric_title(w->t->cols[col], &what);
        char id[96], path[MB_PATH_MAX + 128];
        snprintf(id, sizeof id, "sw_%s", w->t->cols[col]);
        mb_svg_plot p = {.title = title, .subtitle = what && *what ? what : NULL,
                         .x_label = "generation", .y_label = "mean across seeds", .id = id,
                         .x_integer = 1};
        snprintf(path, sizeof path, "%s/sweep_%s.svg", plots_dir, w->t->cols[col]);
        char *text = NULL;
        size_t len = 0;
        FILE *mem = open_memstream(&text, &len);
        rc = mem ? mb_svg_write_band_plot(mem, &p, series, bands, w->n_groups)
                 : mb_fail(MB_ENOMEM, "out of memory");
        if (mem)
            fclose(mem);
        if (rc == MB_OK && text)
            rc = sweep_write_atomic(path, text);
        if (rc == MB_OK && text) { /* inline without the XML declaration */
            const char *svg = strstr(text, "<svg");
            fprintf(f, "<figure class=\"plot\">%s</figure>\n", svg ? svg : "");
        }
        free(text);
    }
    free(x), free(cells), free(stat), free(series), free(bands), free(v);
    return rc;
}

static int write_plots(FILE *f, const sweep_view *w, const char *plots_dir)
{
    /* the headline metrics first, then every other column in table order */
    static const char *const first[] = {"fd", "precision", "recall", "tail99", "tail99_on",
                                        "off_manifold", "vendi", "coverage"};
    int rc = MB_OK;
    const int gcol = mb_sweep_table_col(w->t, "generation");
    for (size_t k = 0; k < MB_ARRAY_LEN(first) && rc == MB_OK; k++) {
        const int col = mb_sweep_table_col(w->t, first[k]);
        if (col >= 0)
            rc = write_plot(f, w, col, plots_dir);
    }
    for (int col = w->t->n_axes + 2; col < w->t->n_cols && rc == MB_OK; col++) {
        int listed = col == gcol;
        for (size_t k = 0; k < MB_ARRAY_LEN(first) && !listed; k++)
            listed = !strcmp(w->t->cols[col], first[k]);
        if (!listed)
            rc = write_plot(f, w, col, plots_dir);
    }
    return rc;
}

/* ---- the page ---- */

static const char style[] =
    "*{box-sizing:border-box}body{margin:0;background:#f3f4f7;color:#1c2433;"
    "font:15px/1.5 system-ui,-apple-system,'Segoe UI',Roboto,Arial,sans-serif}"
    "header{background:linear-gradient(120deg,#16324f,#2a5480);color:#fff;padding:26px 40px 20px}"
    "header h1{margin:0;font-size:25px;font-weight:600}header p{margin:6px 0 0;color:#c9d7e8}"
    "main{max-width:1480px;margin:0 auto;padding:24px 32px 48px}"
    "section{background:#fff;border-radius:10px;box-shadow:0 1px 3px rgba(20,30,50,.08);"
    "padding:20px 26px 24px;margin:0 0 24px}h2{margin:0 0 6px;font-size:20px;font-weight:600}"
    ".caption{color:#5a6478;margin:4px 0 12px;max-width:1000px}"
    "table{border-collapse:collapse;font-variant-numeric:tabular-nums}"
    "th,td{padding:6px 12px;border-bottom:1px solid #eceef2;text-align:left}"
    "thead th{background:#f6f7f9;font-weight:600;color:#34405a;font-size:13px}"
    "th.group{font-weight:500}.ci{color:#7a8396;font-size:12px}"
    "td.sure{background:#fff4ee;font-weight:600}"
    ".swatch{display:inline-block;width:11px;height:11px;border-radius:50%;margin-right:8px}"
    ".plots{display:grid;grid-template-columns:repeat(auto-fill,minmax(420px,1fr));gap:14px}"
    "figure{margin:0}figure svg{display:block;width:100%;height:auto;border:1px solid #eceef2;"
    "border-radius:6px}footer{color:#8a93a5;font-size:13px;text-align:center;padding:8px 0 28px}";

static int write_page(FILE *f, const sweep_view *w, int base, const char *plots_dir)
{
    const mb_sweep *sw = w->sw;
    const size_t scratch_n = 3 * (size_t)(w->max_gen + 1);
    double *scratch = malloc(scratch_n * sizeof *scratch);
    if (!scratch)
        return mb_fail(MB_ENOMEM, "out of memory");
    const char *name = strrchr(sw->dir, '/') ? strrchr(sw->dir, '/') + 1 : sw->dir;
    fputs("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\n"
          "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n"
          "<title>madbench sweep · ", f);
    mb_put_escaped(f, name);
    fprintf(f, "</title>\n<style>%s</style>\n</head><body>\n<header><h1>Sweep report · ", style);
    mb_put_escaped(f, name);
    fprintf(f, "</h1><p>%d cells: %d group%s × %d seed%s, generations 0–%d</p></header>\n<main>\n",
            sw->n_cells, w->n_groups, w->n_groups == 1 ? "" : "s", w->n_seeds,
            w->n_seeds == 1 ? "" : "s", w->max_gen);
    fputs("<section id=\"intervals\"><h2>How to read it</h2><p class=\"caption\">The cells that "
          "differ only in seed form a group. Every band and bracket is a <b>95% Student-t "
          "confidence interval across seeds</b>: mean ± t<sub>0.975, n−1</sub> · s / √n over the "
          "n seeds (none with one seed). Differences against the baseline are paired by seed "
          "(the same seed draws the same real data in both groups) and highlighted when the "
          "interval excludes 0. Only cells that finished all their generations enter the "
          "tables. Generations until FD doubles: the first generation g ≥ 2 with FD(g) ≥ "
          "2 FD(1); a cell where it does not happen within its G generations counts as G + 1."
          "</p></section>\n", f);
    fputs("<section id=\"last\"><h2>Last generation</h2><p class=\"caption\">Mean [95% "
          "interval] across seeds at each cell's last generation.</p>\n", f);
    write_last_table(f, w, scratch);
    fputs("</section>\n<section id=\"compare\"><h2>Compared with the baseline</h2>"
          "<p class=\"caption\">Baseline: <b>", f);
    mb_put_escaped(f, w->label[base]);
    fputs("</b>. Each row: that group minus the baseline, mean [95% interval] of the paired "
          "differences.</p>\n", f);
    if (w->n_groups > 1)
        write_comparison(f, w, base, scratch);
    else
        fputs("<p class=\"caption\">One group only: nothing to compare.</p>\n", f);
    fputs("</section>\n<section id=\"speed\"><h2>Collapse speed</h2><p class=\"caption\">Median "
          "and interquartile range across seeds (a seed where it does not happen within G "
          "generations counts as G + 1; a median beyond G shows as “&gt; G”; n/a: generation "
          "1's value is missing or zero).</p>\n", f);
    write_speed_table(f, w, scratch);
    fputs("</section>\n<section id=\"metrics\"><h2>Metrics against generation</h2><p "
          "class=\"caption\">Each group's mean across seeds, with its 95% Student-t band.</p>\n"
          "<div class=\"plots\">\n", f);
    const int rc = write_plots(f, w, plots_dir);
    char when[32];
    time_t now = time(NULL);
    struct tm tm;
    gmtime_r(&now, &tm);
    strftime(when, sizeof when, "%Y-%m-%d %H:%M UTC", &tm);
    fprintf(f, "</div></section>\n</main>\n<footer>madbench %s · report written %s</footer>\n"
               "</body></html>\n", MADBENCH_VERSION, when);
    free(scratch);
    return rc;
}

/* The group whose varying values match every "key=value" of the baseline. */
static int find_baseline(const sweep_view *w, const char *const *pairs, int n_pairs, int *base)
{
    const mb_sweep *sw = w->sw;
    *base = 0;
    if (n_pairs == 0)
        return MB_OK;
    int found = -1, matches = 0;
    for (int g = 0; g < w->n_groups; g++) {
        mb_sweep_cell cell;
        mb_sweep_cell_at(sw, g * w->n_seeds, &cell);
        int ok = 1;
        for (int p = 0; p < n_pairs && ok; p++) {
            char buf[512];
            snprintf(buf, sizeof buf, "%s", pairs[p]);
            for (char *save = NULL, *kv = strtok_r(buf, ",", &save); kv && ok;
                 kv = strtok_r(NULL, ",", &save)) {
                char *eq = strchr(kv, '=');
                int hit = 0;
                for (int a = 0; eq && a < sw->n_axes; a++) {
                    const char *key = sw->axes[a].key, *dot = strrchr(key, '.');
                    const size_t klen = (size_t)(eq - kv);
                    const int same_key = (strlen(key) == klen && !strncmp(key, kv, klen)) ||
                                         (dot && strlen(dot + 1) == klen && !strncmp(dot + 1, kv, klen));
                    if (same_key)
                        hit = !strcmp(sw->axes[a].values[cell.value[a]], eq + 1) ? 1 : -1;
                }
                if (!eq || hit == 0)
                    return mb_fail(MB_EINPUT, "report: --baseline '%s' (expected KEY=VALUE with "
                                   "KEY one of the sweep's varying keys)", kv);
                ok = hit > 0;
            }
        }
        if (ok) {
            matches++;
            if (found < 0)
                found = g;
        }
    }
    if (matches != 1)
        return mb_fail(MB_EINPUT, "report: --baseline matches %d groups (expected exactly one: "
                       "give a value for every varying key)", matches);
    *base = found;
    return MB_OK;
}

int mb_sweep_report(const mb_sweep *sw, const char *const *baseline, int n_baseline,
                    const char *out_html)
{
    mb_sweep_table t;
    MB_TRY(mb_sweep_collect(sw, &t));
    sweep_view w = {.sw = sw, .t = &t, .n_seeds = sw->n_seeds,
                    .n_groups = sw->n_cells / sw->n_seeds};
    w.complete = calloc((size_t)sw->n_cells, sizeof *w.complete);
    w.last_gen = malloc((size_t)sw->n_cells * sizeof *w.last_gen);
    w.label = malloc((size_t)w.n_groups * sizeof *w.label);
    w.row0 = calloc((size_t)sw->n_cells, sizeof *w.row0);
    w.rows = calloc((size_t)sw->n_cells, sizeof *w.rows);
    int rc = w.complete && w.last_gen && w.label && w.row0 && w.rows
                 ? MB_OK
                 : mb_fail(MB_ENOMEM, "out of memory");
    for (int r = t.n_rows - 1; r >= 0 && rc == MB_OK; r--) {
        w.row0[t.row_cell[r]] = r;
        w.rows[t.row_cell[r]]++;
    }
    const int gcol = mb_sweep_table_col(&t, "generation");
    if (rc == MB_OK && gcol < 0)
        rc = mb_fail(MB_EINPUT, "%s: the cells' metrics.csv have no generation column", sw->dir);
    for (int c = 0; c < sw->n_cells && rc == MB_OK; c++)
        w.last_gen[c] = -1;
    for (int r = 0; r < t.n_rows && rc == MB_OK; r++) {
        const double g = num(t.rows[r][gcol]);
        if (g >= 0 && g < 100000 && g > w.last_gen[t.row_cell[r]])
            w.last_gen[t.row_cell[r]] = (int)g;
        w.max_gen = (int)fmax(w.max_gen, g);
    }
    for (int c = 0; c < sw->n_cells && rc == MB_OK; c++) {
        mb_sweep_cell cell;
        mb_run_config cfg;
        mb_sweep_cell_at(sw, c, &cell);
        rc = mb_sweep_cell_config(sw, &cell, &cfg);
        w.complete[c] = rc == MB_OK && w.last_gen[c] == cfg.generations;
        if (c % sw->n_seeds == 0)
            mb_sweep_cell_label(sw, &cell, w.label[c / sw->n_seeds], sizeof w.label[0]);
    }
    int base = 0;
    if (rc == MB_OK)
        rc = find_baseline(&w, baseline, n_baseline, &base);

    char plots[MB_PATH_MAX + 16];
    const char *slash = strrchr(out_html, '/');
    snprintf(plots, sizeof plots, "%.*splots", slash ? (int)(slash - out_html + 1) : 0, out_html);
    if (rc == MB_OK)
        rc = mb_make_dirs(plots);
    char *page = NULL;
    size_t len = 0;
    FILE *f = rc == MB_OK ? open_memstream(&page, &len) : NULL;
    if (rc == MB_OK && !f)
        rc = mb_fail(MB_ENOMEM, "out of memory");
    if (f) {
        rc = write_page(f, &w, base, plots);
        fclose(f);
        if (rc == MB_OK)
            rc = page ? sweep_write_atomic(out_html, page) : mb_fail(MB_ENOMEM, "out of memory");
        free(page);
    }
    free(w.complete), free(w.last_gen), free(w.label), free(w.row0), free(w.rows);
    mb_sweep_table_free(&t);
    return rc;
}
