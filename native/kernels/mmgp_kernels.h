/*
 * mmgp_kernels: tiny register-only kernels that measure this CPU's compute peak per data type,
 * plus dot products built from the same instructions so a test can check those instructions
 * against a plain reference. Built by native/build-native.sh with -O2 and the native target
 * flags (-march=native, or -mcpu=native on arm64 when supported); which instruction path was
 * compiled in is reported by mmgp_peak_path().
 *
 * Ops are counted as 2 per multiply-add (GFLOP/s for FP32/BF16, GOP/s for INT8).
 *
 * mmgp_im2col.c adds ggml's im2col as a ggml custom op (2-D, 1-D and 3-D), faster than ggml's
 * own CPU kernel and bit-identical to it; mmgp_gemm_q8.c a Q8_0-weight matmul as two custom ops
 * mmgp_gemm_f32.c an FP32 GEMM for F16/F32 operands and mmgp_winograd.c the transforms of a Winograd
 * 3 x 3 convolution, mmgp_norm.c a fused GroupNorm, mmgp_attention.c a fused attention (see the end of this header). Every .c file of native/kernels goes into the one library.
 */
#ifndef MMGP_KERNELS_H
#define MMGP_KERNELS_H

#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#if defined(_WIN32)
#define MMGP_KERNELS_API __declspec(dllexport)
#else
#define MMGP_KERNELS_API __attribute__((visibility("default")))
#endif

/* The value of mmgp_kernels_abi(); bumped when a signature or a kind's meaning changes. */
#define MMGP_KERNELS_ABI 3

/* Kinds of mmgp_peak_gflops / mmgp_peak_path. */
#define MMGP_PEAK_FP32 0 /* FP32 fused multiply-add                         */
#define MMGP_PEAK_BF16 1 /* BF16 pairs dot-accumulated into FP32             */
#define MMGP_PEAK_INT8 2 /* u8 x s8 products summed into int32               */
/*
 * Intel AMX tile products (TDPBF16PS, TDPBUSD): compiled only for Linux x86-64 when the compiler
 * targets AMX (-march=native on such a CPU), and run only when the CPU has the unit and Linux
 * grants the tile data permission (arch_prctl ARCH_REQ_XCOMP_PERM, asked for on first use, for the
 * whole process). Otherwise mmgp_peak_gflops returns MMGP_PEAK_UNAVAILABLE and mmgp_peak_path
 * says why ("unavailable: ...").
 */
#define MMGP_PEAK_AMX_BF16 3 /* BF16 pairs dot-accumulated into FP32 on tiles   */
#define MMGP_PEAK_AMX_INT8 4 /* u8 x s8 products summed into int32 on tiles     */

/* mmgp_peak_gflops' value for a kind this build, CPU or OS cannot run (see mmgp_peak_path). */
#define MMGP_PEAK_UNAVAILABLE (-3.0)

MMGP_KERNELS_API int mmgp_kernels_abi(void);

/*
 * Peak of `kind` with `threads` threads (<= 0: all online CPUs), each running independent
 * accumulator chains on registers only for about `seconds` (<= 0: 1 s) after a short warm-up.
 * Returns the ops of all threads divided by the slowest thread's time, in 1e9 ops/s;
 * -1 for an unknown kind, -2 when a thread could not be started, MMGP_PEAK_UNAVAILABLE (-3) when
 * the kind cannot run here.
 */
MMGP_KERNELS_API double mmgp_peak_gflops(int kind, int threads, double seconds);

/*
 * Short name of the instruction path compiled in for `kind`, or for a kind that cannot run here
 * "unavailable: <why>"; "unknown kind" otherwise.
 */
MMGP_KERNELS_API const char * mmgp_peak_path(int kind);

/* sum a[i]*b[i] in FP32 with the FP32 peak path's instruction (FMA), scalar tail. */
MMGP_KERNELS_API float mmgp_dot_f32(const float * a, const float * b, long n);

