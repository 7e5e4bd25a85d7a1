/* report/html.c — the self-contained report page: the SVG figures inline (and
 * written to the plots folder as files), the PNG grids as base64 data URIs, no
 * script, no external resource. One run, or a comparison of several. */
#include "report_internal.h"
#include "mb_metrics.h"

#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

static int put_base64_file(FILE *out, const char *path)
{
    static const char abc[] =
        "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    FILE *f;
    MB_TRY(mb_fopen_regular(path, "image grid", &f));
    unsigned char in[3 * 1024];
    size_t n;
    while ((n = fread(in, 1, sizeof in, f)) > 0) {
        for (size_t i = 0; i < n; i += 3) {
            const size_t k = n - i < 3 ? n - i : 3;
            const unsigned v = (unsigned)in[i] << 16 | (k > 1 ? (unsigned)in[i + 1] << 8 : 0) |
                               (k > 2 ? in[i + 2] : 0);
            fputc(abc[v >> 18 & 63], out);
            fputc(abc[v >> 12 & 63], out);
            fputc(k > 1 ? abc[v >> 6 & 63] : '=', out);
            fputc(k > 2 ? abc[v & 63] : '=', out);
        }
        if (n < sizeof in)
            break;
    }
    const int bad = ferror(f);
    fclose(f);
    return bad ? mb_fail(MB_EIO, "%s: read error", path) : MB_OK;
}

/* Writes the figure to plots_dir and inlines it (without its XML declaration). */
static int emit_figure(FILE *out, const char *plots_dir, const report_figure *fig,
                       const char *css_class)
{
    char path[MB_PATH_LEN];
    mb_out_file f;
    MB_TRY(mb_path(path, sizeof path, "%s/%s", plots_dir, fig->file));
    MB_TRY(mb_out_open(&f, path));
    fwrite(fig->svg, 1, fig->len, f.f);
    MB_TRY(mb_out_close(&f, MB_OK)); /* one close, checked: never twice */
    const char *svg = strstr(fig->svg, "<svg");
    fprintf(out, "<figure class=\"%s\">", css_class);
    fputs(svg ? svg : "", out);
    fputs("</figure>\n", out);
    return MB_OK;
}

static double last_finite(const double *v, int n, int *at)
{
    for (int g = n - 1; g >= 0; g--)
        if (isfinite(v[g])) {
            *at = g;
            return v[g];
        }
    *at = -1;
    return NAN;
}

static void put_num(FILE *out, double v)
{
    if (isfinite(v))
        fprintf(out, "%.4g", v);
    else
        fputs("–", out);
}

/* ---- the collapse-speed table ---- */

static void speed_cell(FILE *out, const mb_report_run *run, const char *what, int value,
                       int last)
{
    char text[64];
    mb_collapse_speed_text(value, last, text, sizeof text);
    fprintf(out, "<td class=\"speed %s\" data-speed=\"%s\" data-run=\"", value > 0 ? "hit" : "",
            what);
    mb_put_escaped(out, run->name);
    fprintf(out, "\">%s</td>", text);
}

static void write_speed_table(FILE *out, mb_report_run *const *runs, int n_runs)
{
    fputs("<table class=\"speed-table\"><thead><tr><th rowspan=\"2\">run</th>"
          "<th colspan=\"3\">Fréchet distance</th><th colspan=\"3\">on-manifold tail &gt; real p99</th>"
          "<th colspan=\"3\">recall</th></tr><tr>"
          "<th>gen 1</th><th>last gen</th><th>doubles at gen</th>"
          "<th>gen 1</th><th>last gen</th><th>halves at gen</th>"
          "<th>gen 1</th><th>last gen</th><th>&lt; 0.5 at gen</th></tr></thead><tbody>\n", out);
    for (int r = 0; r < n_runs; r++) {
        const mb_report_run *run = runs[r];
        const int n = run->n_rows;
        double *v = malloc(sizeof(double) * 3 * (size_t)n);
        if (!v)
            continue;
        double *fd = v, *t99 = v + n, *rec = v + 2 * n;
        mb_report_series(run, "fd", fd);
        mb_report_series(run, "tail99_on", t99);
        mb_report_series(run, "recall", rec);
        mb_collapse_speed sp;
        mb_collapse_speed_compute(fd, t99, rec, n, &sp);
        int at;
        fprintf(out, "<tr><th class=\"run\"><span class=\"swatch\" style=\"background:%s\">"
                     "</span>", n_runs > 1 ? report_run_colour(r) : "#2a5480");
        mb_put_escaped(out, run->name);
        fputs("</th>", out);
        const double *series[3] = {fd, t99, rec};
        const int result[3] = {sp.fd_doubles, sp.tail99_halves, sp.recall_below};
        const char *what[3] = {"fd", "tail99_on", "recall"};
        for (int k = 0; k < 3; k++) {
            fputs("<td>", out);
            put_num(out, n > 1 ? series[k][1] : NAN);
            fputs("</td><td>", out);
            const double last = last_finite(series[k], n, &at);
            put_num(out, last);
            if (at >= 0)
                fprintf(out, " <span class=\"muted\">(gen %d)</span>", at);
            fputs("</td>", out);
            speed_cell(out, run, what[k], result[k], sp.last_generation);
        }
        fputs("</tr>\n", out);
        free(v);
    }
    fputs("</tbody></table>\n", out);
}

