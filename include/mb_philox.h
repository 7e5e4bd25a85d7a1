/* mb_philox.h — Philox4x32-10 (Salmon et al., "Parallel random numbers: as easy
 * as 1, 2, 3", SC 2011), the counter-based generator cuRAND also offers. Element i
 * of a fill depends only on (seed, offset + i), so results are the same for any
 * number of threads and on every backend: this header is shared by the CPU code
 * and the CUDA kernels. */
#ifndef MB_PHILOX_H
#define MB_PHILOX_H

#include <math.h>
#include <stdint.h>

#include "mb_hd.h"

typedef struct { uint32_t v[4]; } mb_philox_block;

MB_HD uint32_t mb_mulhilo32(uint32_t a, uint32_t b, uint32_t *hi)
{
    uint64_t p = (uint64_t)a * (uint64_t)b;
    *hi = (uint32_t)(p >> 32);
    return (uint32_t)p;
}

/* Four 32-bit random words for counter `ctr` under key `seed`. */
MB_HD mb_philox_block mb_philox4x32(uint64_t ctr, uint64_t seed)
{
    uint32_t c0 = (uint32_t)ctr, c1 = (uint32_t)(ctr >> 32), c2 = 0, c3 = 0;
    uint32_t k0 = (uint32_t)seed, k1 = (uint32_t)(seed >> 32);
    for (int round = 0; round < 10; round++) {
        uint32_t hi0, hi1;
        uint32_t lo0 = mb_mulhilo32(0xD2511F53u, c0, &hi0);
        uint32_t lo1 = mb_mulhilo32(0xCD9E8D57u, c2, &hi1);
        uint32_t n0 = hi1 ^ c1 ^ k0, n2 = hi0 ^ c3 ^ k1;
        c0 = n0; c1 = lo1; c2 = n2; c3 = lo0;
        k0 += 0x9E3779B9u;
        k1 += 0xBB67AE85u;
    }
    mb_philox_block out = {{c0, c1, c2, c3}};
    return out;
}

/* Uniform in (0, 1], never 0, so log() is safe. */
MB_HD double mb_u32_to_unit(uint32_t a, uint32_t b)
{
    uint64_t bits = ((uint64_t)a << 21) ^ (uint64_t)b; /* 53 random bits */
    bits &= (1ull << 53) - 1;
    return ((double)bits + 1.0) * (1.0 / 9007199254740992.0);
}

/* Uniform double in (0, 1] for element `index` of stream (seed). */
MB_HD double mb_uniform_at(uint64_t seed, uint64_t index)
{
    mb_philox_block r = mb_philox4x32(index, seed);
    return mb_u32_to_unit(r.v[0], r.v[1]);
}

/* Standard normal for element `index` (Box-Muller on one Philox block). */
MB_HD double mb_normal_at(uint64_t seed, uint64_t index)
{
    mb_philox_block r = mb_philox4x32(index, seed);
    double u1 = mb_u32_to_unit(r.v[0], r.v[1]);
    double u2 = mb_u32_to_unit(r.v[2], r.v[3]);
    return sqrt(-2.0 * log(u1)) * cos(6.283185307179586 * u2);
}

#endif
