/*
 * mmgp_norm: PyTorch's GroupNorm with its per-channel affine and an optional SiLU as one ggml
 * custom op (see mmgp_kernels.h for the contract), so the normalised activations are written
 * once instead of by four ggml ops (group_norm, mul, add, silu) that each read and write them.
 *
 * Per (image, group) item: one pass reads the group's values and accumulates, in double, the sum
 * and the sum of squares of x - K (K the group's first value, so a large mean does not cancel the
 * variance away); a second pass writes fma(x - mean, w[c]·rstd, b[c]) and the SiLU. Threads take
 * whole items, so no sum depends on the thread count.
 *
 * The plain C path (names _portable) and the SIMD one (_simd, AVX2 + FMA) come from one body,
 * mmgp_norm_body.h: 8 lanes, every accumulation in the same order and every multiply-add an
 * explicit fused one on both, so they give the same bits (the plain path fuses only where the
 * target has FMA; without it there is no SIMD path to match).
 *
 * The channel norm (mmgp_channel_norm) normalises videos [W, H, F, C·B] over C in place of a
 * transpose to channels-first, ggml's norm, the affine or modulation, SiLU and a transpose back.
 * Per item (a batch row and a block of positions contiguous along W, sized so the block of all
 * channels stays in L2) one pass accumulates each position's sums over the channels, lanes being
 * positions, and a second pass re-reads the block and writes the result. A position's arithmetic
 * does not depend on the block or the thread, so neither changes a bit.
 */
#include "mmgp_kernels.h"
#include "mmgp_ggml_tensor.h"
#include "mmgp_half.h"

#include <math.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#if defined(__AVX2__) && defined(__FMA__)
#include <immintrin.h>
#define NORM_HAS_SIMD 1
#else
#define NORM_HAS_SIMD 0
#endif

#if defined(__GNUC__) || defined(__clang__)
#define NORM_INLINE static inline __attribute__((always_inline))
#else
#define NORM_INLINE static inline
#endif

#if defined(__FMA__) || defined(__ARM_FEATURE_FMA)
#define NORM_FMAF(a, b, c) fmaf((a), (b), (c))
#define NORM_FMA(a, b, c) fma((a), (b), (c))
#else
#define NORM_FMAF(a, b, c) ((a) * (b) + (c))
#define NORM_FMA(a, b, c) ((a) * (b) + (c))
#endif

#define NLANES 8

_Static_assert(sizeof(struct mmgp_group_norm_params) == 16, "mmgp_group_norm_params is 4 x 32 bits");
_Static_assert(sizeof(struct mmgp_channel_norm_params) == 16, "mmgp_channel_norm_params is 4 x 32 bits");

static void norm_fail(const char * op, const char * what) {
    fprintf(stderr, "%s: %s\n", op, what);
    fflush(stderr);
    abort();
}

/* Both ops: x (src 0) F32 with contiguous rows, dst F32 of x's shape and contiguous; returns x. */
static const struct ggml_tensor * check_input_output(const char * op, const struct ggml_tensor * dst) {
    const struct ggml_tensor * x = dst->src[0];
    if (x == NULL || x->type != GGML_TYPE_F32 || x->nb[0] != sizeof(float)) norm_fail(op, "the input must be F32 with contiguous rows");
    if (dst->type != GGML_TYPE_F32) norm_fail(op, "the output must be F32");
    for (int d = 0; d < 4; d++) {
        if (dst->ne[d] != x->ne[d]) norm_fail(op, "the output's shape is not the input's");
    }
    if (dst->nb[0] != sizeof(float) || dst->nb[1] != dst->nb[0] * dst->ne[0] || dst->nb[2] != dst->nb[1] * dst->ne[1]
        || dst->nb[3] != dst->nb[2] * dst->ne[2]) {
        norm_fail(op, "the output must be contiguous");
    }
    return x;
}

/* A [C] vector of weights or biases, F32 or F16, any stride; NULL reads as `fallback`. */
static float channel_value(const struct ggml_tensor * t, int64_t c, float fallback) {
    if (t == NULL) return fallback;
    const char * p = (const char *)t->data + c * (int64_t)t->nb[0];
    if (t->type == GGML_TYPE_F32) return *(const float *)p;
    uint16_t h;
    memcpy(&h, p, sizeof h);
    return mmgp_half_to_float(h);
}

/* exp(z) for z in [-87, 88] (the SiLU clamps it there) as Cephes' expf does it: n = round(z·log2 e),
 * r = z - n·ln 2 in two parts, a degree-7 polynomial, 2^n through the exponent bits. */
