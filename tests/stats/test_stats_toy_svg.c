/* test_stats_toy_svg.c — the SVG line-plot writer (src/util/svg.c): ticks, histogram steps,
 * the document it writes (series, legend, escaping, log axis, broken lines) and its
 * error on an unwritable path. Well-formedness is checked with xmllint in
 * tests/cli/cli_toy.sh. */
#include "mb_svg.h"
#include "testutil.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

static int count(const char *hay, const char *needle)
{
    int n = 0;
    for (const char *p = strstr(hay, needle); p; p = strstr(p + 1, needle))
        n++;
    return n;
}

static char *render(const mb_svg_plot *p, const mb_svg_series *s, int n)
{
    char *buf = NULL;
    size_t size = 0;
    FILE *f = open_memstream(&buf, &size);
    CHECK(mb_svg_write_line_plot(f, p, s, n) == MB_OK, "write: %s", mb_last_error());
    fclose(f);
    return buf;
}

int main(void)
{
    double ticks[16];
    int n = mb_svg_nice_ticks(0, 100, 5, ticks, 16);
    CHECK(n == 6 && ticks[0] == 0 && ticks[5] == 100, "ticks 0..100: %d, last %g", n,
          n ? ticks[n - 1] : NAN);
    n = mb_svg_nice_ticks(0.013, 0.047, 4, ticks, 16);
    /* raw step 0.0085 rounds up to 0.01: 0.02, 0.03, 0.04 */
    CHECK(n == 3 && fabs(ticks[0] - 0.02) < 1e-12 && fabs(ticks[2] - 0.04) < 1e-12,
          "ticks 0.013..0.047: %d from %g", n, ticks[0]);
    CHECK(mb_svg_nice_ticks(1, 1, 5, ticks, 16) == 0, "empty range: no ticks");

    double edges[3] = {0, 1, 2}, h[2] = {0.25, 0.75}, x[6], y[6];
    CHECK(mb_svg_histogram_steps(edges, h, 2, x, y) == 6, "2 bins -> 6 points");
    CHECK(x[0] == 0 && y[0] == 0 && x[2] == 1 && y[2] == 0.25 && y[3] == 0.75 && x[5] == 2 &&
              y[5] == 0, "step points");

    double gx[5] = {0, 1, 2, 3, 4}, a[5] = {1, 0.5, NAN, 0.1, 0.05}, b[5] = {2, 1, 0, 1, 2};
    mb_svg_series s[2] = {{"decay <fast> & \"slow\"", gx, a, 5, NULL, 0, 1, 0, NULL},
                          {NULL, gx, b, 5, "#123456", 1, 0, 0, NULL}};
    mb_svg_plot p = {"Title & more", "generation", "value", 0, 0, 0, 0, 0, 0, 0, 0, "sub", NULL, 0};
    char *doc = render(&p, s, 2);
    CHECK(strstr(doc, "<svg ") && strstr(doc, "</svg>\n"), "document frame");
    CHECK(count(doc, "<polyline") == 3, "NaN breaks series 0 into two lines (+1 for series "
          "1): %d polylines", count(doc, "<polyline"));
    CHECK(count(doc, "<circle") == 4, "markers at the 4 finite points: %d",
          count(doc, "<circle"));
    CHECK(strstr(doc, "decay &lt;fast&gt; &amp; &quot;slow&quot;") != NULL, "label escaped");
    CHECK(strstr(doc, "Title &amp; more") && strstr(doc, ">sub<"), "title and subtitle");
    CHECK(strstr(doc, "#123456") && strstr(doc, "stroke-dasharray"), "colour and dashes");
    CHECK(count(doc, "<text") >= 10, "ticks and labels written");
    CHECK(!strstr(doc, "nan") && !strstr(doc, "inf"), "no NaN / Inf in the document");
    free(doc);

    /* log axis: y = 0 is dropped, decades as ticks */
    p.log_y = 1;
    doc = render(&p, s, 2);
    CHECK(strstr(doc, ">1<") && strstr(doc, ">0.1<"), "decade ticks");
    CHECK(!strstr(doc, "nan") && !strstr(doc, "inf"), "log axis: no NaN / Inf");
    free(doc);

    /* no data at all still gives a frame */
    mb_svg_series none = {"none", gx, a, 0, NULL, 0, 0, 0, NULL};
    doc = render(&p, &none, 1);
    CHECK(strstr(doc, "</svg>") && !strstr(doc, "nan"), "empty plot");
    free(doc);

    int rc = mb_svg_line_plot("/nonexistent-dir/x.svg", &p, s, 2);
    CHECK(rc == MB_EIO && strstr(mb_last_error(), "/nonexistent-dir/x.svg"),
          "unwritable path: rc %d, %s", rc, mb_last_error());
    return mb_test_finish("test_stats_toy_svg");
}