/*
 * sum a[i]*b[i] over bf16 bit patterns (the high 16 bits of an IEEE float), accumulated in
 * FP32 with the BF16 peak path's instructions, scalar tail. Hardware BF16 dot instructions
 * treat denormal inputs as zero; keep inputs normal when comparing against a reference.
 */
MMGP_KERNELS_API float mmgp_dot_bf16(const uint16_t * a, const uint16_t * b, long n);

/*
 * sum a[i]*b[i] for unsigned a and signed b, in int32 (wrapping), with the INT8 peak path's
 * instructions, scalar tail. Exactness by path:
 *   - vpdpbusd (AVX-512 VNNI, AVX-VNNI), usdot (Arm i8mm), scalar: exact for every input.
 *   - vpmaddubsw+vpmaddwd (AVX2, AVX-512BW): vpmaddubsw adds two adjacent u8*s8 products
 *     into an int16 with saturation, so the result is exact when every a[i] <= 127 or when
 *     every b[i] is within [-64, 64]; otherwise pairs may clamp at -32768/32767.
 *   - sdot (Arm dotprod without i8mm) multiplies s8 x s8: exact when every a[i] <= 127.
 * a[i] <= 127 is therefore exact on every path.
 */
MMGP_KERNELS_API int32_t mmgp_dot_u8s8(const uint8_t * a, const int8_t * b, long n);

/* The plain C versions (the fallback path), exported so they can be tested on any CPU. */
MMGP_KERNELS_API float mmgp_dot_f32_scalar(const float * a, const float * b, long n);
MMGP_KERNELS_API float mmgp_dot_bf16_scalar(const uint16_t * a, const uint16_t * b, long n);
MMGP_KERNELS_API int32_t mmgp_dot_u8s8_scalar(const uint8_t * a, const int8_t * b, long n);

/*
 * ---- im2col as a ggml custom op (mmgp_im2col.c) ----
 *
 * mmgp_im2col_2d and mmgp_im2col_3d have ggml's ggml_custom_op_t signature: give them to
 * ggml_custom_4d(ctx, type, ne0, ne1, ne2, ne3, args = {input}, 1, fn, -1, params) with the
 * destination's type (F32 or F16) and shape as ggml_im2col / ggml_im2col_3d compute it, and
 * userdata = a struct mmgp_im2col_params that lives as long as the graph. They fill the
 * destination with exactly the values and layout of ggml's im2col (GGML_OP_IM2COL with
 * dilation, GGML_OP_IM2COL_3D); an F16 destination is rounded to nearest even as ggml does, so
 * the bits are identical. Threads split the output rows; every thread of the op must call.
 *
 *   2-D: input [W, H, C, N] F32 (nb[0] == 4; any nb[1..3]) -> dst [C*KH*KW, OW, OH, N],
 *        patch element k = (c*KH + kh)*KW + kw, output position (n*OH + oh)*OW + ow.
 *   1-D (flags MMGP_IM2COL_1D): input [W, C, N] -> dst [C*KW, OW, N, 1], k = c*KW + kw.
 *   3-D: input [W, H, D, C*N] F32 (nb[0] == 4) -> dst [C*KD*KH*KW, OW, OH, OD*N],
 *        k = ((c*KD + kd)*KH + kh)*KW + kw, position ((n*OD + od)*OH + oh)*OW + ow.
 * The input position read for output o and kernel tap j is o*stride + j*dilation - padding per
 * axis; outside the input the value is 0. A geometry that does not fit dst aborts with a message.
 */
struct ggml_tensor;

#define MMGP_IM2COL_1D 1        /* mmgp_im2col_2d: ggml's 1-D im2col (is_2D false)                  */
#define MMGP_IM2COL_PORTABLE 2  /* the plain C tiles and float->half, as CPUs without SIMD run them */
#define MMGP_IM2COL_REFERENCE 4 /* element by element (the fallback when memory is short)          */

