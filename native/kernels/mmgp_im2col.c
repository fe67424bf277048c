/*
 * mmgp_im2col: ggml's im2col as ggml custom ops (ggml_custom_4d), writing exactly the layout of
 * GGML_OP_IM2COL (2-D and 1-D) and GGML_OP_IM2COL_3D so the mul_mat after it is unchanged, only
 * faster (see mmgp_kernels.h for the contract).
 *
 * How it is fast where ggml's CPU kernel is not:
 *   - Threads split the output by rows (n, od, oh): contiguous ranges of whole rows, so no two
 *     threads write the same cache line (ggml interleaves input channels across threads inside
 *     every patch, so both threads write every line).
 *   - A row is cut into tiles of T output positions x T patch elements. The T input reads of a
 *     tile are T vector loads along input rows (one per patch element k, T consecutive output
 *     positions), transposed in registers into T vector stores along the patch (the destination
 *     is patch-major). Positions whose patch reaches the padding on the left or right are done
 *     element by element; rows above/below the input read a zero row, so they tile too.
 *   - The patch elements of a row go in passes of K_CHUNK: one pass reads few enough input rows
 *     that they stay cached from one tile to the next (channel planes are often a power of two
 *     apart, so too many of them at once evict each other), and AVX prefetches them ahead.
 *   - F16 destinations convert whole vectors (F16C vcvtps2ph / NEON fcvtn), rounding to nearest
 *     even as ggml's element-wise conversion does, so the bits are identical.
 * T is 8 with AVX (F16: 8 x 16, one 32-byte store per position), 4 with NEON, and 8 in the plain
 * C path that every other CPU compiles (MMGP_IM2COL_PORTABLE runs it anywhere, for tests).
 */
#include "mmgp_kernels.h"
#include "mmgp_ggml_tensor.h"

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#if defined(__x86_64__) || defined(__i386__)
#include <immintrin.h>
#endif
#if defined(__ARM_NEON) && defined(__aarch64__)
#include <arm_neon.h>
#endif

#if defined(__AVX__)
#define IM2COL_AVX 1
#define SIMD_TILE 8
#elif defined(__ARM_NEON) && defined(__aarch64__)
#define IM2COL_NEON 1
#define SIMD_TILE 4
#else
#define SIMD_TILE 8 /* no SIMD: the plain C tiles */
#endif
#define PLAIN_TILE 8
/* Patch elements per pass over a row's positions: the input rows of one pass stay in L1/L2. */
#define K_CHUNK 256

#if defined(__GNUC__) || defined(__clang__)
#define ALWAYS_INLINE static inline __attribute__((always_inline))
#else
#define ALWAYS_INLINE static inline
#endif

_Static_assert(sizeof(struct mmgp_im2col_params) == 56, "mmgp_im2col_params is 14 int32");

/* ---------------------------------------------------------------------------------------------
 * float -> half, round to nearest even.
 * ------------------------------------------------------------------------------------------- */

/*
 * Plain C, bit-identical to IEEE conversion with round-to-nearest-even for every non-NaN input
 * (overflow to infinity, subnormal halves, ties to even); NaN becomes sign | 0x7e00, as ggml's
 * own plain C conversion writes it.
 */
static uint16_t f32_to_f16_plain(float f) {
    uint32_t x;
    memcpy(&x, &f, sizeof x);
    uint32_t sign = (x >> 16) & 0x8000u;
    uint32_t ax = x & 0x7fffffffu;
    if (ax > 0x7f800000u) return (uint16_t)(sign | 0x7e00u);  /* NaN */
    if (ax >= 0x477ff000u) return (uint16_t)(sign | 0x7c00u); /* >= 65520 (or inf): inf */
    if (ax < 0x38800000u) {                                   /* below 2^-14: a subnormal half */
        if (ax < 0x33000000u) return (uint16_t)sign;          /* at most 2^-25: rounds to 0 */
        uint32_t e = ax >> 23, m = (ax & 0x7fffffu) | 0x800000u;
        uint32_t shift = 126u - e; /* 14..24: value / 2^-24 = m >> shift */
        uint32_t r = m >> shift, rem = m & ((1u << shift) - 1u), half = 1u << (shift - 1u);
        if (rem > half || (rem == half && (r & 1u))) r++;
        return (uint16_t)(sign | r);
    }
    uint32_t r = (ax >> 13) - (112u << 10); /* rebias the exponent from 127 to 15 */
    uint32_t rem = ax & 0x1fffu;
    if (rem > 0x1000u || (rem == 0x1000u && (r & 1u))) r++; /* a carry may step the exponent: right */
    return (uint16_t)(sign | r);
}

