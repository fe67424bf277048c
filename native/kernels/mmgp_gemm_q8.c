/*
 * mmgp_gemm_q8: Q8_0 weights x F32 activations -> F32, as two ggml custom ops (see the contract
 * in mmgp_kernels.h): mmgp_q8_quantize_act quantizes the activations to Q8_0 values (bit for
 * bit what ggml's AVX2 quantize_row_q8_0 computes) into an interleaved buffer, and mmgp_q8_gemm
 * multiplies the weights, read in place in ggml's block_q8_0 layout, with that buffer.
 *
 * Why it is faster than ggml's route (llamafile's tinyBLAS_Q0_AVX on AVX2, 4x2 or 2x4 tiles of
 * one weight row x one activation column per vector):
 *   - One vector holds 4 consecutive k of 8 activation columns (the interleaved buffer), the
 *     weight row's 4 k are broadcast; vpmaddubsw + vpmaddwd then give 8 columns' partial sums
 *     in the 8 int32 lanes at once. The 8 steps of a 32-block add up in int32, so the int->float
 *     conversion and the scale multiply-add happen once per block for 8 columns (tinyBLAS: once
 *     per block for every single row x column pair, plus a horizontal sum at the end).
 *   - The unsigned operand is |w| (vpabsb, once per row and step, shared by the tile's column
 *     groups) and the signed one is x with w's sign (vpsignb): |w| <= 128 and |x| <= 127, so a
 *     vpmaddubsw pair is at most 2*128*127 = 32512 and never saturates; every block's integer
 *     sum is exact, for any stored weight (-128 included). An activation q = -128 (only from a
 *     non-finite x * id, see quantize_block_plain) has no positive counterpart: vpsignb leaves it
 *     -128 for negative w, so those tiles (and ggml's AVX2 dot, which does the same) take
 *     w * q as -|w| * 128; the plain C path and the 16-column tiles below multiply it exactly.
 *   - On CPUs with AVX512-VNNI (or AVX-VNNI) one vpdpbusd replaces vpmaddubsw + vpmaddwd +
 *     vpaddd on the same operands; the block sums, hence the results, do not change.
 *   - A micro tile (AVX2) is 2 weight rows x 4 groups (32 columns): 8 int32 accumulators in registers,
 *     the fp32 ones in L1 (touched once per block); 4.25 vector ops per 32 multiply-adds.
 *     (Measured on Zen 3 against 4x2, 2x2, 1x4, 4x3, 3x3: best or tied in L2 and at the models'
 *     shapes.) With GCC on x86-64 its block is inline assembly (Q8_ASM): GCC spilled accumulators
 *     every step from the intrinsics; the assembly was 5-30% faster in 10 of 12 interleaved
 *     2-thread runs at the models' shapes. Clang and other tiles use the intrinsics.
 *   - Cache blocking: a panel of KC blocks x NC columns of the activation buffer (590 KB at
 *     the defaults, L2 and L3) streams past a row tile whose weight rows (9 KB: 2 rows x 128
 *     blocks; 17 KB for the 4 rows of the AVX-512 tile) stay in L1 across the panel's column
 *     groups. KC 64-128 beat 8-32 (fewer fp32 accumulator round trips); NC 8-32 made no
 *     measurable difference. A BLIS-like order (a group tile's activations in L1,
 *     an M panel of weights in L2, accumulators in a panel buffer) was 5-10% slower at 2 threads
 *     on Zen 3 (faster on one thread) and was dropped.
 *   - Few columns (a single token, a timestep embedding): the partial last group's columns run
 *     through narrow tiles with k in the lanes instead (see narrow_tile), which waste no lanes.
 *   - With AVX-512 F/BW/VL/VNNI (GEMM_Q8_AVX512) the buffer has groups of 16 columns and stores
 *     q + 128 as u8 (the layout is the build's, shared by its plain C path, so the
 *     MMGP_Q8_PORTABLE flag needs no second layout): one 512-bit vector is 4 k of 16 columns, and
 *     the standard unsigned-offset product replaces the sign trick, the activations the unsigned
 *     operand and the broadcast weights the signed one, so a step is one vpdpbusd per (row, group)
 *     and nothing else per row (no vpabsb, no vpsignb). The int32 accumulator starts at
 *     -128 * sum(w) of the row's block (weight_comp, once per row tile and K panel for all the
 *     panel's groups), which makes every block sum exact and equal to the other paths' (bounds
 *     at micro_512). Tile 4 rows x 4 groups (64 columns): 16 accumulators of the 32 zmm, intrinsics
 *     (GCC keeps them in registers). Measured on the Sapphire Rapids class Xeon (KVM, 2 cores) at
 *     the models' shapes, one thread, GEMM alone: 4x4, 5x4, 3x4, 6x3, 6x2, 8x2, 4x2 within 5%
 *     of each other (270-320 GOP/s), 2x4 10-20% slower; KC 128 = 256 > 64 (-20% at K 4096, N 128);
 *     NC 8 groups (128 columns) >= 4, 16, 32. Against the 256-bit VNNI path (the -mno-avx512f build)
 *     2.0-2.2x per thread; at 2 threads in ggml (quantization included) 1.7-2.0x, e.g. 4096x128x4096
 *     261 -> 530 GFLOP/s, 15% -> 31% of the INT8 peak the bench measures (the loop has no spills;
 *     the per-block cvt/mul/fma epilogue shares the 512-bit ports with vpdpbusd, one reason it stays
 *     well below that peak).
 *   - With AMX-INT8 (GEMM_Q8_AMX: compiled for it, Linux x86-64, and at run time cpuid plus the
 *     kernel's tile data permission, probed once per process; MMGP_Q8_NO_AMX turns it off) and at
 *     least 16 columns, whole tiles of 32 weight rows go through TDPBSUD (s8 x u8 -> int32), the
 *     rest of the rows through the vector path. Both operands are read in place: a block's 16 weight rows of 32 int8 are a
 *     16 x 32-byte A tile (stride = the row stride), and a group's block of the activation buffer
 *     (8 steps x 16 columns x 4 k, u8 q + 128) is already the VNNI B layout (8 rows x 64 bytes), so
 *     neither side is repacked. Per block a 32 x 32 tile set (A0, A1, B0, B1, C00..C11: all 8 tiles)
 *     gives exact int32 sums w * (x + 128); the epilogue subtracts 128 * sum(w) (per row and block,
 *     precomputed with dw as float for a row tile) and does the same fma((float) isum, dw * dx, acc)
 *     in block order, so the bits are the other paths'. Block b's C tiles are stored to one of two
 *     buffers while the epilogue works on block b - 1's, one group's epilogue after each group's
 *     tile instructions, so that the tile unit and the vector ports overlap (the epilogue of both
 *     groups after all tile instructions was 4-15% slower on one thread). The epilogue (4 vector ops per 16 outputs and block: sub, mul, cvt, fma) bounds
 *     the path in theory, not the tile unit: a 32 x 32 x 32 block is 4 TDPBSUD (~64 cycles) against
 *     256 512-bit ops (~128 cycles on 2 ports); its rows are unrolled with constant offsets (with a
 *     loop, the index arithmetic took the vector ports: 1.25-1.4x slower). Measured on the Sapphire
 *     Rapids class Xeon (KVM, 2 cores; AMX INT8 peak 12,400 GOP/s at 2 threads): one thread,
 *     1024 x 128 x 4096, 437 GOP/s against the vector path's 310-340 (4096 x 128 x 4096: 339
 *     against 270); at 2 threads in ggml (quantization included) at the models' shapes, two runs
 *     each against the vector path in alternation: 540-660 GFLOP/s against 375-545, +15% to +40%
 *     (e.g. 4096x128x4096 483-497 -> 572-643, 2048x1120x8192 450-513 -> 608-661). Still half of
 *     oneDNN bf16 on AMX (~1,230). Before the unrolling, the tile part alone (no epilogue) ran at 610-645
 *     GOP/s on one thread and the epilogue alone at 510-545, and the two added up instead of
 *     overlapping: TDPBSUD at K = 32 (one Q8_0 block: the int32 sum must be exact per block) does
 *     half a tile's work, and each C tile's zero -> dot -> store chain is serial per block with all
 *     8 tiles in use. Not tried yet: 16-row tile sets that leave C tiles free to alternate between
 *     blocks, activations as s8 for TDPBSSD (no 128 * sum(w) subtraction).
 * Per output element the arithmetic is acc = fma((float) isum_b, dw_b * dx_b, acc) over the
 * blocks b in order, in fp32 (dw_b * dx_b of two halves is exact in fp32, isum_b is exact in
 * fp32 as |isum_b| <= 32*128*127 < 2^24), so the plain C path and the Java reference compute
 * the same bits. ggml sums 8 partial lanes per pair and adds them at the end, so the two differ
 * by fp32 rounding only (a few ulp of the sum).
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

#if defined(__x86_64__) || defined(__i386__)
#include <immintrin.h>
#endif

#if defined(__AVX2__) && defined(__FMA__) && defined(__F16C__)
#define GEMM_Q8_AVX2 1
#if defined(__AVX512VNNI__) && defined(__AVX512VL__)
/* vpdpbusd does the multiply, the pairwise and the 4-way add of the AVX2 step in one instruction,
 * on the same u8 |w| x s8 x-with-w's-sign operands: the int32 block sums, so the results, are
 * identical to the AVX2 path's. AVX512-VL encodes it for 256-bit vectors (the buffer's layout). */
