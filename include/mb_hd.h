/* mb_hd.h — what lets one function body serve both backends: MB_HD marks a
 * function for the host and the device, and MB_MUL / MB_ADD / ... are the
 * arithmetic steps rounded one at a time on both. The CPU is compiled with
 * -ffp-contract=off, so its plain operators round each step; nvcc would fuse
 * a * b + c into an FMA (one rounding), so device code spells the steps with the
 * _rn intrinsics, which are never fused. Used by mb_philox.h and mb_elementwise.h. */
#ifndef MB_HD_H
#define MB_HD_H

#ifdef __CUDACC__
#define MB_HD __host__ __device__ __forceinline__
#else
#define MB_HD static inline
#endif

#ifdef __CUDA_ARCH__ /* device code: mb_real is float there */
#define MB_MUL(a, b) __fmul_rn((a), (b))
#define MB_ADD(a, b) __fadd_rn((a), (b))
#define MB_SUB(a, b) __fsub_rn((a), (b))
#define MB_DMUL(a, b) __dmul_rn((a), (b))
#define MB_DADD(a, b) __dadd_rn((a), (b))
#else
#define MB_MUL(a, b) ((a) * (b))
#define MB_ADD(a, b) ((a) + (b))
#define MB_SUB(a, b) ((a) - (b))
#define MB_DMUL(a, b) ((double)(a) * (double)(b))
#define MB_DADD(a, b) ((double)(a) + (double)(b))
#endif

#endif
