/*
 * The body of mmgp_winograd.c, included by it twice: once as the plain C path (WINO_AVX 0, names
 * suffixed _portable) and, where the compiler targets AVX, once as the SIMD path (WINO_AVX 1,
 * _simd). Not a header of its own: it needs mmgp_winograd.c's includes, fail and f16_to_f32.
 */
/* F32 → F16 rows: F16C on the SIMD path where the library has it, the plain conversion on the
 * plain path (what a CPU without F16C runs), both rounding to nearest even. */
WINO_INLINE void WN(f32_to_f16)(const float * src, uint16_t * dst, long n) {
#if WINO_AVX
    mmgp_f32_to_f16(src, dst, n);
#else
    mmgp_f32_to_f16_portable(src, dst, n);
#endif
}

/* ---------------------------------------------------------------------------------------------
 * 8 lanes of float.
 * ------------------------------------------------------------------------------------------- */
#if WINO_AVX
typedef __m256 WN(v8);
WINO_INLINE WN(v8) WN(v_zero)(void) { return _mm256_setzero_ps(); }
WINO_INLINE WN(v8) WN(v_add)(WN(v8) a, WN(v8) b) { return _mm256_add_ps(a, b); }
WINO_INLINE WN(v8) WN(v_sub)(WN(v8) a, WN(v8) b) { return _mm256_sub_ps(a, b); }
WINO_INLINE WN(v8) WN(v_scale)(WN(v8) a, float s) { return _mm256_mul_ps(a, _mm256_set1_ps(s)); }
/* a + s*b; one rounding with FMA, two without. The two differ by at most half an ulp of s*b
 * (the product's rounding), which relative to the result is unbounded when a and s*b cancel. */
WINO_INLINE WN(v8) WN(v_madd)(WN(v8) a, float s, WN(v8) b) {
#if defined(__FMA__)
    return _mm256_fmadd_ps(_mm256_set1_ps(s), b, a);
#else
    return _mm256_add_ps(a, _mm256_mul_ps(_mm256_set1_ps(s), b));
#endif
}
WINO_INLINE WN(v8) WN(v_load)(const float * p) { return _mm256_loadu_ps(p); }
WINO_INLINE void WN(v_store)(float * p, WN(v8) a) { _mm256_storeu_ps(p, a); }
#else
typedef struct {
    float x[LANES];
} WN(v8);
WINO_INLINE WN(v8) WN(v_zero)(void) {
    WN(v8) r;
    for (int l = 0; l < LANES; l++) r.x[l] = 0.0f;
    return r;
}
WINO_INLINE WN(v8) WN(v_add)(WN(v8) a, WN(v8) b) {
    for (int l = 0; l < LANES; l++) a.x[l] += b.x[l];
    return a;
}
WINO_INLINE WN(v8) WN(v_sub)(WN(v8) a, WN(v8) b) {
    for (int l = 0; l < LANES; l++) a.x[l] -= b.x[l];
    return a;
}
WINO_INLINE WN(v8) WN(v_scale)(WN(v8) a, float s) {
    for (int l = 0; l < LANES; l++) a.x[l] *= s;
    return a;
}
/* Fused where the SIMD path fuses (with FMA), so the two paths give the same bits; fused on
 * arm64 too, where this is the only path and fmaf is one instruction. */
WINO_INLINE WN(v8) WN(v_madd)(WN(v8) a, float s, WN(v8) b) {
#if defined(__FMA__) || defined(__ARM_FEATURE_FMA)
    for (int l = 0; l < LANES; l++) a.x[l] = fmaf(s, b.x[l], a.x[l]);
#else
    for (int l = 0; l < LANES; l++) a.x[l] += s * b.x[l];
#endif
    return a;
}
WINO_INLINE WN(v8) WN(v_load)(const float * p) {
    WN(v8) r;
    memcpy(r.x, p, sizeof r.x);
    return r;
}
WINO_INLINE void WN(v_store)(float * p, WN(v8) a) { memcpy(p, a.x, sizeof a.x); }
#endif

/*
 * rows[k][l] = src[l][k] for k < 8 (positions x .. x+7 of 8 lanes' rows) into dst at dst + k*ds:
 * 8 positions of 8 lanes each (channels last). AVX: an 8 x 8 register transpose.
 */
