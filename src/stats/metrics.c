/* stats/metrics.c — one generation's statistics across replicas (a row of
 * metrics.csv) and the closed form written beside them. */
#include "mb_toy.h"

#include <math.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

double mb_toy_var_closed_form(const mb_toy_config *cfg, int t)
{
    if (cfg->kind != MB_TOY_GAUSSIAN || cfg->loop != MB_TOY_FULLY_SYNTHETIC)
        return NAN;
    const mb_stats_model *o = cfg->original;
    double v0 = 0;
    for (int a = 0; a < o->dim; a++)
        v0 += o->cov[a * o->dim + a];
    v0 /= o->dim;
    if (t == 0)
        return v0;
    double M = (double)cfg->n_samples, c = cfg->estimator == MB_STATS_MLE ? (M - 1) / M : 1.0;
    return v0 * pow(cfg->lambda, t - 1) * pow(c, t);
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

/* Quantile of sorted values, linear interpolation between order statistics. */
static double quantile(const double *sorted, int n, double q)
{
    double h = (n - 1) * q;
    int lo = (int)floor(h);
    if (lo >= n - 1)
        return sorted[n - 1];
    return sorted[lo] + (h - lo) * (sorted[lo + 1] - sorted[lo]);
}

/* Mean and sorted copy of one field over the replicas. */
static double field(const mb_toy_generation *g, size_t offset, double *buf, int transform)
{
    double sum = 0;
    for (int r = 0; r < g->replicas; r++) {
        double v = *(const double *)((const char *)&g->stats[r] + offset);
        buf[r] = transform ? sqrt(v) : v;
        sum += buf[r];
    }
    qsort(buf, (size_t)g->replicas, sizeof(double), cmp_double);
    return sum / g->replicas;
}

int mb_toy_aggregate(const mb_toy_config *cfg, const mb_toy_generation *g, mb_toy_row *row)
{
    int R = g->replicas;
    double *buf = mb_host_alloc(sizeof(double) * (size_t)R, "toy aggregate");
    if (!buf)
        return MB_ENOMEM;
    memset(row, 0, sizeof *row);
    row->generation = g->generation;
    row->var_mean = field(g, offsetof(mb_toy_replica_stats, var), buf, 0);
    row->var_q05 = quantile(buf, R, 0.05);
    row->var_q25 = quantile(buf, R, 0.25);
    row->var_q50 = quantile(buf, R, 0.50);
    row->var_q75 = quantile(buf, R, 0.75);
    row->var_q95 = quantile(buf, R, 0.95);
    row->var_closed_form = mb_toy_var_closed_form(cfg, g->generation);
    row->sd_mean = field(g, offsetof(mb_toy_replica_stats, var), buf, 1);
    row->log_var_mean = field(g, offsetof(mb_toy_replica_stats, log_var), buf, 0);
    row->det_ratio_mean = field(g, offsetof(mb_toy_replica_stats, det_ratio), buf, 0);
    row->drift_mean = field(g, offsetof(mb_toy_replica_stats, drift2), buf, 1);
    row->drift2_mean = field(g, offsetof(mb_toy_replica_stats, drift2), buf, 0);
    row->tail2_mean = field(g, offsetof(mb_toy_replica_stats, tail2), buf, 0);
    row->tail2_q50 = quantile(buf, R, 0.5);
    row->tail3_mean = field(g, offsetof(mb_toy_replica_stats, tail3), buf, 0);
    row->tail3_q50 = quantile(buf, R, 0.5);
    row->min_weight_mean = field(g, offsetof(mb_toy_replica_stats, min_weight), buf, 0);
    row->min_weight_q50 = quantile(buf, R, 0.5);
    row->min_class_share_mean = field(g, offsetof(mb_toy_replica_stats, min_class_share), buf, 0);
    row->min_class_share_q50 = quantile(buf, R, 0.5);
    int lost = 0;
    for (int r = 0; r < R; r++)
        lost += g->stats[r].min_class_share < 0.01;
    row->lost_share = (double)lost / R;
    row->w2_mean = field(g, offsetof(mb_toy_replica_stats, w2), buf, 0);
    row->w2_q50 = quantile(buf, R, 0.5);
    for (int k = 0; k < cfg->n_components; k++) {
        row->comp_var_mean[k] =
            field(g, offsetof(mb_toy_replica_stats, comp_var) + k * sizeof(double), buf, 0);
        row->comp_var_q50[k] = quantile(buf, R, 0.5);
        row->weight_mean[k] =
            field(g, offsetof(mb_toy_replica_stats, weight) + k * sizeof(double), buf, 0);
        row->class_share_mean[k] =
            field(g, offsetof(mb_toy_replica_stats, class_share) + k * sizeof(double), buf, 0);
    }
    free(buf);
    return MB_OK;
}