#define GEMM_Q8_VNNI 1
#define Q8_DPBUSD(acc, u, s) _mm256_dpbusd_epi32((acc), (u), (s))
#define GEMM_Q8_PATH "avx512-vnni vpdpbusd, 8 columns per vector"
#elif defined(__AVXVNNI__)
#define GEMM_Q8_VNNI 1
#define Q8_DPBUSD(acc, u, s) _mm256_dpbusd_avx_epi32((acc), (u), (s))
#define GEMM_Q8_PATH "avx-vnni vpdpbusd, 8 columns per vector"
#else
#define GEMM_Q8_PATH "avx2 vpmaddubsw+vpmaddwd, 8 columns per vector"
#endif
#if defined(__AVX512F__) && defined(__AVX512BW__) && defined(__AVX512VL__) && defined(__AVX512VNNI__)
/* The 16-column layout of u8 activations (q + 128) and a 512-bit vpdpbusd without the sign trick
 * (see micro_512); the narrow tiles keep the 256-bit VNNI step above. */
#define GEMM_Q8_AVX512 1
#undef GEMM_Q8_PATH
#define GEMM_Q8_PATH "avx512-vnni vpdpbusd u8 x s8, 16 columns per vector"
#if defined(__linux__) && defined(__x86_64__) && defined(__AMX_TILE__) && defined(__AMX_INT8__)
/* TDPBSUD on the same buffer from AMX_MIN_COLS columns on (not with MMGP_Q8_NO_AMX), when the CPU and Linux allow tiles (amx_usable). */
#define GEMM_Q8_AMX 1
#define GEMM_Q8_AMX_PATH "amx tdpbsud s8 x u8, 32 rows x 32 columns of 16x16 int32 tiles (" GEMM_Q8_PATH " under 16 columns, under 32 rows and for the last m % 32 rows)"
#endif
#endif
#else
#define GEMM_Q8_PATH "scalar"
#endif

#if defined(GEMM_Q8_AMX)
#include <cpuid.h>
#include <pthread.h>
#include <sys/syscall.h>
#include <unistd.h>
#endif

#if defined(__GNUC__) || defined(__clang__)
#define ALWAYS_INLINE static inline __attribute__((always_inline))
#else
#define ALWAYS_INLINE static inline
#endif

#define QK 32                        /* values per Q8_0 block                              */
#define WBLOCK 34                    /* bytes of ggml's block_q8_0: fp16 d, 32 x int8       */
#if defined(GEMM_Q8_AVX512)
#define COLS MMGP_Q8_GROUP_COLS_WIDE /* columns per group of the activation buffer          */
#define ABLOCK MMGP_Q8_ACT_BLOCK_WIDE /* bytes per group and block: 8 steps x 64 + 16 floats */
#define XOFF 128                     /* stored byte = q + XOFF: u8 in [0, 255]              */
#else
#define COLS MMGP_Q8_GROUP_COLS      /* columns per group of the activation buffer          */
#define ABLOCK MMGP_Q8_ACT_BLOCK     /* bytes per group and block: 8 steps x 32 + 8 floats  */
#define XOFF 0                       /* stored byte = q + XOFF: q's int8 as is              */
#endif
#define STEP (4 * COLS)              /* bytes per step (4 consecutive k) of a group's block */
#define SCALES (QK * COLS)           /* offset of the group's dx floats in its block        */
#ifndef FA_MEM
#define FA_MEM 1
#endif
#if defined(GEMM_Q8_AVX512)
#ifndef MR_MAX
#define MR_MAX 4                     /* weight rows per micro tile                          */
#endif
#ifndef NG_MAX
#define NG_MAX 4                     /* column groups per micro tile                        */
#endif
#ifndef KC_DEFAULT
#define KC_DEFAULT 128               /* blocks per K panel (4096 k)                         */
#endif
#ifndef NC_DEFAULT
#define NC_DEFAULT 8                 /* groups per N panel (128 columns)                    */
#endif
#define KC_MAX 512                   /* longest K panel: its weight sums are on the stack   */
#else
#ifndef MR_MAX
#define MR_MAX 2                     /* weight rows per micro tile                          */
#endif
#ifndef NG_MAX
#define NG_MAX 4                     /* column groups per micro tile                        */
#endif
#define KC_DEFAULT 128               /* blocks per K panel (4096 k)                         */
#define NC_DEFAULT 16                /* groups per N panel (128 columns)                    */
#endif

_Static_assert(sizeof(struct mmgp_q8_params) == 16, "mmgp_q8_params is 4 int32");

static void fail(const char * what) {
    fprintf(stderr, "mmgp_gemm_q8: %s\n", what);
    fflush(stderr);
    abort();
}

static uint16_t load_u16(const uint8_t * p) {
    uint16_t v;
    memcpy(&v, p, sizeof v);
    return v;
}

/* The half ggml stores for a block's scale d, back as a float (round to nearest even). */
static float f16_round(float d, int simd) {
    uint16_t h;
#if defined(GEMM_Q8_AVX2)
    if (simd) return _cvtsh_ss(_cvtss_sh(d, 0));
#endif
    (void)simd;
    if (isnan(d)) {
        /* vcvtps2ph's NaN (the portable conversion writes ggml's plain 0x7e00): quieted, the top 10
         * bits of the payload kept, so both paths store the same scale bits for a NaN amax */
        uint32_t b;
        memcpy(&b, &d, sizeof b);
        h = (uint16_t)(((b >> 16) & 0x8000u) | 0x7e00u | ((b >> 13) & 0x3ffu));
    } else {
        mmgp_f32_to_f16_portable(&d, &h, 1);
    }
    return mmgp_half_to_float(h);
}

int mmgp_q8_group_cols(void) {
    return COLS;
}

long mmgp_q8_act_bytes(long k, long n) {
    if (k <= 0 || n <= 0 || k % QK) return -1;
    return (n + COLS - 1) / COLS * (k / QK) * (long)ABLOCK;
}

#if defined(GEMM_Q8_AMX)
static int amx_usable(void);
#endif

const char * mmgp_q8_path(void) {
#if defined(GEMM_Q8_AMX)
    if (amx_usable()) return GEMM_Q8_AMX_PATH;
#endif
    return GEMM_Q8_PATH;
}

/* ---------------------------------------------------------------------------------------------
 * Activation quantization. One column, one block: ggml's quantize_row_q8_0 (AVX2 flavour):
 * amax, d = amax / 127, id = 127 / amax (0 for amax 0), q = round-half-even(x * id), d kept as
 * a half. q + XOFF lands at byte s*STEP + c*4 + j of the group's block for k = 4s + j.
 * q is in [-127, 127] for finite x, except where x * id is not (an Inf or NaN in the block, or
 * amax so small that 127 / amax overflows): vcvtps2dq gives INT32_MIN and the packs saturate it
 * to q = -128 (stored byte 0 with XOFF 128). The plain C version computes the vector one's bits
 * for any input: the same order of maxima (a NaN wins or loses by its position as in vmaxps),
 * INT32_MIN for a NaN or out-of-range x * id (no undefined conversion), the packs' saturation.
 * ------------------------------------------------------------------------------------------- */
/* vmaxps per lane: b unless a is greater, so b when either is NaN */
static inline float max_lane(float a, float b) {
    return a > b ? a : b;
}

static void quantize_block_plain(const float * x, uint8_t * blk, int c) {
    /* the vector reduction: lane l of 8 folds |x[l]|, |x[l + 8]|, |x[l + 16]|, |x[l + 24]|, then 8 -> 4 -> 2 -> 1 */
    float lane[8];
    for (int l = 0; l < 8; l++) {
        float m = fabsf(x[l]);
        for (int j = 1; j < 4; j++) m = max_lane(m, fabsf(x[8 * j + l]));
        lane[l] = m;
    }
    for (int l = 0; l < 4; l++) lane[l] = max_lane(lane[l + 4], lane[l]);
    for (int l = 0; l < 2; l++) lane[l] = max_lane(lane[l], lane[l + 2]);
    const float amax = max_lane(lane[0], lane[1]);
    const float d = amax / 127.f;
    const float id = amax != 0.0f ? 127.f / amax : 0.0f;
    for (int i = 0; i < QK; i++) {
        const float v = nearbyintf(x[i] * id);
        int32_t q = v >= -2147483648.f && v < 2147483648.f ? (int32_t)v : INT32_MIN;
        q = q < -128 ? -128 : q > 127 ? 127 : q;
        blk[(i / 4) * STEP + c * 4 + (i % 4)] = (uint8_t)(q + XOFF);
    }
    float ds = f16_round(d, 0);
    memcpy(blk + SCALES + 4 * c, &ds, 4);
}