WINO_INLINE void WN(transpose_8x8)(const float * const * src, int64_t x, float * dst, ptrdiff_t ds) {
#if WINO_AVX
    __m256 r0 = _mm256_loadu_ps(src[0] + x), r1 = _mm256_loadu_ps(src[1] + x), r2 = _mm256_loadu_ps(src[2] + x),
           r3 = _mm256_loadu_ps(src[3] + x), r4 = _mm256_loadu_ps(src[4] + x), r5 = _mm256_loadu_ps(src[5] + x),
           r6 = _mm256_loadu_ps(src[6] + x), r7 = _mm256_loadu_ps(src[7] + x);
    __m256 t0 = _mm256_unpacklo_ps(r0, r1), t1 = _mm256_unpackhi_ps(r0, r1), t2 = _mm256_unpacklo_ps(r2, r3),
           t3 = _mm256_unpackhi_ps(r2, r3), t4 = _mm256_unpacklo_ps(r4, r5), t5 = _mm256_unpackhi_ps(r4, r5),
           t6 = _mm256_unpacklo_ps(r6, r7), t7 = _mm256_unpackhi_ps(r6, r7);
    __m256 s0 = _mm256_shuffle_ps(t0, t2, _MM_SHUFFLE(1, 0, 1, 0)), s1 = _mm256_shuffle_ps(t0, t2, _MM_SHUFFLE(3, 2, 3, 2)),
           s2 = _mm256_shuffle_ps(t1, t3, _MM_SHUFFLE(1, 0, 1, 0)), s3 = _mm256_shuffle_ps(t1, t3, _MM_SHUFFLE(3, 2, 3, 2)),
           s4 = _mm256_shuffle_ps(t4, t6, _MM_SHUFFLE(1, 0, 1, 0)), s5 = _mm256_shuffle_ps(t4, t6, _MM_SHUFFLE(3, 2, 3, 2)),
           s6 = _mm256_shuffle_ps(t5, t7, _MM_SHUFFLE(1, 0, 1, 0)), s7 = _mm256_shuffle_ps(t5, t7, _MM_SHUFFLE(3, 2, 3, 2));
    _mm256_storeu_ps(dst + 0 * ds, _mm256_permute2f128_ps(s0, s4, 0x20));
    _mm256_storeu_ps(dst + 1 * ds, _mm256_permute2f128_ps(s1, s5, 0x20));
    _mm256_storeu_ps(dst + 2 * ds, _mm256_permute2f128_ps(s2, s6, 0x20));
    _mm256_storeu_ps(dst + 3 * ds, _mm256_permute2f128_ps(s3, s7, 0x20));
    _mm256_storeu_ps(dst + 4 * ds, _mm256_permute2f128_ps(s0, s4, 0x31));
    _mm256_storeu_ps(dst + 5 * ds, _mm256_permute2f128_ps(s1, s5, 0x31));
    _mm256_storeu_ps(dst + 6 * ds, _mm256_permute2f128_ps(s2, s6, 0x31));
    _mm256_storeu_ps(dst + 7 * ds, _mm256_permute2f128_ps(s3, s7, 0x31));
#else
    for (int k = 0; k < LANES; k++)
        for (int l = 0; l < LANES; l++) dst[k * ds + l] = src[l][x + k];
#endif
}

/* ---------------------------------------------------------------------------------------------
 * The 1-D transforms of F(2, 3) and F(4, 3), on vectors x[0], x[s], x[2s], ... into y[0], y[s], ...
 * ------------------------------------------------------------------------------------------- */

/* Bᵀ d */
WINO_INLINE void WN(input_1d)(int m, const WN(v8) * x, ptrdiff_t xs, WN(v8) * y, ptrdiff_t ys) {
    if (m == 2) {
        WN(v8) d0 = x[0], d1 = x[xs], d2 = x[2 * xs], d3 = x[3 * xs];
        y[0] = WN(v_sub)(d0, d2);
        y[ys] = WN(v_add)(d1, d2);
        y[2 * ys] = WN(v_sub)(d2, d1);
        y[3 * ys] = WN(v_sub)(d1, d3);
    } else {
        WN(v8) d0 = x[0], d1 = x[xs], d2 = x[2 * xs], d3 = x[3 * xs], d4 = x[4 * xs], d5 = x[5 * xs];
        WN(v8) a = WN(v_madd)(d4, -4.0f, d2), b = WN(v_madd)(d3, -4.0f, d1); /* d4 - 4 d2, d3 - 4 d1 */
        WN(v8) c = WN(v_sub)(d4, d2), e = WN(v_scale)(WN(v_sub)(d3, d1), 2.0f);  /* d4 - d2, 2 (d3 - d1) */
        y[0] = WN(v_madd)(WN(v_madd)(d4, 4.0f, d0), -5.0f, d2);          /* 4 d0 - 5 d2 + d4 */
        y[ys] = WN(v_add)(a, b);
        y[2 * ys] = WN(v_sub)(a, b);
        y[3 * ys] = WN(v_add)(c, e);
        y[4 * ys] = WN(v_sub)(c, e);
        y[5 * ys] = WN(v_madd)(WN(v_madd)(d5, 4.0f, d1), -5.0f, d3); /* 4 d1 - 5 d3 + d5 */
    }
}