/* ---- the runs' settings, one column per run; rows that differ are marked ---- */

typedef struct {
    const char *label, *key; /* key: config "section.key", or "@" + a manifest member */
} setting;

static const setting settings[] = {
    {"data set", "@dataset"},
    {"real train images", "data.n_real"},
    {"test images (reference)", "data.n_test"},
    {"class imbalance", "data.imbalance"},
    {"features", "@features"},
    {"judge test accuracy", "@judge_test_accuracy"},
    {"loop type", "loop.type"},
    {"composition", "loop.composition"},
    {"real fraction", "loop.real_fraction"},
    {"generator", "generate.generator"},
    {"sampling λ", "generate.lambda"},
    {"synthetic per generation (0: n_real)", "generate.n_synthetic"},
    {"model", "model.kind"},
    {"latent size", "model.latent"},
    {"epochs per generation", "model.epochs"},
    {"warm start", "model.warm_start"},
    {"filter fraction", "filter.fraction"},
    {"filter by", "filter.by"},
    {"tail reweighting α", "reweight.alpha"},
    {"provenance detector", "provenance.detector"},
    {"watermark", "watermark.enabled"},
    {"seed", "run.seed"},
    {"generations done", "@generations_done"},
    {"generations", "run.generations"},
    {"finished", "@finished"},
    {"device", "@device"},
    {"started", "@started"},
    {"updated", "@updated"},
    {"git revision", "@git_revision"},
};

static const char *setting_value(const mb_report_run *run, const char *key, char *buf,
                                 size_t len)
{
    if (key[0] != '@')
        return mb_report_config(run, key, buf, len);
    const json_t *v = run->manifest ? json_object_get(run->manifest, key + 1) : NULL;
    if (json_is_string(v))
        snprintf(buf, len, "%s", json_string_value(v));
    else if (json_is_number(v))
        snprintf(buf, len, "%.6g", json_number_value(v));
    else if (json_is_boolean(v))
        snprintf(buf, len, "%s", json_is_true(v) ? "yes" : "no");
    else
        return NULL;
    return buf;
}

static void write_settings(FILE *out, mb_report_run *const *runs, int n_runs)
{
    fputs("<table class=\"settings\"><thead><tr><th></th>", out);
    for (int r = 0; r < n_runs; r++) {
        fputs("<th>", out);
        mb_put_escaped(out, runs[r]->name);
        fputs("</th>", out);
    }
    fputs("</tr></thead><tbody>\n", out);
    char a[512], b[512];
    for (size_t i = 0; i < MB_ARRAY_LEN(settings); i++) {
        int any = 0, differ = 0;
        const char *first = setting_value(runs[0], settings[i].key, b, sizeof b);
        for (int r = 0; r < n_runs; r++) {
            const char *v = setting_value(runs[r], settings[i].key, a, sizeof a);
            any |= v && *v;
            differ |= (v == NULL) != (first == NULL) || (v && first && strcmp(v, first));
        }
        if (!any)
            continue;
        fprintf(out, "<tr%s><th>", differ ? " class=\"differs\"" : "");
        mb_put_escaped(out, settings[i].label);
        fputs("</th>", out);
        for (int r = 0; r < n_runs; r++) {
            const char *v = setting_value(runs[r], settings[i].key, a, sizeof a);
            fputs("<td>", out);
            mb_put_escaped(out, v && *v ? v : "–");
            fputs("</td>", out);
        }
        fputs("</tr>\n", out);
    }
    fputs("</tbody></table>\n", out);
}

