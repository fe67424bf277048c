/*
 * IEEE half -> float for the kernels' plain C paths (mmgp_gemm_f32.c, mmgp_gemm_q8.c, mmgp_norm.c): exact for
 * every half (subnormals normalised, infinities and NaN payloads kept), by bit manipulation, so it
 * needs no F16C and gives what _cvtsh_ss / vcvtph2ps give on CPUs that have them.
 */
#ifndef MMGP_HALF_H
#define MMGP_HALF_H

#include <stdint.h>
#include <string.h>

static inline float mmgp_half_to_float(uint16_t h) {
    uint32_t sign = (uint32_t)(h & 0x8000u) << 16, e = (h >> 10) & 0x1fu, m = h & 0x3ffu, x;
    if (e == 0x1f) {
        x = sign | 0x7f800000u | (m << 13);
    } else if (e != 0) {
        x = sign | ((e + 112u) << 23) | (m << 13);
    } else if (m == 0) {
        x = sign;
    } else { /* subnormal half: normalise */
        e = 113;
        while (!(m & 0x400u)) {
            m <<= 1;
            e--;
        }
        x = sign | (e << 23) | ((m & 0x3ffu) << 13);
    }
    float f;
    memcpy(&f, &x, sizeof f);
    return f;
}

#endif