static void f32_to_f16_plain_n(uint16_t * d, const float * s, int64_t n) {
    for (int64_t i = 0; i < n; i++) d[i] = f32_to_f16_plain(s[i]);
}

/* The vector conversion of this CPU (the plain one where there is none). */
static void f32_to_f16_simd_n(uint16_t * d, const float * s, int64_t n) {
    int64_t i = 0;
#if defined(__F16C__) && defined(__AVX__)
    for (; i + 8 <= n; i += 8) _mm_storeu_si128((__m128i *)(d + i), _mm256_cvtps_ph(_mm256_loadu_ps(s + i), 0));
    for (; i < n; i++) d[i] = (uint16_t)_cvtss_sh(s[i], 0);
#elif IM2COL_NEON
    for (; i + 4 <= n; i += 4) vst1_u16(d + i, vreinterpret_u16_f16(vcvt_f16_f32(vld1q_f32(s + i))));
    if (i < n) {
        float t[4] = {0, 0, 0, 0};
        uint16_t h[4];
        memcpy(t, s + i, (size_t)(n - i) * sizeof(float));
        vst1_u16(h, vreinterpret_u16_f16(vcvt_f16_f32(vld1q_f32(t))));
        memcpy(d + i, h, (size_t)(n - i) * sizeof(uint16_t));
    }
#else
    f32_to_f16_plain_n(d + i, s + i, n - i);
#endif
}

void mmgp_f32_to_f16(const float * src, uint16_t * dst, long n) {
    f32_to_f16_simd_n(dst, src, n);
}

void mmgp_f32_to_f16_portable(const float * src, uint16_t * dst, long n) {
    f32_to_f16_plain_n(dst, src, n);
}

/* ---------------------------------------------------------------------------------------------
 * The geometry of one call, 2-D, 1-D and 3-D alike: input [IW, IH, ID] planes per channel c and
 * image n (byte strides), patch element k = ((c*KD + kd)*KH + kh)*KW + kw, output position
 * ((n*OD + od)*OH + oh)*OW + ow, destination element position*K + k.
 * ------------------------------------------------------------------------------------------- */
typedef struct {
    const char * src;
    char * dst;
    int64_t IW, IH, ID, IC, N;
    int64_t sh, sd, sc, sn; /* byte strides of an input row, depth slice, channel, image */
    int64_t KW, KH, KD, K;
    int64_t OW, OH, OD;
    int64_t s0, s1, s2, p0, p1, p2, d0, d1, d2;
    int f16;   /* destination F16 (else F32) */
    int flags; /* MMGP_IM2COL_PORTABLE, MMGP_IM2COL_REFERENCE */
} geom;

static void fail(const char * what) {
    fprintf(stderr, "mmgp_im2col: %s\n", what);
    abort();
}

