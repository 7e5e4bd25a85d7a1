/* util/svg.c — line plots as standalone SVG 1.1 files (no scripts, no external fonts),
 * readable in any browser and embeddable in the HTML report. */
#include "mb_svg.h"

#include <errno.h>
#include <math.h>
#include <string.h>

/* Colour-blind-safe palette (Okabe & Ito 2008). */
static const char *const palette[] = {"#0072B2", "#D55E00", "#009E73", "#CC79A7",
                                      "#E69F00", "#56B4E9", "#000000", "#F0E442"};

void mb_put_escaped(FILE *out, const char *s)
{
    for (; s && *s; s++) {
        switch (*s) {
        case '&': fputs("&amp;", out); break;
        case '<': fputs("&lt;", out); break;
        case '>': fputs("&gt;", out); break;
        case '"': fputs("&quot;", out); break;
        case '\'': fputs("&#39;", out); break;
        default: fputc(*s, out);
        }
    }
}

int mb_svg_nice_ticks(double lo, double hi, int target, double *ticks, int max_ticks)
{
    if (!(hi > lo) || !isfinite(lo) || !isfinite(hi))
        return 0;
    double raw = (hi - lo) / (target > 1 ? target : 1);
    double mag = pow(10, floor(log10(raw))), step = mag;
    if (raw / mag > 5)
        step = 10 * mag;
    else if (raw / mag > 2)
        step = 5 * mag;
    else if (raw / mag > 1)
        step = 2 * mag;
    int n = 0;
    for (double t = ceil(lo / step - 1e-9) * step; t <= hi + 1e-9 * step && n < max_ticks;
         t += step)
        ticks[n++] = fabs(t) < 1e-12 * step ? 0 : t;
    return n;
}

int mb_svg_histogram_steps(const double *edges, const double *h, int n_bins, double *x,
                           double *y)
{
    int n = 0;
    x[n] = edges[0];
    y[n++] = 0;
    for (int i = 0; i < n_bins; i++) {
        x[n] = edges[i];
        y[n++] = h[i];
        x[n] = edges[i + 1];
        y[n++] = h[i];
    }
    x[n] = edges[n_bins];
    y[n++] = 0;
    return n;
}

static int usable(const mb_svg_plot *p, double x, double y)
{
    return isfinite(x) && isfinite(y) && (!p->log_y || y > 0);
}

static void format_tick(char *buf, size_t size, double v)
{
    double a = fabs(v);
    if (v == 0)
        snprintf(buf, size, "0");
    else if (a >= 1e5 || a < 1e-3)
        snprintf(buf, size, "%.0e", v);
    else
        snprintf(buf, size, "%g", v);
}

int mb_svg_write_line_plot(FILE *out, const mb_svg_plot *plot, const mb_svg_series *series,
                           int n_series)
{
    return mb_svg_write_band_plot(out, plot, series, NULL, n_series);
}