/* ---- sections ---- */

static int has_metric(mb_report_run *const *runs, int n_runs, const char *key)
{
    for (int r = 0; r < n_runs; r++)
        for (int g = 0; g < runs[r]->n_rows; g++) {
            double v = mb_json_number(runs[r]->rows[g], key);
            if (isfinite(v) && !(v < 0 && !strcmp(key, "reweight_unique")))
                return 1;
        }
    return 0;
}

static int all_zero(mb_report_run *const *runs, int n_runs, const char *key)
{
    for (int r = 0; r < n_runs; r++)
        for (int g = 0; g < runs[r]->n_rows; g++) {
            double v = mb_json_number(runs[r]->rows[g], key);
            if (isfinite(v) && v != 0)
                return 0;
        }
    return 1;
}

static int write_metric_plots(FILE *out, const char *plots_dir, mb_report_run *const *runs,
                              int n_runs)
{
    int rc = MB_OK;
    char id[96];
    for (int grp = MB_GROUP_NONE + 1; grp < MB_N_GROUPS && rc == MB_OK; grp++) {
        int shown = 0;
        for (int i = 0; i < mb_n_columns && rc == MB_OK; i++) {
            const mb_column *m = &mb_columns[i];
            if ((int)m->group != grp || !has_metric(runs, n_runs, m->name) ||
                (grp >= MB_GROUP_CURATION && all_zero(runs, n_runs, m->name)))
                continue; /* not recorded; curation off or a phase unused */
            if (!shown++)
                fprintf(out, "<h3>%s</h3>\n<div class=\"plots\">\n", mb_group_titles[grp]);
            report_figure fig = {0};
            snprintf(id, sizeof id, "m_%s", m->name);
            if ((rc = report_metric_plot(runs, n_runs, m, id, &fig)) == MB_OK)
                rc = emit_figure(out, plots_dir, &fig, "plot");
            report_figure_free(&fig);
        }
        if (shown)
            fputs("</div>\n", out);
    }
    /* every other numeric member of the rows, so that new metrics show up */
    const char *other[128];
    int n_other = 0;
    for (int r = 0; r < n_runs; r++)
        for (int g = 0; g < runs[r]->n_rows; g++) {
            const char *key;
            json_t *value;
            json_object_foreach(runs[r]->rows[g], key, value) {
                int seen = !json_is_number(value) || mb_report_skip_key(key) ||
                           n_other == (int)MB_ARRAY_LEN(other);
                for (int o = 0; o < n_other && !seen; o++)
                    seen = !strcmp(other[o], key);
                if (!seen)
                    other[n_other++] = key;
            }
        }
    if (n_other)
        fputs("<h3>Other recorded values</h3>\n<div class=\"plots\">\n", out);
    for (int o = 0; o < n_other && rc == MB_OK; o++) {
        mb_column m = {.name = other[o], .title = other[o]};
        report_figure fig = {0};
        snprintf(id, sizeof id, "m_%s", other[o]);
        if ((rc = report_metric_plot(runs, n_runs, &m, id, &fig)) == MB_OK)
            rc = emit_figure(out, plots_dir, &fig, "plot");
        report_figure_free(&fig);
    }
    if (n_other)
        fputs("</div>\n", out);
    return rc;
}

static void run_heading(FILE *out, const mb_report_run *run, int n_runs)
{
    if (n_runs < 2)
        return;
    fputs("<h3 class=\"run-heading\">", out);
    mb_put_escaped(out, run->name);
    fputs("</h3>\n", out);
}

#define MAX_TAIL_PANELS 18