static void check_common(const struct ggml_tensor * dst, const struct ggml_tensor * src, const geom * g) {
    if (src == NULL) fail("dst->src[0] (the input) is missing");
    if (src->type != GGML_TYPE_F32 || src->nb[0] != sizeof(float)) fail("the input must be F32 with contiguous rows (nb[0] == 4)");
    if (dst->type != GGML_TYPE_F32 && dst->type != GGML_TYPE_F16) fail("the destination must be F32 or F16");
    size_t es = dst->type == GGML_TYPE_F16 ? 2 : 4;
    if (dst->nb[0] != es || dst->nb[1] != es * (size_t)dst->ne[0] || dst->nb[2] != dst->nb[1] * (size_t)dst->ne[1]
            || dst->nb[3] != dst->nb[2] * (size_t)dst->ne[2]) fail("the destination must be contiguous");
    if (g->K != dst->ne[0]) fail("dst->ne[0] is not IC*KD*KH*KW");
    if (g->N * g->OD * g->OH * g->OW != dst->ne[1] * dst->ne[2] * dst->ne[3]) fail("dst does not hold N*OD*OH*OW positions");
    if (g->s0 < 1 || g->s1 < 1 || g->s2 < 1 || g->d0 < 1 || g->d1 < 1 || g->d2 < 1 || g->p0 < 0 || g->p1 < 0 || g->p2 < 0
            || g->KW < 1 || g->KH < 1 || g->KD < 1) fail("strides and dilations must be >= 1, paddings >= 0, kernel sizes >= 1");
}

/* ---------------------------------------------------------------------------------------------
 * Element by element (the fallback when the row tables cannot be allocated; a test flag).
 * ------------------------------------------------------------------------------------------- */
static void rows_reference(const geom * g, int64_t r0, int64_t r1) {
    for (int64_t r = r0; r < r1; r++) {
        int64_t oh = r % g->OH, t = r / g->OH, od = t % g->OD, n = t / g->OD;
        for (int64_t ow = 0; ow < g->OW; ow++) {
            int64_t pos = r * g->OW + ow, k = 0;
            for (int64_t c = 0; c < g->IC; c++)
                for (int64_t kd = 0; kd < g->KD; kd++)
                    for (int64_t kh = 0; kh < g->KH; kh++)
                        for (int64_t kw = 0; kw < g->KW; kw++, k++) {
                            int64_t id = od * g->s2 + kd * g->d2 - g->p2;
                            int64_t ih = oh * g->s1 + kh * g->d1 - g->p1;
                            int64_t iw = ow * g->s0 + kw * g->d0 - g->p0;
                            float v = 0.0f;
                            if (id >= 0 && id < g->ID && ih >= 0 && ih < g->IH && iw >= 0 && iw < g->IW) {
                                memcpy(&v, g->src + n * g->sn + c * g->sc + id * g->sd + ih * g->sh + iw * (int64_t)sizeof(float),
                                       sizeof v);
                            }
                            if (g->f16) ((uint16_t *)g->dst)[pos * g->K + k] = f32_to_f16_plain(v);
                            else ((float *)g->dst)[pos * g->K + k] = v;
                        }
        }
    }
}

/* ---------------------------------------------------------------------------------------------
 * Tiles: T output positions (ow0 .. ow0+T-1) x T patch elements (k0 .. k0+T-1). rows[j] is the
 * input row of element k0+j (a zero row in the padding), coff[j] its column offset kw*d0 - p0;
 * every read column ow*s0 + coff[j] of the tile is inside the row (the caller checks).
 * ------------------------------------------------------------------------------------------- */
ALWAYS_INLINE void tile_plain(char * d, int64_t K, const float * const * rows, const int32_t * coff, int64_t col0, int64_t s0,
                              int f16) {
    float t[PLAIN_TILE][PLAIN_TILE];
    for (int j = 0; j < PLAIN_TILE; j++) {
        const float * p = rows[j] + (col0 + coff[j]);
        for (int i = 0; i < PLAIN_TILE; i++) t[i][j] = p[i * s0];
    }
    for (int i = 0; i < PLAIN_TILE; i++) {
        if (f16) f32_to_f16_plain_n((uint16_t *)d + i * K, t[i], PLAIN_TILE);
        else memcpy((float *)d + i * K, t[i], sizeof t[i]);
    }
}

#if IM2COL_AVX
ALWAYS_INLINE __m256 load8(const float * p, int64_t s0) {
    if (s0 == 1) return _mm256_loadu_ps(p);
#if defined(__AVX2__)
    if (s0 == 2) { /* 16 floats, the even ones: [a0 a2 b0 b2 | a4 a6 b4 b6] then the 64-bit pairs reordered */
        __m256 t = _mm256_shuffle_ps(_mm256_loadu_ps(p), _mm256_loadu_ps(p + 8), 0x88);
        return _mm256_castpd_ps(_mm256_permute4x64_pd(_mm256_castps_pd(t), 0xD8));
    }
#endif
    return _mm256_setr_ps(p[0], p[s0], p[2 * s0], p[3 * s0], p[4 * s0], p[5 * s0], p[6 * s0], p[7 * s0]);
}

