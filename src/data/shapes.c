/* data/shapes.c — the procedural "shapes" set: one filled shape per image on a
 * black background, its attributes drawn from stated distributions, so that the
 * tails a model loses can be measured exactly (the MAD paper's bell curve). */
#include "data_internal.h"
#include "mb_philox.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define PI 3.14159265358979323846
/* Random draws per image: counters i * DRAWS + k, k < DRAWS. */
#define DRAWS 128
enum { DRAW_RADIUS = 0, /* up to 64 tries of the truncated normal */
       DRAW_ASPECT = 64, DRAW_ANGLE, DRAW_CX, DRAW_CY, DRAW_LEVEL /* + channel */ };
enum { STREAM_SHAPE = 11, STREAM_KIND = 12, STREAM_NOISE = 13 };
/* Supersampling of the pixels a shape's edge crosses: SS x SS samples. */
#define SS 8

static const char *const kind_names[MB_SHAPE_N_KINDS] = {"disk", "ellipse", "square"};

void mb_shapes_defaults(mb_shapes_options *o)
{
    if (!o->size)
        o->size = o->channels == 3 ? 32 : 28;
    if (!o->channels)
        o->channels = o->size == 32 ? 3 : 1;
    double scale = o->size / 28.0;
    if (!o->radius_mean)
        o->radius_mean = 6.0 * scale;
    if (!o->radius_std)
        o->radius_std = 1.25 * scale;
    if (!o->intensity_lo && !o->intensity_hi) {
        o->intensity_lo = 0.4;
        o->intensity_hi = 1.0;
    }
    if (!o->aspect_lo && !o->aspect_hi) {
        o->aspect_lo = 0.5;
        o->aspect_hi = 0.9;
    }
    if (!o->n_kinds) {
        o->n_kinds = 1;
        o->kinds[0] = MB_SHAPE_DISK;
    }
}

/* The largest extent (centre to farthest point) that keeps a 1-pixel black
 * border, so that the measurer's background estimate sees no shape. */
static double max_extent(const mb_shapes_options *o) { return o->size / 2.0 - 1.0; }

static int check_options(const mb_shapes_options *o)
{
    if (o->size < 8 || o->size > 1024)
        return mb_fail(MB_EINPUT, "shapes: image size %d (expected 8..1024)", o->size);
    if (o->channels != 1 && o->channels != 3)
        return mb_fail(MB_EINPUT, "shapes: %d channels (expected 1 or 3)", o->channels);
    double lo = o->radius_dist == MB_DIST_UNIFORM ? o->radius_lo : o->radius_mean;
    double hi = o->radius_dist == MB_DIST_UNIFORM ? o->radius_hi : o->radius_mean;
    if (!(lo >= 0.5 && hi <= max_extent(o) && lo <= hi && o->radius_std >= 0))
        return mb_fail(MB_EINPUT, "shapes: radius %s %g..%g does not fit a %dx%d image "
                       "(expected radii 0.5..%g)",
                       o->radius_dist == MB_DIST_UNIFORM ? "range" : "mean", lo, hi, o->size,
                       o->size, max_extent(o));
    if (!(o->intensity_lo > 0 && o->intensity_lo <= o->intensity_hi && o->intensity_hi <= 1))
        return mb_fail(MB_EINPUT, "shapes: intensity %g..%g (expected 0 < LO <= HI <= 1)",
                       o->intensity_lo, o->intensity_hi);
    if (!(o->aspect_lo > 0 && o->aspect_lo <= o->aspect_hi && o->aspect_hi <= 1))
        return mb_fail(MB_EINPUT, "shapes: aspect %g..%g (expected 0 < LO <= HI <= 1)",
                       o->aspect_lo, o->aspect_hi);
    if (o->n_kinds < 1 || o->n_kinds > MB_SHAPE_N_KINDS)
        return mb_fail(MB_EINPUT, "shapes: %d kinds (expected 1..3)", o->n_kinds);
    if (!(o->noise_std >= 0 && o->noise_std <= 1))
        return mb_fail(MB_EINPUT, "shapes: noise %g (expected 0..1)", o->noise_std);
    return MB_OK;
}

/* Radius: a normal truncated to mean +- 4 std (and to what fits), by rejection
 * on successive counters, or a uniform. Deterministic in (stream, i). */
static double draw_radius(const mb_shapes_options *o, uint64_t stream, uint64_t base)
{
    if (o->radius_dist == MB_DIST_UNIFORM)
        return o->radius_lo + (o->radius_hi - o->radius_lo) * mb_uniform_at(stream, base);
    double lo = fmax(0.5, o->radius_mean - 4 * o->radius_std);
    double hi = fmin(max_extent(o), o->radius_mean + 4 * o->radius_std);
    if (o->radius_lo > 0)
        lo = fmax(lo, o->radius_lo);
    if (o->radius_hi > 0)
        hi = fmin(hi, o->radius_hi);
    double r = o->radius_mean;
    for (int t = 0; t < 64; t++) {
        r = o->radius_mean + o->radius_std * mb_normal_at(stream, base + DRAW_RADIUS + t);
        if (r >= lo && r <= hi)
            return r;
    }
    return fmin(hi, fmax(lo, r)); /* probability below 1e-270 at 4 std */
}