/* userdata of the im2col custom ops: 14 int32, axes in the order {W, H, D}. */
struct mmgp_im2col_params {
    int32_t stride[3];   /* >= 1; unused axes 1 */
    int32_t padding[3];  /* zero padding on both sides, >= 0; unused axes 0 */
    int32_t dilation[3]; /* >= 1; unused axes 1 */
    int32_t kernel[3];   /* KW, KH, KD; unused axes 1 */
    int32_t channels;    /* 3-D: C (the input's ne[3] is C*N); unused in 2-D */
    int32_t flags;       /* MMGP_IM2COL_* */
};

MMGP_KERNELS_API void mmgp_im2col_2d(struct ggml_tensor * dst, int ith, int nth, void * userdata);
MMGP_KERNELS_API void mmgp_im2col_3d(struct ggml_tensor * dst, int ith, int nth, void * userdata);

/*
 * float -> IEEE half, rounding to nearest even: with this CPU's vector instructions (F16C, NEON)
 * and in plain C. Equal for every non-NaN input; a NaN stays a NaN (plain C: sign | 0x7e00).
 */
MMGP_KERNELS_API void mmgp_f32_to_f16(const float * src, uint16_t * dst, long n);
MMGP_KERNELS_API void mmgp_f32_to_f16_portable(const float * src, uint16_t * dst, long n);

/*
 * ---- Q8_0 weights x F32 activations as two ggml custom ops (mmgp_gemm_q8.c) ----
 *
 * y[M, N] = W[K, M] (ggml Q8_0 blocks, read in place) times x[K, N] (F32), as ggml_mul_mat
 * with a Q8_0 weight computes it: x is quantized per 32-block exactly as ggml's AVX2
 * quantize_row_q8_0 does (d = amax/127 kept as a half, q = round-half-even(x * 127/amax)), and
 * every output is sum over blocks b of (float) isum_b * (dw_b * dx_b), accumulated in fp32 with
 * one fma per block in block order (ggml sums in a different order: equal up to fp32 rounding).
 *
 *   qa = ggml_custom_4d(ctx, GGML_TYPE_I8, mmgp_q8_act_bytes(K, N), 1, 1, 1, {x}, 1,
 *                       mmgp_q8_quantize_act, -1, params or NULL)
 *     x: F32 [K, N1, N2, N3] with nb[0] == 4 (any row strides), N = N1*N2*N3, K % 32 == 0.
 *     The buffer, of one of two layouts (mmgp_q8_group_cols() tells which; a build's paths share it):
 *     for each group of G columns (N padded with zero columns), for each block b, 36 * G bytes:
 *     8 steps s of 4G bytes (column c's q[b*32 + 4s + j] at s*4G + 4c + j), then the G columns'
 *     dx_b as floats (the half, widened). G = 8 (MMGP_Q8_GROUP_COLS): q as int8; G = 16
 *     (MMGP_Q8_GROUP_COLS_WIDE, builds with AVX-512 F/BW/VL/VNNI): q + 128 as uint8.
 *   y  = ggml_custom_4d(ctx, GGML_TYPE_F32, M, N1, N2, N3, {W, qa}, 2, mmgp_q8_gemm, -1, params or NULL)
 *     W: Q8_0 [K, M], 2-D, rows nb[1] apart. Threads split the rows of y (in tiles of 2 rows, 4
 *     with G = 16; on the AMX path, N >= 16, tiles of 32 rows, the last M % 32 rows split again).
 * Both abort with a message on shapes that do not fit.
 */