ALWAYS_INLINE void store8(char * d, int64_t i, int64_t K, __m256 v, int f16) {
    if (f16) {
#if defined(__F16C__)
        _mm_storeu_si128((__m128i *)((uint16_t *)d + i * K), _mm256_cvtps_ph(v, 0)); /* 0: nearest even */
#else
        float t[8];
        _mm256_storeu_ps(t, v);
        f32_to_f16_plain_n((uint16_t *)d + i * K, t, 8);
#endif
    } else {
        _mm256_storeu_ps((float *)d + i * K, v);
    }
}

/* 8x8 transpose of a tile: in r_j element k0+j at 8 positions, out o_i position i's 8 elements. */
ALWAYS_INLINE void transpose8(const float * const * rows, const int32_t * coff, int64_t col0, int64_t s0, __m256 o[8]) {
    /* Every other row's columns 4 tiles ahead (neighbouring elements mostly share a row; a
     * prefetch never faults, even past the end of the input): 10-25% on inputs beyond L2. */
    for (int j = 0; j < 8; j += 2) {
        _mm_prefetch((const char *)((uintptr_t)rows[j] + (uintptr_t)(col0 + coff[j] + 32) * sizeof(float)), _MM_HINT_T0);
    }
    __m256 r0 = load8(rows[0] + (col0 + coff[0]), s0), r1 = load8(rows[1] + (col0 + coff[1]), s0);
    __m256 r2 = load8(rows[2] + (col0 + coff[2]), s0), r3 = load8(rows[3] + (col0 + coff[3]), s0);
    __m256 r4 = load8(rows[4] + (col0 + coff[4]), s0), r5 = load8(rows[5] + (col0 + coff[5]), s0);
    __m256 r6 = load8(rows[6] + (col0 + coff[6]), s0), r7 = load8(rows[7] + (col0 + coff[7]), s0);
    __m256 t0 = _mm256_unpacklo_ps(r0, r1), t1 = _mm256_unpackhi_ps(r0, r1);
    __m256 t2 = _mm256_unpacklo_ps(r2, r3), t3 = _mm256_unpackhi_ps(r2, r3);
    __m256 t4 = _mm256_unpacklo_ps(r4, r5), t5 = _mm256_unpackhi_ps(r4, r5);
    __m256 t6 = _mm256_unpacklo_ps(r6, r7), t7 = _mm256_unpackhi_ps(r6, r7);
    __m256 u0 = _mm256_shuffle_ps(t0, t2, 0x44), u1 = _mm256_shuffle_ps(t0, t2, 0xEE);
    __m256 u2 = _mm256_shuffle_ps(t1, t3, 0x44), u3 = _mm256_shuffle_ps(t1, t3, 0xEE);
    __m256 u4 = _mm256_shuffle_ps(t4, t6, 0x44), u5 = _mm256_shuffle_ps(t4, t6, 0xEE);
    __m256 u6 = _mm256_shuffle_ps(t5, t7, 0x44), u7 = _mm256_shuffle_ps(t5, t7, 0xEE);
    o[0] = _mm256_permute2f128_ps(u0, u4, 0x20);
    o[1] = _mm256_permute2f128_ps(u1, u5, 0x20);
    o[2] = _mm256_permute2f128_ps(u2, u6, 0x20);
    o[3] = _mm256_permute2f128_ps(u3, u7, 0x20);
    o[4] = _mm256_permute2f128_ps(u0, u4, 0x31);
    o[5] = _mm256_permute2f128_ps(u1, u5, 0x31);
    o[6] = _mm256_permute2f128_ps(u2, u6, 0x31);
    o[7] = _mm256_permute2f128_ps(u3, u7, 0x31);
}

