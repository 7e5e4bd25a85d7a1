/* stats/toy_internal.h — what the toy run folder's writer (stats/toy_output.c) shares with its
 * plots (stats/toy_plots.c). Not a public interface. */
#ifndef MB_TOY_INTERNAL_H
#define MB_TOY_INTERNAL_H

#include "mb_toy.h"

#include <stdio.h>

/* Histograms of the first coordinate of S_t in units of the original's marginal
 * standard deviation, at generations 0, G/4, G/2, 3G/4, G. */
#define MB_TOY_HIST_BINS 60
#define MB_TOY_HIST_LO (-5.0)
#define MB_TOY_HIST_HI 5.0
#define MB_TOY_MAX_HISTS 5

struct mb_toy_writer {
    const mb_toy_config *cfg;
    char dir[3072];
    char command[4096]; /* the command line, for manifest.json */
    char started[32];   /* ISO 8601, UTC */
    double t0;          /* mb_now_seconds() at open */
    FILE *csv, *jsonl;
    mb_toy_row *rows; /* [G + 1] */
    int n_rows;
    int hist_gen[MB_TOY_MAX_HISTS], n_hists;
    double hist[2][MB_TOY_MAX_HISTS][MB_TOY_HIST_BINS]; /* [pooled, centred] */
    double ref_mean0, ref_sd0; /* the original's first-coordinate mean and sd */
};

/* variance, tails, w2, drift, histogram, histogram_pooled .svg; a GMM adds weights,
 * classes and component_variance. */
int mb_toy_write_plots(const mb_toy_writer *w);

#endif
