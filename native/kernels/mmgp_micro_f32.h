/*
 * mmgp_micro_f32.h: the AVX 16 x 6 FP32 register tile shared by the F32 GEMM (mmgp_gemm_f32.c) and
 * the fused Winograd op's products (mmgp_winograd_fused_body.h). Internal to native/kernels.
 *
 *   c[j * ldc + i] (+)= Σ_k a[16 k + i] * b[6 k + j]   for i < 16, j < 6, k < kc in order
 *
 * a: kc steps of 16 floats (two vector loads a step), b: kc steps of 6 floats (six broadcasts a
 * step), both packed; c: 6 rows of 16 floats, ldc floats apart, loaded first when `load`, else the
 * chains start from zero. 12 ymm accumulators leave 4 of AVX's 16 registers for the operands.
 *
 * Every c element is one chain over k in order: with FMA one rounding a step (what fmaf gives),
 * without it (AVX only) a rounded product then a rounded sum, so a plain C loop written the same
 * way gives the same bits.
 */
#ifndef MMGP_MICRO_F32_H
#define MMGP_MICRO_F32_H

#if defined(__AVX__)
#include <immintrin.h>

#if defined(__FMA__)
#define MMGP_MICRO_FMA(x, y, z) _mm256_fmadd_ps(x, y, z)
#else
#define MMGP_MICRO_FMA(x, y, z) _mm256_add_ps(z, _mm256_mul_ps(x, y))
#endif

static inline __attribute__((always_inline)) void mmgp_micro_16x6(long kc, const float * a, const float * b, float * c, long ldc, int load) {
    __m256 c00, c01, c10, c11, c20, c21, c30, c31, c40, c41, c50, c51;
    if (load) {
        c00 = _mm256_loadu_ps(c), c01 = _mm256_loadu_ps(c + 8);
        c10 = _mm256_loadu_ps(c + ldc), c11 = _mm256_loadu_ps(c + ldc + 8);
        c20 = _mm256_loadu_ps(c + 2 * ldc), c21 = _mm256_loadu_ps(c + 2 * ldc + 8);
        c30 = _mm256_loadu_ps(c + 3 * ldc), c31 = _mm256_loadu_ps(c + 3 * ldc + 8);
        c40 = _mm256_loadu_ps(c + 4 * ldc), c41 = _mm256_loadu_ps(c + 4 * ldc + 8);
        c50 = _mm256_loadu_ps(c + 5 * ldc), c51 = _mm256_loadu_ps(c + 5 * ldc + 8);
    } else {
        c00 = c01 = c10 = c11 = c20 = c21 = c30 = c31 = c40 = c41 = c50 = c51 = _mm256_setzero_ps();
    }
#define MMGP_MICRO_STEP(A, B)                                                                                                   \
    do {                                                                                                                        \
        const __m256 a0 = _mm256_loadu_ps(A), a1 = _mm256_loadu_ps((A) + 8);                                                    \
        __m256 bb = _mm256_broadcast_ss(B);                                                                                     \
        c00 = MMGP_MICRO_FMA(a0, bb, c00), c01 = MMGP_MICRO_FMA(a1, bb, c01);                                                   \
        bb = _mm256_broadcast_ss((B) + 1), c10 = MMGP_MICRO_FMA(a0, bb, c10), c11 = MMGP_MICRO_FMA(a1, bb, c11);                \
        bb = _mm256_broadcast_ss((B) + 2), c20 = MMGP_MICRO_FMA(a0, bb, c20), c21 = MMGP_MICRO_FMA(a1, bb, c21);                \
        bb = _mm256_broadcast_ss((B) + 3), c30 = MMGP_MICRO_FMA(a0, bb, c30), c31 = MMGP_MICRO_FMA(a1, bb, c31);                \
        bb = _mm256_broadcast_ss((B) + 4), c40 = MMGP_MICRO_FMA(a0, bb, c40), c41 = MMGP_MICRO_FMA(a1, bb, c41);                \
        bb = _mm256_broadcast_ss((B) + 5), c50 = MMGP_MICRO_FMA(a0, bb, c50), c51 = MMGP_MICRO_FMA(a1, bb, c51);                \
    } while (0)
    long k = 0;
    for (; k + 4 <= kc; k += 4, a += 64, b += 24) {
        MMGP_MICRO_STEP(a, b);
        MMGP_MICRO_STEP(a + 16, b + 6);
        MMGP_MICRO_STEP(a + 32, b + 12);
        MMGP_MICRO_STEP(a + 48, b + 18);
    }
    for (; k < kc; k++, a += 16, b += 6) MMGP_MICRO_STEP(a, b);
#undef MMGP_MICRO_STEP
    _mm256_storeu_ps(c, c00), _mm256_storeu_ps(c + 8, c01);
    _mm256_storeu_ps(c + ldc, c10), _mm256_storeu_ps(c + ldc + 8, c11);
    _mm256_storeu_ps(c + 2 * ldc, c20), _mm256_storeu_ps(c + 2 * ldc + 8, c21);
    _mm256_storeu_ps(c + 3 * ldc, c30), _mm256_storeu_ps(c + 3 * ldc + 8, c31);
    _mm256_storeu_ps(c + 4 * ldc, c40), _mm256_storeu_ps(c + 4 * ldc + 8, c41);
    _mm256_storeu_ps(c + 5 * ldc, c50), _mm256_storeu_ps(c + 5 * ldc + 8, c51);
}
#undef MMGP_MICRO_FMA
#endif

#endif
