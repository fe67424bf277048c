/*
 * The body of mmgp_norm.c, included by it twice: the plain C path (NORM_SIMD 0, names suffixed
 * _portable) and, where the compiler targets AVX2 and FMA, the SIMD path (NORM_SIMD 1, _simd).
 * Not a header of its own: it needs mmgp_norm.c's includes, constants and helpers.
 */

/* ---- 8 lanes of float, and 2 x 4 lanes of double for the sums ---- */
#if NORM_SIMD
typedef __m256 NN(vf);
typedef struct {
    __m256d lo, hi;
} NN(vd);
NORM_INLINE NN(vf) NN(f_load)(const float * p) { return _mm256_loadu_ps(p); }
NORM_INLINE void NN(f_store)(float * p, NN(vf) a) { _mm256_storeu_ps(p, a); }
NORM_INLINE NN(vf) NN(f_set)(float s) { return _mm256_set1_ps(s); }
NORM_INLINE NN(vf) NN(f_sub)(NN(vf) a, NN(vf) b) { return _mm256_sub_ps(a, b); }
NORM_INLINE NN(vf) NN(f_neg)(NN(vf) a) { return _mm256_xor_ps(a, _mm256_set1_ps(-0.0f)); }
NORM_INLINE NN(vf) NN(f_div)(NN(vf) a, NN(vf) b) { return _mm256_div_ps(a, b); }
NORM_INLINE NN(vf) NN(f_mul)(NN(vf) a, NN(vf) b) { return _mm256_mul_ps(a, b); }
NORM_INLINE NN(vf) NN(f_fma)(NN(vf) a, NN(vf) b, NN(vf) c) { return _mm256_fmadd_ps(a, b, c); }
NORM_INLINE NN(vf) NN(f_clamp)(NN(vf) a, float lo, float hi) { return _mm256_min_ps(_mm256_max_ps(a, _mm256_set1_ps(lo)), _mm256_set1_ps(hi)); }
NORM_INLINE NN(vf) NN(f_rint)(NN(vf) a) { return _mm256_round_ps(a, _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC); }
/* 2^n for integral n in [-126, 127]. */
NORM_INLINE NN(vf) NN(f_pow2)(NN(vf) n) {
    return _mm256_castsi256_ps(_mm256_slli_epi32(_mm256_add_epi32(_mm256_cvtps_epi32(n), _mm256_set1_epi32(127)), 23));
}
NORM_INLINE NN(vd) NN(d_zero)(void) {
    NN(vd) r = {_mm256_setzero_pd(), _mm256_setzero_pd()};
    return r;
}
/* sum += x - k, sq += (x - k)² per lane, x widened to double. */
NORM_INLINE void NN(d_accumulate)(NN(vd) * sum, NN(vd) * sq, const float * p, double k) {
    const __m256 x = _mm256_loadu_ps(p);
    const __m256d kk = _mm256_set1_pd(k);
    const __m256d lo = _mm256_sub_pd(_mm256_cvtps_pd(_mm256_castps256_ps128(x)), kk);
    const __m256d hi = _mm256_sub_pd(_mm256_cvtps_pd(_mm256_extractf128_ps(x, 1)), kk);
    sum->lo = _mm256_add_pd(sum->lo, lo);
    sum->hi = _mm256_add_pd(sum->hi, hi);
    sq->lo = _mm256_fmadd_pd(lo, lo, sq->lo);
    sq->hi = _mm256_fmadd_pd(hi, hi, sq->hi);
}
NORM_INLINE void NN(d_spill)(NN(vd) a, double out[NLANES]) {
    _mm256_storeu_pd(out, a.lo);
    _mm256_storeu_pd(out + 4, a.hi);
}
#else
typedef struct {
    float x[NLANES];
} NN(vf);
typedef struct {
    double x[NLANES];
} NN(vd);
NORM_INLINE NN(vf) NN(f_load)(const float * p) {
    NN(vf) r;
    memcpy(r.x, p, sizeof r.x);
    return r;
}
NORM_INLINE void NN(f_store)(float * p, NN(vf) a) { memcpy(p, a.x, sizeof a.x); }
NORM_INLINE NN(vf) NN(f_set)(float s) {
    NN(vf) r;
    for (int l = 0; l < NLANES; l++) r.x[l] = s;
    return r;
}
NORM_INLINE NN(vf) NN(f_sub)(NN(vf) a, NN(vf) b) {
    for (int l = 0; l < NLANES; l++) a.x[l] -= b.x[l];
    return a;
}
NORM_INLINE NN(vf) NN(f_neg)(NN(vf) a) {
    for (int l = 0; l < NLANES; l++) a.x[l] = -a.x[l];
    return a;
}
NORM_INLINE NN(vf) NN(f_div)(NN(vf) a, NN(vf) b) {
    for (int l = 0; l < NLANES; l++) a.x[l] /= b.x[l];
    return a;
}
NORM_INLINE NN(vf) NN(f_mul)(NN(vf) a, NN(vf) b) {
    for (int l = 0; l < NLANES; l++) a.x[l] *= b.x[l];
    return a;
}
NORM_INLINE NN(vf) NN(f_fma)(NN(vf) a, NN(vf) b, NN(vf) c) {
    for (int l = 0; l < NLANES; l++) c.x[l] = NORM_FMAF(a.x[l], b.x[l], c.x[l]);
    return c;
}
/* max then min as the SIMD path's maxps/minps order them (a NaN input comes out as lo). */
NORM_INLINE NN(vf) NN(f_clamp)(NN(vf) a, float lo, float hi) {
    for (int l = 0; l < NLANES; l++) {
        float v = a.x[l] > lo ? a.x[l] : lo;
        a.x[l] = v < hi ? v : hi;
    }
    return a;
}
NORM_INLINE NN(vf) NN(f_rint)(NN(vf) a) {
    for (int l = 0; l < NLANES; l++) a.x[l] = nearbyintf(a.x[l]);
    return a;
}
NORM_INLINE NN(vf) NN(f_pow2)(NN(vf) n) {
    for (int l = 0; l < NLANES; l++) {
        uint32_t bits = (uint32_t)((int32_t)n.x[l] + 127) << 23;
        memcpy(&n.x[l], &bits, sizeof bits);
    }
    return n;
}
NORM_INLINE NN(vd) NN(d_zero)(void) {
    NN(vd) r;
    for (int l = 0; l < NLANES; l++) r.x[l] = 0.0;
    return r;
}
NORM_INLINE void NN(d_accumulate)(NN(vd) * sum, NN(vd) * sq, const float * p, double k) {
    for (int l = 0; l < NLANES; l++) {
        const double d = (double)p[l] - k;
        sum->x[l] += d;
        sq->x[l] = NORM_FMA(d, d, sq->x[l]);
    }
}
NORM_INLINE void NN(d_spill)(NN(vd) a, double out[NLANES]) { memcpy(out, a.x, sizeof a.x); }
#endif