/* Aᵀ M */
WINO_INLINE void WN(output_1d)(int m, const WN(v8) * x, ptrdiff_t xs, WN(v8) * y, ptrdiff_t ys) {
    if (m == 2) {
        WN(v8) m1 = x[xs], m2 = x[2 * xs];
        y[0] = WN(v_add)(WN(v_add)(x[0], m1), m2);
        y[ys] = WN(v_sub)(WN(v_sub)(m1, m2), x[3 * xs]);
    } else {
        WN(v8) m1 = x[xs], m2 = x[2 * xs], m3 = x[3 * xs], m4 = x[4 * xs];
        WN(v8) s12 = WN(v_add)(m1, m2), d12 = WN(v_sub)(m1, m2), s34 = WN(v_add)(m3, m4), d34 = WN(v_sub)(m3, m4);
        y[0] = WN(v_add)(WN(v_add)(x[0], s12), s34);
        y[ys] = WN(v_madd)(d12, 2.0f, d34);
        y[2 * ys] = WN(v_madd)(s12, 4.0f, s34);
        y[3 * ys] = WN(v_add)(WN(v_madd)(d12, 8.0f, d34), x[5 * xs]);
    }
}

/* G g (the divisions of G as products by the rounded reciprocals: within an ulp of dividing). */
WINO_INLINE void WN(weight_1d)(int m, const WN(v8) * g, ptrdiff_t gs, WN(v8) * u, ptrdiff_t us) {
    WN(v8) g0 = g[0], g1 = g[gs], g2 = g[2 * gs];
    WN(v8) s02 = WN(v_add)(g0, g2);
    if (m == 2) {
        u[0] = g0;
        u[us] = WN(v_scale)(WN(v_add)(s02, g1), 0.5f);
        u[2 * us] = WN(v_scale)(WN(v_sub)(s02, g1), 0.5f);
        u[3 * us] = g2;
    } else {
        const float sixth = 1.0f / 6.0f, twelfth = 1.0f / 12.0f, twentyfourth = 1.0f / 24.0f;
        WN(v8) a = WN(v_madd)(WN(v_scale)(g0, twentyfourth), sixth, g2); /* g0/24 + g2/6 */
        u[0] = WN(v_scale)(g0, 0.25f);
        u[us] = WN(v_scale)(WN(v_add)(s02, g1), -sixth);
        u[2 * us] = WN(v_scale)(WN(v_sub)(s02, g1), -sixth);
        u[3 * us] = WN(v_madd)(a, twelfth, g1);
        u[4 * us] = WN(v_madd)(a, -twelfth, g1);
        u[5 * us] = g2;
    }
}


/* n (<= 8) lanes of a into dst, as floats or as halves rounded to nearest even. */
WINO_INLINE void WN(store_lanes)(char * dst, int f16, WN(v8) a, int n) {
    if (!f16) {
        if (n == LANES) {
            WN(v_store)((float *)dst, a);
        } else {
            float tmp[LANES];
            WN(v_store)(tmp, a);
            memcpy(dst, tmp, (size_t)n * sizeof(float));
        }
        return;
    }
#if WINO_AVX && defined(__F16C__)
    if (n == LANES) {
        _mm_storeu_si128((__m128i *)dst, _mm256_cvtps_ph(a, _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC));
        return;
    }
#endif
    float tmp[LANES];
    WN(v_store)(tmp, a);
    WN(f32_to_f16)(tmp, (uint16_t *)dst, n);
}