ALWAYS_INLINE void tile_simd(char * d, int64_t K, const float * const * rows, const int32_t * coff, int64_t col0, int64_t s0,
                             int f16) {
    __m256 o[8];
    transpose8(rows, coff, col0, s0, o);
    for (int i = 0; i < 8; i++) store8(d, i, K, o[i], f16);
}

#if defined(__F16C__)
#define WIDE_F16 16
/* F16: 8 positions x 16 elements, so each position gets one 32-byte store. */
ALWAYS_INLINE void tile_simd_f16_wide(char * d, int64_t K, const float * const * rows, const int32_t * coff, int64_t col0,
                                      int64_t s0) {
    __m256 o[8];
    __m128i h[8];
    transpose8(rows, coff, col0, s0, o);
    for (int i = 0; i < 8; i++) h[i] = _mm256_cvtps_ph(o[i], 0);
    transpose8(rows + 8, coff + 8, col0, s0, o);
    for (int i = 0; i < 8; i++) {
        __m256i v = _mm256_insertf128_si256(_mm256_castsi128_si256(h[i]), _mm256_cvtps_ph(o[i], 0), 1);
        _mm256_storeu_si256((__m256i *)((uint16_t *)d + i * K), v);
    }
}
#endif
#elif IM2COL_NEON
ALWAYS_INLINE float32x4_t load4(const float * p, int64_t s0) {
    if (s0 == 1) return vld1q_f32(p);
    if (s0 == 2) return vld2q_f32(p).val[0]; /* 8 floats, the even ones */
    float t[4] = {p[0], p[s0], p[2 * s0], p[3 * s0]};
    return vld1q_f32(t);
}

ALWAYS_INLINE void store4(char * d, int64_t i, int64_t K, float32x4_t v, int f16) {
    if (f16) vst1_u16((uint16_t *)d + i * K, vreinterpret_u16_f16(vcvt_f16_f32(v)));
    else vst1q_f32((float *)d + i * K, v);
}

ALWAYS_INLINE void tile_simd(char * d, int64_t K, const float * const * rows, const int32_t * coff, int64_t col0, int64_t s0,
                             int f16) {
    float32x4_t r0 = load4(rows[0] + (col0 + coff[0]), s0), r1 = load4(rows[1] + (col0 + coff[1]), s0);
    float32x4_t r2 = load4(rows[2] + (col0 + coff[2]), s0), r3 = load4(rows[3] + (col0 + coff[3]), s0);
    float32x4x2_t a = vtrnq_f32(r0, r1), b = vtrnq_f32(r2, r3); /* [r0_0 r1_0 r0_2 r1_2], [r0_1 r1_1 r0_3 r1_3] */
    store4(d, 0, K, vcombine_f32(vget_low_f32(a.val[0]), vget_low_f32(b.val[0])), f16);
    store4(d, 1, K, vcombine_f32(vget_low_f32(a.val[1]), vget_low_f32(b.val[1])), f16);
    store4(d, 2, K, vcombine_f32(vget_high_f32(a.val[0]), vget_high_f32(b.val[0])), f16);
    store4(d, 3, K, vcombine_f32(vget_high_f32(a.val[1]), vget_high_f32(b.val[1])), f16);
}
#else
ALWAYS_INLINE void tile_simd(char * d, int64_t K, const float * const * rows, const int32_t * coff, int64_t col0, int64_t s0,
                             int f16) {
    tile_plain(d, K, rows, coff, col0, s0, f16);
}
#endif

/* Patch elements per tile. */
static inline int64_t tile_k(int f16, int simd) {
#if WIDE_F16
    if (simd && f16) return WIDE_F16;
#endif
    (void)f16;
    return simd ? SIMD_TILE : PLAIN_TILE;
}

/*
 * Output positions [lo, hi) of one row by tiles, patch elements [k0, k1) of it; hi - lo >= T and
 * K >= T. The last tile of either axis is moved back to end at hi (or k1), overlapping the one
 * before (or, when k1 - k0 < T, the elements before k0): the overlap is written twice with the
 * same values, so every tile stays a full vector one.
 */