/* silu(t) = t / (1 + exp(-t)), exp as in mmgp_norm.c; every multiply-add fused, so both paths agree. */
NORM_INLINE NN(vf) NN(silu)(NN(vf) t) {
    const NN(vf) z = NN(f_clamp)(NN(f_neg)(t), SILU_LO, SILU_HI);
    const NN(vf) n = NN(f_rint)(NN(f_mul)(z, NN(f_set)(EXP_LOG2E)));
    NN(vf) r = NN(f_fma)(n, NN(f_set)(-EXP_C1), z);
    r = NN(f_fma)(n, NN(f_set)(-EXP_C2), r);
    NN(vf) q = NN(f_fma)(NN(f_set)(EXP_P0), r, NN(f_set)(EXP_P1));
    q = NN(f_fma)(q, r, NN(f_set)(EXP_P2));
    q = NN(f_fma)(q, r, NN(f_set)(EXP_P3));
    q = NN(f_fma)(q, r, NN(f_set)(EXP_P4));
    q = NN(f_fma)(q, r, NN(f_set)(EXP_P5));
    q = NN(f_fma)(q, r, NN(f_set)(1.0f));
    q = NN(f_fma)(q, r, NN(f_set)(1.0f)); /* exp(r) */
    const NN(vf) e1 = NN(f_fma)(q, NN(f_pow2)(n), NN(f_set)(1.0f)); /* 1 + exp(z) */
    return NN(f_div)(t, e1);
}