/*
 * The T input rows y0 .. y0 + T - 1 of columns [xs, xs + cw) of 8 channels (plane[l]: channel l's
 * plane, rows sh bytes apart, W x H) laid out channels last, zeros outside the input:
 * buf[j][q][lane] for column xs + q (8 x 8 transposes).
 */
WINO_INLINE void WN(load_rows)(const char * const * plane, size_t sh, int64_t W, int64_t H, int64_t y0, int64_t xs, int64_t cw, int T,
                               float * buf) {
    const int64_t xe = xs + cw, xa = xs > 0 ? xs : 0, xb = xe < W ? xe : W;
    for (int j = 0; j < T; j++) {
        float * brow = buf + (size_t)j * cw * LANES;
        const int64_t y = y0 + j;
        if (y < 0 || y >= H || xb <= xa) {
            memset(brow, 0, (size_t)cw * LANES * sizeof(float));
            continue;
        }
        const float * src[LANES];
        for (int l = 0; l < LANES; l++) src[l] = (const float *)(plane[l] + y * sh);
        memset(brow, 0, (size_t)(xa - xs) * LANES * sizeof(float));
        int64_t xx = xa;
        for (; xx + LANES <= xb; xx += LANES) WN(transpose_8x8)(src, xx, brow + (xx - xs) * LANES, LANES);
        for (; xx < xb; xx++)
            for (int l = 0; l < LANES; l++) brow[(xx - xs) * LANES + l] = src[l][xx];
        if (xb < xe) memset(brow + (xb - xs) * LANES, 0, (size_t)(xe - xb) * LANES * sizeof(float));
    }
}

/* V = Bᵀ d B of the patch whose top left is column q0 of load_rows' buf (cw columns a row): d[t], t < T². */
WINO_INLINE void WN(tile_input)(int m, const float * buf, int64_t cw, int64_t q0, WN(v8) * d) {
    const int T = m + 2;
    WN(v8) r[T_MAX * T_MAX];
    for (int j = 0; j < T; j++)
        for (int i = 0; i < T; i++) d[j * T + i] = WN(v_load)(buf + ((size_t)j * cw + q0 + i) * LANES);
    for (int i = 0; i < T; i++) WN(input_1d)(m, d + i, T, r + i, T);     /* columns: r[j][i] = (Bᵀ d)[j][i] */
    for (int j = 0; j < T; j++) WN(input_1d)(m, r + T * j, 1, d + T * j, 1); /* rows: d[j][i] = (Bᵀ d B)[j][i] */
}

/* Y = Aᵀ a A of a transformed block a[t], t < T², into y[j*m + i], j, i < m. */
WINO_INLINE void WN(tile_output)(int m, const WN(v8) * a, WN(v8) * y) {
    const int T = m + 2;
    WN(v8) r[4 * T_MAX];
    for (int i = 0; i < T; i++) WN(output_1d)(m, a + i, T, r + i, T);      /* columns: r[j][i], j < m */
    for (int j = 0; j < m; j++) WN(output_1d)(m, r + T * j, 1, y + m * j, 1); /* rows: y[j][i] */
}

/* The planes of 8 channels c0 .. c0 + 7 (the ones past IC repeat c0) of frame f of clip b of x: an
 * image [W, H, IC, B] (f = 0) or a video [W, H, F, IC*B]. */
WINO_INLINE void WN(channel_planes)(const struct ggml_tensor * x, int video, int64_t IC, int64_t f, int64_t b, int64_t c0,
                                    const char ** plane) {
    for (int l = 0; l < LANES; l++) {
        const int64_t c = c0 + (c0 + l < IC ? l : 0);
        plane[l] = (const char *)x->data + (video ? f * (int64_t)x->nb[2] + (c + IC * b) * (int64_t)x->nb[3]
                                                  : c * (int64_t)x->nb[2] + b * (int64_t)x->nb[3]);
    }
}

/* ---------------------------------------------------------------------------------------------
 * Weight transform.
 * ------------------------------------------------------------------------------------------- */
