/*
 * mmgp_kernels: per-data-type compute peaks of this CPU, measured on registers only, and dot
 * products built from the same instructions (see mmgp_kernels.h).
 *
 * Every path is chosen at compile time from the target macros that -march=native (or
 * -mcpu=native) defines; mmgp_peak_path() names the one compiled in. The peak loops keep many
 * independent accumulator chains in flight so the multiply-add pipes, not the instruction
 * latency, bound them, and feed every result into a volatile sink so nothing can be dropped.
 */
#include "mmgp_kernels.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#if defined(__x86_64__) || defined(__i386__)
#include <immintrin.h>
#endif
#if defined(__ARM_NEON) && defined(__aarch64__)
#include <arm_neon.h>
#endif

/* ---------------------------------------------------------------------------------------------
 * Path selection, one per kind. The *_ASM_* macros below hide a register's value from the
 * optimiser (no instruction is emitted) so loop-invariant work is redone on every iteration.
 * ------------------------------------------------------------------------------------------- */
#if defined(__AVX512F__)
#define F32_AVX512 1
#define F32_PATH "avx512f vfmadd231ps zmm"
#elif defined(__AVX2__) && defined(__FMA__)
#define F32_AVX2 1
#define F32_PATH "avx2 vfmadd231ps ymm"
#elif defined(__ARM_NEON) && defined(__aarch64__)
#define F32_NEON 1
#define F32_PATH "neon fmla (vfmaq_f32)"
#else
#define F32_SCALAR 1
#define F32_PATH "scalar"
#endif

#if defined(__AVX512F__) && defined(__AVX512BF16__)
#define BF16_AVX512BF16 1
#define BF16_PATH "avx512_bf16 vdpbf16ps"
#elif defined(__AVX512F__)
#define BF16_AVX512_EMU 1
#define BF16_PATH "avx512f fma (bf16 emulated by widening)"
#elif defined(__AVX2__) && defined(__FMA__)
#define BF16_AVX2_EMU 1
#define BF16_PATH "avx2 fma (bf16 emulated by widening)"
#elif defined(__ARM_NEON) && defined(__aarch64__) && defined(__ARM_FEATURE_BF16_VECTOR_ARITHMETIC)
#define BF16_NEON_BFDOT 1
#define BF16_PATH "neon bfdot (vbfdotq_f32)"
#elif defined(__ARM_NEON) && defined(__aarch64__)
#define BF16_NEON_EMU 1
#define BF16_PATH "neon fmla (bf16 emulated by widening)"
#else
#define BF16_SCALAR 1
#define BF16_PATH "scalar (bf16 emulated by widening)"
#endif

#if defined(__AVX512F__) && defined(__AVX512VNNI__)
#define I8_AVX512VNNI 1
#define I8_PATH "avx512_vnni vpdpbusd zmm"
#elif defined(__AVXVNNI__)
#define I8_AVXVNNI 1
#define I8_PATH "avx_vnni vpdpbusd ymm"
#elif defined(__AVX512BW__)
#define I8_AVX512BW 1
#define I8_PATH "avx512bw vpmaddubsw+vpmaddwd"
#elif defined(__AVX2__)
#define I8_AVX2 1
#define I8_PATH "avx2 vpmaddubsw+vpmaddwd"
#elif defined(__ARM_NEON) && defined(__aarch64__) && defined(__ARM_FEATURE_MATMUL_INT8)
#define I8_NEON_USDOT 1
#define I8_PATH "neon usdot (i8mm)"
#elif defined(__ARM_NEON) && defined(__aarch64__) && defined(__ARM_FEATURE_DOTPROD)
#define I8_NEON_SDOT 1
#define I8_PATH "neon sdot (dotprod)"
#else
#define I8_SCALAR 1
#define I8_PATH "scalar"
#endif

#if defined(__GNUC__) || defined(__clang__)
#define OPAQUE_X(v) __asm__ volatile("" : "+x"(v)) /* xmm/ymm 0-15 */
#define OPAQUE_V(v) __asm__ volatile("" : "+v"(v)) /* any EVEX register */
#define OPAQUE_W(v) __asm__ volatile("" : "+w"(v)) /* an arm64 SIMD register */
#define OPAQUE_R(v) __asm__ volatile("" : "+r"(v)) /* a general register */
#define NOINLINE __attribute__((noinline))
#else
#define OPAQUE_X(v) ((void)0)
#define OPAQUE_V(v) ((void)0)
#define OPAQUE_W(v) ((void)0)
#define OPAQUE_R(v) ((void)0)
#define NOINLINE
#endif

/* Chain unrolling by hand: X(k) for every chain index, so each chain is its own variable. */
#define CH8(X) X(0) X(1) X(2) X(3) X(4) X(5) X(6) X(7)
#define CH12(X) CH8(X) X(8) X(9) X(10) X(11)
#define CH16(X) CH12(X) X(12) X(13) X(14) X(15)
#define CH24(X) CH16(X) X(16) X(17) X(18) X(19) X(20) X(21) X(22) X(23)

/*
 * The loop of every peak_* function below, for its kind K (F32, BF16, I8): K_CHAIN(k) declares
 * chain k, each iteration runs K_PRE (makes the shared operands opaque, so the compiler cannot
 * hoist the work out of the loop) and then K_STEP(k) on every chain, and K_SUM(k) adds chain k
 * into the function's s at the end. The chains are independent, so the core can issue a step every
 * cycle; CHAINS (CH8 ... CH24) is how many it takes to cover the latency on the path.
 */