/* Rows of x in group item (image b, group gi): channel c's row y at base + c*nb2 + y*nb1. */
static void NN(group_norm_item)(const struct ggml_tensor * dst, int64_t b, int64_t gi, const struct mmgp_group_norm_params * p) {
    const struct ggml_tensor * x = dst->src[0];
    const int64_t w = x->ne[0], h = x->ne[1], cpg = x->ne[2] / p->groups, full = w / NLANES * NLANES;
    const int64_t c0 = gi * cpg;
    const char * xb = (const char *)x->data + b * (int64_t)x->nb[3];
    float * yb = (float *)dst->data + b * x->ne[2] * h * w;
    const double k = *(const float *)(xb + c0 * (int64_t)x->nb[2]);

    /* Pass 1: the sums, lanes over the full 8-blocks of every row, the row tails lane by lane after. */
    NN(vd) vsum = NN(d_zero)(), vsq = NN(d_zero)();
    double tsum[NLANES] = {0}, tsq[NLANES] = {0};
    for (int64_t c = c0; c < c0 + cpg; c++) {
        for (int64_t y = 0; y < h; y++) {
            const float * row = (const float *)(xb + c * (int64_t)x->nb[2] + y * (int64_t)x->nb[1]);
            for (int64_t i = 0; i < full; i += NLANES) NN(d_accumulate)(&vsum, &vsq, row + i, k);
            for (int64_t i = full; i < w; i++) {
                const double d = (double)row[i] - k;
                tsum[i - full] += d;
                tsq[i - full] = NORM_FMA(d, d, tsq[i - full]);
            }
        }
    }
    double sum[NLANES], sq[NLANES], mean, rstd;
    NN(d_spill)(vsum, sum);
    NN(d_spill)(vsq, sq);
    for (int l = 0; l < NLANES; l++) {
        sum[l] += tsum[l];
        sq[l] += tsq[l];
    }
    group_stats(sum, sq, k, cpg * h * w, p->eps, &mean, &rstd);

    /* Pass 2: y = fma(x - mean, w·rstd, b) (then the SiLU); a row's tail goes through a padded block.
     * The mean is subtracted as two floats, so a mean far from zero keeps its low bits. */
    const float mean_hi = (float)mean;
    const NN(vf) vmean = NN(f_set)(mean_hi), vmean_lo = NN(f_set)((float)(mean - (double)mean_hi));
    const int silu = (p->flags & MMGP_NORM_SILU) != 0;
    for (int64_t c = c0; c < c0 + cpg; c++) {
        const NN(vf) va = NN(f_set)((float)(rstd * (double)channel_value(dst->src[1], c, 1.0f)));
        const NN(vf) vb = NN(f_set)(channel_value(dst->src[2], c, 0.0f));
        for (int64_t y = 0; y < h; y++) {
            const float * row = (const float *)(xb + c * (int64_t)x->nb[2] + y * (int64_t)x->nb[1]);
            float * out = yb + (c * h + y) * w;
            for (int64_t i = 0; i < w; i += NLANES) {
                float pad[NLANES] = {0};
                const int64_t n = w - i < NLANES ? w - i : NLANES;
                const float * src = row + i;
                if (n < NLANES) {
                    memcpy(pad, src, (size_t)n * sizeof(float));
                    src = pad;
                }
                NN(vf) v = NN(f_fma)(NN(f_sub)(NN(f_sub)(NN(f_load)(src), vmean), vmean_lo), va, vb);
                if (silu) v = NN(silu)(v);
                if (n < NLANES) {
                    NN(f_store)(pad, v);
                    memcpy(out + i, pad, (size_t)n * sizeof(float));
                } else {
                    NN(f_store)(out + i, v);
                }
            }
        }
    }
}