#define MMGP_Q8_GROUP_COLS 8
#define MMGP_Q8_ACT_BLOCK 288 /* 8 x 32 int8 + 8 floats */
#define MMGP_Q8_GROUP_COLS_WIDE 16
#define MMGP_Q8_ACT_BLOCK_WIDE 576 /* 8 x 64 uint8 (q + 128) + 16 floats */
#define MMGP_Q8_PORTABLE 1    /* the plain C path, as CPUs without AVX2/FMA/F16C run it */
#define MMGP_Q8_NO_AMX 2      /* the vector path even where the AMX one would run (same bits; for tests and comparisons).
                                 The AMX path keeps its own panels: kc_blocks and nc_groups below apply to the vector path. */

/* userdata of both ops (NULL: all defaults): 4 int32. */
struct mmgp_q8_params {
    int32_t flags;     /* MMGP_Q8_* */
    int32_t kc_blocks; /* 32-blocks per K panel of the cache blocking; <= 0: the default (128; at most 512 with G = 16) */
    int32_t nc_groups; /* column groups per N panel; <= 0: the default (16 groups of 8, 8 of 16) */
    int32_t reserved;
};

/* Columns per group of the activation buffer in this build: MMGP_Q8_GROUP_COLS or MMGP_Q8_GROUP_COLS_WIDE. */
MMGP_KERNELS_API int mmgp_q8_group_cols(void);
/* Bytes of the activation buffer for K x N; -1 unless K is a positive multiple of 32 and N > 0. */
MMGP_KERNELS_API long mmgp_q8_act_bytes(long k, long n);
/* The instruction path compiled in for the Q8_0 GEMM. */
MMGP_KERNELS_API const char * mmgp_q8_path(void);
MMGP_KERNELS_API void mmgp_q8_quantize_act(struct ggml_tensor * dst, int ith, int nth, void * userdata);
MMGP_KERNELS_API void mmgp_q8_gemm(struct ggml_tensor * dst, int ith, int nth, void * userdata);
/* The same without ggml, one thread: x column n at x + n*ldx floats; c column n at c + n*ldc. */
MMGP_KERNELS_API void mmgp_q8_pack_act(const float * x, long k, long n, long ldx, void * qa, int flags);
MMGP_KERNELS_API void mmgp_q8_gemm_raw(const void * w, long wstride, long m, long k, const void * qa, long n, float * c, long ldc,
                                       int flags);


/*
 * ---- F16/F32 x F16/F32 -> F32 GEMM as a ggml custom op (mmgp_gemm_f32.c) ----
 *
 * C[M, N] = A[K, M] x B[K, N] in ggml_mul_mat's layout (rows of K contiguous values, result
 * [A.ne1, B.ne1]), FP32 arithmetic: every C element is fma(A[k, m], B[k, n], acc) over k = 0..K-1
 * in order starting from 0, on every path, blocking and thread split (F16 widened exactly), so
 * the result is the bits of that plain loop.
 *
 *   y = ggml_custom_4d(ctx, GGML_TYPE_F32, M, N1, N2, N3, {A, B}, 2, mmgp_f32gemm, -1, params or NULL)
 *     A: F16 or F32 [K, M], 2-D, nb[0] the element size, rows nb[1] apart.
 *     B: F16 or F32 [K, N1, N2, N3], nb[0] the element size, any row strides.
 *     y: contiguous F32 [M, N1, N2, N3]. Threads split the rows of y (or its columns when N > M).
 * Aborts with a message on shapes that do not fit.
 */
#define MMGP_F32GEMM_PORTABLE 1  /* the plain C path, as CPUs without AVX2/FMA/F16C run it */
#define MMGP_F32GEMM_NO_AVX512 2 /* the AVX2 path even where AVX-512 is available */

/* userdata (NULL: all defaults): 4 int32; block sizes <= 0 take the defaults. */
struct mmgp_f32gemm_params {
    int32_t flags; /* MMGP_F32GEMM_* */
    int32_t kc;    /* the longest K panel, K split into equal panels (default 1152 on AVX2, 512 on AVX-512) */
    int32_t mc;    /* rows of A per L2 block (default 96 on AVX2, 192 on AVX-512), rounded up to the tile */
    int32_t nc;    /* columns of B per packed block (default 768), rounded up to the tile */
};