ALWAYS_INLINE void row_tiles(char * drow, int64_t K, size_t es, const float * const * rows, const int32_t * coff, int64_t lo,
                             int64_t hi, int64_t k0, int64_t k1, int64_t s0, int f16, int simd) {
    const int64_t T = simd ? SIMD_TILE : PLAIN_TILE, TK = tile_k(f16, simd);
    for (int64_t ow0 = lo;; ow0 += T) {
        if (ow0 + T > hi) ow0 = hi - T;
        char * dpos = drow + (size_t)(ow0 * K) * es;
        for (int64_t k = k0;; k += TK) {
            if (k + TK > k1) k = k1 - TK;
#if WIDE_F16
            if (simd && f16) tile_simd_f16_wide(dpos + (size_t)k * es, K, rows + k, coff + k, ow0 * s0, s0);
            else
#endif
            if (simd) tile_simd(dpos + (size_t)k * es, K, rows + k, coff + k, ow0 * s0, s0, f16);
            else tile_plain(dpos + (size_t)k * es, K, rows + k, coff + k, ow0 * s0, s0, f16);
            if (k + TK >= k1) break;
        }
        if (ow0 + T >= hi) break;
    }
}

typedef void (*row_tiles_fn)(char *, int64_t, size_t, const float * const *, const int32_t *, int64_t, int64_t, int64_t, int64_t,
                             int64_t);

/* Specialised on stride (1, 2, any) x destination type x path, so the tile's loads are fixed. */
#define ROW_TILES(name, S0, F16, SIMD)                                                                                    \
    static void name(char * drow, int64_t K, size_t es, const float * const * rows, const int32_t * coff, int64_t lo,   \
                     int64_t hi, int64_t k0, int64_t k1, int64_t s0) {                                                     \
        row_tiles(drow, K, es, rows, coff, lo, hi, k0, k1, (S0) ? (S0) : s0, F16, SIMD);                                  \
    }
ROW_TILES(tiles_s1_f32_simd, 1, 0, 1)
ROW_TILES(tiles_s2_f32_simd, 2, 0, 1)
ROW_TILES(tiles_sn_f32_simd, 0, 0, 1)
ROW_TILES(tiles_s1_f16_simd, 1, 1, 1)
ROW_TILES(tiles_s2_f16_simd, 2, 1, 1)
ROW_TILES(tiles_sn_f16_simd, 0, 1, 1)
ROW_TILES(tiles_s1_f32_plain, 1, 0, 0)
ROW_TILES(tiles_sn_f32_plain, 0, 0, 0)
ROW_TILES(tiles_s1_f16_plain, 1, 1, 0)
ROW_TILES(tiles_sn_f16_plain, 0, 1, 0)

/* One output position element by element, with the column bounds checked (the padding). */
static void position_checked(char * dpos, const geom * g, const float * const * rows, const int32_t * coff, int64_t ow, int simd) {
    enum { CHUNK = 256 };
    float buf[CHUNK];
    const int64_t col = ow * g->s0;
    for (int64_t k0 = 0; k0 < g->K; k0 += CHUNK) {
        int64_t n = g->K - k0 < CHUNK ? g->K - k0 : CHUNK;
        for (int64_t j = 0; j < n; j++) {
            int64_t iw = col + coff[k0 + j];
            buf[j] = iw >= 0 && iw < g->IW ? rows[k0 + j][iw] : 0.0f;
        }
        if (!g->f16) memcpy((float *)dpos + k0, buf, (size_t)n * sizeof(float));
        else if (simd) f32_to_f16_simd_n((uint16_t *)dpos + k0, buf, n);
        else f32_to_f16_plain_n((uint16_t *)dpos + k0, buf, n);
    }
}


