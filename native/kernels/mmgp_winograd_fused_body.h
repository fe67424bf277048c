/*
 * The fused Winograd convolution (mmgp_winograd_fused), included by mmgp_winograd.c after
 * mmgp_winograd_body.h, twice like it: the plain C path (_portable) and, where the compiler
 * targets AVX, the SIMD one (_simd). See mmgp_kernels.h for the contract.
 *
 * Per work item (clip, output frame, block of tiles), for each time tap s: the input transform of
 * the block from the frame the tap reads goes into the thread's V buffer, V[t][tile][ic]; then at
 * every position t the product M[t] (+)= V_s[t] x U_s[t] runs as register tiles of MR tiles by
 * PANEL output channels over all IC; last, the output transform of M plus the bias is written
 * cropped into Y. V and M stay in the thread's buffers, which the block size keeps near the core.
 *
 * The products, measured on Zen 3 (see the README; their phase timed alone in a C harness, and the
 * decoders end to end): a panel of U (IC x 16 floats, 32 KB at 512 channels) is fetched once per
 * block and then serves the block's register tiles. Blocks of 96 tiles at 512 x 512 channels ran the
 * products alone ~1.2-1.4x faster than the default's 24 but the LTX VAE decode 5-15% slower (V and
 * M of 14 MB a thread out of cache for the transforms), so the default stays. Not kept either: V
 * interleaved by register tile (one contiguous stream per tile, which would let this tile be the F32
 * GEMM's): no faster products, since a tile's MR rows of V are already one contiguous run of
 * memory, and its strided stores slowed the op 15-20% at 128-256 channels; IC split into L1-sized
 * chunks with M reloaded between them: no faster.
 *
 * Determinism: every M element is one chain of fused multiply-adds, tap by tap and channel by
 * channel in order from zero, the same in every register tile, block, thread split and batch; the
 * plain C path makes the same chain (fmaf where the SIMD path uses FMA instructions), so both
 * paths give the same bits.
 */

/* a + b * c with one rounding where the SIMD path fuses (FMA), two where it does not. */
WINO_INLINE float WN(fma1)(float b, float c, float a) {
#if defined(__FMA__) || defined(__ARM_FEATURE_FMA)
    return fmaf(b, c, a);
#else
    return a + b * c;
#endif
}

/*
 * C[r][0..15] (+)= Σ_k A[r][k] * Bp[k][0..15] for r < MR, k < K in order: A rows lda floats apart,
 * Bp a packed panel (16 floats per k), C rows ldc floats apart; from zero unless acc.
 */