#if defined(GEMM_Q8_AVX2)
/* 32 int8 of one column (in k order) for the 8 columns, transposed by 4-byte chunks. */
ALWAYS_INLINE void transpose8x8_epi32(__m256i r[8]) {
    __m256i t0 = _mm256_unpacklo_epi32(r[0], r[1]), t1 = _mm256_unpackhi_epi32(r[0], r[1]);
    __m256i t2 = _mm256_unpacklo_epi32(r[2], r[3]), t3 = _mm256_unpackhi_epi32(r[2], r[3]);
    __m256i t4 = _mm256_unpacklo_epi32(r[4], r[5]), t5 = _mm256_unpackhi_epi32(r[4], r[5]);
    __m256i t6 = _mm256_unpacklo_epi32(r[6], r[7]), t7 = _mm256_unpackhi_epi32(r[6], r[7]);
    __m256i u0 = _mm256_unpacklo_epi64(t0, t2), u1 = _mm256_unpackhi_epi64(t0, t2);
    __m256i u2 = _mm256_unpacklo_epi64(t1, t3), u3 = _mm256_unpackhi_epi64(t1, t3);
    __m256i u4 = _mm256_unpacklo_epi64(t4, t6), u5 = _mm256_unpackhi_epi64(t4, t6);
    __m256i u6 = _mm256_unpacklo_epi64(t5, t7), u7 = _mm256_unpackhi_epi64(t5, t7);
    r[0] = _mm256_permute2x128_si256(u0, u4, 0x20);
    r[1] = _mm256_permute2x128_si256(u1, u5, 0x20);
    r[2] = _mm256_permute2x128_si256(u2, u6, 0x20);
    r[3] = _mm256_permute2x128_si256(u3, u7, 0x20);
    r[4] = _mm256_permute2x128_si256(u0, u4, 0x31);
    r[5] = _mm256_permute2x128_si256(u1, u5, 0x31);
    r[6] = _mm256_permute2x128_si256(u2, u6, 0x31);
    r[7] = _mm256_permute2x128_si256(u3, u7, 0x31);
}

/* ggml's AVX2 quantize_row_q8_0 for one block: 32 int8 in k order, and d rounded to a half. */
ALWAYS_INLINE __m256i quantize_block_avx2(const float * x, float * dout) {
    __m256 v0 = _mm256_loadu_ps(x), v1 = _mm256_loadu_ps(x + 8), v2 = _mm256_loadu_ps(x + 16), v3 = _mm256_loadu_ps(x + 24);
    const __m256 signBit = _mm256_set1_ps(-0.0f);
    __m256 maxAbs = _mm256_andnot_ps(signBit, v0);
    maxAbs = _mm256_max_ps(maxAbs, _mm256_andnot_ps(signBit, v1));
    maxAbs = _mm256_max_ps(maxAbs, _mm256_andnot_ps(signBit, v2));
    maxAbs = _mm256_max_ps(maxAbs, _mm256_andnot_ps(signBit, v3));
    __m128 max4 = _mm_max_ps(_mm256_extractf128_ps(maxAbs, 1), _mm256_castps256_ps128(maxAbs));
    max4 = _mm_max_ps(max4, _mm_movehl_ps(max4, max4));
    max4 = _mm_max_ss(max4, _mm_movehdup_ps(max4));
    const float maxScalar = _mm_cvtss_f32(max4);
    const float d = maxScalar / 127.f;
    *dout = _cvtsh_ss(_cvtss_sh(d, 0));
    const float id = (maxScalar != 0.0f) ? 127.f / maxScalar : 0.0f;
    const __m256 mul = _mm256_set1_ps(id);
    __m256i i0 = _mm256_cvtps_epi32(_mm256_round_ps(_mm256_mul_ps(v0, mul), _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC));
    __m256i i1 = _mm256_cvtps_epi32(_mm256_round_ps(_mm256_mul_ps(v1, mul), _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC));
    __m256i i2 = _mm256_cvtps_epi32(_mm256_round_ps(_mm256_mul_ps(v2, mul), _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC));
    __m256i i3 = _mm256_cvtps_epi32(_mm256_round_ps(_mm256_mul_ps(v3, mul), _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC));
    i0 = _mm256_packs_epi32(i0, i1);
    i2 = _mm256_packs_epi32(i2, i3);
    i0 = _mm256_packs_epi16(i0, i2);
    const __m256i perm = _mm256_setr_epi32(0, 4, 1, 5, 2, 6, 3, 7);
    return _mm256_permutevar8x32_epi32(i0, perm);
}
#endif

#if defined(GEMM_Q8_AVX2)
/* Block b of a group's columns by ggml's AVX2 quantizer; a padding column (NULL row) gets q 0, scale 0. */
ALWAYS_INLINE void quantize_columns(const float * const rows[COLS], long b, __m256i q[COLS], float ds[COLS]) {
    for (int c = 0; c < COLS; c++) {
        if (rows[c]) {
            q[c] = quantize_block_avx2(rows[c] + b * QK, &ds[c]);
        } else {
            q[c] = _mm256_setzero_si256();
            ds[c] = 0.0f;
        }
    }
}
#endif

/*
 * Quantizes groups [g0, g1) of x (column n = its row n, rowAt(n) gives its floats) into qa.
 * Columns past n are zero (q = 0, and scale 0).
 */
typedef const float * (*row_fn)(const void * ctx, long n);

static void quantize_groups(row_fn rowAt, const void * ctx, long k, long n, uint8_t * qa, long g0, long g1, int simd) {
    const long kb = k / QK;
    (void)simd;
    for (long g = g0; g < g1; g++) {
        const float * rows[COLS];
        for (int c = 0; c < COLS; c++) {
            long col = g * COLS + c;
            rows[c] = col < n ? rowAt(ctx, col) : NULL;
        }
        uint8_t * blk = qa + g * kb * ABLOCK;
        for (long b = 0; b < kb; b++, blk += ABLOCK) {
#if defined(GEMM_Q8_AVX512)
            if (simd) {
                /* two 8-column transposes give the low and the high half of every step's 64 bytes */
                __m256i q[COLS];
                float ds[COLS];
                quantize_columns(rows, b, q, ds);
                transpose8x8_epi32(q);
                transpose8x8_epi32(q + 8);
                const __m512i off = _mm512_set1_epi8((char)XOFF);
                for (int s = 0; s < 8; s++) {
                    const __m512i v = _mm512_inserti64x4(_mm512_castsi256_si512(q[s]), q[8 + s], 1);
                    _mm512_storeu_si512((void *)(blk + STEP * s), _mm512_xor_si512(v, off));
                }
                memcpy(blk + SCALES, ds, sizeof ds);
                continue;
            }
#elif defined(GEMM_Q8_AVX2)
            if (simd) {
                __m256i q[COLS];
                float ds[COLS];
                quantize_columns(rows, b, q, ds);
                transpose8x8_epi32(q);
                for (int s = 0; s < 8; s++) _mm256_storeu_si256((__m256i *)(blk + 32 * s), q[s]);
                memcpy(blk + 256, ds, sizeof ds);
                continue;
            }
#endif
#if XOFF
            memset(blk, XOFF, SCALES); /* padding columns' q = 0 */
            memset(blk + SCALES, 0, ABLOCK - SCALES);
#else
            memset(blk, 0, ABLOCK);
#endif
            for (int c = 0; c < COLS; c++) {
                if (rows[c]) quantize_block_plain(rows[c] + b * QK, blk, c);
            }
        }
    }
}

struct plain_rows {
    const float * x;
    long ldx;
};

static const float * plain_row(const void * ctx, long n) {
    const struct plain_rows * p = ctx;
    return p->x + n * p->ldx;
}

void mmgp_q8_pack_act(const float * x, long k, long n, long ldx, void * qa, int flags) {
    if (mmgp_q8_act_bytes(k, n) < 0) fail("mmgp_q8_pack_act: k must be a positive multiple of 32 and n positive");
    struct plain_rows p = {x, ldx};
    quantize_groups(plain_row, &p, k, n, qa, 0, (n + COLS - 1) / COLS, !(flags & MMGP_Q8_PORTABLE));
}

/* ---------------------------------------------------------------------------------------------
 * The GEMM. c[col * ldc + row] for rows [m0, m1) and all n columns, blocks [0, kb).
 * A micro tile is MR weight rows x NG groups (COLS columns each: 8, or 16 with AVX-512) over
 * blocks [b0, b1); its fp32 accumulators go through acc[MR][NG][COLS] (loaded before, stored
 * after), so K panels continue the same per-element fma chain.
 * ------------------------------------------------------------------------------------------- */
struct gemm_args {
    const uint8_t * w; /* row r at w + r * wstride, block b at + b * 34 */
    size_t wstride;
    const uint8_t * qa; /* group g, block b at qa + (g * kb + b) * ABLOCK */
    long m, n, kb;
    float * c;
    size_t ldc; /* floats between columns of c */
};

/* GCC 12 at -O2 -march=native can vectorize an int8 x int8 dot loop into vpdpbusd, which reads one
 * operand as unsigned: wrong sums, so this reference loop stays scalar. */
#if defined(__GNUC__) && !defined(__clang__)
__attribute__((optimize("no-tree-vectorize")))
#endif
static void micro_plain(const struct gemm_args * a, long r0, int mr, long g0, int ng, long b0, long b1, float * acc) {
    for (int r = 0; r < mr; r++) {
        const uint8_t * wr = a->w + (r0 + r) * a->wstride;
        for (int j = 0; j < ng; j++) {
            const uint8_t * ga = a->qa + (g0 + j) * a->kb * ABLOCK;
            for (int c = 0; c < COLS; c++) {
                float s = acc[(r * ng + j) * COLS + c];
                for (long b = b0; b < b1; b++) {
                    const uint8_t * wb = wr + b * WBLOCK;
                    const uint8_t * ab = ga + b * ABLOCK;
                    int32_t isum = 0;
                    for (int i = 0; i < QK; i++) isum += (int32_t)(int8_t)wb[2 + i] * (int32_t)(int8_t)(ab[(i / 4) * STEP + c * 4 + i % 4] ^ XOFF);
                    float dx;
                    memcpy(&dx, ab + SCALES + 4 * c, 4);
                    s = fmaf((float)isum, mmgp_half_to_float(load_u16(wb)) * dx, s);
                }
                acc[(r * ng + j) * COLS + c] = s;
            }
        }
    }
}

