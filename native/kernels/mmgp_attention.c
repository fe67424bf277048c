/*
 * mmgp_attention: scaled-dot-product attention as one ggml custom op (see mmgp_kernels.h for the
 * contract), softmax(scale·q·kᵀ + bias + mask)·v per head, in fp32 throughout.
 *
 * ggml's CPU flash attention re-packs K for every 64-query tile with scalar scatters, runs its
 * small GEMMs through a generic tile and leaves the score row layout unvectorised for the
 * softmax. Here a work item is one (batch, head, block of queries): q·scale is packed once,
 * transposed (Qt[d][query]), and for every block of keys the scores are computed transposed,
 * St[key][query] = Σ_d K[key][d]·Qt[d][query], by a register tile of 4 keys × 16 queries whose
 * 8 accumulators keep both FMA pipes busy; K and V are read in place (a key's row is contiguous).
 * With queries along the vector lanes the online softmax (running max and sum per query, fp32)
 * is plain lane-wise code, and P·V accumulates into an fp32 block O[query][d] (L1-sized) with a
 * tile of 4 queries × 16 dims, V rows loaded as they lie.
 *
 * Every value is computed in a fixed order that depends neither on the thread count nor on the
 * path: a score is one FMA chain over d from 0; per key block the max, the rescale factor
 * exp(m_old − m_new), p = exp(s − m_new) (one polynomial, below), the sum of p in key order and
 * O = O·alpha followed by one FMA chain over the block's keys. The plain C path (names _portable)
 * performs exactly these operations element by element, so both give the same bits (the plain
 * path fuses only where the target has FMA; without it there is no SIMD path to match).
 */
#include "mmgp_kernels.h"
#include "mmgp_ggml_tensor.h"

#include <math.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The two paths agree only if neither lets the compiler fuse a separate multiply and add (GCC
 * does by default in GNU C, in plain code and in the intrinsics' vector arithmetic alike). */
#if defined(__clang__)
#pragma STDC FP_CONTRACT OFF
#elif defined(__GNUC__)
#pragma GCC optimize("fp-contract=off")
#endif

#if defined(__AVX2__) && defined(__FMA__)
#include <immintrin.h>
#define ATTN_HAS_SIMD 1
#else
#define ATTN_HAS_SIMD 0
#endif

#if defined(__FMA__) || defined(__ARM_FEATURE_FMA)
#define ATTN_FMAF(a, b, c) fmaf((a), (b), (c))
#else
#define ATTN_FMAF(a, b, c) ((a) * (b) + (c))
#endif

/* Keys per block: the online softmax rescales at these boundaries, so it is part of the bits. */
#define ATTN_KEYS 64
/* Queries per work item (padded to a multiple of 16 lanes in the packed buffers). */
#define ATTN_QUERIES 64
/* K and V panels of a head up to this size are repacked per item (see the item order below). */
#define ATTN_QUERY_MAJOR_BYTES (256 * 1024)

_Static_assert(sizeof(struct mmgp_attention_params) == 32, "mmgp_attention_params is 8 x 32 bits");

static void attn_fail(const char * what) {
    fprintf(stderr, "mmgp_attention: %s\n", what);
    fflush(stderr);
    abort();
}

/*
 * exp(x) for the softmax, where x <= 0 (scores minus their running max): Cephes' expf scheme,
 * n = rint(x·log2 e), r = x − n·ln 2 in two parts, a degree-7 polynomial, 2^n through the
 * exponent bits; x < EXP_LO (and −∞) gives exactly 0.
 */
#include "mmgp_exp.h"
#define EXP_LO -87.0f

static inline float attn_exp(float x) {
    if (!(x >= EXP_LO)) return 0.0f;
    const float n = rintf(x * EXP_LOG2E);
    float r = ATTN_FMAF(n, -EXP_C1, x);
    r = ATTN_FMAF(n, -EXP_C2, r);
    float q = ATTN_FMAF(EXP_P0, r, EXP_P1);
    q = ATTN_FMAF(q, r, EXP_P2);
    q = ATTN_FMAF(q, r, EXP_P3);
    q = ATTN_FMAF(q, r, EXP_P4);
    q = ATTN_FMAF(q, r, EXP_P5);
    q = ATTN_FMAF(q, r * r, r);
    q = q + 1.0f;
    const uint32_t bits = (uint32_t)((int32_t)n + 127) << 23;
    float p;
    memcpy(&p, &bits, sizeof p);
    return q * p;
}