WINO_INLINE void WN(gemm_tile)(int64_t K, const float * a, int64_t lda, const float * bp, float * c, int64_t ldc, int acc) {
#if WINO_AVX
    __m256 c00, c01, c10, c11, c20, c21, c30, c31, c40, c41, c50, c51;
    if (acc) {
        c00 = _mm256_loadu_ps(c), c01 = _mm256_loadu_ps(c + 8);
        c10 = _mm256_loadu_ps(c + ldc), c11 = _mm256_loadu_ps(c + ldc + 8);
        c20 = _mm256_loadu_ps(c + 2 * ldc), c21 = _mm256_loadu_ps(c + 2 * ldc + 8);
        c30 = _mm256_loadu_ps(c + 3 * ldc), c31 = _mm256_loadu_ps(c + 3 * ldc + 8);
        c40 = _mm256_loadu_ps(c + 4 * ldc), c41 = _mm256_loadu_ps(c + 4 * ldc + 8);
        c50 = _mm256_loadu_ps(c + 5 * ldc), c51 = _mm256_loadu_ps(c + 5 * ldc + 8);
    } else {
        c00 = c01 = c10 = c11 = c20 = c21 = c30 = c31 = c40 = c41 = c50 = c51 = _mm256_setzero_ps();
    }
    const float *a0 = a, *a1 = a + lda, *a2 = a + 2 * lda, *a3 = a + 3 * lda, *a4 = a + 4 * lda, *a5 = a + 5 * lda;
#if defined(__FMA__)
#define WINO_FMA(x, y, z) _mm256_fmadd_ps(x, y, z)
#else
#define WINO_FMA(x, y, z) _mm256_add_ps(z, _mm256_mul_ps(x, y))
#endif
    for (int64_t k = 0; k < K; k++) {
        const __m256 b0 = _mm256_loadu_ps(bp + k * PANEL), b1 = _mm256_loadu_ps(bp + k * PANEL + 8);
        __m256 x = _mm256_broadcast_ss(a0 + k);
        c00 = WINO_FMA(x, b0, c00), c01 = WINO_FMA(x, b1, c01);
        x = _mm256_broadcast_ss(a1 + k);
        c10 = WINO_FMA(x, b0, c10), c11 = WINO_FMA(x, b1, c11);
        x = _mm256_broadcast_ss(a2 + k);
        c20 = WINO_FMA(x, b0, c20), c21 = WINO_FMA(x, b1, c21);
        x = _mm256_broadcast_ss(a3 + k);
        c30 = WINO_FMA(x, b0, c30), c31 = WINO_FMA(x, b1, c31);
        x = _mm256_broadcast_ss(a4 + k);
        c40 = WINO_FMA(x, b0, c40), c41 = WINO_FMA(x, b1, c41);
        x = _mm256_broadcast_ss(a5 + k);
        c50 = WINO_FMA(x, b0, c50), c51 = WINO_FMA(x, b1, c51);
    }
#undef WINO_FMA
    _mm256_storeu_ps(c, c00), _mm256_storeu_ps(c + 8, c01);
    _mm256_storeu_ps(c + ldc, c10), _mm256_storeu_ps(c + ldc + 8, c11);
    _mm256_storeu_ps(c + 2 * ldc, c20), _mm256_storeu_ps(c + 2 * ldc + 8, c21);
    _mm256_storeu_ps(c + 3 * ldc, c30), _mm256_storeu_ps(c + 3 * ldc + 8, c31);
    _mm256_storeu_ps(c + 4 * ldc, c40), _mm256_storeu_ps(c + 4 * ldc + 8, c41);
    _mm256_storeu_ps(c + 5 * ldc, c50), _mm256_storeu_ps(c + 5 * ldc + 8, c51);
#else
    float s[MR][PANEL];
    for (int r = 0; r < MR; r++)
        for (int j = 0; j < PANEL; j++) s[r][j] = acc ? c[r * ldc + j] : 0.0f;
    for (int64_t k = 0; k < K; k++)
        for (int r = 0; r < MR; r++) {
            const float x = a[r * lda + k];
            for (int j = 0; j < PANEL; j++) s[r][j] = WN(fma1)(x, bp[k * PANEL + j], s[r][j]);
        }
    for (int r = 0; r < MR; r++) memcpy(c + r * ldc, s[r], sizeof s[r]);
#endif
}

/* M[t] (+)= V[t] x U[t] for t < T2 (V[t] at v + t*vs, ntp rows of ICs floats; U[t] at u + t*IC*OCp,
 * panels of 16 output channels; M[t] at mb + t*ms, ntp rows of OCp floats), from zero unless acc:
 * a panel of U stays near the core across the block's register tiles. */
static void WN(products)(int T2, int64_t IC, int64_t ICs, int64_t panels, int64_t ntp, const float * u, const float * v, size_t vs, float * mb,
                         size_t ms, int acc) {
    const int64_t OCp = panels * PANEL;
    for (int t = 0; t < T2; t++) {
        const float * ut = u + (size_t)t * IC * OCp;
        for (int64_t pn = 0; pn < panels; pn++)
            for (int64_t r0 = 0; r0 < ntp; r0 += MR) {
                WN(gemm_tile)(IC, v + (size_t)t * vs + (size_t)r0 * ICs, ICs, ut + pn * IC * PANEL, mb + (size_t)t * ms + (size_t)r0 * OCp + pn * PANEL, OCp, acc);
            }
    }
}