/* The instruction path this CPU takes for the F32 GEMM (the AVX-512 one is chosen at run time). */
MMGP_KERNELS_API const char * mmgp_f32gemm_path(void);
MMGP_KERNELS_API void mmgp_f32gemm(struct ggml_tensor * dst, int ith, int nth, void * userdata);
/*
 * The same without ggml: A row i at a + i*lda elements, B row j at b + j*ldb, C column j at
 * c + j*ldc floats; the parts of nth threads run one after another on the calling thread.
 */
MMGP_KERNELS_API void mmgp_f32gemm_raw(const void * a, int aF16, long lda, long m, long k, const void * b, int bF16, long ldb, long n,
                                       float * c, long ldc, const struct mmgp_f32gemm_params * params, int nth);

/*
 * ---- Winograd F(m x m, 3 x 3) transforms as ggml custom ops (mmgp_winograd.c) ----
 *
 * A 3 x 3, stride-1 convolution with zero padding p as three transforms around T² = (m + 2)²
 * independent matrix products, which stay ggml_mul_mat's (m = tile, 2 or 4):
 *
 *   U = ggml_custom_4d(ctx, F16|F32, IC, OC, T², taps, {kernel}, 1, mmgp_winograd_weights, -1, params)
 *     kernel F16/F32 [3, 3, IC, OC] (taps = 1), or with MMGP_WINOGRAD_VIDEO [3, 3, KD, IC*OC]
 *     (taps = KD, tap dt of the 3-D kernel's time axis); U[ic, oc, t, tap] = (G g Gᵀ)[t].
 *   V = ggml_custom_4d(ctx, F16|F32, IC, tiles, F*B, T², {x}, 1, mmgp_winograd_input, -1, params)
 *     x F32 with contiguous rows: an image [W, H, IC, B] (F = 1), or with MMGP_WINOGRAD_VIDEO a
 *     video [W, H, F, IC*B]; V's ne[2] is f + F*b (frames inner). OW = W + 2p - 2, OH likewise;
 *     tiles = ceil(OW/m) * ceil(OH/m), tile (tx, ty) at ty*ceil(OW/m) + tx reads the input patch
 *     at (m*tx - p, m*ty - p), zeros outside the input. V[ic, tile, nf, t] = (Bᵀ d B)[t].
 *     Positions t outermost: V viewed {IC, tiles*F*B, T²} is one GEMM per t over every frame.
 *   M = ggml_mul_mat(U viewed {IC, OC, T²} (one tap), V viewed {IC, tiles*n*B, T²}) -> {OC, tiles, n*B, T²}
 *     (V, or for a 3-D kernel's tap s the frames that tap reads, copied out: see below)
 *   Y = ggml_custom_4d(ctx, F32, OW, OH, count, OC*B, {M_0, ..., M_k-1}, k, mmgp_winograd_output, -1, params)
 *     with MMGP_WINOGRAD_VIDEO: output frame o of clip b is Aᵀ (Σ_s M_s[frame clamp(first + o + s,
 *     0, F - 1) of clip b]) A per tile, cropped to OW x OH (M_s the product of time tap s, up to
 *     10; F = params.frames; clamping repeats the edge frames). M_s holds only the frames tap s
 *     reads: clip frames lo_s = clamp(first + s, 0, F - 1) .. hi_s = clamp(first + count - 1 + s,
 *     0, F - 1), so its ne[2] is (hi_s - lo_s + 1) * B (frames inner). Without the flag, Y is an
 *     image [OW, OH, OC, B], M has one frame per image and the M_s are summed at it.
 * T² positions t = j*T + i, j along the height. Threads split the work; all must call. A shape
 * that does not fit aborts with a message.
 */
