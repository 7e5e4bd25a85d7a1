/* mb_svg.h — a small SVG line-plot writer for metrics against generation: several
 * series, axis labels, 1-2-5 ticks (or decades on a log axis), a legend. */
#ifndef MB_SVG_H
#define MB_SVG_H

#include "mb_common.h"

#include <stdio.h>

typedef struct {
    const char *label;   /* legend text; NULL keeps the series out of the legend */
    const double *x, *y; /* [n]; a non-finite point (or y <= 0 on a log axis) breaks the line */
    int n;
    const char *color;   /* any CSS colour; NULL takes the next colour of the palette */
    int dashed;
    int markers;         /* a dot at every point */
    double width;        /* stroke width in pixels, 0 = 1.8 */
    const char *fill;    /* NULL, or a colour filling the area between the line and y = 0 */
} mb_svg_series;

/* A band in its series' colour between lo[i] and hi[i] (e.g. a confidence interval). */
typedef struct {
    const double *lo, *hi; /* [the series' n]; NULL: no band */
} mb_svg_band;

typedef struct {
    const char *title, *x_label, *y_label;
    int width, height; /* pixels, 0 = 720 x 440 */
    int log_y;         /* logarithmic y axis */
    int y_from_zero;   /* a linear y axis that starts at 0 when the data are >= 0 */
    /* Fixed ranges, used where min < max; otherwise fitted to the data. */
    double x_min, x_max, y_min, y_max;
    const char *subtitle; /* a smaller second line under the title, or NULL */
    const char *id;       /* prefix of the element ids (clip path), unique per page when
                             several plots are inlined in one HTML file; NULL = "frame" */
    int x_integer;        /* x ticks at whole numbers only (generations) */
} mb_svg_plot;

/* Writes the plot to `out` / to the file at `path` (MB_EIO naming it on failure). */
int mb_svg_write_line_plot(FILE *out, const mb_svg_plot *plot, const mb_svg_series *series,
                           int n_series);
int mb_svg_line_plot(const char *path, const mb_svg_plot *plot, const mb_svg_series *series,
                     int n_series);
/* The same with bands[s] shaded under series s (bands may be NULL). */
int mb_svg_write_band_plot(FILE *out, const mb_svg_plot *plot, const mb_svg_series *series,
                           const mb_svg_band *bands, int n_series);

/* Stacked bars (util/svg_bars.c): bar i at x[i] (whole numbers, e.g. generations) made
 * of n_stacks segments of heights values[i * n_stacks + s], bottom to top, coloured
 * from a 10-colour palette and named labels[s] in a legend right of the frame
 * (labels NULL: no legend). */
int mb_svg_write_stacked_bars(FILE *out, const mb_svg_plot *plot, const double *x, int n_bars,
                              const double *values, int n_stacks, const char *const *labels);

/* A histogram as a step line: bins [edges[i], edges[i+1]) with heights h[i] become
 * 2 n_bins + 2 points (x, y) starting and ending at height 0; x and y need room
 * for 2 n_bins + 2 values. Returns the number of points. */
int mb_svg_histogram_steps(const double *edges, const double *h, int n_bins, double *x,
                           double *y);

/* Ticks of a linear axis on [lo, hi] at 1-2-5 multiples of a power of ten; returns
 * how many (at most max_ticks) were written to ticks. */
/* Writes s with &, <, >, " and ' escaped for XML / HTML text and attributes. */
void mb_put_escaped(FILE *out, const char *s);
int mb_svg_nice_ticks(double lo, double hi, int target, double *ticks, int max_ticks);

#endif