static void run(const geom * g, int ith, int nth) {
    const int64_t R = g->N * g->OD * g->OH; /* output rows (n, od, oh), OW positions each */
    if (nth < 1) nth = 1;
    const int64_t r0 = R * ith / nth, r1 = R * (ith + 1) / nth;
    if (r0 >= r1 || g->OW <= 0 || g->K <= 0) return;
    if (g->flags & MMGP_IM2COL_REFERENCE) {
        rows_reference(g, r0, r1);
        return;
    }
    const int simd = !(g->flags & MMGP_IM2COL_PORTABLE);
    const int64_t K = g->K, T = simd ? SIMD_TILE : PLAIN_TILE;
    const size_t es = g->f16 ? 2 : 4;

    const float ** rows = malloc((size_t)K * sizeof *rows);
    int32_t * coff = malloc((size_t)K * sizeof *coff);
    float * zero = calloc((size_t)g->IW, sizeof *zero); /* the row read in the padding above/below/before/after */
    if (rows == NULL || coff == NULL || zero == NULL) {
        free(rows);
        free(coff);
        free(zero);
        rows_reference(g, r0, r1);
        return;
    }
    for (int64_t k = 0; k < K; k++) coff[k] = (int32_t)((k % g->KW) * g->d0 - g->p0);

    /* Positions whose every read column ow*s0 + kw*d0 - p0 lies in [0, IW); the stride-2 vector
     * loads read one column further (the odd one after the last). */
    const int64_t extra = g->s0 == 2 ? 1 : 0;
    int64_t lo = (g->p0 + g->s0 - 1) / g->s0, hi;
    {
        int64_t num = g->IW - 1 - extra - (g->KW - 1) * g->d0 + g->p0;
        hi = num < 0 ? 0 : num / g->s0 + 1;
        if (hi > g->OW) hi = g->OW;
        if (lo > g->OW) lo = g->OW;
        if (hi < lo) hi = lo;
    }
    const int tiled = hi - lo >= T && K >= tile_k(g->f16, simd);

    row_tiles_fn tiles;
    if (simd) {
        tiles = g->f16 ? (g->s0 == 1 ? tiles_s1_f16_simd : g->s0 == 2 ? tiles_s2_f16_simd : tiles_sn_f16_simd)
                       : (g->s0 == 1 ? tiles_s1_f32_simd : g->s0 == 2 ? tiles_s2_f32_simd : tiles_sn_f32_simd);
    } else {
        tiles = g->f16 ? (g->s0 == 1 ? tiles_s1_f16_plain : tiles_sn_f16_plain) : (g->s0 == 1 ? tiles_s1_f32_plain : tiles_sn_f32_plain);
    }

    for (int64_t r = r0; r < r1; r++) {
        const int64_t oh = r % g->OH, t = r / g->OH, od = t % g->OD, n = t / g->OD;
        int64_t k = 0;
        for (int64_t c = 0; c < g->IC; c++) {
            const char * plane = g->src + n * g->sn + c * g->sc;
            for (int64_t kd = 0; kd < g->KD; kd++) {
                const int64_t id = od * g->s2 + kd * g->d2 - g->p2;
                for (int64_t kh = 0; kh < g->KH; kh++) {
                    const int64_t ih = oh * g->s1 + kh * g->d1 - g->p1;
                    const float * row = id >= 0 && id < g->ID && ih >= 0 && ih < g->IH
                            ? (const float *)(plane + id * g->sd + ih * g->sh) : zero;
                    for (int64_t kw = 0; kw < g->KW; kw++) rows[k++] = row;
                }
            }
        }
        char * drow = g->dst + (size_t)(r * g->OW * K) * es;
        const float * const * crows = rows;
        if (tiled) {
            for (int64_t ow = 0; ow < lo; ow++) position_checked(drow + (size_t)(ow * K) * es, g, crows, coff, ow, simd);
            for (int64_t k0 = 0; k0 < K; k0 += K_CHUNK) {
                tiles(drow, K, es, crows, coff, lo, hi, k0, k0 + K_CHUNK < K ? k0 + K_CHUNK : K, g->s0);
            }
            for (int64_t ow = hi; ow < g->OW; ow++) position_checked(drow + (size_t)(ow * K) * es, g, crows, coff, ow, simd);
        } else {
            for (int64_t ow = 0; ow < g->OW; ow++) position_checked(drow + (size_t)(ow * K) * es, g, crows, coff, ow, simd);
        }
    }
    free(rows);
    free(coff);
    free(zero);
}