static int write_tail_figures(FILE *out, const char *plots_dir, mb_report_run *const *runs,
                              int n_runs)
{
    int rc = MB_OK;
    char id[96];
    for (int r = 0; r < n_runs && rc == MB_OK; r++) {
        const mb_report_run *run = runs[r];
        const int shapes = report_is_shapes(run);
        run_heading(out, run, n_runs);
        fprintf(out, "<p class=\"caption\">%s</p>\n<div class=\"tails\">\n",
                shapes ? "The ground-truth attribute of the shapes set: the disk radius measured "
                         "from every image. Per generation its histogram (orange; green: "
                         "generation 0, the real training set) over the real test set's (grey "
                         "area); dashed: the real μ ± 2σ; above each panel the shares below "
                         "μ − 2σ and above μ + 2σ against the real ones. Malformed images (no "
                         "shape, too faint, or more than one blob) are left out of the histogram "
                         "and both tails; their share is given apart. Collapse shows as the bell "
                         "narrowing and its tails emptying."
                       : "The Mahalanobis radius of every sample in judge feature space under "
                         "the real test set's Gaussian fit. Per generation its histogram "
                         "(orange; green: generation 0, the real training set) over the real "
                         "test set's (grey area), on one scale. Collapse shows as mass leaving "
                         "the right tail; above each panel the share beyond the real p99, the "
                         "part of it inside the k-NN balls of real inliers and not malformed "
                         "(tail99_on) and the share off the real k-NN manifold (junk).");
        int drawn = 0, last = -1;
        for (int k = 0; k < run->n_rows && k < MAX_TAIL_PANELS && rc == MB_OK; k++) {
            /* long runs: generations 0, 1 (the speed table's baseline), the last one
             * and evenly spaced ones between, MAX_TAIL_PANELS in all */
            const int g = run->n_rows <= MAX_TAIL_PANELS || k < 2
                              ? k
                              : 1 + (int)lround((double)(k - 1) * (run->n_rows - 2) /
                                                (MAX_TAIL_PANELS - 2));
            if (g == last)
                continue;
            last = g;
            report_figure fig = {0};
            snprintf(id, sizeof id, n_runs > 1 ? "run%d_tail" : "tail", r + 1);
            rc = report_tail_plot(run, g, shapes, id, &fig);
            if (rc == MB_OK && fig.svg) {
                rc = emit_figure(out, plots_dir, &fig, "tail");
                drawn++;
            }
            report_figure_free(&fig);
        }
        fputs("</div>\n", out);
        if (!drawn)
            fputs("<p class=\"note\">This run's metrics.jsonl holds no histogram of the tail "
                  "statistic (written by a madbench older than the report).</p>\n", out);
    }
    return rc;
}

static int write_class_figures(FILE *out, const char *plots_dir, mb_report_run *const *runs,
                               int n_runs)
{
    int rc = MB_OK, drawn = 0;
    char id[96];
    for (int r = 0; r < n_runs && rc == MB_OK; r++) {
        report_figure fig = {0};
        snprintf(id, sizeof id, n_runs > 1 ? "run%d_classes" : "classes", r + 1);
        rc = report_class_plot(runs[r], id, &fig);
        if (rc == MB_OK && fig.svg) {
            run_heading(out, runs[r], n_runs);
            rc = emit_figure(out, plots_dir, &fig, "wide");
            drawn++;
        }
        report_figure_free(&fig);
    }
    if (!drawn)
        fputs("<p class=\"note\">No class shares recorded: the features are not a judge "
              "classifier's (metrics.features = judge records them).</p>\n", out);
    return rc;
}

static int write_grids(FILE *out, mb_report_run *const *runs, int n_runs)
{
    int rc = MB_OK;
    char path[MB_PATH_LEN];
    for (int r = 0; r < n_runs && rc == MB_OK; r++) {
        run_heading(out, runs[r], n_runs);
        fputs("<div class=\"strip\">\n", out);
        for (int g = 0; g < runs[r]->n_rows && rc == MB_OK; g++) {
            if ((rc = mb_path(path, sizeof path, "%s/grids/gen_%02d.png", runs[r]->dir, g)))
                break;
            struct stat st;
            if (stat(path, &st) != 0)
                continue;
            fprintf(out, "<figure><img alt=\"generation %d\" src=\"data:image/png;base64,", g);
            rc = put_base64_file(out, path);
            fprintf(out, "\"><figcaption>%s %d%s</figcaption></figure>\n",
                    "generation", g, g == 0 ? " · real" : "");
        }
        fputs("</div>\n", out);
    }
    return rc;
}

