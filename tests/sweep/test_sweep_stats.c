/* test_sweep_stats.c — the Student-t quantiles and the 95% interval of a mean,
 * against reference values (scipy.stats.t.ppf, 20 digits printed) and a sample
 * worked out by hand. */
#include "mb_sweep.h"

#include <math.h>
#include <stdio.h>

int main(void)
{
    /* df 1 and 2 in closed form: tan(pi (q - 1/2)) and (2q - 1) / sqrt(2 q (1 - q));
     * the others scipy.stats.t.ppf(q, df) (itself good to about 1e-10) */
    const struct { double q, df, t; } ref[] = {
        {0.975, 1, 12.706204736174698},  {0.975, 2, 4.302652729749464},
        {0.975, 3, 3.182446305284263},   {0.975, 4, 2.7764451051977987},
        {0.975, 7, 2.3646242510102993},  {0.975, 9, 2.2621571627409915},
        {0.975, 29, 2.045229642132703},  {0.975, 1000, 1.9623390808264074},
        {0.995, 5, 4.032142983557536},   {0.75, 3, 0.764892328080891},
        {0.025, 4, -2.7764451051977996}, {0.5, 7, 0.0},
        {0.975, 2.5, 3.5746548420118773},
    };
    int fails = 0;
    for (size_t i = 0; i < sizeof ref / sizeof ref[0]; i++) {
        const double t = mb_student_t_quantile(ref[i].q, ref[i].df);
        if (!(fabs(t - ref[i].t) <= 1e-9 * fmax(1, fabs(ref[i].t)))) {
            fprintf(stderr, "FAIL: t quantile q=%g df=%g: %.15g, expected %.15g\n", ref[i].q,
                    ref[i].df, t, ref[i].t);
            fails++;
        }
    }
    if (!isnan(mb_student_t_quantile(1, 3)) || !isnan(mb_student_t_quantile(0.5, 0))) {
        fprintf(stderr, "FAIL: quantile outside (0, 1) or df <= 0 is not NaN\n");
        fails++;
    }
    /* 2, 4, 4, 4, 5, 5, 7, 9 and a NaN (left out): mean 5, s = sqrt(32/7),
     * half = t(0.975, 7) s / sqrt(8) */
    const double v[] = {2, 4, 4, NAN, 4, 5, 5, 7, 9};
    double mean, half;
    const int n = mb_mean_ci95(v, 9, &mean, &half);
    const double want = 2.3646242510102993 * sqrt(32.0 / 7) / sqrt(8.0);
    if (n != 8 || fabs(mean - 5) > 1e-12 || fabs(half - want) > 1e-9 * want) {
        fprintf(stderr, "FAIL: mean_ci95: n %d mean %.15g half %.15g (expected 8, 5, %.15g)\n", n,
                mean, half, want);
        fails++;
    }
    const double one[] = {3};
    if (mb_mean_ci95(one, 1, &mean, &half) != 1 || mean != 3 || !isnan(half)) {
        fprintf(stderr, "FAIL: one value: mean %g half %g (expected 3 and no interval)\n", mean,
                half);
        fails++;
    }
    if (!fails)
        printf("test_sweep_stats: all checks passed\n");
    return fails ? 1 : 0;
}