#if defined(GEMM_Q8_AVX2)
#if defined(__clang__)
#define UNROLL _Pragma("unroll")
#define NOUNROLL _Pragma("nounroll")
#elif defined(__GNUC__)
#define UNROLL _Pragma("GCC unroll 16")
#define NOUNROLL _Pragma("GCC unroll 1")
#else
#define UNROLL
#define NOUNROLL
#endif

static inline int32_t load_i32(const uint8_t * p) {
    int32_t v;
    memcpy(&v, p, sizeof v);
    return v;
}

#if !defined(GEMM_Q8_AVX512)
#if defined(__GNUC__) && !defined(__clang__) && defined(__x86_64__) && MR_MAX == 2 && NG_MAX == 4 \
    && (!defined(GEMM_Q8_VNNI) || defined(__AVX512VNNI__))
/*
 * The 8 steps of one block for the full 2x4 tile in GCC inline assembly: the same instructions
 * as the intrinsics below, but GCC's allocator spills 3-4 of the 8 int32 accumulators every step
 * and loads each activation vector twice when it compiles those (16 live vectors, 16 registers).
 * Here: accumulators in 8 registers, ymm8-10 and ymm12-15 scratch, the ones vector from memory.
 */
#define Q8_ASM 1
#if defined(GEMM_Q8_VNNI)
/* GCC's intrinsics version of the VNNI step copies each accumulator around its vpdpbusd. */
#define Q8_GROUP(DX, X, A0, A1)                                                                  \
    "vmovdqu " DX "(%[" X "]), %%ymm8\n\t"                                                       \
    "vpsignb %%ymm12, %%ymm8, %%ymm9\n\t"                                                        \
    "vpsignb %%ymm13, %%ymm8, %%ymm10\n\t"                                                       \
    "vpdpbusd %%ymm9, %%ymm14, %t[" A0 "]\n\t"                                                   \
    "vpdpbusd %%ymm10, %%ymm15, %t[" A1 "]\n\t"
#else
#define Q8_GROUP(DX, X, A0, A1)                                                                  \
    "vmovdqu " DX "(%[" X "]), %%ymm8\n\t"                                                       \
    "vpsignb %%ymm12, %%ymm8, %%ymm9\n\t"                                                        \
    "vpsignb %%ymm13, %%ymm8, %%ymm10\n\t"                                                       \
    "vpmaddubsw %%ymm9, %%ymm14, %%ymm9\n\t"                                                     \
    "vpmaddubsw %%ymm10, %%ymm15, %%ymm10\n\t"                                                   \
    "vpmaddwd %[ones], %%ymm9, %%ymm9\n\t"                                                       \
    "vpmaddwd %[ones], %%ymm10, %%ymm10\n\t"                                                     \
    "vpaddd %%ymm9, %t[" A0 "], %t[" A0 "]\n\t"                                                  \
    "vpaddd %%ymm10, %t[" A1 "], %t[" A1 "]\n\t"
#endif
/* step s: the rows' 4 weights at byte 2 + 4s of their block, the groups' vectors at 32s */
#define Q8_STEP(DW, DX)                                                                          \
    "vpbroadcastd " DW "(%[w0]), %%ymm12\n\t"                                                    \
    "vpbroadcastd " DW "(%[w1]), %%ymm13\n\t"                                                    \
    "vpabsb %%ymm12, %%ymm14\n\t"                                                                \
    "vpabsb %%ymm13, %%ymm15\n\t"                                                                \
    Q8_GROUP(DX, "x0", "a00", "a10") Q8_GROUP(DX, "x1", "a01", "a11")                            \
    Q8_GROUP(DX, "x2", "a02", "a12") Q8_GROUP(DX, "x3", "a03", "a13")
static const int16_t q8_ones[16] __attribute__((aligned(32))) = {1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1};
#endif

/* MR rows x NG groups; MR and NG are constants at every call so the arrays live in registers. */
ALWAYS_INLINE void micro_avx2(const struct gemm_args * a, long r0, const int MR, long g0, const int NG, long b0, long b1, float * acc) {
#if !defined(GEMM_Q8_VNNI)
    const __m256i ones = _mm256_set1_epi16(1);
#endif
#if !FA_MEM
    __m256 fa[MR_MAX][NG_MAX];
    UNROLL for (int r = 0; r < MR; r++) UNROLL for (int j = 0; j < NG; j++) fa[r][j] = _mm256_loadu_ps(acc + (r * NG + j) * COLS);
#endif
    const uint8_t * wr[MR_MAX];
    UNROLL for (int r = 0; r < MR; r++) wr[r] = a->w + (r0 + r) * a->wstride;
    const uint8_t * ga[NG_MAX];
    UNROLL for (int j = 0; j < NG; j++) ga[j] = a->qa + (g0 + j) * a->kb * ABLOCK;
    for (long b = b0; b < b1; b++) {
        __m256i ia[MR_MAX][NG_MAX];
#if defined(Q8_ASM)
        if (MR == 2 && NG == 4) {
            __asm__("vpxor %x[a00], %x[a00], %x[a00]\n\tvpxor %x[a01], %x[a01], %x[a01]\n\t"
                    "vpxor %x[a02], %x[a02], %x[a02]\n\tvpxor %x[a03], %x[a03], %x[a03]\n\t"
                    "vpxor %x[a10], %x[a10], %x[a10]\n\tvpxor %x[a11], %x[a11], %x[a11]\n\t"
                    "vpxor %x[a12], %x[a12], %x[a12]\n\tvpxor %x[a13], %x[a13], %x[a13]\n\t"
                    Q8_STEP("2", "0") Q8_STEP("6", "32") Q8_STEP("10", "64") Q8_STEP("14", "96")
                    Q8_STEP("18", "128") Q8_STEP("22", "160") Q8_STEP("26", "192") Q8_STEP("30", "224")
                    : [a00] "=&x"(ia[0][0]), [a01] "=&x"(ia[0][1]), [a02] "=&x"(ia[0][2]), [a03] "=&x"(ia[0][3]),
                      [a10] "=&x"(ia[1][0]), [a11] "=&x"(ia[1][1]), [a12] "=&x"(ia[1][2]), [a13] "=&x"(ia[1][3])
                    : [w0] "r"(wr[0] + b * WBLOCK), [w1] "r"(wr[1] + b * WBLOCK), [x0] "r"(ga[0] + b * ABLOCK),
                      [x1] "r"(ga[1] + b * ABLOCK), [x2] "r"(ga[2] + b * ABLOCK), [x3] "r"(ga[3] + b * ABLOCK),
                      [ones] "m"(*(const __m256i *)q8_ones),
                      /* what the template reads through the pointers above, so the compiler orders it after their stores */
                      [mw0] "m"(*(const uint8_t(*)[WBLOCK])(wr[0] + b * WBLOCK)), [mw1] "m"(*(const uint8_t(*)[WBLOCK])(wr[1] + b * WBLOCK)),
                      [mx0] "m"(*(const uint8_t(*)[ABLOCK])(ga[0] + b * ABLOCK)), [mx1] "m"(*(const uint8_t(*)[ABLOCK])(ga[1] + b * ABLOCK)),
                      [mx2] "m"(*(const uint8_t(*)[ABLOCK])(ga[2] + b * ABLOCK)), [mx3] "m"(*(const uint8_t(*)[ABLOCK])(ga[3] + b * ABLOCK))
                    : "xmm8", "xmm9", "xmm10", "xmm12", "xmm13", "xmm14", "xmm15");
        } else
#endif
        {
        UNROLL for (int r = 0; r < MR; r++) UNROLL for (int j = 0; j < NG; j++) ia[r][j] = _mm256_setzero_si256();
        NOUNROLL for (int s = 0; s < 8; s++) {
            /* rows' broadcasts first, then one group's vector at a time: 15 live registers for 2x4 */
            __m256i wb[MR_MAX], aw[MR_MAX];
            UNROLL for (int r = 0; r < MR; r++) {
                wb[r] = _mm256_set1_epi32(load_i32(wr[r] + b * WBLOCK + 2 + 4 * s));
                aw[r] = _mm256_abs_epi8(wb[r]);
            }
            UNROLL for (int j = 0; j < NG; j++) {
                const __m256i xv = _mm256_loadu_si256((const __m256i *)(ga[j] + b * ABLOCK + 32 * s));
                UNROLL for (int r = 0; r < MR; r++) {
#if defined(GEMM_Q8_VNNI)
                    ia[r][j] = Q8_DPBUSD(ia[r][j], aw[r], _mm256_sign_epi8(xv, wb[r]));
#else
                    const __m256i q = _mm256_madd_epi16(_mm256_maddubs_epi16(aw[r], _mm256_sign_epi8(xv, wb[r])), ones);
                    ia[r][j] = _mm256_add_epi32(ia[r][j], q);
#endif
                }
            }
        }
        }
        UNROLL for (int r = 0; r < MR; r++) {
            const __m256 dw = _mm256_set1_ps(_cvtsh_ss(load_u16(wr[r] + b * WBLOCK)));
            UNROLL for (int j = 0; j < NG; j++) {
                const __m256 sc = _mm256_mul_ps(_mm256_loadu_ps((const float *)(ga[j] + b * ABLOCK + 256)), dw);
#if FA_MEM
                float * fp = acc + (r * NG + j) * COLS;
                _mm256_store_ps(fp, _mm256_fmadd_ps(_mm256_cvtepi32_ps(ia[r][j]), sc, _mm256_load_ps(fp)));
#else
                fa[r][j] = _mm256_fmadd_ps(_mm256_cvtepi32_ps(ia[r][j]), sc, fa[r][j]);
#endif
            }
        }
#if FA_MEM
        __asm__ volatile("" ::: "memory"); /* keep the fp32 accumulators in L1, the int32 ones in registers */
#endif
    }
#if !FA_MEM
    UNROLL for (int r = 0; r < MR; r++) UNROLL for (int j = 0; j < NG; j++) _mm256_storeu_ps(acc + (r * NG + j) * COLS, fa[r][j]);
#endif
}