int mb_svg_write_band_plot(FILE *out, const mb_svg_plot *plot, const mb_svg_series *series,
                           const mb_svg_band *bands, int n_series)
{
    const int W = plot->width > 0 ? plot->width : 720, H = plot->height > 0 ? plot->height : 440;
    const double left = 78, right = 24, bottom = 54;
    const double top = plot->title ? (plot->subtitle ? 58 : 42) : 18;
    const double pw = W - left - right, ph = H - top - bottom;

    /* data ranges */
    double x0 = INFINITY, x1 = -INFINITY, y0 = INFINITY, y1 = -INFINITY;
    for (int s = 0; s < n_series; s++)
        for (int i = 0; i < series[s].n; i++) {
            const double x = series[s].x[i];
            const double ys[3] = {series[s].y[i],
                                  bands && bands[s].lo ? bands[s].lo[i] : NAN,
                                  bands && bands[s].hi ? bands[s].hi[i] : NAN};
            for (int k = 0; k < 3; k++) {
                if (!usable(plot, x, ys[k]))
                    continue;
                x0 = fmin(x0, x);
                x1 = fmax(x1, x);
                y0 = fmin(y0, ys[k]);
                y1 = fmax(y1, ys[k]);
            }
        }
    if (plot->x_min < plot->x_max) {
        x0 = plot->x_min;
        x1 = plot->x_max;
    }
    if (plot->y_min < plot->y_max) {
        y0 = plot->y_min;
        y1 = plot->y_max;
    }
    if (!isfinite(x0)) { /* no data at all: an empty frame */
        x0 = 0;
        x1 = 1;
        y0 = plot->log_y ? 0.1 : 0;
        y1 = 1;
    }
    if (x1 <= x0)
        x1 = x0 + 1;
    if (plot->log_y) {
        y0 = log10(y0);
        y1 = log10(y1);
        if (y1 - y0 < 1e-9) {
            y0 -= 0.5;
            y1 += 0.5;
        }
    } else {
        if (plot->y_from_zero && y0 >= 0)
            y0 = 0;
        if (y1 - y0 <= 1e-12 * fmax(fabs(y0), fabs(y1))) {
            double pad = fabs(y0) > 0 ? 0.1 * fabs(y0) : 1;
            y0 -= pad;
            y1 += pad;
        }
        double margin = 0.04 * (y1 - y0);
        if (!(plot->y_min < plot->y_max)) {
            y1 += margin;
            if (!(plot->y_from_zero && y0 == 0))
                y0 -= margin;
        }
    }
#define PX(x) (left + ((x)-x0) / (x1 - x0) * pw)
#define PY(v) (top + ph - (((plot->log_y ? log10(v) : (v)) - y0) / (y1 - y0)) * ph)

    fprintf(out, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
                 "<svg xmlns=\"http://www.w3.org/2000/svg\" version=\"1.1\" width=\"%d\" "
                 "height=\"%d\" viewBox=\"0 0 %d %d\" font-family=\"Helvetica, Arial, "
                 "sans-serif\" font-size=\"12\">\n", W, H, W, H);
    fprintf(out, "<rect x=\"0\" y=\"0\" width=\"%d\" height=\"%d\" fill=\"white\"/>\n", W, H);
    if (plot->title) {
        fprintf(out, "<text x=\"%.1f\" y=\"24\" font-size=\"15\" text-anchor=\"middle\">",
                left + pw / 2);
        mb_put_escaped(out, plot->title);
        fputs("</text>\n", out);
        if (plot->subtitle) {
            fprintf(out, "<text x=\"%.1f\" y=\"43\" font-size=\"12\" fill=\"#555\" "
                         "text-anchor=\"middle\">", left + pw / 2);
            mb_put_escaped(out, plot->subtitle);
            fputs("</text>\n", out);
        }
    }

    /* grid and ticks */
    double ticks[64];
    char label[64];
    int nt = mb_svg_nice_ticks(x0, x1, 8, ticks, 64);
    if (plot->x_integer && (nt < 2 || ticks[1] - ticks[0] < 1)) { /* whole steps */
        nt = 0;
        for (double t = ceil(x0 - 1e-9); t <= x1 + 1e-9 && nt < 64; t++)
            ticks[nt++] = t;
    }
    for (int i = 0; i < nt; i++) {
        double px = PX(ticks[i]);
        fprintf(out, "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" stroke=\"#e4e4e4\"/>\n",
                px, top, px, top + ph);
        format_tick(label, sizeof label, ticks[i]);
        fprintf(out, "<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"middle\">%s</text>\n", px,
                top + ph + 17, label);
    }
    if (plot->log_y) {
        /* decades; when the range spans under two decades, 2x and 5x too */
        int few = y1 - y0 < 2;
        nt = 0;
        for (double e = floor(y0); e <= ceil(y1) && nt < 60; e++)
            for (int m = 1; m <= 5; m++) {
                if (m != 1 && (!few || (m != 2 && m != 5)))
                    continue;
                double v = log10(m) + e;
                if (v >= y0 - 1e-9 && v <= y1 + 1e-9 && nt < 64)
                    ticks[nt++] = pow(10, v);
            }
    } else {
        nt = mb_svg_nice_ticks(y0, y1, 6, ticks, 64);
    }
    for (int i = 0; i < nt; i++) {
        double py = PY(ticks[i]);
        fprintf(out, "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" stroke=\"#e4e4e4\"/>\n",
                left, py, left + pw, py);
        format_tick(label, sizeof label, ticks[i]);
        fprintf(out, "<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"end\">%s</text>\n", left - 6,
                py + 4, label);
    }
    fprintf(out, "<rect x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" height=\"%.1f\" fill=\"none\" "
                 "stroke=\"#444\"/>\n", left, top, pw, ph);
    if (plot->x_label) {
        fprintf(out, "<text x=\"%.1f\" y=\"%d\" text-anchor=\"middle\">", left + pw / 2, H - 12);
        mb_put_escaped(out, plot->x_label);
        fputs("</text>\n", out);
    }
    if (plot->y_label) {
        fprintf(out, "<text x=\"16\" y=\"%.1f\" text-anchor=\"middle\" "
                     "transform=\"rotate(-90 16 %.1f)\">", top + ph / 2, top + ph / 2);
        mb_put_escaped(out, plot->y_label);
        fputs("</text>\n", out);
    }

    /* series, clipped to the frame */
    const char *id = plot->id ? plot->id : "frame";
    fprintf(out, "<clipPath id=\"%s\"><rect x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" "
                 "height=\"%.1f\"/></clipPath>\n<g clip-path=\"url(#%s)\" fill=\"none\">\n",
            id, left, top, pw, ph, id);
    int colour = 0;
    const char *colours[256];
    for (int s = 0; s < n_series && s < 256; s++) {
        const mb_svg_series *se = &series[s];
        const char *c = se->color ? se->color : palette[colour++ % MB_ARRAY_LEN(palette)];
        colours[s] = c;
        double w = se->width > 0 ? se->width : 1.8;
        const double *lo = bands ? bands[s].lo : NULL, *hi = bands ? bands[s].hi : NULL;
        if (lo && hi) /* each unbroken piece: along hi, back along lo */
            for (int i = 0; i < se->n;) {
#define BAND_OK(k) (usable(plot, se->x[k], lo[k]) && usable(plot, se->x[k], hi[k]))
                if (!BAND_OK(i)) {
                    i++;
                    continue;
                }
                const int start = i;
                while (i < se->n && BAND_OK(i))
                    i++;
#undef BAND_OK
                fprintf(out, "<polygon class=\"band\" fill=\"%s\" fill-opacity=\"0.18\" "
                             "stroke=\"none\" points=\"", c);
                for (int k = start; k < i; k++)
                    fprintf(out, "%.2f,%.2f ", PX(se->x[k]), PY(hi[k]));
                for (int k = i - 1; k >= start; k--)
                    fprintf(out, "%.2f,%.2f%s", PX(se->x[k]), PY(lo[k]),
                            k > start ? " " : "");
                fputs("\"/>\n", out);
            }
        if (se->fill) /* the area under each unbroken piece, down to y = 0 (or the frame) */
            for (int i = 0; i < se->n;) {
                if (!usable(plot, se->x[i], se->y[i])) {
                    i++;
                    continue;
                }
                double base = plot->log_y ? top + ph : PY(fmin(fmax(0.0, y0), y1));
                fprintf(out, "<polygon fill=\"%s\" fill-opacity=\"0.45\" stroke=\"none\" "
                             "points=\"%.2f,%.2f", se->fill, PX(se->x[i]), base);
                int last = i;
                for (; i < se->n && usable(plot, se->x[i], se->y[i]); i++)
                    fprintf(out, " %.2f,%.2f", PX(se->x[i]), PY(se->y[i])), last = i;
                fprintf(out, " %.2f,%.2f\"/>\n", PX(se->x[last]), base);
            }
        int open = 0;
        for (int i = 0; i < se->n; i++) {
            if (!usable(plot, se->x[i], se->y[i])) {
                if (open)
                    fputs("\"/>\n", out);
                open = 0;
                continue;
            }
            if (!open)
                fprintf(out, "<polyline stroke=\"%s\" stroke-width=\"%.1f\"%s "
                             "stroke-linejoin=\"round\" points=\"", c, w,
                        se->dashed ? " stroke-dasharray=\"6 4\"" : "");
            fprintf(out, "%s%.2f,%.2f", open ? " " : "", PX(se->x[i]), PY(se->y[i]));
            open = 1;
        }
        if (open)
            fputs("\"/>\n", out);
        if (se->markers)
            for (int i = 0; i < se->n; i++)
                if (usable(plot, se->x[i], se->y[i]))
                    fprintf(out, "<circle cx=\"%.2f\" cy=\"%.2f\" r=\"2.5\" fill=\"%s\"/>\n",
                            PX(se->x[i]), PY(se->y[i]), c);
    }
    fputs("</g>\n", out);

    /* legend inside the frame, in the corner that hides the fewest data points */
    int n_legend = 0;
    size_t longest = 0;
    for (int s = 0; s < n_series && s < 256; s++)
        if (series[s].label) {
            n_legend++;
            longest = strlen(series[s].label) > longest ? strlen(series[s].label) : longest;
        }
    if (n_legend) {
        double lw = 44 + 7.0 * (double)longest, lh = 8 + 17.0 * n_legend;
        double corner_x[4] = {left + pw - lw - 8, left + 8, left + pw - lw - 8, left + 8};
        double corner_y[4] = {top + 8, top + 8, top + ph - lh - 8, top + ph - lh - 8};
        int best = 0;
        long best_hidden = -1;
        for (int c = 0; c < 4; c++) { /* top right, top left, bottom right, bottom left */
            long hidden = 0;
            for (int s = 0; s < n_series; s++)
                for (int i = 0; i < series[s].n; i++) {
                    if (!usable(plot, series[s].x[i], series[s].y[i]))
                        continue;
                    double px = PX(series[s].x[i]), py = PY(series[s].y[i]);
                    hidden += px >= corner_x[c] && px <= corner_x[c] + lw &&
                              py >= corner_y[c] && py <= corner_y[c] + lh;
                }
            if (best_hidden < 0 || hidden < best_hidden) {
                best_hidden = hidden;
                best = c;
            }
        }
        double lx = corner_x[best], ly = corner_y[best];
        fprintf(out, "<rect x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" height=\"%.1f\" "
                     "fill=\"white\" fill-opacity=\"0.85\" stroke=\"#bbb\"/>\n", lx, ly, lw, lh);
        int row = 0;
        for (int s = 0; s < n_series && s < 256; s++) {
            if (!series[s].label)
                continue;
            double y = ly + 14 + 17.0 * row++;
            fprintf(out, "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" stroke=\"%s\" "
                         "stroke-width=\"2\"%s/>\n", lx + 6, y - 4, lx + 30, y - 4, colours[s],
                    series[s].dashed ? " stroke-dasharray=\"6 4\"" : "");
            fprintf(out, "<text x=\"%.1f\" y=\"%.1f\">", lx + 36, y);
            mb_put_escaped(out, series[s].label);
            fputs("</text>\n", out);
        }
    }
    fputs("</svg>\n", out);
#undef PX
#undef PY
    return ferror(out) ? mb_fail(MB_EIO, "svg: write error") : MB_OK;
}

int mb_svg_line_plot(const char *path, const mb_svg_plot *plot, const mb_svg_series *series,
                     int n_series)
{
    FILE *out = fopen(path, "w");
    if (!out)
        return mb_fail(MB_EIO, "cannot write plot %s: %s", path, strerror(errno));
    int rc = mb_svg_write_line_plot(out, plot, series, n_series);
    if (fclose(out) != 0 && rc == MB_OK)
        rc = mb_fail(MB_EIO, "cannot write plot %s: %s", path, strerror(errno));
    if (rc == MB_EIO)
        mb_fail(MB_EIO, "cannot write plot %s", path);
    return rc;
}
