/* cpu/reduce.c — row gathers, sums, the finiteness check and row arg-max. Sums use fixed
 * chunks (MB_CHUNKS), so results do not depend on the thread count.
 * The CPU twin of kernels/reduce.cu. */
#include "cpu_internal.h"

#include <math.h>
#include <string.h>

static void cpu_gather_rows(mb_backend *be, mb_real *dst, const mb_real *src, const int *idx,
                            int n_rows, size_t row_len)
{
    (void)be;
#pragma omp parallel for schedule(static)
    for (int i = 0; i < n_rows; i++)
        memcpy(dst + (size_t)i * row_len, src + (size_t)idx[i] * row_len,
               row_len * sizeof *dst);
}

static double cpu_sum(mb_backend *be, const mb_real *x, size_t n)
{
    (void)be;
    double partial[MB_CHUNKS];
#pragma omp parallel for schedule(static) if (n > MB_PARALLEL_MIN)
    for (int chunk = 0; chunk < MB_CHUNKS; chunk++) {
        double acc = 0;
        const size_t end = n * (chunk + 1) / MB_CHUNKS;
        for (size_t i = n * chunk / MB_CHUNKS; i < end; i++)
            acc += x[i];
        partial[chunk] = acc;
    }
    double total = 0;
    for (int chunk = 0; chunk < MB_CHUNKS; chunk++)
        total += partial[chunk];
    return total;
}

static int cpu_all_finite(mb_backend *be, const mb_real *x, size_t n)
{
    (void)be;
    int bad = 0;
#pragma omp parallel for reduction(| : bad) if (n > MB_PARALLEL_MIN)
    for (size_t i = 0; i < n; i++)
        bad |= !isfinite(x[i]);
    return !bad;
}

static double cpu_sum_f64(mb_backend *be, const double *x, size_t n, int take_sqrt)
{
    (void)be;
    double partial[MB_CHUNKS];
#pragma omp parallel for schedule(static) if (n > MB_PARALLEL_MIN)
    for (int chunk = 0; chunk < MB_CHUNKS; chunk++) {
        double acc = 0;
        const size_t end = n * (chunk + 1) / MB_CHUNKS;
        for (size_t i = n * chunk / MB_CHUNKS; i < end; i++)
            acc += take_sqrt ? sqrt(x[i] > 0 ? x[i] : 0) : x[i];
        partial[chunk] = acc;
    }
    double total = 0;
    for (int chunk = 0; chunk < MB_CHUNKS; chunk++)
        total += partial[chunk];
    return total;
}

static void cpu_argmax_rows(mb_backend *be, const mb_real *x, int rows, int cols, int *out)
{
    (void)be;
#pragma omp parallel for schedule(static) if ((size_t)rows * cols > MB_PARALLEL_MIN)
    for (int i = 0; i < rows; i++) {
        const mb_real *r = x + (size_t)i * cols;
        int best = 0;
        for (int j = 1; j < cols; j++)
            if (r[j] > r[best])
                best = j;
        out[i] = best;
    }
}

void mb_cpu_install_reduce(mb_backend *be)
{
    be->gather_rows = cpu_gather_rows;
    be->sum = cpu_sum;
    be->all_finite = cpu_all_finite;
    be->sum_f64 = cpu_sum_f64;
    be->argmax_rows = cpu_argmax_rows;
}