static void WN(mmgp_winograd_fused)(struct ggml_tensor * dst, int ith, int nth, void * userdata) {
    const struct mmgp_winograd_fused_params * p = (const struct mmgp_winograd_fused_params *)userdata;
    const struct ggml_tensor *x = dst->src[0], *U = dst->src[1], *bias = dst->src[2];
    if (x == NULL || U == NULL) fail("fused: dst->src[0] (the input) and dst->src[1] (packed U) are required");
    const int m = p->tile, T = m + 2, T2 = T * T, video = (p->flags & MMGP_WINOGRAD_VIDEO) != 0;
    const int64_t pad = p->padding;
    if (m != 2 && m != 4) fail("fused: tile must be 2 or 4");
    if (pad < 0) fail("fused: padding must be >= 0");
    if (x->type != GGML_TYPE_F32 || x->nb[0] != 4) fail("fused: the input must be F32 with contiguous rows");
    if (dst->type != GGML_TYPE_F32 || dst->nb[0] != 4) fail("fused: Y must be F32 with contiguous rows");
    if (U->type != GGML_TYPE_F32 || U->ne[0] < PANEL || U->ne[0] % PANEL != 0 || U->ne[2] != T2 || U->nb[0] != 4
        || U->nb[1] != 4 * (size_t)U->ne[0] || U->nb[2] != U->nb[1] * (size_t)U->ne[1] || U->nb[3] != U->nb[2] * (size_t)U->ne[2]) {
        fail("fused: U must be packed F32 {16*IC, ceil(OC/16), (tile + 2)^2, taps}, contiguous (mmgp_winograd_weights with MMGP_WINOGRAD_PACKED)");
    }
    const int64_t IC = U->ne[0] / PANEL, panels = U->ne[1], taps = U->ne[3];
    const int64_t W = x->ne[0], H = x->ne[1], OW = W + 2 * pad - 2, OH = H + 2 * pad - 2;
    if (OW < 1 || OH < 1) fail("fused: the input is smaller than the 3 x 3 kernel with its padding");
    if (dst->ne[0] != OW || dst->ne[1] != OH) fail("fused: Y must be [W + 2p - 2, H + 2p - 2, ...]");
    int64_t F, B, OC, count;
    if (video) {
        if (x->ne[3] % IC != 0) fail("fused, video: the input's ne[3] must be a multiple of IC");
        F = x->ne[2], B = x->ne[3] / IC, count = dst->ne[2];
        if (dst->ne[3] % B != 0) fail("fused, video: Y's ne[3] must be OC * clips");
        OC = dst->ne[3] / B;
    } else {
        if (x->ne[2] != IC) fail("fused, image: the input's ne[2] must be IC");
        if (taps != 1) fail("fused, image: U must have one tap");
        F = 1, B = x->ne[3], count = 1, OC = dst->ne[2];
        if (dst->ne[3] != B) fail("fused, image: Y's ne[3] must be the batch");
    }
    if (OC < 1 || panels != (OC + PANEL - 1) / PANEL) fail("fused: U's ne[1] must be ceil(OC / 16) for Y's OC");
    if (bias != NULL && (bias->ne[0] != OC || bias->ne[1] * bias->ne[2] * bias->ne[3] != 1 || (bias->type != GGML_TYPE_F32 && bias->type != GGML_TYPE_F16)
                         || bias->nb[0] != (bias->type == GGML_TYPE_F16 ? 2u : 4u))) {
        fail("fused: the bias must be a contiguous F32 or F16 [OC]");
    }
    const int64_t first = video ? p->first : 0;
    const int64_t TX = (OW + m - 1) / m, TY = (OH + m - 1) / m, tiles = TX * TY;
    const int64_t ICs = (IC + LANES - 1) / LANES * LANES, OCp = panels * PANEL;
    int64_t nb = mmgp_winograd_block_start(m, p->block, IC, ICs, OCp, tiles);
    if (p->block <= 0) {
        /* Blocks of equal size (tiles / blocks rounded up). When the items are few (a small image of
         * many channels), the fewest blocks from there whose item count is a multiple of the
         * threads, so none waits for another's extra block; but blocks of at least MR tiles where
         * the image has them (a smaller block still computes MR rows). Block counts whose equal
         * size would give fewer blocks are skipped; with none found the blocks stay as they were.
         * The bits do not depend on the blocks. */
        const int64_t lo = nb < MR ? nb : MR, base = (tiles + nb - 1) / nb;
        int64_t nblocks = base;
        if (B * count * base < 8 * (int64_t)nth) {
            for (int64_t k = base; k <= tiles / lo; k++) {
                const int64_t size = (tiles + k - 1) / k;
                if ((tiles + size - 1) / size == k && (B * count * k) % nth == 0) {
                    nblocks = k;
                    break;
                }
            }
        }
        nb = (tiles + nblocks - 1) / nblocks;
    }
    const int64_t nbp = (nb + MR - 1) / MR * MR, blocks = (tiles + nb - 1) / nb, items = B * count * blocks;
    const int64_t i0 = items * ith / nth, i1 = items * (ith + 1) / nth;
    if (i1 <= i0) return;
    const int64_t cwmax = (nb < TX ? nb : TX) * m + 2; /* as mmgp_winograd_thread_floats counts it */
    /* V and M per position t: nbp rows (tiles; the padding rows past a short block are computed and
     * dropped) of ICs / OCp floats, positions vs and ms floats apart: a cache line more than the
     * rows, so a tile's T² stores into V and loads from M do not crowd into a few L1 sets (as they
     * would a power-of-two multiple apart). */
    const size_t vs = (size_t)nbp * ICs + PANEL, ms = (size_t)nbp * OCp + PANEL;
    float * v = calloc(mmgp_winograd_thread_floats(m, nb, ICs, OCp, TX), sizeof(float));
    if (v == NULL) fail("fused: out of memory for the thread's V and M buffers");
    float *mb = v + (size_t)T2 * vs, *rows = mb + (size_t)T2 * ms;
    const size_t sh = x->nb[1];
    for (int64_t it = i0; it < i1; it++) {
        const int64_t blk = it % blocks, n = it / blocks, o = n % count, b = n / count;
        const int64_t tile0 = blk * nb, nt = tiles - tile0 < nb ? tiles - tile0 : nb, ntp = (nt + MR - 1) / MR * MR;
        for (int64_t s = 0; s < taps; s++) {
            int64_t f = first + o + s;
            f = f < 0 ? 0 : f >= F ? F - 1 : f;
            /* the input transform of the block's tiles, a run of whole or partial tile rows */
            for (int64_t ta = tile0; ta < tile0 + nt;) {
                const int64_t ty = ta / TX, txa = ta % TX, tb = (ty + 1) * TX < tile0 + nt ? (ty + 1) * TX : tile0 + nt, txb = tb - ty * TX;
                const int64_t xs = txa * m - pad, cw = (txb - txa) * m + 2;
                for (int64_t c0 = 0; c0 < IC; c0 += LANES) {
                    const char * plane[LANES];
                    WN(channel_planes)(x, video, IC, f, b, c0, plane);
                    WN(load_rows)(plane, sh, W, H, ty * m - pad, xs, cw, T, rows);
                    for (int64_t tx = txa; tx < txb; tx++) {
                        WN(v8) d[T_MAX * T_MAX];
                        WN(tile_input)(m, rows, cw, (tx - txa) * m, d);
                        float * out = v + (ty * TX + tx - tile0) * ICs + c0;
                        for (int t = 0; t < T2; t++) WN(v_store)(out + (size_t)t * vs, d[t]);
                    }
                }
                ta = tb;
            }
            WN(products)(T2, IC, ICs, panels, ntp, (const float *)((const char *)U->data + s * U->nb[3]), v, vs, mb, ms, s > 0);
        }
        /* Y = Aᵀ M A + bias, cropped */
        for (int64_t c0 = 0; c0 < OC; c0 += LANES) {
            const int lanes = OC - c0 < LANES ? (int)(OC - c0) : LANES;
            float bv[LANES] = {0};
            for (int l = 0; bias != NULL && l < lanes; l++) {
                const char * e = (const char *)bias->data + (c0 + l) * bias->nb[0];
                bv[l] = bias->type == GGML_TYPE_F16 ? f16_to_f32(*(const uint16_t *)e) : *(const float *)e;
            }
            const WN(v8) bvec = WN(v_load)(bv);
            char * plane[LANES];
            for (int l = 0; l < lanes; l++)
                plane[l] = (char *)dst->data + (video ? o * dst->nb[2] + (c0 + l + OC * b) * dst->nb[3] : (c0 + l) * dst->nb[2] + b * dst->nb[3]);
            for (int64_t i = 0; i < nt; i++) {
                const int64_t tile = tile0 + i, ty = tile / TX, tx = tile % TX;
                const int64_t nrows = OH - ty * m < m ? OH - ty * m : m, cols = OW - tx * m < m ? OW - tx * m : m;
                WN(v8) a[T_MAX * T_MAX], y[16];
                for (int t = 0; t < T2; t++) a[t] = WN(v_load)(mb + (size_t)t * ms + (size_t)i * OCp + c0);
                WN(tile_output)(m, a, y);
                float out[16][LANES], tr[16][LANES];
                for (int e = 0; e < m * m; e++) WN(v_store)(out[e], bias != NULL ? WN(v_add)(y[e], bvec) : y[e]);
                /* channels first: tr[8h + l][e] is channel l's value at position 8h + e, so a row of the
                 * tile is m contiguous floats per channel */
                const float * src[LANES];
                for (int h = 0; h < m * m / LANES; h++) {
                    for (int e = 0; e < LANES; e++) src[e] = out[LANES * h + e];
                    WN(transpose_8x8)(src, 0, tr[LANES * h], LANES);
                }
                if (m * m < LANES)
                    for (int l = 0; l < LANES; l++)
                        for (int e = 0; e < m * m; e++) tr[l][e] = out[e][l];
                for (int l = 0; l < lanes; l++) {
                    const float * tl = m * m < LANES ? tr[l] : NULL;
                    for (int64_t j = 0; j < nrows; j++) {
                        const int64_t e = j * m;
                        const float * from = tl != NULL ? tl + e : tr[LANES * (e / LANES) + l] + e % LANES;
                        float * to = (float *)(plane[l] + (ty * m + j) * dst->nb[1]) + tx * m;
                        if (cols == 4) memcpy(to, from, 4 * sizeof(float)); /* a fixed size: inlined, no library call */
                        else
                            for (int64_t q = 0; q < cols; q++) to[q] = from[q];
                    }
                }
            }
        }
    }
    free(v);
}