#define MMGP_WINOGRAD_VIDEO 1 /* video input / 3-D kernel / [OW, OH, n, OC] output */
#define MMGP_WINOGRAD_PORTABLE 2 /* the plain C path, as CPUs without AVX (and arm64) run it */
#define MMGP_WINOGRAD_PACKED 4 /* mmgp_winograd_weights: U packed for mmgp_winograd_fused (see below) */

/* userdata of the three ops: 5 int32. */
struct mmgp_winograd_params {
    int32_t tile;    /* m: 2 or 4 */
    int32_t padding; /* mmgp_winograd_input: zero padding on each side, >= 0; unused by the others */
    int32_t flags;   /* MMGP_WINOGRAD_* */
    int32_t first;   /* mmgp_winograd_output, video: the clip frame tap 0 of output frame 0 reads (may be < 0) */
    int32_t frames;  /* mmgp_winograd_output, video: F, the input clip's frames (>= 1); unused by the others */
};

MMGP_KERNELS_API void mmgp_winograd_weights(struct ggml_tensor * dst, int ith, int nth, void * userdata);
MMGP_KERNELS_API void mmgp_winograd_input(struct ggml_tensor * dst, int ith, int nth, void * userdata);
MMGP_KERNELS_API void mmgp_winograd_output(struct ggml_tensor * dst, int ith, int nth, void * userdata);

/*
 * ---- The fused Winograd convolution (mmgp_winograd.c) ----
 *
 * The input transform, the products and the output transform in one op, so V and M never reach
 * memory (only thread-local buffers of a block of tiles), and the bias is added on the way out:
 *
 *   U = ggml_custom_4d(ctx, F32, 16*IC, ceil(OC/16), T², taps, {kernel}, 1, mmgp_winograd_weights, -1, params)
 *     with MMGP_WINOGRAD_PACKED (and MMGP_WINOGRAD_VIDEO for a 3-D kernel, as above): U[t] of
 *     tap s as panels of 16 output channels, element (ic, oc) at [s][t][oc/16][ic][oc%16], the
 *     channels past OC zero.
 *   Y = ggml_custom_4d(ctx, F32, OW, OH, OC, B, {x, U[, bias]}, 2|3, mmgp_winograd_fused, -1, fparams)
 *     an image x [W, H, IC, B] (taps = 1); or with MMGP_WINOGRAD_VIDEO a video x [W, H, F, IC*B]
 *     → Y [OW, OH, count, OC*B], output frame o of clip b summing tap s over input frame
 *     clamp(first + o + s, 0, F - 1) of the clip (any number of taps). bias: F32/F16 [OC], added
 *     to every output of its channel. Tiles, padding and cropping as for the three ops above.
 * Threads split (clip, output frame, block of tiles) items. Every output element is the output
 * transform of M = Σ_s Σ_ic U·V computed as one chain of fused multiply-adds from zero, taps in
 * order and input channels in order (two roundings per step where the build has no FMA), on
 * both paths, whatever the thread count, block size or batch: 1 or 2 threads, alone or in a
 * batch, plain C or SIMD give the same bits. (The three-op route's products are ggml's and sum
 * in another order: the two routes agree to rounding, not in bits.)
 */
struct mmgp_winograd_fused_params {
    int32_t tile;     /* m: 2 or 4 */
    int32_t padding;  /* zero padding on each side, >= 0 */
    int32_t flags;    /* MMGP_WINOGRAD_VIDEO, MMGP_WINOGRAD_PORTABLE */
    int32_t first;    /* video: the clip frame tap 0 of output frame 0 reads (may be < 0) */
    int32_t block;    /* tiles per work item, capped so a thread's V and M stay within 64 MB; <= 0: the default (mmgp_winograd.c: mmgp_winograd_block, then equal blocks, when few a multiple of the threads where blocks of >= 6 tiles allow) */
    int32_t reserved; /* 0 */
};