#include "mmgp_exp.h"
#define SILU_LO -87.0f
#define SILU_HI 88.0f

/* The statistics of one group: mean and 1/sqrt(var + eps) from the lane sums (shared by both paths). */
static void group_stats(const double sum[NLANES], const double sq[NLANES], double k, int64_t n, float eps, double * mean, double * rstd) {
    double s = 0.0, q = 0.0;
    for (int l = 0; l < NLANES; l++) {
        s += sum[l];
        q += sq[l];
    }
    const double m = s / (double)n; /* mean of x - K */
    double var = NORM_FMA(-m, m, q / (double)n);
    if (var < 0.0) var = 0.0;
    *mean = k + m;
    *rstd = 1.0 / sqrt(var + (double)eps);
}

/* The channel norm's geometry: a batch row's positions as `rows` rows of `row_len` positions each
 * contiguous in x (one row when x's W, H, F are contiguous, else one per (h, f)), cut into blocks. */
#define CHNORM_MAX_BLOCK 256
#define CHNORM_BLOCK_BYTES (128 * 1024) /* a block of every channel: re-read from L2 by pass 2 */
struct chnorm_plan {
    int64_t channels, batch, positions, rows, row_len, block;
    float eps;
};

static int64_t chnorm_row_offset(const struct ggml_tensor * x, const struct chnorm_plan * pl, int64_t r) {
    if (pl->rows == 1) return 0;
    return r % x->ne[1] * (int64_t)x->nb[1] + r / x->ne[1] * (int64_t)x->nb[2];
}

/* Per position (lane) the mean as two floats (0 for the RMS norm) and 1/sqrt(var + eps) or
 * 1/sqrt(mean x² + eps), from the double sums (shared by both paths). */
static void chnorm_stats(const double * sum, const double * sq, const double * k, int64_t lanes, int64_t channels, float eps, int layer,
        float * mean_hi, float * mean_lo, float * rstd) {
    for (int64_t i = 0; i < lanes; i++) {
        double var = sq[i] / (double)channels, mean = 0.0;
        if (layer) {
            const double m = sum[i] / (double)channels; /* mean of x - K */
            var = NORM_FMA(-m, m, var);
            if (var < 0.0) var = 0.0;
            mean = k[i] + m;
        }
        mean_hi[i] = (float)mean;
        mean_lo[i] = (float)(mean - (double)mean_hi[i]);
        rstd[i] = (float)(1.0 / sqrt(var + (double)eps));
    }
}

/* Value (c, b) of a shift or scale [C, 1, B] or [C]; NULL reads as `fallback`. */
static float batch_value(const struct ggml_tensor * t, int64_t c, int64_t b, float fallback) {
    if (t == NULL) return fallback;
    const char * p = (const char *)t->data + c * (int64_t)t->nb[0] + (t->ne[2] > 1 ? b * (int64_t)t->nb[2] : 0);
    if (t->type == GGML_TYPE_F32) return *(const float *)p;
    uint16_t h;
    memcpy(&h, p, sizeof h);
    return mmgp_half_to_float(h);
}

/* y = (n·w + bias)·(1 + scale) + shift as one fma of n: a[c] = w·(1 + scale), s[c] = bias·(1 + scale)
 * + shift, for batch row b. Returns 0 when there is nothing to apply (no weight, bias, shift, scale). */
static int chnorm_coefficients(const struct ggml_tensor * dst, int64_t channels, int64_t b, float * a, float * s) {
    if (dst->src[1] == NULL && dst->src[2] == NULL && dst->src[3] == NULL && dst->src[4] == NULL) return 0;
    for (int64_t c = 0; c < channels; c++) {
        const float m = 1.0f + batch_value(dst->src[4], c, b, 0.0f);
        a[c] = channel_value(dst->src[1], c, 1.0f) * m;
        s[c] = NORM_FMAF(channel_value(dst->src[2], c, 0.0f), m, batch_value(dst->src[3], c, b, 0.0f));
    }
    return 1;
}

#define NN(name) name##_portable
#define NORM_SIMD 0
#include "mmgp_norm_body.h"
#undef NN
#undef NORM_SIMD
#if NORM_HAS_SIMD
#define NN(name) name##_simd
#define NORM_SIMD 1
#include "mmgp_norm_body.h"
#undef NN
#undef NORM_SIMD
#endif

const char * mmgp_group_norm_path(void) {
    return NORM_HAS_SIMD ? "avx2+fma 8 lanes" : "plain C";
}