/* One work item's view of the operands (bytes strides of the ggml tensors, in floats). */
struct attn_job {
    const float * k;     /* this (batch, head)'s first key row */
    const float * v;     /* its first value row */
    int64_t ks, vs;      /* floats between consecutive key / value rows */
    int64_t tk, hd;      /* keys, head dim */
    int nq;              /* queries of the item (<= ATTN_QUERIES) */
    int lq;              /* lanes: nq rounded up to 16 (Qt and St row length) */
    const float * bias;  /* [query][key] rows of the item's first query, or NULL */
    const float * mask;  /* likewise */
    int64_t bs, ms;      /* floats between consecutive query rows of bias / mask */
};

/* Kernels of one path: the score tile, the softmax of a key block and the P·V block. */
struct attn_path {
    /* St[j][q] = Σ_d K[key0 + j][d]·Qt[d][q] for j < nk, q < lq (chain over d from 0). */
    void (*scores)(float * st, const float * qt, const struct attn_job * job, int64_t key0, int nk);
    /* Per q < lq: max, alpha = exp(m − m'), St = exp(St − m'), l = l·alpha + Σ_j St[j][q]. */
    void (*softmax)(float * st, int nk, int lq, float * m, float * l, float * alpha);
    /* O[q][·] = O[q][·]·alpha[q] + Σ_j St[j][q]·V[key0 + j][·] for q < nq (chain over j). */
    void (*pv)(float * o, const float * st, const float * alpha, const struct attn_job * job, int64_t key0, int nk);
    /* St[j][i] += t[i·ts + j] for i < nq, j < nk (a bias or mask block, stored per query). */
    void (*add)(float * st, int lq, const float * t, int64_t ts, int nq, int nk);
};

/* ---- the plain C path ---- */

/* St[j][lane0 + i] += t[i·ts + j] for i < nq, j < nk. */
static void add_transposed_portable(float * st, int lq, const float * t, int64_t ts, int nq, int nk, int lane0) {
    for (int i = 0; i < nq; i++)
        for (int j = 0; j < nk; j++) st[j * lq + lane0 + i] += t[i * ts + j];
}

static void add_transposed_portable0(float * st, int lq, const float * t, int64_t ts, int nq, int nk) {
    add_transposed_portable(st, lq, t, ts, nq, nk, 0);
}

static void scores_portable(float * st, const float * qt, const struct attn_job * job, int64_t key0, int nk) {
    const int lq = job->lq;
    for (int j = 0; j < nk; j++) {
        const float * kr = job->k + (key0 + j) * job->ks;
        for (int q = 0; q < lq; q++) {
            float acc = 0.0f;
            for (int64_t d = 0; d < job->hd; d++) acc = ATTN_FMAF(kr[d], qt[d * lq + q], acc);
            st[j * lq + q] = acc;
        }
    }
}

/*
 * A NaN score (from NaN in q, k, bias or mask), or a +∞ one (whose exp(+∞ − +∞) is NaN in PyTorch
 * too), poisons its query, as in PyTorch: fmaxf and
 * the SIMD max drop NaN operands (by position), so a flag collects them and the query's running max
 * and sum become NaN; m NaN keeps it so over later blocks, every p and alpha of it is then 0 and
 * the final O / l is NaN.
 */
static void softmax_portable(float * st, int nk, int lq, float * m, float * l, float * alpha) {
    for (int q = 0; q < lq; q++) {
        float bm = m[q];
        int nan = isnan(bm);
        for (int j = 0; j < nk; j++) {
            const float s = st[j * lq + q];
            nan |= isnan(s);
            bm = fmaxf(bm, s);
        }
        nan |= bm == INFINITY; /* +∞ − +∞ is NaN in torch's softmax as well */
        if (nan) bm = NAN;
        /* a query whose keys so far are all −∞ subtracts 0, so its p are 0 rather than NaN */
        const float mu = bm == -INFINITY ? 0.0f : bm;
        alpha[q] = attn_exp(m[q] - mu);
        float sum = 0.0f;
        for (int j = 0; j < nk; j++) {
            const float p = attn_exp(st[j * lq + q] - mu);
            st[j * lq + q] = p;
            sum += p;
        }
        l[q] = nan ? NAN : ATTN_FMAF(l[q], alpha[q], sum);
        m[q] = bm;
    }
}

static void pv_portable(float * o, const float * st, const float * alpha, const struct attn_job * job, int64_t key0, int nk) {
    const int64_t hd = job->hd;
    for (int q = 0; q < job->nq; q++) {
        for (int64_t d = 0; d < hd; d++) {
            float acc = o[q * hd + d] * alpha[q];
            for (int j = 0; j < nk; j++) acc = ATTN_FMAF(st[j * job->lq + q], job->v[(key0 + j) * job->vs + d], acc);
            o[q * hd + d] = acc;
        }
    }
}