#define PEAK_LOOP(CHAINS, K)                  \
    CHAINS(K##_CHAIN)                         \
    for (long i = 0; i < iters; i++) {        \
        K##_PRE                               \
        CHAINS(K##_STEP)                      \
    }                                         \
    CHAINS(K##_SUM)

static float bf16_to_f32(uint16_t h) {
    uint32_t u = (uint32_t)h << 16;
    float f;
    memcpy(&f, &u, sizeof f);
    return f;
}

#if F32_AVX2 || BF16_AVX2_EMU
static inline float hsum256_ps(__m256 v) {
    __m128 s = _mm_add_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps(v, 1));
    s = _mm_add_ps(s, _mm_movehl_ps(s, s));
    s = _mm_add_ss(s, _mm_shuffle_ps(s, s, 0x55));
    return _mm_cvtss_f32(s);
}
#endif

#if I8_AVXVNNI || I8_AVX2
static inline int32_t hsum256_epi32(__m256i v) {
    __m128i s = _mm_add_epi32(_mm256_castsi256_si128(v), _mm256_extracti128_si256(v, 1));
    s = _mm_add_epi32(s, _mm_shuffle_epi32(s, 0x4e));
    s = _mm_add_epi32(s, _mm_shuffle_epi32(s, 0xb1));
    return _mm_cvtsi128_si32(s);
}
#endif

/*
 * The x86 paths exist at two register widths with the same code: V512_op and V256_op name one
 * operation on zmm and on ymm registers, and each kind below picks its width once (K_V(op) is
 * V512_op or V256_op), so a path is written once for both. LANES counts FP32 lanes; the integer
 * paths take 4 bytes a lane.
 */
#define V512_PS __m512
#define V512_SI __m512i
#define V512_LANES 16
#define V512_NCHAINS 16
#define V512_CHAINS CH16
#define V512_OPAQUE OPAQUE_V
#define V512_SET1_PS _mm512_set1_ps
#define V512_ZERO_PS _mm512_setzero_ps
#define V512_ADD_PS _mm512_add_ps
#define V512_FMADD_PS _mm512_fmadd_ps
#define V512_LOAD_PS _mm512_loadu_ps
#define V512_HSUM_PS _mm512_reduce_add_ps
#define V512_CAST_PS _mm512_castsi512_ps
#define V512_LOAD_SI(p) _mm512_loadu_si512((const void *)(p))
#define V512_ZERO_SI _mm512_setzero_si512
#define V512_AND_SI _mm512_and_si512
#define V512_SET1_EPI8 _mm512_set1_epi8
#define V512_SET1_EPI16 _mm512_set1_epi16
#define V512_SET1_EPI32 _mm512_set1_epi32
#define V512_SLLI_EPI32 _mm512_slli_epi32
#define V512_ADD_EPI32 _mm512_add_epi32
#define V512_MADDUBS_EPI16 _mm512_maddubs_epi16
#define V512_MADD_EPI16 _mm512_madd_epi16
#define V512_DPBUSD _mm512_dpbusd_epi32
#define V512_HSUM_EPI32 _mm512_reduce_add_epi32

#define V256_PS __m256
#define V256_SI __m256i
#define V256_LANES 8
#define V256_NCHAINS 12
#define V256_CHAINS CH12
#define V256_OPAQUE OPAQUE_X
#define V256_SET1_PS _mm256_set1_ps
#define V256_ZERO_PS _mm256_setzero_ps
#define V256_ADD_PS _mm256_add_ps
#define V256_FMADD_PS _mm256_fmadd_ps
#define V256_LOAD_PS _mm256_loadu_ps
#define V256_HSUM_PS hsum256_ps
#define V256_CAST_PS _mm256_castsi256_ps
#define V256_LOAD_SI(p) _mm256_loadu_si256((const __m256i *)(p))
#define V256_ZERO_SI _mm256_setzero_si256
#define V256_AND_SI _mm256_and_si256
#define V256_SET1_EPI8 _mm256_set1_epi8
#define V256_SET1_EPI16 _mm256_set1_epi16
#define V256_SET1_EPI32 _mm256_set1_epi32
#define V256_SLLI_EPI32 _mm256_slli_epi32
#define V256_ADD_EPI32 _mm256_add_epi32
#define V256_MADDUBS_EPI16 _mm256_maddubs_epi16
#define V256_MADD_EPI16 _mm256_madd_epi16
#define V256_DPBUSD _mm256_dpbusd_avx_epi32
#define V256_HSUM_EPI32 hsum256_epi32

/* ---------------------------------------------------------------------------------------------
 * Scalar reference versions (the fallback path, also exported).
 * ------------------------------------------------------------------------------------------- */
float mmgp_dot_f32_scalar(const float * a, const float * b, long n) {
    float s = 0.0f;
    for (long i = 0; i < n; i++) s += a[i] * b[i];
    return s;
}

float mmgp_dot_bf16_scalar(const uint16_t * a, const uint16_t * b, long n) {
    float s = 0.0f;
    for (long i = 0; i < n; i++) s += bf16_to_f32(a[i]) * bf16_to_f32(b[i]);
    return s;
}

int32_t mmgp_dot_u8s8_scalar(const uint8_t * a, const int8_t * b, long n) {
    uint32_t s = 0; /* unsigned: wraps like the int32 vector adds, without undefined overflow */
    for (long i = 0; i < n; i++) s += (uint32_t)((int32_t)a[i] * (int32_t)b[i]);
    return (int32_t)s;
}

/* ---------------------------------------------------------------------------------------------
 * FP32: c = c * a + b per chain on x86 (converges to b / (1 - a), so values stay normal).
 * ------------------------------------------------------------------------------------------- */
#if F32_AVX512 || F32_AVX2
#if F32_AVX512
#define F32_V(op) V512_##op
#else
#define F32_V(op) V256_##op
#endif
#define F32_OPS_PER_ITER (F32_V(LANES) * F32_V(NCHAINS) * 2.0)
#define F32_CHAIN(k) F32_V(PS) c##k = F32_V(SET1_PS)(1.0f + (float)(k));
#define F32_PRE
#define F32_STEP(k) c##k = F32_V(FMADD_PS)(c##k, a, b); F32_V(OPAQUE)(c##k);
#define F32_SUM(k) s = F32_V(ADD_PS)(s, c##k);
static NOINLINE double peak_f32(long iters) {
    F32_V(PS) a = F32_V(SET1_PS)(0.999999f), b = F32_V(SET1_PS)(1e-7f);
    F32_V(PS) s = F32_V(ZERO_PS)();
    PEAK_LOOP(F32_V(CHAINS), F32)
    return F32_V(HSUM_PS)(s);
}

float mmgp_dot_f32(const float * a, const float * b, long n) {
    enum { W = F32_V(LANES) };
    F32_V(PS) s0 = F32_V(ZERO_PS)(), s1 = F32_V(ZERO_PS)();
    long i = 0;
    for (; i + 2 * W <= n; i += 2 * W) {
        s0 = F32_V(FMADD_PS)(F32_V(LOAD_PS)(a + i), F32_V(LOAD_PS)(b + i), s0);
        s1 = F32_V(FMADD_PS)(F32_V(LOAD_PS)(a + i + W), F32_V(LOAD_PS)(b + i + W), s1);
    }
    for (; i + W <= n; i += W) s0 = F32_V(FMADD_PS)(F32_V(LOAD_PS)(a + i), F32_V(LOAD_PS)(b + i), s0);
    float s = F32_V(HSUM_PS)(F32_V(ADD_PS)(s0, s1));
    for (; i < n; i++) s += a[i] * b[i];
    return s;
}
#elif F32_NEON
#define F32_OPS_PER_ITER (4.0 * 24 * 2)
#define F32_CHAIN(k) float32x4_t c##k = vdupq_n_f32(1.0f + (float)(k));
#define F32_PRE OPAQUE_W(a);
#define F32_STEP(k) c##k = vfmaq_f32(c##k, a, b); OPAQUE_W(c##k);
#define F32_SUM(k) s = vaddq_f32(s, c##k);
static NOINLINE double peak_f32(long iters) {
    /* fmla accumulates into its destination, so the chain is c += a * b here (no register copy
     * of b per chain); 1 + 1e-8 rounds back to the chain's value, which stays normal. */
    float32x4_t a = vdupq_n_f32(1e-4f), b = vdupq_n_f32(1e-4f);
    float32x4_t s = vdupq_n_f32(0.0f);
    PEAK_LOOP(CH24, F32)
    return vaddvq_f32(s);
}

float mmgp_dot_f32(const float * a, const float * b, long n) {
    float32x4_t s0 = vdupq_n_f32(0.0f), s1 = vdupq_n_f32(0.0f);
    long i = 0;
    for (; i + 8 <= n; i += 8) {
        s0 = vfmaq_f32(s0, vld1q_f32(a + i), vld1q_f32(b + i));
        s1 = vfmaq_f32(s1, vld1q_f32(a + i + 4), vld1q_f32(b + i + 4));
    }
    for (; i + 4 <= n; i += 4) s0 = vfmaq_f32(s0, vld1q_f32(a + i), vld1q_f32(b + i));
    float s = vaddvq_f32(vaddq_f32(s0, s1));
    for (; i < n; i++) s += a[i] * b[i];
    return s;
}
#else
#define F32_OPS_PER_ITER (8.0 * 2)
#define F32_CHAIN(k) float c##k = 1.0f + (float)(k);
#define F32_PRE
#define F32_STEP(k) c##k = c##k * a + b;
#define F32_SUM(k) s += c##k;
static NOINLINE double peak_f32(long iters) {
    float a = 0.999999f, b = 1e-7f;
    double s = 0;
    PEAK_LOOP(CH8, F32)
    return (double)s;
}

float mmgp_dot_f32(const float * a, const float * b, long n) {
    return mmgp_dot_f32_scalar(a, b, n);
}
#endif

/* ---------------------------------------------------------------------------------------------
 * BF16. With a dot instruction: acc = dot(acc, A, B). Emulated: one raw register of bf16 pairs
 * is widened to FP32 on every iteration (even elements by a shift, odd ones by a mask) and feeds
 * all chains, the way a GEMM micro-kernel amortises one widened panel over many accumulators.
 * ------------------------------------------------------------------------------------------- */
/* bf16 0.03125 (0x3D00) in both halves of a 32-bit lane; products stay normal and small. */
#define BF16_PAIR_BITS 0x3D003D00u

#if BF16_AVX512BF16
#define BF16_OPS_PER_ITER (16.0 * 16 * 4)
#define BF16_CHAIN(k) __m512 c##k = _mm512_set1_ps(1.0f + (float)(k));
#define BF16_PRE OPAQUE_V(a);
#define BF16_STEP(k) c##k = _mm512_dpbf16_ps(c##k, a, b); OPAQUE_V(c##k);
#define BF16_SUM(k) s = _mm512_add_ps(s, c##k);
static NOINLINE double peak_bf16(long iters) {
    __m512bh a = (__m512bh)_mm512_set1_epi32((int)BF16_PAIR_BITS), b = a;
    __m512 s = _mm512_setzero_ps();
    PEAK_LOOP(CH16, BF16)
    return _mm512_reduce_add_ps(s);
}

float mmgp_dot_bf16(const uint16_t * a, const uint16_t * b, long n) {
    __m512 s0 = _mm512_setzero_ps();
    long i = 0;
    for (; i + 32 <= n; i += 32) {
        s0 = _mm512_dpbf16_ps(s0, (__m512bh)_mm512_loadu_si512((const void *)(a + i)),
                              (__m512bh)_mm512_loadu_si512((const void *)(b + i)));
    }
    float s = _mm512_reduce_add_ps(s0);
    for (; i < n; i++) s += bf16_to_f32(a[i]) * bf16_to_f32(b[i]);
    return s;
}
#elif BF16_AVX512_EMU || BF16_AVX2_EMU
#if BF16_AVX512_EMU
#define BF16_V(op) V512_##op
#else
#define BF16_V(op) V256_##op
#endif
#define BF16_OPS_PER_ITER (BF16_V(LANES) * BF16_V(NCHAINS) * 2 * 2.0)
#define BF16_CHAIN(k) BF16_V(PS) c##k = BF16_V(SET1_PS)(1.0f + (float)(k));
#define BF16_PRE \
    BF16_V(OPAQUE)(raw); \
    BF16_V(PS) lo = BF16_V(CAST_PS)(BF16_V(SLLI_EPI32)(raw, 16)); \
    BF16_V(PS) hi = BF16_V(CAST_PS)(BF16_V(AND_SI)(raw, odd));
#define BF16_STEP(k) c##k = BF16_V(FMADD_PS)(lo, lo, c##k); c##k = BF16_V(FMADD_PS)(hi, hi, c##k); BF16_V(OPAQUE)(c##k);
#define BF16_SUM(k) s = BF16_V(ADD_PS)(s, c##k);
static NOINLINE double peak_bf16(long iters) {
    BF16_V(SI) raw = BF16_V(SET1_EPI32)((int)BF16_PAIR_BITS);
    const BF16_V(SI) odd = BF16_V(SET1_EPI32)((int)0xFFFF0000u);
    BF16_V(PS) s = BF16_V(ZERO_PS)();
    PEAK_LOOP(BF16_V(CHAINS), BF16)
    return BF16_V(HSUM_PS)(s);
}

float mmgp_dot_bf16(const uint16_t * a, const uint16_t * b, long n) {
    enum { W = 2 * BF16_V(LANES) }; /* bf16 values a register holds */
    const BF16_V(SI) odd = BF16_V(SET1_EPI32)((int)0xFFFF0000u);
    BF16_V(PS) s0 = BF16_V(ZERO_PS)(), s1 = BF16_V(ZERO_PS)();
    long i = 0;
    for (; i + W <= n; i += W) {
        BF16_V(SI) x = BF16_V(LOAD_SI)(a + i), y = BF16_V(LOAD_SI)(b + i);
        s0 = BF16_V(FMADD_PS)(BF16_V(CAST_PS)(BF16_V(SLLI_EPI32)(x, 16)), BF16_V(CAST_PS)(BF16_V(SLLI_EPI32)(y, 16)), s0);
        s1 = BF16_V(FMADD_PS)(BF16_V(CAST_PS)(BF16_V(AND_SI)(x, odd)), BF16_V(CAST_PS)(BF16_V(AND_SI)(y, odd)), s1);
    }
    float s = BF16_V(HSUM_PS)(BF16_V(ADD_PS)(s0, s1));
    for (; i < n; i++) s += bf16_to_f32(a[i]) * bf16_to_f32(b[i]);
    return s;
}
#elif BF16_NEON_BFDOT
#define BF16_OPS_PER_ITER (4.0 * 24 * 4)
#define BF16_CHAIN(k) float32x4_t c##k = vdupq_n_f32(1.0f + (float)(k));
#define BF16_PRE OPAQUE_W(raw); bfloat16x8_t a = vreinterpretq_bf16_u16(raw);
#define BF16_STEP(k) c##k = vbfdotq_f32(c##k, a, b); OPAQUE_W(c##k);
#define BF16_SUM(k) s = vaddq_f32(s, c##k);
static NOINLINE double peak_bf16(long iters) {
    uint16x8_t raw = vreinterpretq_u16_u32(vdupq_n_u32(BF16_PAIR_BITS));
    bfloat16x8_t b = vreinterpretq_bf16_u16(raw);
    float32x4_t s = vdupq_n_f32(0.0f);
    PEAK_LOOP(CH24, BF16)
    return vaddvq_f32(s);
}

float mmgp_dot_bf16(const uint16_t * a, const uint16_t * b, long n) {
    float32x4_t s0 = vdupq_n_f32(0.0f);
    long i = 0;
    for (; i + 8 <= n; i += 8) {
        s0 = vbfdotq_f32(s0, vreinterpretq_bf16_u16(vld1q_u16(a + i)), vreinterpretq_bf16_u16(vld1q_u16(b + i)));
    }
    float s = vaddvq_f32(s0);
    for (; i < n; i++) s += bf16_to_f32(a[i]) * bf16_to_f32(b[i]);
    return s;
}
#elif BF16_NEON_EMU
#define BF16_OPS_PER_ITER (4.0 * 24 * 2 * 2)
#define BF16_CHAIN(k) float32x4_t c##k = vdupq_n_f32(1.0f + (float)(k));
#define BF16_PRE \
    OPAQUE_W(raw); \
    float32x4_t lo = vreinterpretq_f32_u32(vshll_n_u16(vget_low_u16(raw), 16)); \
    float32x4_t hi = vreinterpretq_f32_u32(vshll_high_n_u16(raw, 16));
#define BF16_STEP(k) c##k = vfmaq_f32(c##k, lo, lo); c##k = vfmaq_f32(c##k, hi, hi); OPAQUE_W(c##k);
#define BF16_SUM(k) s = vaddq_f32(s, c##k);
static NOINLINE double peak_bf16(long iters) {
    uint16x8_t raw = vreinterpretq_u16_u32(vdupq_n_u32(BF16_PAIR_BITS));
    float32x4_t s = vdupq_n_f32(0.0f);
    PEAK_LOOP(CH24, BF16)
    return vaddvq_f32(s);
}

float mmgp_dot_bf16(const uint16_t * a, const uint16_t * b, long n) {
    float32x4_t s0 = vdupq_n_f32(0.0f), s1 = vdupq_n_f32(0.0f);
    long i = 0;
    for (; i + 8 <= n; i += 8) {
        uint16x8_t x = vld1q_u16(a + i), y = vld1q_u16(b + i);
        s0 = vfmaq_f32(s0, vreinterpretq_f32_u32(vshll_n_u16(vget_low_u16(x), 16)),
                       vreinterpretq_f32_u32(vshll_n_u16(vget_low_u16(y), 16)));
        s1 = vfmaq_f32(s1, vreinterpretq_f32_u32(vshll_high_n_u16(x, 16)), vreinterpretq_f32_u32(vshll_high_n_u16(y, 16)));
    }
    float s = vaddvq_f32(vaddq_f32(s0, s1));
    for (; i < n; i++) s += bf16_to_f32(a[i]) * bf16_to_f32(b[i]);
    return s;
}
#else
#define BF16_OPS_PER_ITER (8.0 * 2 * 2)
static float f32_from_bits(uint32_t u) {
    float f;
    memcpy(&f, &u, sizeof f);
    return f;
}

#define BF16_CHAIN(k) float c##k = 1.0f + (float)(k);
#define BF16_PRE OPAQUE_R(raw); float lo = f32_from_bits(raw << 16), hi = f32_from_bits(raw & 0xFFFF0000u);
#define BF16_STEP(k) c##k = c##k * lo + hi; c##k = c##k * hi + lo;
#define BF16_SUM(k) s += c##k;
static NOINLINE double peak_bf16(long iters) {
    uint32_t raw = BF16_PAIR_BITS;
    double s = 0;
    PEAK_LOOP(CH8, BF16)
    return (double)s;
}

float mmgp_dot_bf16(const uint16_t * a, const uint16_t * b, long n) {
    return mmgp_dot_bf16_scalar(a, b, n);
}
#endif

/* ---------------------------------------------------------------------------------------------
 * INT8 (u8 x s8 -> int32). With a dot instruction: acc = dot(acc, A, B). With vpmaddubsw the
 * products do not depend on the accumulator, so each chain feeds its own accumulator's bytes
 * back in as the u8 operand: every chain then needs its own vpmaddubsw + vpmaddwd + vpaddd,
 * which is what a GEMM micro-kernel issues per accumulator. Integer values just wrap.
 * ------------------------------------------------------------------------------------------- */
#if I8_AVX512VNNI || I8_AVXVNNI || I8_AVX512BW || I8_AVX2
#if I8_AVX512VNNI || I8_AVX512BW
#define I8_V(op) V512_##op
#else
#define I8_V(op) V256_##op
#endif
#define I8_OPS_PER_ITER (4 * I8_V(LANES) * I8_V(NCHAINS) * 2.0)
#define I8_CHAIN(k) I8_V(SI) c##k = I8_V(SET1_EPI32)(k);
#define I8_SUM(k) s = I8_V(ADD_EPI32)(s, c##k);
#if I8_AVX512VNNI || I8_AVXVNNI
#define I8_PRE I8_V(OPAQUE)(a);
#define I8_STEP(k) c##k = I8_V(DPBUSD)(c##k, a, b); I8_V(OPAQUE)(c##k);
static NOINLINE double peak_i8(long iters) {
    I8_V(SI) a = I8_V(SET1_EPI8)(3), b = I8_V(SET1_EPI8)(-2);
    I8_V(SI) s = I8_V(ZERO_SI)();
    PEAK_LOOP(I8_V(CHAINS), I8)
    return (double)I8_V(HSUM_EPI32)(s);
}

/* The products of one register of u8 x s8 pairs, summed by fours into int32 lanes and added to acc. */
#define I8_DOT(acc, x, y) I8_V(DPBUSD)((acc), (x), (y))
#else
#define I8_PRE I8_V(OPAQUE)(b);
#define I8_STEP(k) c##k = I8_V(ADD_EPI32)(c##k, I8_V(MADD_EPI16)(I8_V(MADDUBS_EPI16)(c##k, b), ones)); I8_V(OPAQUE)(c##k);
static NOINLINE double peak_i8(long iters) {
    I8_V(SI) b = I8_V(SET1_EPI8)(-2);
    const I8_V(SI) ones = I8_V(SET1_EPI16)(1);
    I8_V(SI) s = I8_V(ZERO_SI)();
    PEAK_LOOP(I8_V(CHAINS), I8)
    return (double)I8_V(HSUM_EPI32)(s);
}

#define I8_DOT(acc, x, y) I8_V(ADD_EPI32)((acc), I8_V(MADD_EPI16)(I8_V(MADDUBS_EPI16)((x), (y)), I8_V(SET1_EPI16)(1)))
#endif

int32_t mmgp_dot_u8s8(const uint8_t * a, const int8_t * b, long n) {
    enum { W = 4 * I8_V(LANES) }; /* bytes a register holds */
    I8_V(SI) s0 = I8_V(ZERO_SI)();
    long i = 0;
    for (; i + W <= n; i += W) s0 = I8_DOT(s0, I8_V(LOAD_SI)(a + i), I8_V(LOAD_SI)(b + i));
    uint32_t s = (uint32_t)I8_V(HSUM_EPI32)(s0);
    for (; i < n; i++) s += (uint32_t)((int32_t)a[i] * (int32_t)b[i]);
    return (int32_t)s;
}
#elif I8_NEON_USDOT || I8_NEON_SDOT
#define I8_OPS_PER_ITER (16.0 * 24 * 2)
#if I8_NEON_USDOT
#define NEON_DOT_U8S8(acc, u, s) vusdotq_s32((acc), (u), (s))
#else
#define NEON_DOT_U8S8(acc, u, s) vdotq_s32((acc), vreinterpretq_s8_u8(u), (s))
#endif
#define I8_CHAIN(k) int32x4_t c##k = vdupq_n_s32(k);
#define I8_PRE OPAQUE_W(a);
#define I8_STEP(k) c##k = NEON_DOT_U8S8(c##k, a, b); OPAQUE_W(c##k);
#define I8_SUM(k) s = vaddq_s32(s, c##k);
static NOINLINE double peak_i8(long iters) {
    uint8x16_t a = vdupq_n_u8(3);
    int8x16_t b = vdupq_n_s8(-2);
    int32x4_t s = vdupq_n_s32(0);
    PEAK_LOOP(CH24, I8)
    return (double)vaddvq_s32(s);
}

int32_t mmgp_dot_u8s8(const uint8_t * a, const int8_t * b, long n) {
    int32x4_t s0 = vdupq_n_s32(0);
    long i = 0;
    for (; i + 16 <= n; i += 16) s0 = NEON_DOT_U8S8(s0, vld1q_u8(a + i), vld1q_s8(b + i));
    uint32_t s = (uint32_t)vaddvq_s32(s0);
    for (; i < n; i++) s += (uint32_t)((int32_t)a[i] * (int32_t)b[i]);
    return (int32_t)s;
}
#else
#define I8_OPS_PER_ITER (8.0 * 2)
#define I8_CHAIN(k) uint32_t c##k = (uint32_t)(k) + 1u;
#define I8_PRE OPAQUE_R(b);
#define I8_STEP(k) c##k += (uint32_t)((int32_t)(uint8_t)c##k * b);
#define I8_SUM(k) s += c##k;
static NOINLINE double peak_i8(long iters) {
    int32_t b = -2;
    uint32_t s = 0;
    PEAK_LOOP(CH8, I8)
    return (double)s;
}

int32_t mmgp_dot_u8s8(const uint8_t * a, const int8_t * b, long n) {
    return mmgp_dot_u8s8_scalar(a, b, n);
}
#endif

/* ---------------------------------------------------------------------------------------------
 * AMX tiles (Intel Sapphire Rapids and later): TDPBF16PS and TDPBUSD on 16 x 64-byte tiles,
 * compiled only when the compiler targets AMX and only on Linux, where a process must ask the
 * kernel for the tile data state (arch_prctl ARCH_REQ_XCOMP_PERM) before its first tile
 * instruction. Each call of a peak function loads the tile config, runs its chunk and releases
 * the tiles, so every worker thread configures its own tiles.
 *
 * The tile config is loaded and read back with our own asm: GCC 12's _tile_loadconfig declares
 * its memory input as 8 bytes, so the compiler may drop the stores that fill the other 56, and
 * the tile loads take their operand as a sized memory input for the same reason.
 * ------------------------------------------------------------------------------------------- */
#if defined(__linux__) && defined(__x86_64__) && defined(__AMX_TILE__) && (defined(__AMX_BF16__) || defined(__AMX_INT8__))
#define AMX_LINUX 1
#include <cpuid.h>
#include <errno.h>
#include <stdio.h>
#include <sys/syscall.h>
#endif
#define AMXBF16_PATH "amx tdpbf16ps, 4 tiles 16x16 fp32"
#define AMXI8_PATH "amx tdpbusd, 4 tiles 16x16 int32"

#if AMX_LINUX
/* ldtilecfg's 64-byte layout, palette 1: tiles 0-3 accumulate, 4-5 hold A, 6-7 hold B, all 16 rows of 64 bytes. */
typedef struct {
    uint8_t palette, start_row, reserved[14];
    uint16_t colsb[16];
    uint8_t rows[16];
} tilecfg_t;

static const tilecfg_t AMX_CONFIG __attribute__((aligned(64))) = {
    .palette = 1,
    .colsb = {64, 64, 64, 64, 64, 64, 64, 64},
    .rows = {16, 16, 16, 16, 16, 16, 16, 16},
};

#define AMX_TILE_BYTES 1024 /* 16 rows x 64 bytes */

static inline void amx_load_config(const tilecfg_t * c) {
    __asm__ volatile("ldtilecfg %0" : : "m"(*c));
}

static inline void amx_store_config(tilecfg_t * c) {
    __asm__ volatile("sttilecfg %0" : "=m"(*c));
}

#define AMX_LOAD(t, p) \
    __asm__ volatile("tileloadd (%0,%1,1), %%tmm" #t : : "r"(p), "r"(64L), "m"(*(const uint8_t(*)[AMX_TILE_BYTES])(p)))

/* Why the AMX kinds cannot run (NULL: they can), found once per process by amx_probe. */
static pthread_once_t g_amx_once = PTHREAD_ONCE_INIT;
static const char * g_amx_tile_why;
static int g_amx_bf16_cpu, g_amx_int8_cpu;
/* The refused permission's text with its errno, which tells a kernel before Linux 5.16 (EINVAL) from other refusals. */
static char g_amx_perm_why[160];

static void amx_probe(void) {
    unsigned a, b, c, d;
    if (!__get_cpuid_count(7, 0, &a, &b, &c, &d) || !(d & (1u << 24))) {
        g_amx_tile_why = "unavailable: this CPU has no AMX tiles (cpuid)";
        return;
    }
    g_amx_bf16_cpu = (d >> 22) & 1;
    g_amx_int8_cpu = (d >> 25) & 1;
    /* ARCH_REQ_XCOMP_PERM (0x1023) for XFEATURE_XTILEDATA (18): process-wide, granted once. */
    if (syscall(SYS_arch_prctl, 0x1023, 18) != 0) {
        int err = errno;
        snprintf(g_amx_perm_why, sizeof g_amx_perm_why, "unavailable: Linux refused the tile data permission (arch_prctl ARCH_REQ_XCOMP_PERM: %s)",
                 strerror(err));
        g_amx_tile_why = g_amx_perm_why;
        return;
    }
    tilecfg_t back;
    amx_load_config(&AMX_CONFIG);
    amx_store_config(&back);
    _tile_release();
    if (memcmp(&back, &AMX_CONFIG, sizeof back) != 0) g_amx_tile_why = "unavailable: the tile config did not load (sttilecfg differs)";
}

/*
 * The timed loop of both AMX kinds, for the tile product instruction DP: accumulators 0-3 from A
 * tiles 4-5 times B tiles 6-7, four independent products per iteration; the A and B tiles are
 * loaded from a and b (AMX_TILE_BYTES each) and the accumulators stored to c[4][256].
 */
#define AMX_PEAK_LOOP(DP)             \
    amx_load_config(&AMX_CONFIG);     \
    AMX_LOAD(4, a);                   \
    AMX_LOAD(5, a);                   \
    AMX_LOAD(6, b);                   \
    AMX_LOAD(7, b);                   \
    _tile_zero(0);                    \
    _tile_zero(1);                    \
    _tile_zero(2);                    \
    _tile_zero(3);                    \
    for (long i = 0; i < iters; i++) { \
        DP(0, 4, 6);                  \
        DP(1, 4, 7);                  \
        DP(2, 5, 6);                  \
        DP(3, 5, 7);                  \
    }                                 \
    _tile_stored(0, c[0], 64);        \
    _tile_stored(1, c[1], 64);        \
    _tile_stored(2, c[2], 64);        \
    _tile_stored(3, c[3], 64);        \
    _tile_release();
#endif

#if AMX_LINUX && defined(__AMX_BF16__)
/* 16 x 16 outputs, each a 32-pair dot product, per tile product. */
#define AMXBF16_OPS_PER_ITER (4 * 16.0 * 16 * 32 * 2)
static NOINLINE double peak_amx_bf16(long iters) {
    /* Every bf16 is 1/8 (0x3e00): a product adds 1/2 to each fp32 lane, exact for any chunk here. */
    uint16_t a[AMX_TILE_BYTES / 2] __attribute__((aligned(64))), b[AMX_TILE_BYTES / 2] __attribute__((aligned(64)));
    float c[4][AMX_TILE_BYTES / 4] __attribute__((aligned(64)));
    for (int i = 0; i < AMX_TILE_BYTES / 2; i++) a[i] = b[i] = 0x3e00;
    AMX_PEAK_LOOP(_tile_dpbf16ps)
    return (double)c[0][0] + c[1][17] + c[2][100] + c[3][255];
}
#endif

#if AMX_LINUX && defined(__AMX_INT8__)
/* 16 x 16 outputs, each a 64-byte dot product, per tile product. */
#define AMXI8_OPS_PER_ITER (4 * 16.0 * 16 * 64 * 2)
static NOINLINE double peak_amx_i8(long iters) {
    /* u8 3 times s8 -2: a product adds -384 to each int32 lane, far from wrapping in a chunk. */
    uint8_t a[AMX_TILE_BYTES] __attribute__((aligned(64)));
    int8_t b[AMX_TILE_BYTES] __attribute__((aligned(64)));
    int32_t c[4][AMX_TILE_BYTES / 4] __attribute__((aligned(64)));
    memset(a, 3, sizeof a);
    memset(b, -2, sizeof b);
    AMX_PEAK_LOOP(_tile_dpbusd)
    return (double)c[0][0] + c[1][17] + c[2][100] + c[3][255];
}
#endif

/* Why an AMX kind cannot run here, or NULL when it can; asks for the tile permission the first time. */
static const char * amx_bf16_why_not(void) {
#if AMX_LINUX && defined(__AMX_BF16__)
    pthread_once(&g_amx_once, amx_probe);
    if (g_amx_tile_why != NULL) return g_amx_tile_why;
    return g_amx_bf16_cpu ? NULL : "unavailable: this CPU has no AMX-BF16 (cpuid)";
#else
    return "unavailable: not compiled for AMX-BF16 (needs Linux x86-64 and a compiler targeting amx-tile and amx-bf16)";
#endif
}

static const char * amx_i8_why_not(void) {
#if AMX_LINUX && defined(__AMX_INT8__)
    pthread_once(&g_amx_once, amx_probe);
    if (g_amx_tile_why != NULL) return g_amx_tile_why;
    return g_amx_int8_cpu ? NULL : "unavailable: this CPU has no AMX-INT8 (cpuid)";
#else
    return "unavailable: not compiled for AMX-INT8 (needs Linux x86-64 and a compiler targeting amx-tile and amx-int8)";
#endif
}

#if !(AMX_LINUX && defined(__AMX_BF16__))
#define peak_amx_bf16 NULL /* never called: amx_bf16_why_not says why */
#define AMXBF16_OPS_PER_ITER 0.0
#endif
#if !(AMX_LINUX && defined(__AMX_INT8__))
#define peak_amx_i8 NULL /* never called: amx_i8_why_not says why */
#define AMXI8_OPS_PER_ITER 0.0
#endif

/* ---------------------------------------------------------------------------------------------
 * Threads and timing.
 * ------------------------------------------------------------------------------------------- */
typedef double (*peak_fn)(long iters);

static const struct {
    peak_fn fn;
    double ops_per_iter;
    const char * path;
    const char * (*why_not)(void); /* NULL: always runs; else the reason it cannot, or NULL when it can */
} KINDS[] = {
    {peak_f32, F32_OPS_PER_ITER, F32_PATH, NULL},
    {peak_bf16, BF16_OPS_PER_ITER, BF16_PATH, NULL},
    {peak_i8, I8_OPS_PER_ITER, I8_PATH, NULL},
    {peak_amx_bf16, AMXBF16_OPS_PER_ITER, AMXBF16_PATH, amx_bf16_why_not},
    {peak_amx_i8, AMXI8_OPS_PER_ITER, AMXI8_PATH, amx_i8_why_not},
};
#define NKINDS ((int)(sizeof KINDS / sizeof KINDS[0]))

/* Iterations between clock reads: tens of microseconds on the vector paths above, a few hundred on AMX. */
#define CHUNK 8192L

static volatile double g_sink;

/* A reusable start line for the worker threads (macOS has no pthread_barrier_t). */
typedef struct {
    pthread_mutex_t mutex;
    pthread_cond_t cond;
    int parties, waiting;
    unsigned long generation;
} gate_t;

static void gate_wait(gate_t * g) {
    pthread_mutex_lock(&g->mutex);
    unsigned long gen = g->generation;
    if (++g->waiting == g->parties) {
        g->waiting = 0;
        g->generation++;
        pthread_cond_broadcast(&g->cond);
    } else {
        while (gen == g->generation) pthread_cond_wait(&g->cond, &g->mutex);
    }
    pthread_mutex_unlock(&g->mutex);
}

static double now_seconds(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

typedef struct {
    int kind;
    double seconds;
    gate_t * gate;
    double ops;
    double elapsed;
    double sink;
} job_t;

static void * run_job(void * arg) {
    job_t * job = (job_t *)arg;
    peak_fn fn = KINDS[job->kind].fn;
    double sink = 0.0;
    /* Warm-up (clock ramp, wider-vector power state) before all threads start timing together. */
    double warm = job->seconds * 0.1 < 0.2 ? job->seconds * 0.1 : 0.2;
    gate_wait(job->gate);
    double t0 = now_seconds();
    do sink += fn(CHUNK); while (now_seconds() - t0 < warm);
    gate_wait(job->gate);
    long chunks = 0;
    double elapsed;
    t0 = now_seconds();
    do {
        sink += fn(CHUNK);
        chunks++;
        elapsed = now_seconds() - t0;
    } while (elapsed < job->seconds);
    job->elapsed = elapsed;
    job->ops = (double)chunks * (double)CHUNK * KINDS[job->kind].ops_per_iter;
    job->sink = sink;
    return NULL;
}

int mmgp_kernels_abi(void) {
    return MMGP_KERNELS_ABI;
}

/* The reason `kind` (a valid one) cannot run here, or NULL. */
static const char * why_not(int kind) {
    return KINDS[kind].why_not != NULL ? KINDS[kind].why_not() : NULL;
}

const char * mmgp_peak_path(int kind) {
    if (kind < 0 || kind >= NKINDS) return "unknown kind";
    const char * why = why_not(kind);
    return why != NULL ? why : KINDS[kind].path;
}

double mmgp_peak_gflops(int kind, int threads, double seconds) {
    if (kind < 0 || kind >= NKINDS) return -1.0;
    if (why_not(kind) != NULL) return MMGP_PEAK_UNAVAILABLE;
    if (threads <= 0) {
        long online = sysconf(_SC_NPROCESSORS_ONLN);
        threads = online > 0 ? (int)online : 1;
    }
    if (!(seconds > 0.0)) seconds = 1.0;

    job_t * jobs = (job_t *)calloc((size_t)threads, sizeof *jobs);
    pthread_t * tids = (pthread_t *)calloc((size_t)threads, sizeof *tids);
    if (jobs == NULL || tids == NULL) {
        free(jobs);
        free(tids);
        return -2.0;
    }
    gate_t gate;
    pthread_mutex_init(&gate.mutex, NULL);
    pthread_cond_init(&gate.cond, NULL);
    gate.parties = threads;
    gate.waiting = 0;
    gate.generation = 0;

    int started = 0;
    for (; started < threads; started++) {
        jobs[started].kind = kind;
        jobs[started].seconds = seconds;
        jobs[started].gate = &gate;
        if (pthread_create(&tids[started], NULL, run_job, &jobs[started]) != 0) break;
    }
    if (started < threads) {
        /* Let the started threads through their gates with fewer parties, then discard. */
        pthread_mutex_lock(&gate.mutex);
        gate.parties = started;
        if (started > 0 && gate.waiting >= started) {
            gate.waiting = 0;
            gate.generation++;
            pthread_cond_broadcast(&gate.cond);
        }
        pthread_mutex_unlock(&gate.mutex);
    }
    double ops = 0.0, slowest = 0.0, sink = 0.0;
    for (int t = 0; t < started; t++) {
        pthread_join(tids[t], NULL);
        ops += jobs[t].ops;
        if (jobs[t].elapsed > slowest) slowest = jobs[t].elapsed;
        sink += jobs[t].sink;
    }
    g_sink = g_sink + sink;
    pthread_cond_destroy(&gate.cond);
    pthread_mutex_destroy(&gate.mutex);
    free(jobs);
    free(tids);
    if (started < threads || !(slowest > 0.0)) return -2.0;
    return ops / slowest / 1e9;
}