static void NN(mmgp_group_norm)(struct ggml_tensor * dst, int ith, int nth, const struct mmgp_group_norm_params * p) {
    const int64_t items = dst->ne[3] * p->groups;
    for (int64_t it = ith; it < items; it += nth) NN(group_norm_item)(dst, it / p->groups, it % p->groups, p);
}

/* ---- the channel norm (mmgp_channel_norm): lanes are positions, sums run over the channels ---- */

/* sq[l] += x[l]² over 8 positions, x widened to double (the RMS norm's sum). */
NORM_INLINE void NN(d_accumulate_sq)(double * sq, const float * p) {
#if NORM_SIMD
    const __m256 x = _mm256_loadu_ps(p);
    const __m256d lo = _mm256_cvtps_pd(_mm256_castps256_ps128(x)), hi = _mm256_cvtps_pd(_mm256_extractf128_ps(x, 1));
    _mm256_storeu_pd(sq, _mm256_fmadd_pd(lo, lo, _mm256_loadu_pd(sq)));
    _mm256_storeu_pd(sq + 4, _mm256_fmadd_pd(hi, hi, _mm256_loadu_pd(sq + 4)));
#else
    for (int l = 0; l < NLANES; l++) sq[l] = NORM_FMA((double)p[l], (double)p[l], sq[l]);
#endif
}

/* sum[l] += x[l] - k[l], sq[l] += (x[l] - k[l])² over 8 positions, in double (the layer norm's sums). */
NORM_INLINE void NN(d_accumulate_shifted)(double * sum, double * sq, const float * p, const double * k) {
#if NORM_SIMD
    const __m256 x = _mm256_loadu_ps(p);
    const __m256d lo = _mm256_sub_pd(_mm256_cvtps_pd(_mm256_castps256_ps128(x)), _mm256_loadu_pd(k));
    const __m256d hi = _mm256_sub_pd(_mm256_cvtps_pd(_mm256_extractf128_ps(x, 1)), _mm256_loadu_pd(k + 4));
    _mm256_storeu_pd(sum, _mm256_add_pd(_mm256_loadu_pd(sum), lo));
    _mm256_storeu_pd(sum + 4, _mm256_add_pd(_mm256_loadu_pd(sum + 4), hi));
    _mm256_storeu_pd(sq, _mm256_fmadd_pd(lo, lo, _mm256_loadu_pd(sq)));
    _mm256_storeu_pd(sq + 4, _mm256_fmadd_pd(hi, hi, _mm256_loadu_pd(sq + 4)));
#else
    for (int l = 0; l < NLANES; l++) {
        const double d = (double)p[l] - k[l];
        sum[l] += d;
        sq[l] = NORM_FMA(d, d, sq[l]);
    }
#endif
}

/*
 * One item: batch row b, positions [i0, i0 + n) of position row r. Pass 1 reads the block of every
 * channel and accumulates each position's sums; pass 2 reads it again (from cache) and writes
 * silu?(fma(n, a[c], s[c])). A block's tail goes through padded lanes, whose results are dropped.
 */