static void WN(mmgp_winograd_weights)(struct ggml_tensor * dst, int ith, int nth, void * userdata) {
    const struct mmgp_winograd_params * p = (const struct mmgp_winograd_params *)userdata;
    const struct ggml_tensor * k = dst->src[0];
    if (p == NULL) fail("userdata (struct mmgp_winograd_params *) is NULL");
    if (k == NULL) fail("dst->src[0] (the kernel) is missing");
    const int m = p->tile, T = m + 2, video = (p->flags & MMGP_WINOGRAD_VIDEO) != 0, packed = (p->flags & MMGP_WINOGRAD_PACKED) != 0;
    if (m != 2 && m != 4) fail("tile must be 2 or 4");
    if (k->type != GGML_TYPE_F32 && k->type != GGML_TYPE_F16) fail("the kernel must be F32 or F16");
    if (dst->type != GGML_TYPE_F32 && (packed || dst->type != GGML_TYPE_F16)) fail("U must be F32 or F16 (F32 when packed)");
    if (packed && (dst->ne[0] % PANEL != 0 || dst->ne[0] < PANEL)) fail("packed U's ne[0] must be 16 * IC");
    const int64_t IC = packed ? dst->ne[0] / PANEL : dst->ne[0], taps = dst->ne[3];
    const int64_t OC = packed ? (video ? (IC > 0 ? k->ne[3] / IC : 0) : k->ne[3]) : dst->ne[1];
    if (k->ne[0] != 3 || k->ne[1] != 3) fail("the kernel must be 3 x 3");
    if (dst->ne[2] != (int64_t)T * T) fail("U's ne[2] must be (tile + 2)^2");
    if (video ? (k->ne[2] != taps || k->ne[3] != IC * OC) : (taps != 1 || k->ne[2] != IC || k->ne[3] != OC)) {
        fail("U's shape does not match the kernel (2-D [3,3,IC,OC] -> {IC,OC,T²,1}; video [3,3,KD,IC*OC] -> {IC,OC,T²,KD}; "
             "packed {16*IC, ceil(OC/16), T², taps})");
    }
    const int64_t panels = (OC + PANEL - 1) / PANEL;
    if (packed && dst->ne[1] != panels) fail("packed U's ne[1] must be ceil(OC / 16)");
    const int kf16 = k->type == GGML_TYPE_F16, df16 = dst->type == GGML_TYPE_F16;
    const size_t des = df16 ? 2 : 4;
    if (dst->nb[0] != des || dst->nb[1] != des * (size_t)dst->ne[0] || dst->nb[2] != dst->nb[1] * (size_t)dst->ne[1]
        || dst->nb[3] != dst->nb[2] * (size_t)dst->ne[2]) {
        fail("U must be contiguous");
    }
    /* One output channel and tap at a time: its T² x IC values are computed into ubuf, then
     * written as T² contiguous runs of IC (U's rows), not scattered T² rows apart per value; packed,
     * as a column of its panel (the padded channels of the last panel are zeros). */
    float * ubuf = malloc((size_t)T * T * (size_t)IC * sizeof(float));
    if (ubuf == NULL) fail("out of memory for the weight transform's buffer");
    const int64_t OCn = packed ? panels * PANEL : OC, o0 = OCn * ith / nth, o1 = OCn * (ith + 1) / nth;
    for (int64_t oc = o0; oc < o1; oc++) {
        for (int64_t tap = 0; tap < taps; tap++) {
            if (oc >= OC) {
                memset(ubuf, 0, (size_t)T * T * (size_t)IC * sizeof(float));
            } else {
                for (int64_t ic0 = 0; ic0 < IC; ic0 += LANES) { /* 8 input channels at once, one per lane */
                    const int lanes = IC - ic0 < LANES ? (int)(IC - ic0) : LANES;
                    float gl[9][LANES];
                    for (int l = 0; l < LANES; l++) {
                        const int64_t ic = ic0 + (l < lanes ? l : 0);
                        const char * base = (const char *)k->data
                                + (video ? tap * (int64_t)k->nb[2] + (ic + IC * oc) * (int64_t)k->nb[3] : ic * (int64_t)k->nb[2] + oc * (int64_t)k->nb[3]);
                        for (int e = 0; e < 9; e++) {
                            const char * p = base + (e / 3) * k->nb[1] + (e % 3) * k->nb[0];
                            gl[e][l] = kf16 ? f16_to_f32(*(const uint16_t *)p) : *(const float *)p;
                        }
                    }
                    WN(v8) g[9], tmp[3 * T_MAX], u[T_MAX * T_MAX];
                    for (int e = 0; e < 9; e++) g[e] = WN(v_load)(gl[e]);
                    for (int kw = 0; kw < 3; kw++) WN(weight_1d)(m, g + kw, 3, tmp + kw, 3); /* columns: tmp[j][kw] = (G g)[j][kw] */
                    for (int j = 0; j < T; j++) WN(weight_1d)(m, tmp + 3 * j, 1, u + T * j, 1); /* rows: u[j][i] */
                    for (int t = 0; t < T * T; t++) {
                        if (lanes == LANES) {
                            WN(v_store)(ubuf + (size_t)t * IC + ic0, u[t]);
                        } else {
                            float ul[LANES];
                            WN(v_store)(ul, u[t]);
                            for (int l = 0; l < lanes; l++) ubuf[(size_t)t * IC + ic0 + l] = ul[l];
                        }
                    }
                }
            }
            for (int t = 0; t < T * T; t++) {
                if (packed) {
                    float * d = (float *)((char *)dst->data + t * dst->nb[2] + tap * dst->nb[3] + (oc / PANEL) * dst->nb[1]) + oc % PANEL;
                    for (int64_t ic = 0; ic < IC; ic++) d[ic * PANEL] = ubuf[(size_t)t * IC + ic];
                    continue;
                }
                char * d = (char *)dst->data + t * dst->nb[2] + tap * dst->nb[3] + oc * dst->nb[1];
                if (df16) WN(f32_to_f16)(ubuf + (size_t)t * IC, (uint16_t *)d, IC);
                else memcpy(d, ubuf + (size_t)t * IC, (size_t)IC * sizeof(float));
            }
        }
    }
    free(ubuf);
}