static void micro_full(const struct gemm_args * a, long r0, long g0, long b0, long b1, float * acc) { micro_avx2(a, r0, MR_MAX, g0, NG_MAX, b0, b1, acc); }
static void micro_rows(const struct gemm_args * a, long r0, long g0, long b0, long b1, float * acc) { micro_avx2(a, r0, MR_MAX, g0, 1, b0, b1, acc); }
static void micro_one(const struct gemm_args * a, long r0, long g0, long b0, long b1, float * acc) { micro_avx2(a, r0, 1, g0, 1, b0, b1, acc); }
#else
/*
 * The weight sums of a row tile's K panel: comp[(b - b0) * MR_MAX + r] = -128 * (sum of row r0 + r's
 * 32 int8 of block b), once per panel for all its column groups. vpdpbusd against 32 ones leaves
 * 8 partial sums of 4, folded into one.
 */
static void weight_comp(const struct gemm_args * a, long r0, int mr, long b0, long b1, int32_t * comp) {
    const __m256i ones = _mm256_set1_epi8(1);
    for (int r = 0; r < mr; r++) {
        const uint8_t * wr = a->w + (r0 + r) * a->wstride;
        for (long b = b0; b < b1; b++) {
            const __m256i p = _mm256_dpbusd_epi32(_mm256_setzero_si256(), ones, _mm256_loadu_si256((const __m256i *)(wr + b * WBLOCK + 2)));
            __m128i t = _mm_add_epi32(_mm256_castsi256_si128(p), _mm256_extracti128_si256(p, 1));
            t = _mm_add_epi32(t, _mm_shuffle_epi32(t, 0x4e));
            t = _mm_add_epi32(t, _mm_shuffle_epi32(t, 0xb1));
            comp[(b - b0) * MR_MAX + r] = -128 * _mm_cvtsi128_si32(t);
        }
    }
}

/*
 * MR rows x NG groups of 16 columns; MR and NG are constants at every call so the arrays live in
 * registers (32 zmm: 16 int32 accumulators, 4 activation vectors, the broadcast weights).
 * Per step one vpdpbusd per (row, group): the group's 16 columns' u8 x + 128 as the unsigned operand,
 * the row's 4 weights broadcast as the signed one. The int32 accumulator starts at the row's
 * -128 * sum(w) of the block, so after the 8 steps it holds sum w * (x + 128) - 128 * sum w = sum w * x
 * exactly: |w| <= 128 and x + 128 <= 255 bound the running value by 32*128*255 + 32*128*128 < 2^21
 * (and vpdpbusd adds without saturation), the final sum by 32*128*127 < 2^24 as on the other paths.
 */
ALWAYS_INLINE void micro_512(const struct gemm_args * a, long r0, const int MR, long g0, const int NG, long b0, long b1,
                             const int32_t * comp, float * acc) {
    const uint8_t * wr[MR_MAX];
    UNROLL for (int r = 0; r < MR; r++) wr[r] = a->w + (r0 + r) * a->wstride;
    const uint8_t * ga[NG_MAX];
    UNROLL for (int j = 0; j < NG; j++) ga[j] = a->qa + (g0 + j) * a->kb * ABLOCK;
    for (long b = b0; b < b1; b++) {
        __m512i ia[MR_MAX][NG_MAX];
        UNROLL for (int r = 0; r < MR; r++) {
            const __m512i c0 = _mm512_set1_epi32(comp[(b - b0) * MR_MAX + r]);
            UNROLL for (int j = 0; j < NG; j++) ia[r][j] = c0;
        }
        UNROLL for (int s = 0; s < 8; s++) {
            __m512i xv[NG_MAX];
            UNROLL for (int j = 0; j < NG; j++) xv[j] = _mm512_loadu_si512((const void *)(ga[j] + b * ABLOCK + STEP * s));
            UNROLL for (int r = 0; r < MR; r++) {
                const __m512i wv = _mm512_set1_epi32(load_i32(wr[r] + b * WBLOCK + 2 + 4 * s));
                UNROLL for (int j = 0; j < NG; j++) ia[r][j] = _mm512_dpbusd_epi32(ia[r][j], xv[j], wv);
            }
        }
        UNROLL for (int r = 0; r < MR; r++) {
            const __m512 dw = _mm512_set1_ps(_cvtsh_ss(load_u16(wr[r] + b * WBLOCK)));
            UNROLL for (int j = 0; j < NG; j++) {
                const __m512 sc = _mm512_mul_ps(_mm512_loadu_ps((const float *)(ga[j] + b * ABLOCK + SCALES)), dw);
                float * fp = acc + (r * NG + j) * COLS;
                _mm512_store_ps(fp, _mm512_fmadd_ps(_mm512_cvtepi32_ps(ia[r][j]), sc, _mm512_load_ps(fp)));
            }
        }
        __asm__ volatile("" ::: "memory"); /* keep the fp32 accumulators in L1, the int32 ones in registers */
    }
}

static void micro_full(const struct gemm_args * a, long r0, long g0, long b0, long b1, const int32_t * comp, float * acc) {
    micro_512(a, r0, MR_MAX, g0, NG_MAX, b0, b1, comp, acc);
}
static void micro_rows(const struct gemm_args * a, long r0, long g0, long b0, long b1, const int32_t * comp, float * acc) {
    micro_512(a, r0, MR_MAX, g0, 1, b0, b1, comp, acc);
}
static void micro_one(const struct gemm_args * a, long r0, long g0, long b0, long b1, const int32_t * comp, float * acc) {
    micro_512(a, r0, 1, g0, 1, b0, b1, comp, acc);
}
#endif

/*
 * Narrow columns: the last, partial group of a product with few columns (a single token, a
 * timestep embedding) would waste COLS - n lanes of every wide-tile vector, 7 in 8 at one column
 * (15 in 16 with 16-column groups).
 * Its n real columns are first turned back into k order (32 int8 and the scale per block,
 * the quantizer's 8x8 transpose undone) for a K panel, then NR weight rows x 1 column at a time
 * run with k in the lanes: one vector per row and block gives 8 partial sums of 4 products,
 * and three vphaddd + one add fold the NR rows' vectors into their NR block sums. Integer sums
 * are exact in any order, so isum_b, dw_b * dx_b and the fma chain over the blocks in order are
 * exactly the wide tile's: every element has the same bits whichever path computed it.
 * With 16-column groups only a last group of at most 7 columns goes here (its columns 0-7 are the
 * low half of each step), turned back into int8 q; a wider one fills half a wide vector or more.
 */
#define NR 4          /* weight rows per narrow tile: 4 |w| vectors and 4 partial sums stay in registers */
#define NARROW_KC 256 /* blocks per repacked K panel: NARROW_COLS columns x 256 x 36 bytes (72 KB) on the stack */
#define NARROW_COLS 8 /* the narrow tiles take 1 to NARROW_COLS - 1 columns */

/* Columns [0, nn) of group g, blocks [b0, b1), into xk[c][b - b0] (32 bytes in k order) and dk[c][b - b0]. */
static void narrow_repack(const struct gemm_args * a, long g, int nn, long b0, long b1, uint8_t (*xk)[NARROW_KC][QK], float (*dk)[NARROW_KC]) {
    for (long b = b0; b < b1; b++) {
        const uint8_t * ab = a->qa + (g * a->kb + b) * ABLOCK;
        __m256i v[8];
        for (int s = 0; s < 8; s++) v[s] = _mm256_loadu_si256((const __m256i *)(ab + STEP * s));
#if XOFF
        for (int s = 0; s < 8; s++) v[s] = _mm256_xor_si256(v[s], _mm256_set1_epi8((char)XOFF));
#endif
        transpose8x8_epi32(v); /* the quantizer's transpose, undone: v[c] is column c in k order */
        for (int c = 0; c < nn; c++) {
            _mm256_storeu_si256((__m256i *)xk[c][b - b0], v[c]);
            memcpy(&dk[c][b - b0], ab + SCALES + 4 * c, 4);
        }
    }
}