MMGP_KERNELS_API void mmgp_winograd_fused(struct ggml_tensor * dst, int ith, int nth, void * userdata);
/* An upper bound of the bytes one thread of mmgp_winograd_fused allocates for its V, M and row buffers (outside
 * ggml's plan; exact when a block is asked for, the default's equal split may allocate less) for a tile x tile route, IC -> OC channels, an OW x OH output and a block as in the
 * params (<= 0: the default); -1 for arguments out of range. */
MMGP_KERNELS_API int64_t mmgp_winograd_fused_thread_bytes(int32_t tile, int64_t ic, int64_t oc, int64_t ow, int64_t oh, int32_t block);

/*
 * ---- GroupNorm + affine + optional SiLU as one ggml custom op (mmgp_norm.c) ----
 *
 *   y = ggml_custom_4d(ctx, F32, W, H, C, B, {x, weight, bias}, 3, mmgp_group_norm, -1, params)
 *     x: F32 images [W, H, C, B] with nb[0] == 4 (any nb[1..3]); weight, bias: F32 or F16 [C]
 *     (either may be left out: 1 and 0); y contiguous. C is split into `groups` groups of C/groups
 *     consecutive channels (groups must divide C), and per image and group
 *       y = silu?((x - mean) / sqrt(var + eps) * weight[c] + bias[c])
 *     with mean and the biased variance of the group's values summed in double. The SiLU is
 *     t / (1 + exp(-t)) with exp's argument clamped to [-87, 88].
 * Threads split (image, group) items; every element's arithmetic is the same for any thread
 * count and on the plain C and SIMD paths (same bits). Aborts with a message on what does not fit.
 */
#define MMGP_NORM_SILU 1     /* apply SiLU after the affine */
#define MMGP_NORM_PORTABLE 2 /* the plain C path, as CPUs without AVX2/FMA run it */

/* userdata: 4 x 32 bits. */
struct mmgp_group_norm_params {
    int32_t groups;   /* >= 1, divides C */
    float eps;        /* >= 0 */
    int32_t flags;    /* MMGP_NORM_* */
    int32_t reserved; /* 0 */
};

/* The instruction path compiled in for the group norm. */
MMGP_KERNELS_API const char * mmgp_group_norm_path(void);
MMGP_KERNELS_API void mmgp_group_norm(struct ggml_tensor * dst, int ith, int nth, void * userdata);

/*
 * ---- A norm over the channel axis of videos, fused with its affine, modulation and SiLU (mmgp_norm.c) ----
 *
 *   y = ggml_custom_4d(ctx, F32, W, H, F, C*B, {x, weight, bias, shift, scale}, 5, mmgp_channel_norm, -1, params)
 *     x: F32 videos [W, H, F, C*B] (PyTorch (B, C, F, H, W)) with nb[0] == 4 (any nb[1..3]); y the
 *     same shape, contiguous. weight, bias: F32 or F16 [C]; shift, scale: F32 or F16 [C, 1, B] or
 *     [C] (one vector per batch row, or one for all). Any of the four may be NULL (weight 1, bias 0,
 *     shift 0, scale 0). Per batch row b and position p, over the C channels c:
 *       n = x / sqrt(mean(x^2) + eps)                       (RMS, the default)
 *       n = (x - mean(x)) / sqrt(var(x) + eps)              (MMGP_CHNORM_LAYER; biased variance)
 *       y = silu?((n * weight[c] + bias[c]) * (1 + scale[c, b]) + shift[c, b])
 *     computed as one fma of n with per-(c, b) coefficients; the sums in double (the layer norm's
 *     shifted by the position's channel-0 value, so a large mean does not cancel the variance).
 *     SiLU as mmgp_group_norm's.
 * Threads split (batch row, block of positions) items; each position's arithmetic is the same for
 * any thread count and block, and on the plain C and SIMD paths (same bits). Aborts with a message
 * on what does not fit.
 */