/* ---------------------------------------------------------------------------------------------
 * Input transform.
 * ------------------------------------------------------------------------------------------- */
static void WN(mmgp_winograd_input)(struct ggml_tensor * dst, int ith, int nth, void * userdata) {
    const struct mmgp_winograd_params * p = (const struct mmgp_winograd_params *)userdata;
    const struct ggml_tensor * x = dst->src[0];
    if (p == NULL) fail("userdata (struct mmgp_winograd_params *) is NULL");
    if (x == NULL) fail("dst->src[0] (the input) is missing");
    const int m = p->tile, T = m + 2, video = (p->flags & MMGP_WINOGRAD_VIDEO) != 0;
    const int64_t pad = p->padding;
    if (m != 2 && m != 4) fail("tile must be 2 or 4");
    if (pad < 0) fail("padding must be >= 0");
    if (x->type != GGML_TYPE_F32 || x->nb[0] != 4) fail("the input must be F32 with contiguous rows");
    if (dst->type != GGML_TYPE_F32 && dst->type != GGML_TYPE_F16) fail("V must be F32 or F16");
    const int64_t W = x->ne[0], H = x->ne[1], IC = dst->ne[0];
    const int64_t OW = W + 2 * pad - 2, OH = H + 2 * pad - 2;
    if (OW < 1 || OH < 1) fail("the input is smaller than the 3 x 3 kernel with its padding");
    const int64_t TX = (OW + m - 1) / m, TY = (OH + m - 1) / m, tiles = TX * TY;
    int64_t F, B;
    if (video) {
        if (IC < 1 || x->ne[3] % IC != 0) fail("video input: ne[3] must be a multiple of IC (V's ne[0])");
        F = x->ne[2];
        B = x->ne[3] / IC;
    } else {
        if (x->ne[2] != IC) fail("image input: ne[2] must be IC (V's ne[0])");
        F = 1;
        B = x->ne[3];
    }
    if (dst->ne[1] != tiles || dst->ne[2] != F * B || dst->ne[3] != (int64_t)T * T) fail("V's shape must be {IC, tiles, F*B, (tile + 2)^2}");
    const int f16 = dst->type == GGML_TYPE_F16;
    const size_t es = f16 ? 2 : 4;
    if (dst->nb[0] != es) fail("V must have contiguous rows");

    /* One item is (frame, tile row, group of channels): a group fills whole 64-byte lines of V
     * per tile and position (32 channels in F16, 16 in F32), so no line is written in parts at
     * different times. The row is done in chunks of CHUNK_TILES tiles: the chunk's T input rows
     * of the group are first laid out channels last with their zero padding, in
     * rows[block][j][column][lane] (8 x 8 transposes), so every tile reads its patch as T² vector
     * loads per 8 channels. */
    const int64_t CB = (IC + LANES - 1) / LANES, GB = f16 ? 4 : 2, CG = (CB + GB - 1) / GB, items = F * B * TY * CG;
    const int64_t i0 = items * ith / nth, i1 = items * (ith + 1) / nth;
    const int64_t CW = CHUNK_TILES * m + 2; /* buffer columns of a chunk */
    float * rows = i1 > i0 ? malloc((size_t)GB * T * (size_t)CW * LANES * sizeof(float)) : NULL;
    if (i1 > i0 && rows == NULL) fail("out of memory for the input transform's row buffer");
    const size_t sh = x->nb[1];
    for (int64_t it = i0; it < i1; it++) {
        const int64_t cg = it % CG, ty = (it / CG) % TY, nf = it / (CG * TY);
        const int64_t f = nf % F, b = nf / F, cb0 = cg * GB, cb1 = cb0 + GB < CB ? cb0 + GB : CB;
        const int64_t y0 = ty * m - pad;
        for (int64_t tx0 = 0; tx0 < TX; tx0 += CHUNK_TILES) {
            const int64_t tx1 = tx0 + CHUNK_TILES < TX ? tx0 + CHUNK_TILES : TX;
            const int64_t xs = tx0 * m - pad, cw = (tx1 - tx0) * m + 2; /* buffer column q holds input column xs + q */
            for (int64_t cb = cb0; cb < cb1; cb++) {
                const char * plane[LANES];
                WN(channel_planes)(x, video, IC, f, b, cb * LANES, plane);
                WN(load_rows)(plane, sh, W, H, y0, xs, cw, T, rows + (size_t)(cb - cb0) * T * cw * LANES);
            }
            for (int64_t tx = tx0; tx < tx1; tx++) {
                const int64_t tile = ty * TX + tx;
                for (int64_t cb = cb0; cb < cb1; cb++) {
                    const int64_t c0 = cb * LANES;
                    const int lanes = IC - c0 < LANES ? (int)(IC - c0) : LANES;
                    WN(v8) d[T_MAX * T_MAX];
                    WN(tile_input)(m, rows + (size_t)(cb - cb0) * T * cw * LANES, cw, (tx - tx0) * m, d);
                    char * out = (char *)dst->data + nf * dst->nb[2] + tile * dst->nb[1] + c0 * es;
                    for (int t = 0; t < T * T; t++) WN(store_lanes)(out + t * dst->nb[3], f16, d[t], lanes);
                }
            }
        }
    }
    free(rows);
}