/*
 * Rows [r0, r0 + NR) (rows past m1 - 1 repeat the last one and are not stored) x columns [0, nn) of group g.
 * nn is a constant at every call, so the columns' fp32 accumulators stay in registers: each is one
 * fma chain over the blocks, and through memory its store-to-load latency would bound a block.
 */
ALWAYS_INLINE void narrow_tile(const struct gemm_args * a, long r0, long m1, long g, const int nn, long b0, long b1, int first,
                               const uint8_t (*xk)[NARROW_KC][QK], const float (*dk)[NARROW_KC]) {
#if !defined(GEMM_Q8_VNNI)
    const __m256i ones = _mm256_set1_epi16(1);
#endif
    const int mr = m1 - r0 < NR ? (int)(m1 - r0) : NR;
    const uint8_t * wr[NR];
    UNROLL for (int r = 0; r < NR; r++) wr[r] = a->w + (r0 + (r < mr ? r : mr - 1)) * a->wstride;
    float * cc[NARROW_COLS];
    __m128 acc[NARROW_COLS];
    UNROLL for (int c = 0; c < nn; c++) {
        cc[c] = a->c + (g * COLS + c) * a->ldc + r0;
        if (first) {
            acc[c] = _mm_setzero_ps();
        } else if (mr == NR) {
            acc[c] = _mm_loadu_ps(cc[c]);
        } else {
            float t[NR] = {0};
            memcpy(t, cc[c], mr * sizeof(float));
            acc[c] = _mm_loadu_ps(t);
        }
    }
    for (long b = b0; b < b1; b++) {
        __m256i wv[NR], aw[NR];
        UNROLL for (int r = 0; r < NR; r++) {
            wv[r] = _mm256_loadu_si256((const __m256i *)(wr[r] + b * WBLOCK + 2));
            aw[r] = _mm256_abs_epi8(wv[r]);
        }
        const __m128 dw = _mm_cvtph_ps(_mm_setr_epi16((short)load_u16(wr[0] + b * WBLOCK), (short)load_u16(wr[1] + b * WBLOCK),
                                                      (short)load_u16(wr[2] + b * WBLOCK), (short)load_u16(wr[3] + b * WBLOCK), 0, 0, 0, 0));
        UNROLL for (int c = 0; c < nn; c++) {
            const __m256i xv = _mm256_loadu_si256((const __m256i *)xk[c][b - b0]);
            __m256i p[NR];
            UNROLL for (int r = 0; r < NR; r++) {
#if defined(GEMM_Q8_VNNI)
                p[r] = Q8_DPBUSD(_mm256_setzero_si256(), aw[r], _mm256_sign_epi8(xv, wv[r]));
#else
                p[r] = _mm256_madd_epi16(_mm256_maddubs_epi16(aw[r], _mm256_sign_epi8(xv, wv[r])), ones);
#endif
            }
            /* lane r of the low half: row r's lanes 0-3, of the high half its lanes 4-7 */
            const __m256i h = _mm256_hadd_epi32(_mm256_hadd_epi32(p[0], p[1]), _mm256_hadd_epi32(p[2], p[3]));
            const __m128i isum = _mm_add_epi32(_mm256_castsi256_si128(h), _mm256_extracti128_si256(h, 1));
            const __m128 sc = _mm_mul_ps(_mm_set1_ps(dk[c][b - b0]), dw);
            acc[c] = _mm_fmadd_ps(_mm_cvtepi32_ps(isum), sc, acc[c]);
        }
    }
    UNROLL for (int c = 0; c < nn; c++) {
        if (mr == NR) {
            _mm_storeu_ps(cc[c], acc[c]);
        } else {
            float t[NR];
            _mm_storeu_ps(t, acc[c]);
            memcpy(cc[c], t, mr * sizeof(float));
        }
    }
}

/* narrow_tile for the group's nn columns, 1 to NARROW_COLS - 1. */
static void narrow_tile_any(const struct gemm_args * a, long r0, long m1, long g, int nn, long b0, long b1, int first,
                            const uint8_t (*xk)[NARROW_KC][QK], const float (*dk)[NARROW_KC]) {
    switch (nn) {
    case 1: narrow_tile(a, r0, m1, g, 1, b0, b1, first, xk, dk); break;
    case 2: narrow_tile(a, r0, m1, g, 2, b0, b1, first, xk, dk); break;
    case 3: narrow_tile(a, r0, m1, g, 3, b0, b1, first, xk, dk); break;
    case 4: narrow_tile(a, r0, m1, g, 4, b0, b1, first, xk, dk); break;
    case 5: narrow_tile(a, r0, m1, g, 5, b0, b1, first, xk, dk); break;
    case 6: narrow_tile(a, r0, m1, g, 6, b0, b1, first, xk, dk); break;
    default: narrow_tile(a, r0, m1, g, 7, b0, b1, first, xk, dk); break;
    }
}

/* Rows [m0, m1) x the nn real columns of group g, blocks [b0, b1), through NARROW_KC panels. */
static void narrow_rows(const struct gemm_args * a, long m0, long m1, long g, int nn, long b0, long b1) {
    uint8_t xk[NARROW_COLS][NARROW_KC][QK] __attribute__((aligned(32)));
    float dk[NARROW_COLS][NARROW_KC];
    for (long p0 = b0; p0 < b1; p0 += NARROW_KC) {
        const long p1 = p0 + NARROW_KC < b1 ? p0 + NARROW_KC : b1;
        narrow_repack(a, g, nn, p0, p1, xk, dk);
        for (long r0 = m0; r0 < m1; r0 += NR) narrow_tile_any(a, r0, m1, g, nn, p0, p1, p0 == 0, (const uint8_t (*)[NARROW_KC][QK])xk, (const float (*)[NARROW_KC])dk);
    }
}
#endif


/* acc <- c (or 0 on the first K panel), and back: acc[(r * ng + j) * COLS + col]. */
static void tile_load(const struct gemm_args * a, long r0, int mr, long g0, int ng, int first, float * acc) {
    for (int r = 0; r < mr; r++)
        for (int j = 0; j < ng; j++)
            for (int c = 0; c < COLS; c++) {
                long col = (g0 + j) * COLS + c;
                acc[(r * ng + j) * COLS + c] = first || col >= a->n ? 0.0f : a->c[col * a->ldc + r0 + r];
            }
}

static void tile_store(const struct gemm_args * a, long r0, int mr, long g0, int ng, const float * acc) {
    for (int j = 0; j < ng; j++)
        for (int c = 0; c < COLS; c++) {
            long col = (g0 + j) * COLS + c;
            if (col >= a->n) break;
            for (int r = 0; r < mr; r++) a->c[col * a->ldc + r0 + r] = acc[(r * ng + j) * COLS + c];
        }
}

static void gemm_rows(const struct gemm_args * a, long m0, long m1, int flags, int kc, int nc) {
    const long groups = (a->n + COLS - 1) / COLS;
    const int simd = !(flags & MMGP_Q8_PORTABLE);
    if (kc <= 0) kc = KC_DEFAULT;
    if (nc <= 0) nc = NC_DEFAULT;
    float acc[MR_MAX * NG_MAX * COLS] __attribute__((aligned(4 * COLS))); /* one vector of a group */
    /* The partial last group goes to the narrow tiles unless it sits in a whole wide tile of its N panel. */
#if defined(GEMM_Q8_AVX2)
    long narrow_g = -1;
    if (simd && a->n % COLS != 0 && a->n % COLS < NARROW_COLS && (groups - 1 - (groups - 1) / nc * nc) % NG_MAX != NG_MAX - 1) {
        narrow_g = groups - 1;
    }
#endif
#if defined(GEMM_Q8_AVX512)
    int32_t comp[KC_MAX * MR_MAX];
    if (kc > KC_MAX) kc = KC_MAX;
#endif
    for (long gp = 0; gp < groups; gp += nc) {
        const long gq = gp + nc < groups ? gp + nc : groups;
        for (long b0 = 0; b0 < a->kb; b0 += kc) {
            const long b1 = b0 + kc < a->kb ? b0 + kc : a->kb;
            for (long r0 = m0; r0 < m1; r0 += MR_MAX) {
                const int mr = m1 - r0 < MR_MAX ? (int)(m1 - r0) : MR_MAX;
#if defined(GEMM_Q8_AVX512)
                if (simd && !(gq - gp == 1 && gp == narrow_g)) weight_comp(a, r0, mr, b0, b1, comp);
#endif
                for (long g0 = gp; g0 < gq; g0 += NG_MAX) {
                    const int ng = gq - g0 < NG_MAX ? (int)(gq - g0) : NG_MAX;
                    if (!simd) {
                        tile_load(a, r0, mr, g0, ng, b0 == 0, acc);
                        micro_plain(a, r0, mr, g0, ng, b0, b1, acc);
                        tile_store(a, r0, mr, g0, ng, acc);
                        continue;
                    }
#if defined(GEMM_Q8_AVX512)
                    if (mr == MR_MAX && ng == NG_MAX) {
                        tile_load(a, r0, mr, g0, ng, b0 == 0, acc);
                        micro_full(a, r0, g0, b0, b1, comp, acc);
                        tile_store(a, r0, mr, g0, ng, acc);
                        continue;
                    }
                    for (long g = g0; g < g0 + ng; g++) {
                        if (g == narrow_g) continue;
                        if (mr == MR_MAX) {
                            tile_load(a, r0, mr, g, 1, b0 == 0, acc);
                            micro_rows(a, r0, g, b0, b1, comp, acc);
                            tile_store(a, r0, mr, g, 1, acc);
                            continue;
                        }
                        for (long r = r0; r < r0 + mr; r++) {
                            tile_load(a, r, 1, g, 1, b0 == 0, acc);
                            micro_one(a, r, g, b0, b1, comp + (r - r0), acc);
                            tile_store(a, r, 1, g, 1, acc);
                        }
                    }
#elif defined(GEMM_Q8_AVX2)
                    if (mr == MR_MAX && ng == NG_MAX) {
                        tile_load(a, r0, mr, g0, ng, b0 == 0, acc);
                        micro_full(a, r0, g0, b0, b1, acc);
                        tile_store(a, r0, mr, g0, ng, acc);
                        continue;
                    }
                    /* edges: one group at a time, and one row at a time past the last whole tile */
                    for (long g = g0; g < g0 + ng; g++) {
                        if (g == narrow_g) continue;
                        if (mr == MR_MAX) {
                            tile_load(a, r0, mr, g, 1, b0 == 0, acc);
                            micro_rows(a, r0, g, b0, b1, acc);
                            tile_store(a, r0, mr, g, 1, acc);
                            continue;
                        }
                        for (long r = r0; r < r0 + mr; r++) {
                            tile_load(a, r, 1, g, 1, b0 == 0, acc);
                            micro_one(a, r, g, b0, b1, acc);
                            tile_store(a, r, 1, g, 1, acc);
                        }
                    }
#endif
                }
            }
        }
    }
#if defined(GEMM_Q8_AVX2)
    if (narrow_g >= 0) narrow_rows(a, m0, m1, narrow_g, (int)(a->n - narrow_g * COLS), 0, a->kb);
#endif
}