static void NN(channel_norm_block)(const struct ggml_tensor * dst, const struct chnorm_plan * pl, int64_t b, int64_t r, int64_t i0, int64_t n,
        const float * ca, const float * cs, int flags, int affine) {
    const struct ggml_tensor * x = dst->src[0];
    const int64_t channels = pl->channels, full = n / NLANES * NLANES, lanes = (n + NLANES - 1) / NLANES * NLANES;
    const int layer = (flags & MMGP_CHNORM_LAYER) != 0, silu = (flags & MMGP_CHNORM_SILU) != 0;
    const char * x0 = (const char *)x->data + b * channels * (int64_t)x->nb[3] + chnorm_row_offset(x, pl, r) + i0 * (int64_t)sizeof(float);
    float * y0 = (float *)dst->data + b * channels * pl->positions + r * pl->row_len + i0;
    double sum[CHNORM_MAX_BLOCK], sq[CHNORM_MAX_BLOCK], k[CHNORM_MAX_BLOCK];
    float mean_hi[CHNORM_MAX_BLOCK], mean_lo[CHNORM_MAX_BLOCK], rstd[CHNORM_MAX_BLOCK];
    float pad[NLANES];

    memset(sum, 0, (size_t)lanes * sizeof(double));
    memset(sq, 0, (size_t)lanes * sizeof(double));
    memset(k, 0, (size_t)lanes * sizeof(double));
    if (layer) {
        for (int64_t i = 0; i < n; i++) k[i] = ((const float *)x0)[i];
    }
    for (int64_t c = 0; c < channels; c++) {
        const float * row = (const float *)(x0 + c * (int64_t)x->nb[3]);
        const float * src;
        for (int64_t i = 0; i < lanes; i += NLANES) {
            src = row + i;
            if (i == full) { /* the tail: n - full < 8 positions */
                memset(pad, 0, sizeof pad);
                memcpy(pad, src, (size_t)(n - full) * sizeof(float));
                src = pad;
            }
            if (layer) NN(d_accumulate_shifted)(sum + i, sq + i, src, k + i);
            else NN(d_accumulate_sq)(sq + i, src);
        }
    }
    chnorm_stats(sum, sq, k, lanes, channels, pl->eps, layer, mean_hi, mean_lo, rstd);

    for (int64_t c = 0; c < channels; c++) {
        const float * row = (const float *)(x0 + c * (int64_t)x->nb[3]);
        float * out = y0 + c * pl->positions;
        const NN(vf) va = NN(f_set)(ca[c]), vs = NN(f_set)(cs[c]);
        for (int64_t i = 0; i < lanes; i += NLANES) {
            const float * src = row + i;
            if (i == full) {
                memset(pad, 0, sizeof pad);
                memcpy(pad, src, (size_t)(n - full) * sizeof(float));
                src = pad;
            }
            NN(vf) v = NN(f_load)(src);
            if (layer) v = NN(f_sub)(NN(f_sub)(v, NN(f_load)(mean_hi + i)), NN(f_load)(mean_lo + i));
            v = NN(f_mul)(v, NN(f_load)(rstd + i));
            if (affine) v = NN(f_fma)(v, va, vs);
            if (silu) v = NN(silu)(v);
            if (i == full) {
                NN(f_store)(pad, v);
                memcpy(out + i, pad, (size_t)(n - full) * sizeof(float));
            } else {
                NN(f_store)(out + i, v);
            }
        }
    }
}

/* This thread's share: a contiguous range of (batch row, position row, block) items. */
static void NN(mmgp_channel_norm)(struct ggml_tensor * dst, int ith, int nth, const struct chnorm_plan * pl, int flags) {
    const int64_t per_row = (pl->row_len + pl->block - 1) / pl->block, per_batch = pl->rows * per_row, items = pl->batch * per_batch;
    const int64_t from = items * ith / nth, to = items * (ith + 1) / nth;
    if (from >= to) return;
    float * coef = (float *)malloc((size_t)pl->channels * 2 * sizeof(float));
    if (coef == NULL) norm_fail("mmgp_channel_norm", "out of memory for the channel coefficients");
    int64_t coef_batch = -1;
    int affine = 0;
    for (int64_t it = from; it < to; it++) {
        const int64_t b = it / per_batch, r = it % per_batch / per_row, i0 = it % per_row * pl->block;
        if (b != coef_batch) {
            affine = chnorm_coefficients(dst, pl->channels, b, coef, coef + pl->channels);
            coef_batch = b;
        }
        const int64_t n = pl->row_len - i0 < pl->block ? pl->row_len - i0 : pl->block;
        NN(channel_norm_block)(dst, pl, b, r, i0, n, coef, coef + pl->channels, flags, affine);
    }
    free(coef);
}