static const char page_style[] =
    "*{box-sizing:border-box}"
    "body{margin:0;background:#f3f4f7;color:#1c2433;font:15px/1.5 system-ui,-apple-system,"
    "'Segoe UI',Roboto,'Helvetica Neue',Arial,sans-serif}"
    "header{background:linear-gradient(120deg,#16324f,#2a5480);color:#fff;padding:28px 40px 22px}"
    "header h1{margin:0;font-size:26px;font-weight:600;letter-spacing:.2px}"
    "header p{margin:6px 0 0;color:#c9d7e8}"
    "nav{display:flex;gap:18px;flex-wrap:wrap;padding:10px 40px;background:#fff;"
    "border-bottom:1px solid #e1e4ea;position:sticky;top:0;z-index:1}"
    "nav a{color:#2a5480;text-decoration:none;font-weight:500}nav a:hover{text-decoration:underline}"
    "main{max-width:1480px;margin:0 auto;padding:24px 32px 48px}"
    "section{background:#fff;border-radius:10px;box-shadow:0 1px 3px rgba(20,30,50,.08);"
    "padding:20px 26px 24px;margin:0 0 24px}"
    "h2{margin:0 0 6px;font-size:20px;font-weight:600}"
    "h3{margin:22px 0 10px;font-size:16px;font-weight:600;color:#34405a}"
    "h3.run-heading{color:#16324f;border-left:4px solid #2a5480;padding-left:8px}"
    ".caption,.note{color:#5a6478;margin:4px 0 12px;max-width:980px}"
    ".note{font-style:italic}"
    "table{border-collapse:collapse;font-variant-numeric:tabular-nums}"
    "th,td{padding:6px 12px;border-bottom:1px solid #eceef2;text-align:left}"
    "thead th{background:#f6f7f9;font-weight:600;color:#34405a;font-size:13px}"
    ".speed-table td,.speed-table thead th{text-align:center}"
    "td.speed{font-weight:600;color:#5a6478}td.speed.hit{color:#b23a12;background:#fff4ee}"
    ".swatch{display:inline-block;width:11px;height:11px;border-radius:50%;margin-right:8px;"
    "vertical-align:0}"
    ".muted{color:#8a93a5;font-weight:400;font-size:12px}"
    "table.settings th{font-weight:500;color:#5a6478}"
    "tr.differs th,tr.differs td{background:#fffbe6;font-weight:600}"
    ".plots{display:grid;grid-template-columns:repeat(auto-fill,minmax(400px,1fr));gap:14px}"
    ".tails{display:grid;grid-template-columns:repeat(auto-fill,minmax(330px,1fr));gap:12px}"
    "figure{margin:0}figure svg{display:block;width:100%;height:auto;border:1px solid #eceef2;"
    "border-radius:6px}"
    "figure.wide{max-width:900px}"
    ".strip{display:flex;gap:14px;overflow-x:auto;padding:4px 2px 10px}"
    ".strip figure{flex:0 0 auto;text-align:center}"
    ".strip img{display:block;width:196px;height:auto;image-rendering:pixelated;"
    "border-radius:6px;border:1px solid #d9dde5;background:#000}"
    "figcaption{font-size:13px;color:#5a6478;margin-top:4px}"
    "dl.defs{display:grid;grid-template-columns:repeat(auto-fill,minmax(320px,1fr));gap:4px 24px;"
    "margin:16px 0 0;font-size:13px}dl.defs div{padding:0}dl.defs dt{font-weight:600}"
    "dl.defs dd{margin:2px 0 0;color:#4a5468}"
    "section.warning{background:#fff4ee;border-left:6px solid #b23a12}"
    "section.warning h2{color:#b23a12}"
    "footer{color:#8a93a5;font-size:13px;text-align:center;padding:8px 0 28px}";

