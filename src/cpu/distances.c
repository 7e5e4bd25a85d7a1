/* cpu/distances.c — pairwise squared distances, k-th smallest per row (k-NN radii),
 * counts below radii (precision / recall / density / coverage) and the KID kernel sum.
 * The CPU twin of kernels/distances.cu. */
#include "cpu_internal.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

static void cpu_sq_distances_f64(mb_backend *be, int m, int n, int d, const double *x,
                                 const double *y, const double *x_sq, const double *y_sq,
                                 double *out)
{
    be->gemm_f64(be, 0, 1, m, n, d, -2.0, x, d, y, d, 0.0, out, n);
#pragma omp parallel for schedule(static) if ((size_t)m * n > MB_PARALLEL_MIN)
    for (int i = 0; i < m; i++) {
        double *r = out + (size_t)i * n;
        for (int j = 0; j < n; j++) {
            const double v = r[j] + x_sq[i] + y_sq[j];
            r[j] = v > 0 ? v : 0;
        }
    }
}

/* Hoare's selection on a scratch copy: the k-th smallest (0-based kk). */
static double select_kth(double *v, int n, int kk)
{
    int lo = 0, hi = n - 1;
    while (lo < hi) {
        const double pivot = v[lo + (hi - lo) / 2];
        int i = lo, j = hi;
        while (i <= j) {
            while (v[i] < pivot)
                i++;
            while (v[j] > pivot)
                j--;
            if (i <= j) {
                const double t = v[i];
                v[i] = v[j];
                v[j] = t;
                i++;
                j--;
            }
        }
        if (kk <= j)
            hi = j;
        else if (kk >= i)
            lo = i;
        else
            return v[kk];
    }
    return v[kk];
}

/* The k smallest of a row in one pass (small k: k-NN radii): best[] holds them in
 * ascending order; most entries fail the first comparison. */
static double kth_by_insertion(const double *r, int n, int k, double *best)
{
    int filled = 0;
    for (int j = 0; j < n; j++) {
        const double v = r[j];
        if (filled == k && !(v < best[k - 1]))
            continue;
        int pos = filled < k ? filled++ : k - 1;
        while (pos > 0 && best[pos - 1] > v) {
            best[pos] = best[pos - 1];
            pos--;
        }
        best[pos] = v;
    }
    return best[k - 1];
}

static void cpu_row_kth_smallest_f64(mb_backend *be, const double *x, int rows, int cols,
                                     int k, double *out)
{
    (void)be;
    const int small = k <= 64;
#pragma omp parallel
    {
        double *scratch = malloc((size_t)(small ? k : cols) * sizeof *scratch);
#pragma omp for schedule(static)
        for (int i = 0; i < rows; i++) {
            const double *r = x + (size_t)i * cols;
            if (!scratch) {
                out[i] = NAN; /* the caller's finiteness check reports it */
            } else if (small) {
                out[i] = kth_by_insertion(r, cols, k, scratch);
            } else {
                memcpy(scratch, r, (size_t)cols * sizeof *scratch);
                out[i] = select_kth(scratch, cols, k - 1);
            }
        }
        free(scratch);
    }
}

static void cpu_count_below_f64(mb_backend *be, const double *dist, int rows, int cols,
                                const double *radius, int radius_per_row, int *counts,
                                int count_per_row)
{
    (void)be;
    if (count_per_row) {
#pragma omp parallel for schedule(static)
        for (int i = 0; i < rows; i++) {
            const double *r = dist + (size_t)i * cols;
            int c = 0;
            if (radius_per_row) {
                for (int j = 0; j < cols; j++)
                    c += r[j] < radius[i];
            } else {
                for (int j = 0; j < cols; j++)
                    c += r[j] < radius[j];
            }
            counts[i] += c;
        }
        return;
    }
    /* per column: column blocks per thread, rows in order inside */
    const int block = 256;
    const int n_blocks = (cols + block - 1) / block;
#pragma omp parallel for schedule(static)
    for (int bj = 0; bj < n_blocks; bj++) {
        const int j0 = bj * block, j1 = j0 + block < cols ? j0 + block : cols;
        for (int i = 0; i < rows; i++) {
            const double *r = dist + (size_t)i * cols;
            for (int j = j0; j < j1; j++)
                counts[j] += r[j] < (radius_per_row ? radius[i] : radius[j]);
        }
    }
}

static double cpu_poly3_kernel_sum_f64(mb_backend *be, const double *gram, int rows,
                                       int cols, double scale, int skip_diag)
{
    (void)be;
    double partial[MB_CHUNKS];
#pragma omp parallel for schedule(static)
    for (int chunk = 0; chunk < MB_CHUNKS; chunk++) {
        double acc = 0;
        const int end = (int)((long long)rows * (chunk + 1) / MB_CHUNKS);
        for (int i = (int)((long long)rows * chunk / MB_CHUNKS); i < end; i++) {
            const double *r = gram + (size_t)i * cols;
            for (int j = 0; j < cols; j++) {
                if (skip_diag && i == j)
                    continue;
                const double t = r[j] * scale + 1.0;
                acc += t * t * t;
            }
        }
        partial[chunk] = acc;
    }
    double total = 0;
    for (int chunk = 0; chunk < MB_CHUNKS; chunk++)
        total += partial[chunk];
    return total;
}

void mb_cpu_install_distances(mb_backend *be)
{
    be->sq_distances_f64 = cpu_sq_distances_f64;
    be->row_kth_smallest_f64 = cpu_row_kth_smallest_f64;
    be->count_below_f64 = cpu_count_below_f64;
    be->poly3_kernel_sum_f64 = cpu_poly3_kernel_sum_f64;
}