typedef struct {
    mb_shape_kind kind;
    double r, cx, cy, aspect, angle;
    double semi_major, semi_minor, half_side; /* derived */
    double cos_a, sin_a;
} shape;

/* Inside test at (x, y), pixel coordinates with pixel centres at integer + 0.5. */
static int inside(const shape *s, double x, double y)
{
    double dx = x - s->cx, dy = y - s->cy;
    switch (s->kind) {
    case MB_SHAPE_DISK:
        return dx * dx + dy * dy <= s->r * s->r;
    case MB_SHAPE_ELLIPSE: {
        double u = (dx * s->cos_a + dy * s->sin_a) / s->semi_major;
        double v = (-dx * s->sin_a + dy * s->cos_a) / s->semi_minor;
        return u * u + v * v <= 1.0;
    }
    default:
        return fabs(dx) <= s->half_side && fabs(dy) <= s->half_side;
    }
}

/* Whether pixel (px, py) lies entirely outside the shape: its centre is farther
 * than half the pixel diagonal (0.7072) from the shape. For the ellipse, the set of
 * points within d of it lies inside the ellipse with semi-axes grown by d. */
static int far_outside(const shape *s, int px, int py)
{
    const double d = 0.7072;
    double dx = px + 0.5 - s->cx, dy = py + 0.5 - s->cy;
    switch (s->kind) {
    case MB_SHAPE_DISK:
        return dx * dx + dy * dy > (s->r + d) * (s->r + d);
    case MB_SHAPE_ELLIPSE: {
        double u = (dx * s->cos_a + dy * s->sin_a) / (s->semi_major + d);
        double v = (-dx * s->sin_a + dy * s->cos_a) / (s->semi_minor + d);
        return u * u + v * v > 1.0;
    }
    default:
        return fabs(dx) >= s->half_side + 0.5 || fabs(dy) >= s->half_side + 0.5;
    }
}

/* Share of pixel (px, py) the shape covers: 0 far from it, exact for squares, 1
 * when all corners are inside (the shapes are convex), else SS x SS supersampling. */
static double coverage(const shape *s, int px, int py)
{
    double x0 = px, y0 = py;
    if (far_outside(s, px, py))
        return 0.0;
    if (s->kind == MB_SHAPE_SQUARE) { /* axis-aligned: the exact overlap */
        double ox = fmin(x0 + 1, s->cx + s->half_side) - fmax(x0, s->cx - s->half_side);
        double oy = fmin(y0 + 1, s->cy + s->half_side) - fmax(y0, s->cy - s->half_side);
        return fmax(ox, 0.0) * fmax(oy, 0.0);
    }
    if (inside(s, x0, y0) && inside(s, x0 + 1, y0) && inside(s, x0, y0 + 1) &&
        inside(s, x0 + 1, y0 + 1))
        return 1.0;
    int hits = 0;
    for (int a = 0; a < SS; a++)
        for (int b = 0; b < SS; b++)
            hits += inside(s, x0 + (a + 0.5) / SS, y0 + (b + 0.5) / SS);
    return hits / (double)(SS * SS);
}

static void make_shape(shape *s, mb_shape_kind kind, const mb_shapes_options *o,
                       uint64_t stream, uint64_t base)
{
    memset(s, 0, sizeof *s);
    s->kind = kind;
    s->r = draw_radius(o, stream, base);
    s->aspect = 1.0;
    s->cos_a = 1.0;
    double extent = s->r;
    if (kind == MB_SHAPE_ELLIPSE) {
        /* Equal area to the disk of radius r: semi-axes r / sqrt(q), r * sqrt(q). The
         * aspect range is narrowed where the major axis would not fit. */
        double lo = fmax(o->aspect_lo, pow(s->r / max_extent(o), 2));
        double hi = fmax(lo, o->aspect_hi);
        s->aspect = lo + (hi - lo) * mb_uniform_at(stream, base + DRAW_ASPECT);
        s->angle = PI * mb_uniform_at(stream, base + DRAW_ANGLE);
        if (s->angle >= PI)
            s->angle = 0;
        s->cos_a = cos(s->angle);
        s->sin_a = sin(s->angle);
        s->semi_major = s->r / sqrt(s->aspect);
        s->semi_minor = s->r * sqrt(s->aspect);
        extent = s->semi_major;
    } else if (kind == MB_SHAPE_SQUARE) {
        s->half_side = s->r * sqrt(PI) / 2; /* side^2 = pi r^2 */
        extent = s->half_side;
    }
    /* Centre uniform over the positions that keep the 1-pixel border clear. */
    double lo = extent + 1.0, span = fmax(0.0, o->size - 2 * lo);
    s->cx = lo + span * mb_uniform_at(stream, base + DRAW_CX);
    s->cy = lo + span * mb_uniform_at(stream, base + DRAW_CY);
}

