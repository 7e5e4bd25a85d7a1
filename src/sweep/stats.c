/* sweep/stats.c — statistics across the seeds of a group: the mean with its 95%
 * Student-t interval, and quantiles (median, IQR).
 *
 * Student's t CDF (Abramowitz & Stegun 26.7.1, via 26.5.27): for t >= 0,
 *   P(T <= t) = 1 - I_x(df/2, 1/2) / 2,  x = df / (df + t^2),
 * with I the regularised incomplete beta function, evaluated by its continued
 * fraction (DLMF 8.17.22) with the modified Lentz method; the quantile by bisection. */
#include "mb_sweep.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

/* The continued fraction of I_x(a, b) (converges fast for x < (a + 1) / (a + b + 2)). */
static double beta_fraction(double a, double b, double x)
{
    const double tiny = 1e-300;
    double c = 1, d = 1 - (a + b) * x / (a + 1);
    d = fabs(d) < tiny ? tiny : d;
    d = 1 / d;
    double h = d;
    for (int m = 1; m <= 1000; m++) {
        const double m2 = 2.0 * m;
        /* even step d_{2m}, then odd step d_{2m+1} */
        double aa = m * (b - m) * x / ((a - 1 + m2) * (a + m2));
        d = 1 + aa * d;
        d = fabs(d) < tiny ? tiny : d;
        c = 1 + aa / c;
        c = fabs(c) < tiny ? tiny : c;
        d = 1 / d;
        h *= d * c;
        aa = -(a + m) * (a + b + m) * x / ((a + m2) * (a + 1 + m2));
        d = 1 + aa * d;
        d = fabs(d) < tiny ? tiny : d;
        c = 1 + aa / c;
        c = fabs(c) < tiny ? tiny : c;
        d = 1 / d;
        const double step = d * c;
        h *= step;
        if (fabs(step - 1) < 1e-16)
            break;
    }
    return h;
}

static double incomplete_beta(double a, double b, double x)
{
    if (x <= 0)
        return 0;
    if (x >= 1)
        return 1;
    const double front = exp(lgamma(a + b) - lgamma(a) - lgamma(b) + a * log(x) +
                             b * log1p(-x));
    if (x < (a + 1) / (a + b + 2))
        return front * beta_fraction(a, b, x) / a;
    return 1 - front * beta_fraction(b, a, 1 - x) / b;
}

static double student_t_cdf(double t, double df)
{
    const double tail = 0.5 * incomplete_beta(df / 2, 0.5, df / (df + t * t));
    return t >= 0 ? 1 - tail : tail;
}

double mb_student_t_quantile(double q, double df)
{
    if (!(q > 0 && q < 1) || !(df > 0))
        return NAN;
    if (q < 0.5)
        return -mb_student_t_quantile(1 - q, df);
    double lo = 0, hi = 1;
    while (student_t_cdf(hi, df) < q && hi < 1e300)
        hi *= 2;
    for (int i = 0; i < 200 && hi - lo > 1e-14 * hi; i++) {
        const double mid = 0.5 * (lo + hi);
        if (student_t_cdf(mid, df) < q)
            lo = mid;
        else
            hi = mid;
    }
    return 0.5 * (lo + hi);
}

int mb_mean_ci95(const double *v, int n, double *mean, double *half)
{
    int k = 0;
    double sum = 0;
    for (int i = 0; i < n; i++)
        if (isfinite(v[i]))
            sum += v[i], k++;
    *mean = k ? sum / k : NAN;
    *half = NAN;
    if (k < 2)
        return k;
    double ss = 0;
    for (int i = 0; i < n; i++)
        if (isfinite(v[i]))
            ss += (v[i] - *mean) * (v[i] - *mean);
    *half = mb_student_t_quantile(0.975, k - 1) * sqrt(ss / (k - 1)) / sqrt((double)k);
    return k;
}