/* ---------------------------------------------------------------------------------------------
 * Output transform.
 * ------------------------------------------------------------------------------------------- */
static void WN(mmgp_winograd_output)(struct ggml_tensor * dst, int ith, int nth, void * userdata) {
    const struct mmgp_winograd_params * p = (const struct mmgp_winograd_params *)userdata;
    if (p == NULL) fail("userdata (struct mmgp_winograd_params *) is NULL");
    const int m = p->tile, T = m + 2, image = (p->flags & MMGP_WINOGRAD_VIDEO) == 0;
    if (m != 2 && m != 4) fail("tile must be 2 or 4");
    if (dst->type != GGML_TYPE_F32 || dst->nb[0] != 4) fail("Y must be F32 with contiguous rows");
    const struct ggml_tensor * ms[10];
    int nsrc = 0;
    while (nsrc < 10 && dst->src[nsrc] != NULL) {
        ms[nsrc] = dst->src[nsrc];
        nsrc++;
    }
    if (nsrc == 0) fail("no M operand");
    /* Y: video [OW, OH, count, OC*B], image [OW, OH, OC, B]; M: {OC, tiles, F*B, T²}. */
    const int64_t OW = dst->ne[0], OH = dst->ne[1], OC = ms[0]->ne[0];
    if (OC < 1 || (image ? dst->ne[2] != OC : dst->ne[3] % OC != 0)) fail("Y's channels do not match M's OC");
    const int64_t B = image ? dst->ne[3] : dst->ne[3] / OC, count = image ? 1 : dst->ne[2];
    const int64_t F = image ? 1 : p->frames, first = image ? 0 : p->first;
    if (F < 1) fail("params.frames must be the input clip's frame count (>= 1)");
    const int64_t TX = (OW + m - 1) / m, TY = (OH + m - 1) / m;
    /* M_s holds clip frames lo[s] .. lo[s] + nf[s] - 1, the ones tap s reads */
    int64_t lo[10], nf[10];
    for (int s = 0; s < nsrc; s++) {
        const int64_t a = first + s, z = first + count - 1 + s;
        lo[s] = a < 0 ? 0 : a >= F ? F - 1 : a;
        nf[s] = (z < 0 ? 0 : z >= F ? F - 1 : z) - lo[s] + 1;
        const struct ggml_tensor * M = ms[s];
        if (M->type != GGML_TYPE_F32 || M->nb[0] != 4) fail("M must be F32 with contiguous rows");
        if (M->ne[0] != OC || M->ne[1] != TX * TY || M->ne[2] != nf[s] * B || M->ne[3] != (int64_t)T * T) {
            fail("the product M_s must be {OC, tiles, (frames tap s reads)*B, (tile + 2)^2}");
        }
    }
    const int64_t N = B * count;
    /* One item is (frame, tile row, 16 output channels): a whole 64-byte line of M per tile and
     * position. The row's tiles go into obuf[channel][j][x] (m rows of the 16 channels), then each
     * channel's rows are copied out whole. */
    const int64_t CB = (OC + LANES - 1) / LANES, GB = 2, CG = (CB + GB - 1) / GB, items = N * TY * CG;
    const int64_t i0 = items * ith / nth, i1 = items * (ith + 1) / nth;
    const int64_t WB = TX * m;
    float * obuf = i1 > i0 ? malloc((size_t)GB * LANES * (size_t)m * (size_t)WB * sizeof(float)) : NULL;
    if (i1 > i0 && obuf == NULL) fail("out of memory for the output transform's row buffer");
    for (int64_t it = i0; it < i1; it++) {
        const int64_t cg = it % CG, ty = (it / CG) % TY, n = it / (CG * TY), o = n % count, b = n / count;
        const int64_t rows = OH - ty * m < m ? OH - ty * m : m, cb0 = cg * GB, cb1 = cb0 + GB < CB ? cb0 + GB : CB;
        /* output frame o of clip b reads, through product (time tap) s, frame first + o + s of the clip, clamped */
        int64_t mf[10];
        for (int s = 0; s < nsrc; s++) {
            int64_t f = first + o + s;
            mf[s] = b * nf[s] + (f < 0 ? 0 : f >= F ? F - 1 : f) - lo[s];
        }
        for (int64_t tx = 0; tx < TX; tx++) {
            const int64_t tile = ty * TX + tx;
            for (int64_t cb = cb0; cb < cb1; cb++) {
                const int64_t c0 = cb * LANES;
                const int lanes = OC - c0 < LANES ? (int)(OC - c0) : LANES;
                WN(v8) a[T_MAX * T_MAX], y[16];
                for (int t = 0; t < T * T; t++) {
                    WN(v8) acc = WN(v_zero)();
                    for (int s = 0; s < nsrc; s++) {
                        const float * src = (const float *)((const char *)ms[s]->data + mf[s] * ms[s]->nb[2] + t * ms[s]->nb[3]
                                                            + tile * ms[s]->nb[1]) + c0;
                        WN(v8) v;
                        if (lanes == LANES) {
                            v = WN(v_load)(src);
                        } else {
                            float tmp[LANES] = {0};
                            memcpy(tmp, src, (size_t)lanes * sizeof(float));
                            v = WN(v_load)(tmp);
                        }
                        acc = s == 0 ? v : WN(v_add)(acc, v);
                    }
                    a[t] = acc;
                }
                WN(tile_output)(m, a, y);
                float out[16][LANES];
                for (int e = 0; e < m * m; e++) WN(v_store)(out[e], y[e]);
                float * ob = obuf + (size_t)(cb - cb0) * LANES * m * WB;
                for (int l = 0; l < LANES; l++)
                    for (int j = 0; j < m; j++)
                        for (int i = 0; i < m; i++) ob[((size_t)l * m + j) * WB + tx * m + i] = out[j * m + i][l];
            }
        }
        for (int64_t c = cb0 * LANES; c < OC && c < cb1 * LANES; c++) {
            char * plane = (char *)dst->data + (image ? c * dst->nb[2] + b * dst->nb[3] : o * dst->nb[2] + (c + OC * b) * dst->nb[3]);
            const float * ob = obuf + (size_t)(c - cb0 * LANES) * m * WB;
            for (int64_t j = 0; j < rows; j++) memcpy(plane + (ty * m + j) * dst->nb[1], ob + (size_t)j * WB, (size_t)OW * sizeof(float));
        }
    }
    free(obuf);
}