/* ---------------------------------------------------------------------------------------------
 * The custom ops.
 * ------------------------------------------------------------------------------------------- */
void mmgp_im2col_2d(struct ggml_tensor * dst, int ith, int nth, void * userdata) {
    const struct mmgp_im2col_params * p = (const struct mmgp_im2col_params *)userdata;
    const struct ggml_tensor * src = dst->src[0];
    if (p == NULL) fail("userdata (struct mmgp_im2col_params *) is NULL");
    geom g;
    memset(&g, 0, sizeof g);
    if (src == NULL) fail("dst->src[0] (the input) is missing");
    g.src = (const char *)src->data;
    g.dst = (char *)dst->data;
    g.IW = src->ne[0];
    g.KW = p->kernel[0];
    g.s0 = p->stride[0];
    g.p0 = p->padding[0];
    g.d0 = p->dilation[0];
    g.ID = g.KD = g.OD = 1;
    g.s2 = g.d2 = 1;
    if (p->flags & MMGP_IM2COL_1D) { /* input [IW, IC, N]: dst [IC*KW, OW, N] */
        g.IH = g.KH = g.OH = 1;
        g.s1 = g.d1 = 1;
        g.IC = src->ne[1];
        g.N = src->ne[2];
        g.sc = (int64_t)src->nb[1];
        g.sn = (int64_t)src->nb[2];
    } else { /* input [IW, IH, IC, N]: dst [IC*KH*KW, OW, OH, N] */
        g.IH = src->ne[1];
        g.IC = src->ne[2];
        g.N = src->ne[3];
        g.sh = (int64_t)src->nb[1];
        g.sc = (int64_t)src->nb[2];
        g.sn = (int64_t)src->nb[3];
        g.KH = p->kernel[1];
        g.OH = dst->ne[2];
        g.s1 = p->stride[1];
        g.p1 = p->padding[1];
        g.d1 = p->dilation[1];
    }
    g.OW = dst->ne[1];
    g.K = g.IC * g.KD * g.KH * g.KW;
    g.f16 = dst->type == GGML_TYPE_F16;
    g.flags = p->flags;
    check_common(dst, src, &g);
    run(&g, ith, nth);
}

void mmgp_im2col_3d(struct ggml_tensor * dst, int ith, int nth, void * userdata) {
    const struct mmgp_im2col_params * p = (const struct mmgp_im2col_params *)userdata;
    const struct ggml_tensor * src = dst->src[0];
    if (p == NULL) fail("userdata (struct mmgp_im2col_params *) is NULL");
    if (src == NULL) fail("dst->src[0] (the input) is missing");
    if (p->channels < 1 || src->ne[3] % p->channels != 0) fail("the input's ne[3] must be a multiple of channels (IC*N)");
    geom g;
    memset(&g, 0, sizeof g);
    g.src = (const char *)src->data;
    g.dst = (char *)dst->data;
    g.IW = src->ne[0];
    g.IH = src->ne[1];
    g.ID = src->ne[2];
    g.IC = p->channels;
    g.N = src->ne[3] / p->channels;
    g.sh = (int64_t)src->nb[1];
    g.sd = (int64_t)src->nb[2];
    g.sc = (int64_t)src->nb[3];
    g.sn = (int64_t)src->nb[3] * p->channels;
    g.KW = p->kernel[0];
    g.KH = p->kernel[1];
    g.KD = p->kernel[2];
    g.s0 = p->stride[0];
    g.s1 = p->stride[1];
    g.s2 = p->stride[2];
    g.p0 = p->padding[0];
    g.p1 = p->padding[1];
    g.p2 = p->padding[2];
    g.d0 = p->dilation[0];
    g.d1 = p->dilation[1];
    g.d2 = p->dilation[2];
    g.OW = dst->ne[1];
    g.OH = dst->ne[2];
    g.OD = g.N > 0 ? dst->ne[3] / g.N : 0;
    g.K = g.IC * g.KD * g.KH * g.KW;
    g.f16 = dst->type == GGML_TYPE_F16;
    g.flags = p->flags;
    check_common(dst, src, &g);
    run(&g, ith, nth);
}