static void write_head(FILE *out, mb_report_run *const *runs, int n_runs)
{
    fputs("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\n"
          "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n<title>", out);
    if (n_runs == 1) {
        fputs("madbench · ", out);
        mb_put_escaped(out, runs[0]->name);
    } else {
        fprintf(out, "madbench · comparison of %d runs", n_runs);
    }
    fprintf(out, "</title>\n<style>%s</style>\n</head><body>\n<header><h1>", page_style);
    if (n_runs == 1) {
        fputs("Model collapse report · ", out);
        mb_put_escaped(out, runs[0]->name);
    } else {
        fprintf(out, "Model collapse report · %d runs compared", n_runs);
    }
    fputs("</h1><p>", out);
    for (int r = 0; r < n_runs; r++) {
        char loop[64], gen[64];
        const char *lt = mb_report_config(runs[r], "loop.type", loop, sizeof loop);
        const char *gn = mb_report_config(runs[r], "generate.generator", gen, sizeof gen);
        const char *ds = mb_json_string(runs[r]->manifest, "dataset");
        fputs(r ? " · " : "", out);
        if (n_runs > 1) {
            mb_put_escaped(out, runs[r]->name);
            fputs(": ", out);
        }
        mb_put_escaped(out, lt ? lt : "loop");
        fputs(" loop, ", out);
        mb_put_escaped(out, gn ? gn : "?");
        fputs(" generator on ", out);
        mb_put_escaped(out, ds ? ds : "?");
        fprintf(out, ", generations 0–%d", runs[r]->n_rows - 1);
    }
    fputs("</p></header>\n<nav><a href=\"#speed\">Collapse speed</a><a href=\"#metrics\">Metrics"
          "</a><a href=\"#tails\">Tails</a><a href=\"#classes\">Class shares</a>"
          "<a href=\"#grids\">Images</a><a href=\"#settings\">Settings</a></nav>\n<main>\n", out);
}

static void write_definitions(FILE *out)
{
    fputs("<dl class=\"defs\">"
          "<div><dt>FD doubles at gen</dt><dd>the first generation g ≥ 2 with FD(g) ≥ 2 · FD(1). "
          "Relative to generation 1, the model trained on real data only: generation 0 is the "
          "real training set itself, whose FD is sampling noise that any model “doubles” at "
          "once; FD(1) is the model's own error, so its doubling measures what the "
          "self-consuming loop adds.</dd></div>"
          "<div><dt>tail99_on halves at gen</dt><dd>the first generation g ≥ 2 with "
          "tail99_on(g) ≤ tail99_on(1) / 2; tail99_on = the share of samples whose Mahalanobis "
          "radius in judge space lies beyond the real test set's 99th percentile and that lie "
          "in the k-NN ball of a real inlier and are not malformed (about 1% for real data), "
          "so junk is not counted as tail. Relative to generation 1 for the same "
          "reason.</dd></div>"
          "<div><dt>recall &lt; 0.5 at gen</dt><dd>the first generation g ≥ 1 with recall(g) "
          "&lt; 0.5 (improved recall, k-NN manifolds): an absolute level, half of the real "
          "data no longer covered.</dd></div>"
          "<div><dt>not within G · n/a</dt><dd>not within G: it did not happen in generations "
          "1..G recorded. n/a: the generation-1 value is missing or zero.</dd></div></dl>\n",
          out);
}

/* The first thing on the page: runs whose generation 1 (trained on real data only)
 * was already far from the real data, so that their loop measures model error. */
static void write_gen1_warnings(FILE *out, mb_report_run *const *runs, int n_runs)
{
    for (int r = 0; r < n_runs; r++) {
        const json_t *row = runs[r]->n_rows > 1 ? runs[r]->rows[1] : NULL;
        if (!row || !(mb_json_number(row, "gen1_broken") > 0))
            continue;
        fputs("<section class=\"warning\" id=\"gen1-warning\"><h2>Generation 1 is already far "
              "from the real data", out);
        if (n_runs > 1) {
            fputs(" · ", out);
            mb_put_escaped(out, runs[r]->name);
        }
        fprintf(out, "</h2>\n<p>Share of its samples off the real manifold %.3g, recall %.3g "
                "(far: above %.2f, or below %.2f). Generation 1 is trained on real data only, so the loop measures "
                "the model's own error here, not collapse. Likely cause: an undertrained model. "
                "Raise <code>model.epochs</code> or <code>data.n_real</code> and run again.</p>"
                "</section>\n", mb_json_number(row, "off_manifold"),
                mb_json_number(row, "recall"), MB_FAR_OFF_MANIFOLD, MB_FAR_RECALL);
    }
}