/* Kinds in exact shares (largest remainder), placed by a seeded permutation. */
static int assign_kinds(int *label, int n, uint64_t seed, const mb_shapes_options *o)
{
    double total = 0, share[MB_SHAPE_N_KINDS];
    for (int k = 0; k < o->n_kinds; k++)
        total += o->kind_shares[k];
    for (int k = 0; k < o->n_kinds; k++)
        share[k] = total > 0 ? o->kind_shares[k] / total : 1.0 / o->n_kinds;
    long count[MB_SHAPE_N_KINDS], given = 0;
    for (int k = 0; k < o->n_kinds; k++) {
        count[k] = (long)floor(share[k] * n);
        given += count[k];
    }
    while (given < n) {
        int best = 0;
        double best_frac = -1;
        for (int k = 0; k < o->n_kinds; k++) {
            double frac = share[k] * n - count[k];
            if (frac > best_frac && share[k] > 0) {
                best_frac = frac;
                best = k;
            }
        }
        count[best]++;
        given++;
    }
    int *perm = mb_host_alloc((size_t)n * sizeof(int), "shape kinds");
    if (!perm)
        return MB_ENOMEM;
    mb_data_permutation(perm, n, mb_data_stream(seed, STREAM_KIND));
    int at = 0;
    for (int k = 0; k < o->n_kinds; k++)
        for (long j = 0; j < count[k]; j++)
            label[perm[at++]] = k;
    free(perm);
    return MB_OK;
}

int mb_shapes_generate(mb_dataset *ds, int n, uint64_t seed, const mb_shapes_options *opt)
{
    mb_shapes_options o = opt ? *opt : (mb_shapes_options){0};
    mb_shapes_defaults(&o);
    memset(ds, 0, sizeof *ds);
    MB_TRY(check_options(&o));
    if (n <= 0)
        return mb_fail(MB_EINPUT, "shapes: %d images requested (expected at least 1)", n);
    int C = o.channels, S = o.size, n_attrs = C == 3 ? 8 : 6;
    MB_TRY(mb_dataset_alloc(ds, n, C, S, S, 1, n_attrs));
    size_t per = mb_dataset_image_size(ds), plane = (size_t)S * S;
    int rc = MB_OK;
    if (!(ds->pixels = mb_host_alloc(per * (size_t)n, "shapes pixels")))
        rc = MB_ENOMEM;
    if (rc == MB_OK)
        rc = assign_kinds(ds->labels, n, seed, &o);
    const char *names[MB_SHAPE_N_KINDS];
    for (int k = 0; k < o.n_kinds; k++)
        names[k] = kind_names[o.kinds[k]];
    if (rc == MB_OK)
        rc = mb_data_set_class_names(ds, names, o.n_kinds);
    if (rc != MB_OK) {
        mb_dataset_free(ds);
        return rc;
    }
    ds->n_classes = o.n_kinds;
    static const char *const gray_names[] = {"radius", "cx", "cy", "intensity", "aspect",
                                             "angle"};
    static const char *const rgb_names[] = {"radius", "cx", "cy", "red", "green", "blue",
                                            "aspect", "angle"};
    for (int a = 0; a < n_attrs; a++)
        snprintf(ds->attr_names[a], sizeof ds->attr_names[a], "%s",
                 C == 3 ? rgb_names[a] : gray_names[a]);
    uint64_t stream = mb_data_stream(seed, STREAM_SHAPE);
    uint64_t noise = mb_data_stream(seed, STREAM_NOISE);
    /* Images are independent: any thread split gives the same bytes. */
#pragma omp parallel for schedule(dynamic, 64)
    for (int i = 0; i < n; i++) {
        uint64_t base = (uint64_t)i * DRAWS;
        shape s;
        make_shape(&s, o.kinds[ds->labels[i]], &o, stream, base);
        double level[3];
        for (int c = 0; c < C; c++)
            level[c] = o.intensity_lo + (o.intensity_hi - o.intensity_lo) *
                                            mb_uniform_at(stream, base + DRAW_LEVEL + c);
        uint8_t *img = ds->pixels + per * (size_t)i;
        for (int y = 0; y < S; y++)
            for (int x = 0; x < S; x++) {
                double cov = coverage(&s, x, y);
                for (int c = 0; c < C; c++) {
                    size_t k = (size_t)c * plane + (size_t)y * S + x;
                    double v = cov * level[c];
                    if (o.noise_std > 0)
                        v += o.noise_std * mb_normal_at(noise, (uint64_t)i * per + k);
                    v = v < 0 ? 0 : v > 1 ? 1 : v;
                    img[k] = (uint8_t)lround(v * 255.0);
                }
            }
        float *at = ds->attrs + (size_t)i * n_attrs;
        at[0] = (float)s.r;
        at[1] = (float)s.cx;
        at[2] = (float)s.cy;
        for (int c = 0; c < C; c++)
            at[3 + c] = (float)level[c];
        at[3 + C] = (float)s.aspect;
        at[4 + C] = (float)s.angle;
    }
    mb_dataset_pixels_to_images(ds);
    snprintf(ds->source, sizeof ds->source, "shapes%s", C == 3 ? "32" : "");
    return MB_OK;
}