#if defined(GEMM_Q8_AMX)
/* ---------------------------------------------------------------------------------------------
 * The AMX path (see the header): per block, C[16 weight rows x 16 columns] int32 = the weight
 * rows' 32 int8 (tile A, loaded in place from block_q8_0: 16 rows of 32 bytes, wstride apart)
 * times the group's block of the activation buffer, which is already the VNNI B layout (8 rows
 * of 4 k x 16 columns, u8 q + 128), by TDPBSUD. Tiles: 0-3 the C tiles (rows half h, group j at
 * 2j + h), 4-5 A (weight rows 0-15, 16-31), 6-7 B (groups 0, 1).
 * ------------------------------------------------------------------------------------------- */
#define AMX_MR 32       /* weight rows per AMX row tile: two A tiles          */
#define AMX_MIN_COLS 16 /* fewer columns stay on the vector path               */
#define AMX_NC 8        /* groups per N panel (128 columns, 590 KB at K 4096) */

/* ldtilecfg's 64-byte layout, palette 1. */
struct amx_config {
    uint8_t palette, start_row, reserved[14];
    uint16_t colsb[16];
    uint8_t rows[16];
};

static const struct amx_config AMX_Q8_CONFIG __attribute__((aligned(64))) = {
    .palette = 1,
    .colsb = {64, 64, 64, 64, 32, 32, 64, 64},
    .rows = {16, 16, 16, 16, 16, 16, 8, 8},
};

/* Our own asm, never GCC 12's tile intrinsics: its _tile_loadconfig declares an 8-byte input (the
 * config's stores get deleted), and its loads and stores do not tell the compiler about memory. */
#define AMX_LOADCONFIG(c) __asm__ volatile("ldtilecfg %0" : : "m"(*(c)))
#define AMX_LOAD(t, p, stride) __asm__ volatile("tileloadd (%0,%1,1), %%tmm" #t : : "r"(p), "r"((long)(stride)) : "memory")
#define AMX_STORE(t, p) __asm__ volatile("tilestored %%tmm" #t ", (%0,%1,1)" : : "r"(p), "r"(64L) : "memory")
#define AMX_ZERO(t) __asm__ volatile("tilezero %%tmm" #t ::)
#define AMX_DPBSUD(c, a, b) __asm__ volatile("tdpbsud %%tmm" #b ", %%tmm" #a ", %%tmm" #c ::)
#define AMX_RELEASE() __asm__ volatile("tilerelease" ::: "memory")
#define AMX_STORECONFIG(c) __asm__ volatile("sttilecfg %0" : "=m"(*(c)) : : "memory")

/* A thread's tile config as sttilecfg stores it: 64 bytes, byte 0 the palette (0: tiles released). */
struct amx_saved_config {
    _Alignas(64) unsigned char bytes[64];
};

static pthread_once_t g_amx_once = PTHREAD_ONCE_INIT;
static int g_amx_ok;

/* cpuid AMX-TILE and AMX-INT8, then Linux's per-process permission for the tile data (arch_prctl
 * ARCH_REQ_XCOMP_PERM 0x1023, XFEATURE_XTILEDATA 18): without it the first tile instruction faults. */
static void amx_probe(void) {
    unsigned a, b, c, d;
    if (!__get_cpuid_count(7, 0, &a, &b, &c, &d) || !(d & (1u << 24)) || !(d & (1u << 25))) return;
    if (syscall(SYS_arch_prctl, 0x1023, 18) != 0) return;
    g_amx_ok = 1;
}

static int amx_usable(void) {
    pthread_once(&g_amx_once, amx_probe);
    return g_amx_ok;
}

/* For the row tile at r0 and every block: dw as float and 128 * sum(w), the offset TDPBSUD adds
 * with the u8 activations: sum w * (x + 128) - 128 * sum w = sum w * x, exact in int32 (< 2^21). */
static void amx_weight_scales(const struct gemm_args * a, long r0, float * dwf, int32_t * comp) {
    const __m256i ones = _mm256_set1_epi8(1);
    for (int r = 0; r < AMX_MR; r++) {
        const uint8_t * wr = a->w + (r0 + r) * a->wstride;
        for (long b = 0; b < a->kb; b++) {
            const __m256i p = _mm256_dpbusd_epi32(_mm256_setzero_si256(), ones, _mm256_loadu_si256((const __m256i *)(wr + b * WBLOCK + 2)));
            __m128i t = _mm_add_epi32(_mm256_castsi256_si128(p), _mm256_extracti128_si256(p, 1));
            t = _mm_add_epi32(t, _mm_shuffle_epi32(t, 0x4e));
            t = _mm_add_epi32(t, _mm_shuffle_epi32(t, 0xb1));
            comp[b * AMX_MR + r] = 128 * _mm_cvtsi128_si32(t);
            dwf[b * AMX_MR + r] = _cvtsh_ss(load_u16(wr + b * WBLOCK));
        }
    }
}

/* The fp32 step of block b for group g0 + j from its stored C tiles ct[0..1] (row halves):
 * acc[(row * NG + j) * 16 + col] = fma((float) isum, dx[col] * dw[row], acc), the other paths' arithmetic. */
ALWAYS_INLINE void amx_epilogue(const struct gemm_args * a, long g0, const int NG, const int j, long b, const float * dwf, const int32_t * comp,
                                const int32_t (*ct)[256], float * acc) {
    const __m512 dx = _mm512_loadu_ps((const float *)(a->qa + ((g0 + j) * a->kb + b) * ABLOCK + SCALES));
    /* unrolled: constant offsets, no index arithmetic on the ports the vector ops need */
    UNROLL for (int h = 0; h < 2; h++) {
        const int32_t * cr = ct[h];
        const int32_t * cp = comp + b * AMX_MR + 16 * h;
        const float * dp = dwf + b * AMX_MR + 16 * h;
        float * ap = acc + (16 * h * NG + j) * COLS;
        UNROLL for (int r = 0; r < 16; r++) {
            const __m512i ci = _mm512_sub_epi32(_mm512_load_si512((const void *)(cr + 16 * r)), _mm512_set1_epi32(cp[r]));
            const __m512 sc = _mm512_mul_ps(dx, _mm512_set1_ps(dp[r]));
            float * fp = ap + r * NG * COLS;
            _mm512_store_ps(fp, _mm512_fmadd_ps(_mm512_cvtepi32_ps(ci), sc, _mm512_load_ps(fp)));
        }
    }
}

/*
 * Rows [r0, r0 + 32) x groups g0 (and g0 + 1 when NG is 2), all blocks, into c. The tile products of
 * block b are stored to one of two C buffers while the epilogue reads the other (block b - 1), and
 * each group's tile instructions are issued before one group's epilogue, so the tile unit works
 * while the vector ports do.
 */