static int write_page(FILE *out, const char *plots_dir, mb_report_run *const *runs, int n_runs)
{
    write_head(out, runs, n_runs);
    write_gen1_warnings(out, runs, n_runs);
    fputs("<section id=\"speed\"><h2>Collapse speed</h2>\n<p class=\"caption\">How many "
          "generations of the loop it takes until the Fréchet distance doubles, the tail share "
          "halves and recall falls below 0.5 (definitions below the table).</p>\n", out);
    write_speed_table(out, runs, n_runs);
    write_definitions(out);
    fputs("</section>\n<section id=\"metrics\"><h2>Metrics against generation</h2>\n"
          "<p class=\"caption\">Every generation's synthetic set against the real test set; "
          "generation 0 is the real training set (the baseline). Dashed grey: the real test "
          "set's own value.</p>\n", out);
    int rc = write_metric_plots(out, plots_dir, runs, n_runs);
    fputs("</section>\n<section id=\"tails\"><h2>Tails, generation by generation</h2>\n", out);
    if (rc == MB_OK)
        rc = write_tail_figures(out, plots_dir, runs, n_runs);
    fputs("</section>\n<section id=\"classes\"><h2>Class shares</h2>\n", out);
    if (rc == MB_OK)
        rc = write_class_figures(out, plots_dir, runs, n_runs);
    fputs("</section>\n<section id=\"grids\"><h2>Images of every generation</h2>\n"
          "<p class=\"caption\">64 images per generation; generation 0 is real data.</p>\n", out);
    if (rc == MB_OK)
        rc = write_grids(out, runs, n_runs);
    fputs("</section>\n<section id=\"settings\"><h2>Settings</h2>\n", out);
    if (n_runs > 1)
        fputs("<p class=\"caption\">Highlighted: the settings in which the runs differ.</p>\n",
              out);
    write_settings(out, runs, n_runs);
    char when[32];
    time_t t = time(NULL);
    struct tm tm;
    gmtime_r(&t, &tm);
    strftime(when, sizeof when, "%Y-%m-%d %H:%M UTC", &tm);
    fprintf(out, "</section>\n</main>\n<footer>madbench %s · report written %s · plots also in ",
            MADBENCH_VERSION, when);
    mb_put_escaped(out, plots_dir);
    fputs("/</footer>\n</body></html>\n", out);
    return rc;
}

static int make_dir(const char *path)
{
    if (mkdir(path, 0755) && errno != EEXIST)
        return mb_fail(MB_EIO, "%s: cannot create folder: %s", path, strerror(errno));
    return MB_OK;
}

int mb_report_write(const char *const *run_dirs, int n_runs, const char *out_html,
                    const char *plots_dir)
{
    if (n_runs < 1)
        return mb_fail(MB_EINPUT, "report: no run folder given");
    mb_report_run **runs = calloc((size_t)n_runs, sizeof *runs);
    if (!runs)
        return mb_fail(MB_ENOMEM, "report: out of memory");
    int rc = MB_OK, loaded = 0;
    for (; loaded < n_runs && rc == MB_OK; loaded++) {
        runs[loaded] = malloc(sizeof **runs);
        rc = runs[loaded] ? mb_report_run_load(runs[loaded], run_dirs[loaded])
                          : mb_fail(MB_ENOMEM, "report: out of memory");
        if (rc != MB_OK) {
            free(runs[loaded]);
            runs[loaded] = NULL;
        }
    }
    char plots[MB_PATH_LEN];
    const char *slash = strrchr(out_html, '/');
    if (rc == MB_OK && plots_dir)
        rc = mb_path(plots, sizeof plots, "%s", plots_dir);
    else if (rc == MB_OK)
        rc = mb_path(plots, sizeof plots, "%.*splots", slash ? (int)(slash - out_html + 1) : 0,
                     out_html);
    if (rc == MB_OK)
        rc = make_dir(plots);
    mb_out_file out = {0};
    if (rc == MB_OK)
        rc = mb_out_open(&out, out_html);
    if (rc == MB_OK)
        rc = write_page(out.f, plots, runs, n_runs);
    rc = mb_out_close(&out, rc);
    for (int r = 0; r < n_runs; r++)
        if (runs[r]) {
            mb_report_run_free(runs[r]);
            free(runs[r]);
        }
    free(runs);
    return rc;
}

int mb_report_run_folder(const char *run_dir)
{
    char html[MB_PATH_LEN], plots[MB_PATH_LEN];
    MB_TRY(mb_path(html, sizeof html, "%s/report.html", run_dir));
    MB_TRY(mb_path(plots, sizeof plots, "%s/plots", run_dir));
    const char *dirs[1] = {run_dir};
    return mb_report_write(dirs, 1, html, plots);
}