#define MMGP_CHNORM_SILU 1     /* apply SiLU last */
#define MMGP_CHNORM_PORTABLE 2 /* the plain C path, as CPUs without AVX2/FMA run it */
#define MMGP_CHNORM_LAYER 4    /* layer norm (mean-centred) instead of RMS norm */

/* userdata: 4 x 32 bits. */
struct mmgp_channel_norm_params {
    int32_t channels; /* C >= 1, divides ne[3] */
    float eps;        /* >= 0 */
    int32_t flags;    /* MMGP_CHNORM_* */
    int32_t reserved; /* 0 */
};

/* The instruction path compiled in for the channel norm. */
MMGP_KERNELS_API const char * mmgp_channel_norm_path(void);
MMGP_KERNELS_API void mmgp_channel_norm(struct ggml_tensor * dst, int ith, int nth, void * userdata);

/*
 * ---- Scaled-dot-product attention as one ggml custom op (mmgp_attention.c) ----
 *
 *   y = ggml_custom_4d(ctx, F32, D, Tq, B, 1, {q, k, v[, bias][, mask]}, 3..5, mmgp_attention, -1, params)
 *     q: F32 [D, Tq, B], k and v: F32 [D, Tk, B] (nb[0] == 4, any row and batch strides), D = heads·hd,
 *     head h the columns h·hd .. h·hd + hd - 1 (PyTorch's reshape to [B, T, heads, hd]).
 *     bias (flag MMGP_ATTENTION_BIAS): F32 [Tk, >= Tq, heads, 1 or B], added per head;
 *     mask (flag MMGP_ATTENTION_MASK): F32 [Tk, >= Tq, 1, 1 or B], broadcast over heads (either may hold −∞).
 *     y: contiguous F32 [D, Tq, B] = softmax(scale·q·kᵀ + bias + mask)·v per head, heads concatenated.
 * fp32 throughout: q·scale rounded once, scores as FMA chains over hd, an online softmax over blocks of
 * 64 keys (running max and sum in fp32, exp by a fixed polynomial), P·V accumulated in fp32. A query
 * whose every score is −∞ gets 0 (as ggml's flash attention gives), one with a NaN or +∞ score NaN (as PyTorch gives; the same NaN on both paths). Threads claim (batch, head, block
 * of 64 queries) items one at a time from a counter in the params (so a thread the OS delays does not
 * hold the others up); an item is computed whole by one thread, so the plain C and SIMD paths and any
 * thread count give the same bits. Every thread of the op must call. Aborts with a message on operands
 * that do not fit.
 */
#define MMGP_ATTENTION_BIAS 1     /* src[3] is the per-head bias */
#define MMGP_ATTENTION_MASK 2     /* the next src is the mask */
#define MMGP_ATTENTION_PORTABLE 4 /* the plain C path, as CPUs without AVX2/FMA run it */

/* userdata: 8 x 32 bits, living as long as the graph; one op's own (the op writes its scheduler fields). */
struct mmgp_attention_params {
    int32_t heads;       /* >= 1, divides D */
    float scale;         /* the factor of q·kᵀ */
    int32_t flags;       /* MMGP_ATTENTION_* */
    int32_t reserved;    /* 0 */
    int32_t claimed;     /* scheduler: 0 when built; the op leaves it 0 after every compute */
    int32_t finished;    /* scheduler: likewise */
    int32_t reserved2[2]; /* 0 */
};

/* The instruction path compiled in for the attention op: "plain C" where it has no SIMD path. */
MMGP_KERNELS_API const char * mmgp_attention_path(void);
/* The bytes each thread of the op mallocs for keys Tk and head dim hd (a graph plan counts them). */
MMGP_KERNELS_API int64_t mmgp_attention_thread_bytes(int64_t tk, int64_t hd);
MMGP_KERNELS_API void mmgp_attention(struct ggml_tensor * dst, int ith, int nth, void * userdata);

#ifdef __cplusplus
}
#endif

#endif /* MMGP_KERNELS_H */