void mmgp_group_norm(struct ggml_tensor * dst, int ith, int nth, void * userdata) {
    const struct mmgp_group_norm_params * p = (const struct mmgp_group_norm_params *)userdata;
    static const char * const op = "mmgp_group_norm";
    if (p == NULL) norm_fail(op, "userdata (struct mmgp_group_norm_params *) is NULL");
    const struct ggml_tensor * x = check_input_output(op, dst);
    const int64_t channels = x->ne[2];
    if (p->groups < 1 || channels % p->groups != 0) norm_fail(op, "groups must be >= 1 and divide the channels (ne[2])");
    if (!(p->eps >= 0.0f)) norm_fail(op, "eps must be >= 0");
    if ((p->flags & ~(MMGP_NORM_SILU | MMGP_NORM_PORTABLE)) != 0) norm_fail(op, "unknown flags");
    for (int s = 1; s <= 2; s++) {
        const struct ggml_tensor * v = dst->src[s];
        if (v == NULL) continue;
        if ((v->type != GGML_TYPE_F32 && v->type != GGML_TYPE_F16) || v->ne[0] * v->ne[1] * v->ne[2] * v->ne[3] != channels
            || v->ne[0] != channels) {
            norm_fail(op, s == 1 ? "the weight must be F32 or F16 [C]" : "the bias must be F32 or F16 [C]");
        }
    }
#if NORM_HAS_SIMD
    if ((p->flags & MMGP_NORM_PORTABLE) == 0) {
        mmgp_group_norm_simd(dst, ith, nth, p);
        return;
    }
#endif
    mmgp_group_norm_portable(dst, ith, nth, p);
}

const char * mmgp_channel_norm_path(void) {
    return mmgp_group_norm_path(); /* the same lanes, from the same body */
}

void mmgp_channel_norm(struct ggml_tensor * dst, int ith, int nth, void * userdata) {
    static const char * const op = "mmgp_channel_norm";
    const struct mmgp_channel_norm_params * p = (const struct mmgp_channel_norm_params *)userdata;
    if (p == NULL) norm_fail(op, "userdata (struct mmgp_channel_norm_params *) is NULL");
    const struct ggml_tensor * x = check_input_output(op, dst);
    const int64_t channels = p->channels;
    if (channels < 1 || x->ne[3] % channels != 0) norm_fail(op, "channels must be >= 1 and divide ne[3] (C·B)");
    if (!(p->eps >= 0.0f)) norm_fail(op, "eps must be >= 0");
    if ((p->flags & ~(MMGP_CHNORM_SILU | MMGP_CHNORM_PORTABLE | MMGP_CHNORM_LAYER)) != 0) norm_fail(op, "unknown flags");
    const int64_t batch = x->ne[3] / channels;
    for (int s = 1; s <= 4; s++) {
        const struct ggml_tensor * v = dst->src[s];
        if (v == NULL) continue;
        int ok = (v->type == GGML_TYPE_F32 || v->type == GGML_TYPE_F16) && v->ne[0] == channels;
        if (s <= 2) ok = ok && v->ne[1] == 1 && v->ne[2] == 1 && v->ne[3] == 1;
        else ok = ok && v->ne[1] == 1 && (v->ne[2] == 1 || v->ne[2] == batch) && v->ne[3] == 1;
        if (!ok) {
            static const char * const what[] = {"", "the weight must be F32 or F16 [C]", "the bias must be F32 or F16 [C]",
                "the shift must be F32 or F16 [C, 1, B] or [C]", "the scale must be F32 or F16 [C, 1, B] or [C]"};
            norm_fail(op, what[s]);
        }
    }
    struct chnorm_plan pl;
    pl.channels = channels;
    pl.batch = batch;
    pl.positions = x->ne[0] * x->ne[1] * x->ne[2];
    pl.eps = p->eps;
    const int flat = x->nb[1] == x->nb[0] * x->ne[0] && x->nb[2] == x->nb[1] * x->ne[1];
    pl.rows = flat ? 1 : x->ne[1] * x->ne[2];
    pl.row_len = flat ? pl.positions : x->ne[0];
    int64_t block = CHNORM_BLOCK_BYTES / ((int64_t)sizeof(float) * channels) / NLANES * NLANES;
    block = block < NLANES ? NLANES : block > CHNORM_MAX_BLOCK ? CHNORM_MAX_BLOCK : block;
    pl.block = block;
#if NORM_HAS_SIMD
    if ((p->flags & MMGP_CHNORM_PORTABLE) == 0) {
        mmgp_channel_norm_simd(dst, ith, nth, &pl, p->flags);
        return;
    }
#endif
    mmgp_channel_norm_portable(dst, ith, nth, &pl, p->flags);
}
