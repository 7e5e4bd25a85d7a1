/* cpu/backend_cpu.c — the reference backend: plain C11 loops parallelised with
 * OpenMP, GEMMs through OpenBLAS. Every other backend is checked against this.
 * Loops are written so that each output element is computed by one thread in a
 * fixed order: results do not depend on the thread count. This file holds memory
 * and creation; the ops live in one file per family, as in kernels/ (random.c,
 * gemm.c, conv.c, elementwise.c, loss.c, adam.c, reduce.c, linalg.c, distances.c).
 * Compiled with mb_real = float (mb_cpu) and double (mb_model_f64). */
#include "cpu_internal.h"

#include <cblas.h>
#include <omp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void *cpu_alloc(mb_backend *be, size_t bytes)
{
    (void)be;
    void *p = NULL;
    if (posix_memalign(&p, 64, bytes ? bytes : 64)) {
        mb_fail(MB_ENOMEM, "out of host memory: requested %zu bytes", bytes);
        return NULL;
    }
    return p;
}

static void cpu_free(mb_backend *be, void *ptr) { (void)be; free(ptr); }

static void cpu_memcpy(mb_backend *be, void *dst, const void *src, size_t bytes)
{
    (void)be;
    if (bytes)
        memmove(dst, src, bytes);
}

static void cpu_synchronize(mb_backend *be) { (void)be; }

static void cpu_destroy(mb_backend *be) { free(be); }

static void cpu_model_name(char *out, size_t len)
{
    snprintf(out, len, "CPU, %d OpenMP threads", omp_get_max_threads());
    FILE *f = fopen("/proc/cpuinfo", "r");
    if (!f)
        return;
    char line[256];
    while (fgets(line, sizeof line, f)) {
        if (strncmp(line, "model name", 10))
            continue;
        char *colon = strchr(line, ':');
        if (colon) {
            colon[strcspn(colon, "\n")] = 0;
            snprintf(out, len, "%s, %d OpenMP threads", colon + 2, omp_get_max_threads());
        }
        break;
    }
    fclose(f);
}

void mb_cpu_set_threads(int n)
{
    if (n <= 0)
        return;
    omp_set_num_threads(n);
}

mb_backend *mb_backend_cpu_create(void)
{
    mb_backend *be = calloc(1, sizeof *be);
    if (!be) {
        mb_fail(MB_ENOMEM, "out of host memory creating the CPU backend");
        return NULL;
    }
    openblas_set_num_threads(1); /* see gemm.c */
    be->name = "cpu";
    cpu_model_name(be->device_name, sizeof be->device_name);
    be->destroy = cpu_destroy;
    be->alloc = cpu_alloc;
    be->free = cpu_free;
    be->upload = cpu_memcpy;
    be->download = cpu_memcpy;
    be->copy = cpu_memcpy;
    be->synchronize = cpu_synchronize;
    mb_cpu_install_random(be);
    mb_cpu_install_gemm(be);
    mb_cpu_install_conv(be);
    mb_cpu_install_elementwise(be);
    mb_cpu_install_loss(be);
    mb_cpu_install_adam(be);
    mb_cpu_install_reduce(be);
    mb_cpu_install_linalg(be);
    mb_cpu_install_distances(be);
    return be;
}
