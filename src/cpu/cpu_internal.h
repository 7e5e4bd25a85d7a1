/* cpu_internal.h — what the files of the CPU backend share: the per-element
 * maths and constants (mb_elementwise.h, shared with the CUDA kernels) and the
 * installers that fill the table, one per op family as in kernels/mb_cuda.cuh. */
#ifndef MB_CPU_INTERNAL_H
#define MB_CPU_INTERNAL_H

#include "mb_backend.h"
#include "mb_elementwise.h"

void mb_cpu_install_random(mb_backend *be);      /* random.c */
void mb_cpu_install_gemm(mb_backend *be);        /* gemm.c */
void mb_cpu_install_conv(mb_backend *be);        /* conv.c */
void mb_cpu_install_elementwise(mb_backend *be); /* elementwise.c */
void mb_cpu_install_loss(mb_backend *be);        /* loss.c */
void mb_cpu_install_adam(mb_backend *be);        /* adam.c */
void mb_cpu_install_reduce(mb_backend *be);      /* reduce.c */
void mb_cpu_install_linalg(mb_backend *be);      /* linalg.c (metrics) */
void mb_cpu_install_distances(mb_backend *be);   /* distances.c (metrics) */

#endif