ALWAYS_INLINE void amx_tile(const struct gemm_args * a, long r0, long g0, const int NG, const float * dwf, const int32_t * comp) {
    float acc[AMX_MR * 2 * COLS] __attribute__((aligned(64)));
    int32_t cb[2][4][256] __attribute__((aligned(64)));
    memset(acc, 0, sizeof acc);
    const uint8_t * w0 = a->w + r0 * a->wstride + 2;
    const uint8_t * w1 = w0 + 16 * a->wstride;
    const uint8_t * x0 = a->qa + g0 * a->kb * ABLOCK;
    const uint8_t * x1 = x0 + a->kb * ABLOCK;
    for (long b = 0; b < a->kb; b++) {
        int32_t (*cur)[256] = cb[b & 1];
        const int32_t (*prev)[256] = (const int32_t (*)[256])cb[(b - 1) & 1];
        AMX_LOAD(4, w0 + b * WBLOCK, a->wstride);
        AMX_LOAD(5, w1 + b * WBLOCK, a->wstride);
        AMX_LOAD(6, x0 + b * ABLOCK, 64);
        AMX_ZERO(0);
        AMX_ZERO(1);
        AMX_DPBSUD(0, 4, 6);
        AMX_DPBSUD(1, 5, 6);
        if (NG == 2) {
            AMX_LOAD(7, x1 + b * ABLOCK, 64);
            AMX_ZERO(2);
            AMX_ZERO(3);
            AMX_DPBSUD(2, 4, 7);
            AMX_DPBSUD(3, 5, 7);
        }
        if (b > 0) amx_epilogue(a, g0, NG, 0, b - 1, dwf, comp, prev, acc);
        AMX_STORE(0, cur[0]);
        AMX_STORE(1, cur[1]);
        if (NG == 2) {
            if (b > 0) amx_epilogue(a, g0, NG, 1, b - 1, dwf, comp, prev + 2, acc);
            AMX_STORE(2, cur[2]);
            AMX_STORE(3, cur[3]);
        }
    }
    const int32_t (*last)[256] = (const int32_t (*)[256])cb[(a->kb - 1) & 1];
    amx_epilogue(a, g0, NG, 0, a->kb - 1, dwf, comp, last, acc);
    if (NG == 2) amx_epilogue(a, g0, NG, 1, a->kb - 1, dwf, comp, last + 2, acc);
    for (int j = 0; j < NG; j++)
        for (int col = 0; col < COLS; col++) {
            const long n = (g0 + j) * COLS + col;
            if (n >= a->n) break;
            for (int row = 0; row < AMX_MR; row++) a->c[n * a->ldc + r0 + row] = acc[(row * NG + j) * COLS + col];
        }
}

/* Rows [m0, m1), a multiple of AMX_MR apart, x all columns. The tile config is loaded on entry and
 * the tiles released on exit, so any thread (ggml's workers are reused across graphs) may call it. */
static void amx_rows(const struct gemm_args * a, long m0, long m1) {
    const long groups = (a->n + COLS - 1) / COLS;
    float * dwf = malloc((size_t)a->kb * AMX_MR * (sizeof(float) + sizeof(int32_t)));
    if (!dwf) fail("out of memory for the AMX weight scales");
    int32_t * comp = (int32_t *)(dwf + a->kb * AMX_MR);
    /* ggml's own AMX matmuls (libllama's SmolVLM2 weights, or weights in the AMX buffer type) load
     * their tile config once per thread and never again: this call puts back whatever config the
     * thread had, and releases the tiles only when it had none. */
    struct amx_saved_config saved;
    AMX_STORECONFIG(&saved);
    AMX_LOADCONFIG(&AMX_Q8_CONFIG);
    for (long gp = 0; gp < groups; gp += AMX_NC) {
        const long gq = gp + AMX_NC < groups ? gp + AMX_NC : groups;
        for (long r0 = m0; r0 < m1; r0 += AMX_MR) {
            amx_weight_scales(a, r0, dwf, comp);
            for (long g0 = gp; g0 < gq; g0 += 2) {
                if (gq - g0 >= 2) {
                    amx_tile(a, r0, g0, 2, dwf, comp);
                } else {
                    amx_tile(a, r0, g0, 1, dwf, comp);
                }
            }
        }
    }
    if (saved.bytes[0] != 0) {
        AMX_LOADCONFIG(&saved);
    } else {
        AMX_RELEASE();
    }
    free(dwf);
}
#endif

/* Rows [m0, m1) of thread ith of nth: whole tiles of MR_MAX rows, as even as they come. */
static void thread_rows(long m, int ith, int nth, long * m0, long * m1) {
    long tiles = (m + MR_MAX - 1) / MR_MAX;
    long t0 = tiles * ith / nth, t1 = tiles * (ith + 1) / nth;
    *m0 = t0 * MR_MAX < m ? t0 * MR_MAX : m;
    *m1 = t1 * MR_MAX < m ? t1 * MR_MAX : m;
}

/*
 * Thread ith of nth: its rows of all n columns. On the AMX path whole row tiles of AMX_MR rows are
 * split among the threads and the last m % AMX_MR rows go through the vector path, split again;
 * every element has the same bits on either path.
 */
static void gemm_thread(const struct gemm_args * a, int ith, int nth, int flags, int kc, int nc) {
    long m0, m1, base = 0, rows = a->m;
#if defined(GEMM_Q8_AMX)
    if (!(flags & (MMGP_Q8_PORTABLE | MMGP_Q8_NO_AMX)) && a->n >= AMX_MIN_COLS && a->m >= AMX_MR && amx_usable()) {
        const long tiles = a->m / AMX_MR;
        const long t0 = tiles * ith / nth, t1 = tiles * (ith + 1) / nth;
        if (t0 < t1) amx_rows(a, t0 * AMX_MR, t1 * AMX_MR);
        base = tiles * AMX_MR;
        rows = a->m - base;
        if (rows == 0) return;
    }
#endif
    thread_rows(rows, ith, nth, &m0, &m1);
    if (m0 < m1) gemm_rows(a, base + m0, base + m1, flags, kc, nc);
}

void mmgp_q8_gemm_raw(const void * w, long wstride, long m, long k, const void * qa, long n, float * c, long ldc, int flags) {
    if (mmgp_q8_act_bytes(k, n) < 0 || m <= 0) fail("mmgp_q8_gemm_raw: k must be a positive multiple of 32, m and n positive");
    struct gemm_args a = {w, (size_t)wstride, qa, m, n, k / QK, c, (size_t)ldc};
    gemm_thread(&a, 0, 1, flags, 0, 0);
}

/* ---------------------------------------------------------------------------------------------
 * The ggml custom ops.
 * ------------------------------------------------------------------------------------------- */
struct tensor_rows {
    const struct ggml_tensor * x;
};

static const float * tensor_row(const void * ctx, long n) {
    const struct ggml_tensor * x = ((const struct tensor_rows *)ctx)->x;
    long i1 = n % x->ne[1], rest = n / x->ne[1];
    long i2 = rest % x->ne[2], i3 = rest / x->ne[2];
    return (const float *)((const char *)x->data + i1 * x->nb[1] + i2 * x->nb[2] + i3 * x->nb[3]);
}

void mmgp_q8_quantize_act(struct ggml_tensor * dst, int ith, int nth, void * userdata) {
    const struct ggml_tensor * x = dst->src[0];
    const struct mmgp_q8_params * p = userdata;
    const int flags = p ? p->flags : 0;
    if (!x || x->type != GGML_TYPE_F32 || x->nb[0] != 4) fail("mmgp_q8_quantize_act: the input must be F32 with contiguous rows");
    const long k = x->ne[0], n = x->ne[1] * x->ne[2] * x->ne[3];
    const long bytes = mmgp_q8_act_bytes(k, n);
    if (bytes < 0) fail("mmgp_q8_quantize_act: the input's ne[0] must be a positive multiple of 32");
    if ((long)(dst->ne[0] * dst->ne[1] * dst->ne[2] * dst->ne[3]) < bytes || dst->nb[0] != 1) {
        fail("mmgp_q8_quantize_act: the destination must be a contiguous I8 tensor of mmgp_q8_act_bytes(k, n) bytes");
    }
    const long groups = (n + COLS - 1) / COLS;
    struct tensor_rows ctx = {x};
    quantize_groups(tensor_row, &ctx, k, n, dst->data, groups * ith / nth, groups * (ith + 1) / nth, !(flags & MMGP_Q8_PORTABLE));
}

void mmgp_q8_gemm(struct ggml_tensor * dst, int ith, int nth, void * userdata) {
    const struct ggml_tensor * w = dst->src[0];
    const struct ggml_tensor * qa = dst->src[1];
    const struct mmgp_q8_params * p = userdata;
    if (!w || !qa || w->type != GGML_TYPE_Q8_0 || w->ne[2] != 1 || w->ne[3] != 1 || w->nb[0] != WBLOCK) {
        fail("mmgp_q8_gemm: src[0] must be a 2-D Q8_0 weight [K, M]");
    }
    if (dst->type != GGML_TYPE_F32 || dst->ne[0] != w->ne[1] || dst->nb[0] != 4
        || dst->nb[2] != dst->nb[1] * dst->ne[1] || dst->nb[3] != dst->nb[2] * dst->ne[2]) {
        fail("mmgp_q8_gemm: the destination must be a contiguous F32 [M, N, ...] with M the weight's ne[1]");
    }
    const long k = w->ne[0], m = w->ne[1], n = dst->ne[1] * dst->ne[2] * dst->ne[3];
    const long bytes = mmgp_q8_act_bytes(k, n);
    if (bytes < 0 || (long)(qa->ne[0] * qa->ne[1] * qa->ne[2] * qa->ne[3]) < bytes) {
        fail("mmgp_q8_gemm: src[1] must be mmgp_q8_quantize_act's buffer for K = the weight's ne[0] and N = the destination's columns");
    }
    struct gemm_args a = {w->data, w->nb[1], qa->data, m, n, k / QK, dst->data, dst->nb[1] / 4};
    gemm_thread(&a, ith, nth, p ? p->flags : 0, p ? p->kc_blocks : 0, p ? p->nc_groups : 0);
}