static const struct attn_path PORTABLE = {scores_portable, softmax_portable, pv_portable, add_transposed_portable0};

/* ---- the AVX2 + FMA path ---- */
#if ATTN_HAS_SIMD

/* Rows r of a tile: R keys (scores) or R queries (P·V), 16 lanes as two vectors. */
#define TILE_ROWS 4

/* St[j0 + r][q .. q + 16) for r < R keys: named accumulators, one chain over d each. */
#define SC_ROW(r) const float * k##r = job->k + (key0 + j0 + r) * ks;
#define SC_ZERO(r) __m256 a##r##0 = _mm256_setzero_ps(), a##r##1 = _mm256_setzero_ps();
#define SC_FMA(r)                                 \
    x = _mm256_broadcast_ss(k##r + d);            \
    a##r##0 = _mm256_fmadd_ps(x, b0, a##r##0);    \
    a##r##1 = _mm256_fmadd_ps(x, b1, a##r##1);
#define SC_STORE(r)                                         \
    _mm256_storeu_ps(st + (j0 + r) * lq + q, a##r##0);      \
    _mm256_storeu_ps(st + (j0 + r) * lq + q + 8, a##r##1);
#define SC_TILE(NAME, EACH)                                                                                       \
    static void NAME(float * st, const float * qt, const struct attn_job * job, int64_t key0, int j0) {          \
        const int lq = job->lq;                                                                                   \
        const int64_t hd = job->hd, ks = job->ks;                                                                 \
        EACH(SC_ROW)                                                                                              \
        for (int q = 0; q < lq; q += 16) {                                                                        \
            EACH(SC_ZERO)                                                                                         \
            const float * qp = qt + q;                                                                            \
            for (int64_t d = 0; d < hd; d++, qp += lq) {                                                          \
                const __m256 b0 = _mm256_loadu_ps(qp), b1 = _mm256_loadu_ps(qp + 8);                              \
                __m256 x;                                                                                         \
                EACH(SC_FMA)                                                                                      \
            }                                                                                                     \
            EACH(SC_STORE)                                                                                        \
        }                                                                                                         \
    }
#define EACH6(M) M(0) M(1) M(2) M(3) M(4) M(5)
#define EACH1(M) M(0)
SC_TILE(scores_6, EACH6)
SC_TILE(scores_1, EACH1)

static void scores_simd(float * st, const float * qt, const struct attn_job * job, int64_t key0, int nk) {
    int j = 0;
    for (; j + 6 <= nk; j += 6) scores_6(st, qt, job, key0, j);
    for (; j < nk; j++) scores_1(st, qt, job, key0, j);
}

/*
 * St[j][i] += t[i·ts + j] for i < nq, j < nk: 8 × 8 blocks transposed in registers, the rest
 * one by one (single additions either way: the plain loop's bits).
 */
static void add_transposed_simd(float * st, int lq, const float * t, int64_t ts, int nq, int nk) {
    int i = 0;
    for (; i + 8 <= nq; i += 8) {
        int j = 0;
        for (; j + 8 <= nk; j += 8) {
            __m256 r0 = _mm256_loadu_ps(t + (i + 0) * ts + j), r1 = _mm256_loadu_ps(t + (i + 1) * ts + j);
            __m256 r2 = _mm256_loadu_ps(t + (i + 2) * ts + j), r3 = _mm256_loadu_ps(t + (i + 3) * ts + j);
            __m256 r4 = _mm256_loadu_ps(t + (i + 4) * ts + j), r5 = _mm256_loadu_ps(t + (i + 5) * ts + j);
            __m256 r6 = _mm256_loadu_ps(t + (i + 6) * ts + j), r7 = _mm256_loadu_ps(t + (i + 7) * ts + j);
            const __m256 u0 = _mm256_unpacklo_ps(r0, r1), u1 = _mm256_unpackhi_ps(r0, r1);
            const __m256 u2 = _mm256_unpacklo_ps(r2, r3), u3 = _mm256_unpackhi_ps(r2, r3);
            const __m256 u4 = _mm256_unpacklo_ps(r4, r5), u5 = _mm256_unpackhi_ps(r4, r5);
            const __m256 u6 = _mm256_unpacklo_ps(r6, r7), u7 = _mm256_unpackhi_ps(r6, r7);
            const __m256 s0 = _mm256_shuffle_ps(u0, u2, 0x44), s1 = _mm256_shuffle_ps(u0, u2, 0xEE);
            const __m256 s2 = _mm256_shuffle_ps(u1, u3, 0x44), s3 = _mm256_shuffle_ps(u1, u3, 0xEE);
            const __m256 s4 = _mm256_shuffle_ps(u4, u6, 0x44), s5 = _mm256_shuffle_ps(u4, u6, 0xEE);
            const __m256 s6 = _mm256_shuffle_ps(u5, u7, 0x44), s7 = _mm256_shuffle_ps(u5, u7, 0xEE);
            r0 = _mm256_permute2f128_ps(s0, s4, 0x20);
            r1 = _mm256_permute2f128_ps(s1, s5, 0x20);
            r2 = _mm256_permute2f128_ps(s2, s6, 0x20);
            r3 = _mm256_permute2f128_ps(s3, s7, 0x20);
            r4 = _mm256_permute2f128_ps(s0, s4, 0x31);
            r5 = _mm256_permute2f128_ps(s1, s5, 0x31);
            r6 = _mm256_permute2f128_ps(s2, s6, 0x31);
            r7 = _mm256_permute2f128_ps(s3, s7, 0x31);
            float * d = st + j * lq + i;
            _mm256_storeu_ps(d, _mm256_add_ps(_mm256_loadu_ps(d), r0));
            _mm256_storeu_ps(d + lq, _mm256_add_ps(_mm256_loadu_ps(d + lq), r1));
            _mm256_storeu_ps(d + 2 * lq, _mm256_add_ps(_mm256_loadu_ps(d + 2 * lq), r2));
            _mm256_storeu_ps(d + 3 * lq, _mm256_add_ps(_mm256_loadu_ps(d + 3 * lq), r3));
            _mm256_storeu_ps(d + 4 * lq, _mm256_add_ps(_mm256_loadu_ps(d + 4 * lq), r4));
            _mm256_storeu_ps(d + 5 * lq, _mm256_add_ps(_mm256_loadu_ps(d + 5 * lq), r5));
            _mm256_storeu_ps(d + 6 * lq, _mm256_add_ps(_mm256_loadu_ps(d + 6 * lq), r6));
            _mm256_storeu_ps(d + 7 * lq, _mm256_add_ps(_mm256_loadu_ps(d + 7 * lq), r7));
        }
        for (; j < nk; j++)
            for (int r = 0; r < 8; r++) st[j * lq + i + r] += t[(i + r) * ts + j];
    }
    add_transposed_portable(st, lq, t + i * ts, ts, nq - i, nk, i);
}

/* attn_exp on 8 lanes: the same operations, so the same bits. */
static inline __m256 exp_simd(__m256 x) {
    const __m256 keep = _mm256_cmp_ps(x, _mm256_set1_ps(EXP_LO), _CMP_GE_OQ);
    x = _mm256_max_ps(x, _mm256_set1_ps(EXP_LO)); /* −∞ and NaN lanes are zeroed by keep anyway */
    const __m256 n = _mm256_round_ps(_mm256_mul_ps(x, _mm256_set1_ps(EXP_LOG2E)), _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC);
    __m256 r = _mm256_fmadd_ps(n, _mm256_set1_ps(-EXP_C1), x);
    r = _mm256_fmadd_ps(n, _mm256_set1_ps(-EXP_C2), r);
    __m256 q = _mm256_fmadd_ps(_mm256_set1_ps(EXP_P0), r, _mm256_set1_ps(EXP_P1));
    q = _mm256_fmadd_ps(q, r, _mm256_set1_ps(EXP_P2));
    q = _mm256_fmadd_ps(q, r, _mm256_set1_ps(EXP_P3));
    q = _mm256_fmadd_ps(q, r, _mm256_set1_ps(EXP_P4));
    q = _mm256_fmadd_ps(q, r, _mm256_set1_ps(EXP_P5));
    q = _mm256_fmadd_ps(q, _mm256_mul_ps(r, r), r);
    q = _mm256_add_ps(q, _mm256_set1_ps(1.0f));
    const __m256 p = _mm256_castsi256_ps(_mm256_slli_epi32(_mm256_add_epi32(_mm256_cvtps_epi32(n), _mm256_set1_epi32(127)), 23));
    return _mm256_and_ps(_mm256_mul_ps(q, p), keep);
}

static void softmax_simd(float * st, int nk, int lq, float * m, float * l, float * alpha) {
    const __m256 ninf = _mm256_set1_ps(-INFINITY), pinf = _mm256_set1_ps(INFINITY), qnan = _mm256_set1_ps(NAN);
    for (int q = 0; q < lq; q += 8) {
        const __m256 mold = _mm256_loadu_ps(m + q);
        __m256 bm = mold, nan = _mm256_cmp_ps(mold, mold, _CMP_UNORD_Q);
        for (int j = 0; j < nk; j++) {
            const __m256 s = _mm256_loadu_ps(st + j * lq + q);
            nan = _mm256_or_ps(nan, _mm256_cmp_ps(s, s, _CMP_UNORD_Q));
            bm = _mm256_max_ps(bm, s);
        }
        nan = _mm256_or_ps(nan, _mm256_cmp_ps(bm, pinf, _CMP_EQ_OQ));
        bm = _mm256_blendv_ps(bm, qnan, nan); /* the plain C path's NaN, so both give the same bits (softmax_portable's comment) */
        const __m256 mu = _mm256_andnot_ps(_mm256_cmp_ps(bm, ninf, _CMP_EQ_OQ), bm);
        const __m256 a = exp_simd(_mm256_sub_ps(mold, mu));
        __m256 sum = _mm256_setzero_ps();
        for (int j = 0; j < nk; j++) {
            const __m256 p = exp_simd(_mm256_sub_ps(_mm256_loadu_ps(st + j * lq + q), mu));
            _mm256_storeu_ps(st + j * lq + q, p);
            sum = _mm256_add_ps(sum, p);
        }
        _mm256_storeu_ps(alpha + q, a);
        _mm256_storeu_ps(l + q, _mm256_blendv_ps(_mm256_fmadd_ps(_mm256_loadu_ps(l + q), a, sum), qnan, nan));
        _mm256_storeu_ps(m + q, bm);
    }
}

/*
 * O[q0 + r][d0 .. d0 + 8w) for r < R: R queries × w vectors of 8 dims, as named accumulators
 * (an array indexed in loops is left on the stack by the compiler). R in {1, 4}, w in {1, 2}.
 */
#define PV_BEGIN(R, W)                                                                            \
    const int64_t hd = job->hd, vs = job->vs;                                                    \
    const int lq = job->lq;                                                                      \
    float * o0 = o + q0 * hd + d0;                                                               \
    const float * vp = job->v + key0 * vs + d0;                                                  \
    const float * sp = st + q0;
#define PV_LOAD(r, c) _mm256_mul_ps(_mm256_loadu_ps(o0 + (r) * hd + 8 * (c)), _mm256_set1_ps(alpha[q0 + (r)]))
#define PV_STORE(r, c, a) _mm256_storeu_ps(o0 + (r) * hd + 8 * (c), a)

#define PV_INIT(r) __m256 a##r##0 = PV_LOAD(r, 0), a##r##1 = PV_LOAD(r, 1);
#define PV_FMA(r)                                \
    x = _mm256_broadcast_ss(sp + r);             \
    a##r##0 = _mm256_fmadd_ps(x, b0, a##r##0);   \
    a##r##1 = _mm256_fmadd_ps(x, b1, a##r##1);
#define PV_OUT(r)          \
    PV_STORE(r, 0, a##r##0); \
    PV_STORE(r, 1, a##r##1);
#define PV_TILE16(NAME, R, EACH)                                                                                                          \
    static void NAME(float * o, const float * st, const float * alpha, const struct attn_job * job, int64_t key0, int nk, int q0, int64_t d0) { \
        PV_BEGIN(R, 2)                                                                                                                      \
        EACH(PV_INIT)                                                                                                                       \
        for (int j = 0; j < nk; j++, vp += vs, sp += lq) {                                                                                  \
            const __m256 b0 = _mm256_loadu_ps(vp), b1 = _mm256_loadu_ps(vp + 8);                                                            \
            __m256 x;                                                                                                                       \
            EACH(PV_FMA)                                                                                                                    \
        }                                                                                                                                   \
        EACH(PV_OUT)                                                                                                                        \
    }
#define EACH4(M) M(0) M(1) M(2) M(3)
PV_TILE16(pv_6x16, 6, EACH6)
PV_TILE16(pv_4x16, 4, EACH4)
PV_TILE16(pv_1x16, 1, EACH1)

static void pv_4x8(float * o, const float * st, const float * alpha, const struct attn_job * job, int64_t key0, int nk, int q0, int64_t d0) {
    PV_BEGIN(4, 1)
    __m256 a0 = PV_LOAD(0, 0), a1 = PV_LOAD(1, 0), a2 = PV_LOAD(2, 0), a3 = PV_LOAD(3, 0);
    for (int j = 0; j < nk; j++, vp += vs, sp += lq) {
        const __m256 b = _mm256_loadu_ps(vp);
        a0 = _mm256_fmadd_ps(_mm256_broadcast_ss(sp), b, a0);
        a1 = _mm256_fmadd_ps(_mm256_broadcast_ss(sp + 1), b, a1);
        a2 = _mm256_fmadd_ps(_mm256_broadcast_ss(sp + 2), b, a2);
        a3 = _mm256_fmadd_ps(_mm256_broadcast_ss(sp + 3), b, a3);
    }
    PV_STORE(0, 0, a0);
    PV_STORE(1, 0, a1);
    PV_STORE(2, 0, a2);
    PV_STORE(3, 0, a3);
}

static void pv_1x8(float * o, const float * st, const float * alpha, const struct attn_job * job, int64_t key0, int nk, int q0, int64_t d0) {
    PV_BEGIN(1, 1)
    __m256 a = PV_LOAD(0, 0);
    for (int j = 0; j < nk; j++, vp += vs, sp += lq) a = _mm256_fmadd_ps(_mm256_broadcast_ss(sp), _mm256_loadu_ps(vp), a);
    PV_STORE(0, 0, a);
}

static void pv_simd(float * o, const float * st, const float * alpha, const struct attn_job * job, int64_t key0, int nk) {
    const int64_t hd = job->hd, vec = hd / 16 * 16;
    const int nq = job->nq;
    int q = 0;
    for (; q + 6 <= nq; q += 6)
        for (int64_t d = 0; d < vec; d += 16) pv_6x16(o, st, alpha, job, key0, nk, q, d);
    for (; q + 4 <= nq; q += 4)
        for (int64_t d = 0; d < vec; d += 16) pv_4x16(o, st, alpha, job, key0, nk, q, d);
    for (; q < nq; q++)
        for (int64_t d = 0; d < vec; d += 16) pv_1x16(o, st, alpha, job, key0, nk, q, d);
    if (hd - vec >= 8) {
        for (q = 0; q + 4 <= nq; q += 4) pv_4x8(o, st, alpha, job, key0, nk, q, vec);
        for (; q < nq; q++) pv_1x8(o, st, alpha, job, key0, nk, q, vec);
    }
    const int64_t tail = hd / 8 * 8;
    /* dims past the last multiple of 8: the plain loop (the same operations) */
    for (q = 0; q < nq && tail < hd; q++) {
        for (int64_t d = tail; d < hd; d++) {
            float acc = o[q * hd + d] * alpha[q];
            for (int j = 0; j < nk; j++) acc = fmaf(st[j * job->lq + q], job->v[(key0 + j) * job->vs + d], acc);
            o[q * hd + d] = acc;
        }
    }
}

static const struct attn_path SIMD = {scores_simd, softmax_simd, pv_simd, add_transposed_simd};
#endif

const char * mmgp_attention_path(void) {
    return ATTN_HAS_SIMD ? "avx2+fma 6x16 tiles" : "plain C";
}

int64_t mmgp_attention_thread_bytes(int64_t tk, int64_t hd) {
    /* the layout the op carves below, plus 64 bytes to align it */
    const int64_t floats = hd * ATTN_QUERIES * 2 + (int64_t)ATTN_KEYS * ATTN_QUERIES + 3 * ATTN_QUERIES + 2 * tk * hd;
    return floats * (int64_t)sizeof(float) + 64;
}

/* ---- the op ---- */

/* Floats between consecutive elements along dim `d` of `t`, checked to be a whole number. */
static int64_t stride_floats(const struct ggml_tensor * t, int d) {
    if (t->nb[d] % sizeof(float) != 0) attn_fail("operand strides must be multiples of 4 bytes");
    return (int64_t)(t->nb[d] / sizeof(float));
}

static void check_f32_rows(const struct ggml_tensor * t, const char * what) {
    if (t == NULL || t->type != GGML_TYPE_F32 || t->nb[0] != sizeof(float)) {
        fprintf(stderr, "mmgp_attention: %s must be F32 with contiguous rows\n", what);
        fflush(stderr);
        abort();
    }
}

/*
 * The next item for this thread, or -1 when all are claimed. The last of the nth threads to run out
 * resets the counters: ggml's barrier after the op orders that before the next compute's claims.
 */
static int64_t claim(struct mmgp_attention_params * p, int64_t items, int nth) {
    const int64_t item = __atomic_fetch_add(&p->claimed, 1, __ATOMIC_RELAXED);
    if (item < items) return item;
    if (__atomic_add_fetch(&p->finished, 1, __ATOMIC_ACQ_REL) == nth) {
        __atomic_store_n(&p->claimed, 0, __ATOMIC_RELAXED);
        __atomic_store_n(&p->finished, 0, __ATOMIC_RELEASE);
    }
    return -1;
}

void mmgp_attention(struct ggml_tensor * dst, int ith, int nth, void * userdata) {
    struct mmgp_attention_params * p = (struct mmgp_attention_params *)userdata;
    (void)ith;
    if (p == NULL) attn_fail("userdata (struct mmgp_attention_params *) is NULL");
    if ((p->flags & ~(MMGP_ATTENTION_BIAS | MMGP_ATTENTION_MASK | MMGP_ATTENTION_PORTABLE)) != 0) attn_fail("unknown flags");
    const struct ggml_tensor * q = dst->src[0], * k = dst->src[1], * v = dst->src[2];
    check_f32_rows(q, "q");
    check_f32_rows(k, "k");
    check_f32_rows(v, "v");
    int next = 3;
    const struct ggml_tensor * bias = (p->flags & MMGP_ATTENTION_BIAS) ? dst->src[next++] : NULL;
    const struct ggml_tensor * mask = (p->flags & MMGP_ATTENTION_MASK) ? dst->src[next++] : NULL;
    const int64_t width = q->ne[0], tq = q->ne[1], batch = q->ne[2], tk = k->ne[1];
    const int64_t heads = p->heads;
    if (heads < 1 || width % heads != 0) attn_fail("heads must be >= 1 and divide q's width (ne[0])");
    const int64_t hd = width / heads;
    if (q->ne[3] != 1 || k->ne[3] != 1 || v->ne[3] != 1) attn_fail("q, k and v must be 3-D [width, tokens, batch]");
    if (k->ne[0] != width || v->ne[0] != width || v->ne[1] != tk || k->ne[2] != batch || v->ne[2] != batch || tk < 1) {
        attn_fail("k and v must be [width of q, keys >= 1, batch of q], v with k's keys");
    }
    if (dst->type != GGML_TYPE_F32 || dst->ne[0] != width || dst->ne[1] != tq || dst->ne[2] != batch || dst->ne[3] != 1 || dst->nb[0] != sizeof(float)
        || dst->nb[1] != width * sizeof(float) || dst->nb[2] != dst->nb[1] * (size_t)tq) {
        attn_fail("the output must be contiguous F32 of q's shape");
    }
    if (bias != NULL) {
        check_f32_rows(bias, "bias");
        if (bias->ne[0] != tk || bias->ne[1] < tq || bias->ne[2] != heads || (bias->ne[3] != 1 && bias->ne[3] != batch)) {
            attn_fail("bias must be [keys, >= queries, heads, 1 or batch]");
        }
    }
    if (mask != NULL) {
        check_f32_rows(mask, "mask");
        if (mask->ne[0] != tk || mask->ne[1] < tq || mask->ne[2] != 1 || (mask->ne[3] != 1 && mask->ne[3] != batch)) {
            attn_fail("mask must be [keys, >= queries, 1, 1 or batch]");
        }
    }
    const struct attn_path * path = &PORTABLE;
#if ATTN_HAS_SIMD
    if ((p->flags & MMGP_ATTENTION_PORTABLE) == 0) path = &SIMD;
#endif
    const int64_t qblocks = (tq + ATTN_QUERIES - 1) / ATTN_QUERIES;
    const int64_t items = batch * heads * qblocks;
    if (items >= INT32_MAX - 2 * (int64_t)nth) attn_fail("too many (batch, head, query block) items");
    int64_t item = claim(p, items, nth);
    if (item < 0) return;

    /* Thread-local: Qt [hd][64], St [64 keys][64], O [64][hd], m, l, alpha [64], then the K and V
     * panels of the head at hand [Tk][hd] each. The tensors' rows lie D floats apart, often a
     * multiple of 4 KiB, where a block of them would share a few L1 sets; packed they are dense. */
    float * buf = (float *)malloc((size_t)mmgp_attention_thread_bytes(tk, hd));
    if (buf == NULL) attn_fail("out of memory for a thread's buffers");
    float * qt = (float *)(((uintptr_t)buf + 63) & ~(uintptr_t)63);
    float * st = qt + (size_t)hd * ATTN_QUERIES;
    float * o = st + (size_t)ATTN_KEYS * ATTN_QUERIES;
    float * m = o + (size_t)hd * ATTN_QUERIES;
    float * l = m + ATTN_QUERIES;
    float * alpha = l + ATTN_QUERIES;
    float * kp = alpha + ATTN_QUERIES;
    float * vp = kp + (size_t)tk * hd;
    int64_t packed = -1; /* the (batch, head) whose panels kp and vp hold */

    const int64_t qs1 = stride_floats(q, 1), qs2 = stride_floats(q, 2);
    const int64_t ks1 = stride_floats(k, 1), ks2 = stride_floats(k, 2);
    const int64_t vs1 = stride_floats(v, 1), vs2 = stride_floats(v, 2);
    const float scale = p->scale;
    /* Items run head-major (a head's query blocks in a row, its K and V packed once per thread) when the
     * head's K and V panels are large; with short key sequences (cross-attention, T5) repacking
     * them is cheap and query-block-major order wins: consecutive items read and write adjacent
     * columns of the same q and output rows instead of rows a D-float stride apart. The order
     * changes no bits: every item is computed alone. */
    const int query_major = 2 * (size_t)tk * hd * sizeof(float) <= ATTN_QUERY_MAJOR_BYTES;
    for (; item >= 0; item = claim(p, items, nth)) {
        int64_t qb, h, b;
        if (query_major) {
            h = item % heads;
            qb = item / heads % qblocks;
            b = item / heads / qblocks;
        } else {
            qb = item % qblocks;
            h = item / qblocks % heads;
            b = item / qblocks / heads;
        }
        const int64_t q0 = qb * ATTN_QUERIES;
        struct attn_job job;
        job.nq = (int)(tq - q0 < ATTN_QUERIES ? tq - q0 : ATTN_QUERIES);
        job.lq = (job.nq + 15) / 16 * 16;
        job.hd = hd;
        job.tk = tk;
        if (packed != b * heads + h) {
            const float * ksrc = (const float *)k->data + b * ks2 + h * hd;
            const float * vsrc = (const float *)v->data + b * vs2 + h * hd;
            for (int64_t j = 0; j < tk; j++) {
                memcpy(kp + j * hd, ksrc + j * ks1, (size_t)hd * sizeof(float));
                memcpy(vp + j * hd, vsrc + j * vs1, (size_t)hd * sizeof(float));
            }
            packed = b * heads + h;
        }
        job.k = kp;
        job.v = vp;
        job.ks = hd;
        job.vs = hd;
        job.bias = NULL;
        job.mask = NULL;
        job.bs = job.ms = 0;
        if (bias != NULL) {
            job.bs = stride_floats(bias, 1);
            job.bias = (const float *)bias->data + q0 * job.bs + h * stride_floats(bias, 2) + (bias->ne[3] == 1 ? 0 : b) * stride_floats(bias, 3);
        }
        if (mask != NULL) {
            job.ms = stride_floats(mask, 1);
            job.mask = (const float *)mask->data + q0 * job.ms + (mask->ne[3] == 1 ? 0 : b) * stride_floats(mask, 3);
        }
        /* Qt[d][i] = q[i][d]·scale; padding lanes 0 */
        const float * qbase = (const float *)q->data + b * qs2 + q0 * qs1 + h * hd;
        for (int i = 0; i < job.lq; i++) {
            if (i < job.nq) {
                for (int64_t d = 0; d < hd; d++) qt[d * job.lq + i] = qbase[i * qs1 + d] * scale;
            } else {
                for (int64_t d = 0; d < hd; d++) qt[d * job.lq + i] = 0.0f;
            }
        }
        for (int i = 0; i < job.lq; i++) {
            m[i] = -INFINITY;
            l[i] = 0.0f;
        }
        memset(o, 0, (size_t)job.nq * hd * sizeof(float));
        for (int64_t key0 = 0; key0 < tk; key0 += ATTN_KEYS) {
            const int nk = (int)(tk - key0 < ATTN_KEYS ? tk - key0 : ATTN_KEYS);
            path->scores(st, qt, &job, key0, nk);
            /* bias, then mask, added per score (padding lanes get nothing) */
            if (job.bias != NULL) path->add(st, job.lq, job.bias + key0, job.bs, job.nq, nk);
            if (job.mask != NULL) path->add(st, job.lq, job.mask + key0, job.ms, job.nq, nk);
            path->softmax(st, nk, job.lq, m, l, alpha);
            path->pv(o, st, alpha, &job, key0, nk);
        }
        float * out = (float *)dst->data + (b * tq + q0) * width + h * hd;
        for (int i = 0; i < job.nq; i++) {
            /* l is 0 when every score was −∞ (the output is 0), NaN for a NaN score (NaN) */
            const float inv = l[i] == 0.0f ? 0.0f : 1.0f / l[i];
            for (int64_t d = 0; d < hd; d++) out[i * width + d] = o[i * hd + d] * inv;
        }
    }
    free(buf);
}
