/* util/svg_bars.c — stacked bar charts as standalone SVG 1.1 (class shares per
 * generation in the report), in the style of util/svg.c's line plots. */
#include "mb_svg.h"

#include <math.h>
#include <string.h>

/* Ten distinguishable colours (Tableau 10) for up to ten stacked categories. */
static const char *const bar_palette[] = {"#4E79A7", "#F28E2B", "#E15759", "#76B7B2",
                                          "#59A14F", "#EDC948", "#B07AA1", "#FF9DA7",
                                          "#9C755F", "#BAB0AC"};

int mb_svg_write_stacked_bars(FILE *out, const mb_svg_plot *plot, const double *x, int n_bars,
                              const double *values, int n_stacks, const char *const *labels)
{
    const int W = plot->width > 0 ? plot->width : 720, H = plot->height > 0 ? plot->height : 440;
    size_t longest = 0;
    for (int s = 0; labels && s < n_stacks; s++)
        longest = labels[s] && strlen(labels[s]) > longest ? strlen(labels[s]) : longest;
    const double legend_w = labels ? 30 + 6.8 * (double)longest : 0;
    const double left = 64, bottom = 54, right = 16 + legend_w;
    const double top = plot->title ? (plot->subtitle ? 58 : 42) : 18;
    const double pw = W - left - right, ph = H - top - bottom;

    double y1 = 0;
    for (int i = 0; i < n_bars; i++) {
        double sum = 0;
        for (int s = 0; s < n_stacks; s++)
            sum += isfinite(values[(size_t)i * n_stacks + s]) ? values[(size_t)i * n_stacks + s] : 0;
        y1 = fmax(y1, sum);
    }
    if (plot->y_min < plot->y_max)
        y1 = plot->y_max;
    if (!(y1 > 0))
        y1 = 1;
    const double slot = n_bars > 0 ? pw / n_bars : pw, bar_w = 0.72 * slot;
#define PY(v) (top + ph - (v) / y1 * ph)

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
            fprintf(out, "<text x=\"%.1f\" y=\"43\" fill=\"#555\" text-anchor=\"middle\">",
                     left + pw / 2);
            mb_put_escaped(out, plot->subtitle);
            fputs("</text>\n", out);
        }
    }
    double ticks[64];
    const int nt = mb_svg_nice_ticks(0, y1, 5, ticks, 64);
    for (int i = 0; i < nt; i++) {
        fprintf(out, "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" stroke=\"#e4e4e4\"/>\n",
                left, PY(ticks[i]), left + pw, PY(ticks[i]));
        fprintf(out, "<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"end\">%g</text>\n", left - 6,
                PY(ticks[i]) + 4, ticks[i]);
    }
    /* bars, bottom to top; every label under its bar when there is room, else every k-th */
    const int every = slot >= 26 ? 1 : (int)ceil(26 / slot);
    for (int i = 0; i < n_bars; i++) {
        const double bx = left + slot * i + (slot - bar_w) / 2;
        double base = 0;
        for (int s = 0; s < n_stacks; s++) {
            double v = values[(size_t)i * n_stacks + s];
            if (!isfinite(v) || v <= 0)
                continue;
            fprintf(out, "<rect x=\"%.2f\" y=\"%.2f\" width=\"%.2f\" height=\"%.2f\" "
                         "fill=\"%s\"><title>", bx, PY(base + v), bar_w, PY(base) - PY(base + v),
                    bar_palette[s % MB_ARRAY_LEN(bar_palette)]);
            mb_put_escaped(out, labels && labels[s] ? labels[s] : "");
            fprintf(out, " %.4g</title></rect>\n", v);
            base += v;
        }
        if (i % every == 0)
            fprintf(out, "<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"middle\">%g</text>\n",
                    bx + bar_w / 2, top + ph + 17, x[i]);
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
    /* legend right of the frame, top category first (as the bars stack) */
    for (int s = n_stacks - 1, row = 0; labels && s >= 0; s--, row++) {
        const double lx = left + pw + 14, ly = top + 4 + 17.0 * row;
        fprintf(out, "<rect x=\"%.1f\" y=\"%.1f\" width=\"12\" height=\"12\" fill=\"%s\"/>\n", lx,
                ly, bar_palette[s % MB_ARRAY_LEN(bar_palette)]);
        fprintf(out, "<text x=\"%.1f\" y=\"%.1f\">", lx + 18, ly + 10);
        mb_put_escaped(out, labels[s] ? labels[s] : "");
        fputs("</text>\n", out);
    }
    fputs("</svg>\n", out);
#undef PY
    return ferror(out) ? mb_fail(MB_EIO, "svg: write error") : MB_OK;
}
