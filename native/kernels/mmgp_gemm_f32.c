/*
 * mmgp_gemm_f32: C[m, n] = sum_k A[k, m] * B[k, n] in FP32 for F16 or F32 operands, as a ggml
 * custom op with ggml_mul_mat's layout (see the contract in mmgp_kernels.h).
 *
 * Why: ggml's F16 mul_mat converts B to F16 and runs F16 dot products of one row pair at a time
 * (or llamafile's tinyBLAS on F16, which converts inside the inner loop); the decoders'
 * convolutions are GEMMs with tens of thousands of rows where a BLIS-style FP32 GEMM keeps the
 * FMA units busy instead:
 *   - Packing: a KC x MC block of A and a KC x NC block of B are copied into micro-panels (MR rows
 *     of A, NR columns of B, k-major), F16 widened to F32 once here (F16C), not once per use.
 *   - Micro-kernel: an MR x NR tile of C in registers (AVX2: 16 x 6 = 12 ymm accumulators, two A
 *     loads and six broadcasts per k; AVX-512: 32 x 12 = 24 zmm), one FMA per element and k.
 *   - Blocking: the B micro-panel (KC x NR) stays in L1 while the A micro-panels of the MC x KC
 *     block stream from L2; the packed B block (KC x NC) lives in L2/L3.
 *   - Threads: every thread of the op computes its own rectangle of C (rows split in MR tiles, or
 *     columns in NR tiles when C has more columns than rows) and packs what it reads into its own
 *     buffers; no two threads write the same cache line unless C's columns are shorter than one.
 * Exactness: every C element is one fma chain acc = fma(A[k, m], B[k, n], acc) over k = 0..K-1
 * in order, starting from 0; a KC block reloads the partial from C instead of adding block sums.
 * F16 -> F32 is exact. So every path (AVX-512, AVX2, plain C), every blocking and every thread
 * split computes the same bits as a plain Java loop over k with Math.fma.
 */
#include "mmgp_kernels.h"
#include "mmgp_ggml_tensor.h"
#include "mmgp_half.h"

#include <math.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#if defined(__x86_64__) || defined(__i386__)
#include <immintrin.h>
#endif

#if defined(__AVX2__) && defined(__FMA__) && defined(__F16C__)
#define GEMM_F32_AVX2 1
#endif
/* AVX-512 is compiled whenever GCC or Clang target x86-64 (a function-level target), and taken at
 * run time when the CPU has AVX512F: a -march=native build on an AVX2 machine still carries it. */
#if defined(GEMM_F32_AVX2) && defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
#define GEMM_F32_AVX512 1
#define TARGET_AVX512 __attribute__((target("avx512f,avx2,fma,f16c")))
#endif

#define MR_MAX 32
#define NR_MAX 12
#define NC_DEFAULT 768 /* a multiple of every NR; 3.5 MB of packed B at K panels of 1152 */

_Static_assert(sizeof(struct mmgp_f32gemm_params) == 16, "mmgp_f32gemm_params is 4 int32");

static void fail(const char * what) {
    fprintf(stderr, "mmgp_gemm_f32: %s\n", what);
    fflush(stderr);
    abort();
}

/* ---------------------------------------------------------------------------------------------
 * Operands: row i (K values, contiguous) at data + (i % ne1) * nb1 + (i / ne1 % ne2) * nb2 + ...
 * ------------------------------------------------------------------------------------------- */
struct operand {
    const char * data;
    int f16;
    long ne1, ne2;
    size_t nb1, nb2, nb3;
};

static const char * row_at(const struct operand * x, long i) {
    if (i < x->ne1) return x->data + i * x->nb1;
    long i1 = i % x->ne1, rest = i / x->ne1;
    return x->data + i1 * x->nb1 + (rest % x->ne2) * x->nb2 + (rest / x->ne2) * x->nb3;
}

/* k values [k0, k0 + len) of a row as floats. */
static void load_row(const struct operand * x, const char * row, long k0, long len, float * dst, int simd) {
    if (!x->f16) {
        memcpy(dst, (const float *)row + k0, (size_t)len * sizeof(float));
        return;
    }
    const uint16_t * h = (const uint16_t *)row + k0;
    long k = 0;
#if defined(GEMM_F32_AVX2)
    if (simd) {
        for (; k + 8 <= len; k += 8) _mm256_storeu_ps(dst + k, _mm256_cvtph_ps(_mm_loadu_si128((const __m128i *)(h + k))));
    }
#endif
    (void)simd;
    for (; k < len; k++) dst[k] = mmgp_half_to_float(h[k]);
}

#if defined(GEMM_F32_AVX2)
/* Fully unrolled, so an array of 8 vectors stays in registers. */
#if defined(__clang__)
#define UNROLL8 _Pragma("unroll")
#else
#define UNROLL8 _Pragma("GCC unroll 8")
#endif

/* An 8 x 8 block of floats in registers, transposed in place: r[i] element j becomes r[j] element i. */
static inline __attribute__((always_inline)) void transpose8x8_ps(__m256 r[8]) {
    __m256 t0 = _mm256_unpacklo_ps(r[0], r[1]), t1 = _mm256_unpackhi_ps(r[0], r[1]), t2 = _mm256_unpacklo_ps(r[2], r[3]), t3 = _mm256_unpackhi_ps(r[2], r[3]);
    __m256 t4 = _mm256_unpacklo_ps(r[4], r[5]), t5 = _mm256_unpackhi_ps(r[4], r[5]), t6 = _mm256_unpacklo_ps(r[6], r[7]), t7 = _mm256_unpackhi_ps(r[6], r[7]);
    __m256 u0 = _mm256_shuffle_ps(t0, t2, 0x44), u1 = _mm256_shuffle_ps(t0, t2, 0xEE), u2 = _mm256_shuffle_ps(t1, t3, 0x44), u3 = _mm256_shuffle_ps(t1, t3, 0xEE);
    __m256 u4 = _mm256_shuffle_ps(t4, t6, 0x44), u5 = _mm256_shuffle_ps(t4, t6, 0xEE), u6 = _mm256_shuffle_ps(t5, t7, 0x44), u7 = _mm256_shuffle_ps(t5, t7, 0xEE);
    r[0] = _mm256_permute2f128_ps(u0, u4, 0x20);
    r[1] = _mm256_permute2f128_ps(u1, u5, 0x20);
    r[2] = _mm256_permute2f128_ps(u2, u6, 0x20);
    r[3] = _mm256_permute2f128_ps(u3, u7, 0x20);
    r[4] = _mm256_permute2f128_ps(u0, u4, 0x31);
    r[5] = _mm256_permute2f128_ps(u1, u5, 0x31);
    r[6] = _mm256_permute2f128_ps(u2, u6, 0x31);
    r[7] = _mm256_permute2f128_ps(u3, u7, 0x31);
}

/* 8 rows of 8 floats (rows ld apart) transposed into 8 rows of 8 at out, rows ldo apart. */
static inline void transpose8(const float * in, long ld, float * out, long ldo) {
    __m256 r[8];
    UNROLL8 for (int i = 0; i < 8; i++) r[i] = _mm256_loadu_ps(in + i * ld);
    transpose8x8_ps(r);
    UNROLL8 for (int i = 0; i < 8; i++) _mm256_storeu_ps(out + i * ldo, r[i]);
}
#endif

/*
 * Rows [i0, i0 + count) of x (rows from `limit` on are zeros), k [k0, k0 + kc), into micro-panels
 * of r rows: panel p at out + p * r * kc, element (k, i) at [k * r + i]. tmp: r * kc floats.
 */
#if defined(GEMM_F32_AVX2)
/* 8 k of one row as floats. */
static inline __m256 load8(const struct operand * x, const char * row, long k) {
    if (x->f16) return _mm256_cvtph_ps(_mm_loadu_si128((const __m128i *)((const uint16_t *)row + k)));
    return _mm256_loadu_ps((const float *)row + k);
}

/* A whole panel of r rows (r % 8 == 0, every row inside the operand) read straight from the rows:
 * 8 x 8 blocks widened and transposed in registers, the k tail one by one. */
static void pack_direct(const struct operand * x, long i0, long k0, long kc, int r, float * out) {
    for (int g = 0; g < r; g += 8) {
        const char * rows[8];
        for (int i = 0; i < 8; i++) rows[i] = row_at(x, i0 + g + i);
        long k = 0;
        for (; k + 8 <= kc; k += 8) {
            __m256 v[8];
            UNROLL8 for (int i = 0; i < 8; i++) v[i] = load8(x, rows[i], k0 + k);
            transpose8x8_ps(v);
            float * o = out + k * r + g;
            UNROLL8 for (int i = 0; i < 8; i++) _mm256_store_ps(o + i * r, v[i]);
        }
        for (; k < kc; k++) {
            for (int i = 0; i < 8; i++) {
                out[k * r + g + i] = x->f16 ? mmgp_half_to_float(((const uint16_t *)rows[i])[k0 + k]) : ((const float *)rows[i])[k0 + k];
            }
        }
    }
}
#endif

static void pack(const struct operand * x, long i0, long count, long limit, long k0, long kc, int r, float * out, float * tmp, int simd) {
    for (long p = 0; p < count; p += r, out += (long)r * kc) {
#if defined(GEMM_F32_AVX2)
        if (simd && r % 8 == 0 && i0 + p + r <= limit) {
            pack_direct(x, i0 + p, k0, kc, r, out);
            continue;
        }
#endif
        for (int i = 0; i < r; i++) {
            if (i0 + p + i < limit && p + i < count) load_row(x, row_at(x, i0 + p + i), k0, kc, tmp + (long)i * kc, simd);
            else memset(tmp + (long)i * kc, 0, (size_t)kc * sizeof(float));
        }
        long k = 0;
#if defined(GEMM_F32_AVX2)
        if (simd && r % 8 == 0) {
            for (; k + 8 <= kc; k += 8) {
                for (int i = 0; i < r; i += 8) transpose8(tmp + (long)i * kc + k, kc, out + k * r + i, r);
            }
        }
#endif
        for (; k < kc; k++) {
            for (int i = 0; i < r; i++) out[k * r + i] = tmp[(long)i * kc + k];
        }
    }
}

/* ---------------------------------------------------------------------------------------------
 * Micro-kernels: c[j * ldc + i] for the r x nr tile, over kc packed steps; `load` continues the
 * chains from c, else they start from 0.
 * ------------------------------------------------------------------------------------------- */
typedef void (*micro_fn)(long kc, const float * a, const float * b, float * c, long ldc, int load);

static void micro_plain(long kc, const float * a, const float * b, float * c, long ldc, int load) {
    enum { R = 16, N = 6 };
    float acc[N][R];
    for (int j = 0; j < N; j++) {
        for (int i = 0; i < R; i++) acc[j][i] = load ? c[j * ldc + i] : 0.0f;
    }
    for (long k = 0; k < kc; k++, a += R, b += N) {
        for (int j = 0; j < N; j++) {
            for (int i = 0; i < R; i++) acc[j][i] = fmaf(a[i], b[j], acc[j][i]);
        }
    }
    for (int j = 0; j < N; j++) {
        for (int i = 0; i < R; i++) c[j * ldc + i] = acc[j][i];
    }
}

#if defined(GEMM_F32_AVX2)
static void micro_avx2(long kc, const float * a, const float * b, float * c, long ldc, int load) {
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
#define STEP6(A, B)                                                                                                     \
    do {                                                                                                               \
        __m256 a0 = _mm256_load_ps(A), a1 = _mm256_load_ps((A) + 8), bb;                                             \
        bb = _mm256_broadcast_ss(B);         c00 = _mm256_fmadd_ps(a0, bb, c00); c01 = _mm256_fmadd_ps(a1, bb, c01);   \
        bb = _mm256_broadcast_ss((B) + 1);   c10 = _mm256_fmadd_ps(a0, bb, c10); c11 = _mm256_fmadd_ps(a1, bb, c11);   \
        bb = _mm256_broadcast_ss((B) + 2);   c20 = _mm256_fmadd_ps(a0, bb, c20); c21 = _mm256_fmadd_ps(a1, bb, c21);   \
        bb = _mm256_broadcast_ss((B) + 3);   c30 = _mm256_fmadd_ps(a0, bb, c30); c31 = _mm256_fmadd_ps(a1, bb, c31);   \
        bb = _mm256_broadcast_ss((B) + 4);   c40 = _mm256_fmadd_ps(a0, bb, c40); c41 = _mm256_fmadd_ps(a1, bb, c41);   \
        bb = _mm256_broadcast_ss((B) + 5);   c50 = _mm256_fmadd_ps(a0, bb, c50); c51 = _mm256_fmadd_ps(a1, bb, c51);   \
    } while (0)
    long k = 0;
    for (; k + 4 <= kc; k += 4, a += 64, b += 24) {
        STEP6(a, b);
        STEP6(a + 16, b + 6);
        STEP6(a + 32, b + 12);
        STEP6(a + 48, b + 18);
    }
    for (; k < kc; k++, a += 16, b += 6) STEP6(a, b);
#undef STEP6
    _mm256_storeu_ps(c, c00), _mm256_storeu_ps(c + 8, c01);
    _mm256_storeu_ps(c + ldc, c10), _mm256_storeu_ps(c + ldc + 8, c11);
    _mm256_storeu_ps(c + 2 * ldc, c20), _mm256_storeu_ps(c + 2 * ldc + 8, c21);
    _mm256_storeu_ps(c + 3 * ldc, c30), _mm256_storeu_ps(c + 3 * ldc + 8, c31);
    _mm256_storeu_ps(c + 4 * ldc, c40), _mm256_storeu_ps(c + 4 * ldc + 8, c41);
    _mm256_storeu_ps(c + 5 * ldc, c50), _mm256_storeu_ps(c + 5 * ldc + 8, c51);
}
#endif

#if defined(GEMM_F32_AVX512)
/* 32 x 12: 24 zmm accumulators, two A vectors and one broadcast live. */
TARGET_AVX512 static void micro_avx512(long kc, const float * a, const float * b, float * c, long ldc, int load) {
    __m512 acc[12][2];
    for (int j = 0; j < 12; j++) {
        acc[j][0] = load ? _mm512_loadu_ps(c + j * ldc) : _mm512_setzero_ps();
        acc[j][1] = load ? _mm512_loadu_ps(c + j * ldc + 16) : _mm512_setzero_ps();
    }
    for (long k = 0; k < kc; k++, a += 32, b += 12) {
        __m512 a0 = _mm512_load_ps(a), a1 = _mm512_load_ps(a + 16);
#if defined(__clang__)
#pragma unroll
#elif defined(__GNUC__)
#pragma GCC unroll 12
#endif
        for (int j = 0; j < 12; j++) {
            __m512 bb = _mm512_set1_ps(b[j]);
            acc[j][0] = _mm512_fmadd_ps(a0, bb, acc[j][0]);
            acc[j][1] = _mm512_fmadd_ps(a1, bb, acc[j][1]);
        }
    }
    for (int j = 0; j < 12; j++) {
        _mm512_storeu_ps(c + j * ldc, acc[j][0]);
        _mm512_storeu_ps(c + j * ldc + 16, acc[j][1]);
    }
}
#endif

/* ---------------------------------------------------------------------------------------------
 * The path: micro-kernel, its tile and the M block, chosen once per call.
 * ------------------------------------------------------------------------------------------- */
struct path {
    micro_fn micro;
    int mr, nr, kc, mc, simd; /* kc: the largest K panel; K is split into equal panels up to it */
    const char * name;
};

static struct path choose(int flags) {
    /* AVX2: a 1152-long B micro-panel (27 KB) still fits L1 with the A panels streaming from L2
     * (96 x 1152 floats, 442 KB): K = 9 x 128 channels then runs without reloading C, which was
     * faster than 256- or 512-long panels. AVX-512's 12-column B micro-panel is twice as wide. */
    struct path p = {micro_plain, 16, 6, 1152, 96, 0, "scalar fmaf, 16x6 tiles"};
    if (flags & MMGP_F32GEMM_PORTABLE) return p;
#if defined(GEMM_F32_AVX512)
    __builtin_cpu_init();
    if (!(flags & MMGP_F32GEMM_NO_AVX512) && __builtin_cpu_supports("avx512f")) {
        return (struct path){micro_avx512, 32, 12, 512, 192, 1, "avx512f 32x12 tiles, f16c packing"};
    }
#endif
#if defined(GEMM_F32_AVX2)
    return (struct path){micro_avx2, 16, 6, 1152, 96, 1, "avx2+fma 16x6 tiles, f16c packing"};
#else
    return p;
#endif
}

const char * mmgp_f32gemm_path(void) {
    return choose(0).name;
}

/* Per-thread packing buffers, kept across calls and freed when their thread ends: ggml's worker
 * threads usually live as long as the process, but a build without OpenMP makes threads per compute,
 * and OpenMP pools die with the Java thread that started them. */
struct tl_buffer {
    float * data;
    size_t floats;
};

static pthread_key_t tl_key;
static pthread_once_t tl_once = PTHREAD_ONCE_INIT;

static void tl_free(void * p) {
    struct tl_buffer * t = p;
    free(t->data);
    free(t);
}

static void tl_init(void) {
    if (pthread_key_create(&tl_key, tl_free) != 0) fail("cannot create the packing buffers' thread key");
}

static float * thread_buffer(size_t floats) {
    pthread_once(&tl_once, tl_init);
    struct tl_buffer * t = pthread_getspecific(tl_key);
    if (t == NULL) {
        t = calloc(1, sizeof *t);
        if (t == NULL || pthread_setspecific(tl_key, t) != 0) fail("out of memory for the packing buffers");
    }
    if (floats > t->floats) {
        free(t->data);
        t->data = NULL;
        t->floats = 0;
        void * p = NULL;
        if (posix_memalign(&p, 64, floats * sizeof(float)) != 0) fail("out of memory for the packing buffers");
        t->data = p;
        t->floats = floats;
    }
    return t->data;
}

struct problem {
    struct operand a, b;
    long m, n, k;
    float * c;
    long ldc;
};

/* C rows [m0, m1) x columns [n0, n1), BLIS loop order. */
static void gemm_rect(const struct problem * pr, long m0, long m1, long n0, long n1, const struct path * pa, long kcMax, long mcMax, long ncMax) {
    const int mr = pa->mr, nr = pa->nr;
    mcMax = (mcMax + mr - 1) / mr * mr;
    ncMax = (ncMax + nr - 1) / nr * nr;
    const size_t aFloats = (size_t)mcMax * kcMax, bFloats = (size_t)ncMax * kcMax, tFloats = (size_t)MR_MAX * kcMax;
    float * buf = thread_buffer(aFloats + bFloats + tFloats + 16);
    float * pa_buf = buf, * pb_buf = buf + aFloats, * tmp = buf + aFloats + bFloats;
    float edge[MR_MAX * NR_MAX] __attribute__((aligned(64)));
    for (long jc = n0; jc < n1; jc += ncMax) {
        const long nc = n1 - jc < ncMax ? n1 - jc : ncMax;
        for (long pc = 0; pc < pr->k; pc += kcMax) {
            const long kc = pr->k - pc < kcMax ? pr->k - pc : kcMax;
            const int load = pc > 0;
            pack(&pr->b, jc, (nc + nr - 1) / nr * nr, n1, pc, kc, nr, pb_buf, tmp, pa->simd);
            for (long ic = m0; ic < m1; ic += mcMax) {
                const long mc = m1 - ic < mcMax ? m1 - ic : mcMax;
                pack(&pr->a, ic, (mc + mr - 1) / mr * mr, m1, pc, kc, mr, pa_buf, tmp, pa->simd);
                for (long jr = 0; jr < nc; jr += nr) {
                    const float * bp = pb_buf + jr * kc;
                    const long nv = nc - jr < nr ? nc - jr : nr;
                    for (long ir = 0; ir < mc; ir += mr) {
                        const float * ap = pa_buf + ir * kc;
                        const long mv = mc - ir < mr ? mc - ir : mr;
                        float * c = pr->c + (ic + ir) + (jc + jr) * pr->ldc;
                        if (mv == mr && nv == nr) {
                            pa->micro(kc, ap, bp, c, pr->ldc, load);
                            continue;
                        }
                        /* an edge tile: through a full-size tile in L1, only the valid part copied */
                        if (load) {
                            for (long j = 0; j < nv; j++) memcpy(edge + j * mr, c + j * pr->ldc, (size_t)mv * sizeof(float));
                        }
                        pa->micro(kc, ap, bp, edge, mr, load);
                        for (long j = 0; j < nv; j++) memcpy(c + j * pr->ldc, edge + j * mr, (size_t)mv * sizeof(float));
                    }
                }
            }
        }
    }
}

/* Thread ith of nth: its rectangle of C. Rows are split in MR tiles, or columns in NR tiles when
 * C has more columns than rows; returns 0 when the thread has nothing to do. */
static int thread_rect(long m, long n, int mr, int nr, int ith, int nth, long r[4]) {
    r[0] = 0, r[1] = m, r[2] = 0, r[3] = n;
    int byRows = m >= n;
    long unit = byRows ? mr : nr, size = byRows ? m : n;
    long tiles = (size + unit - 1) / unit;
    long t0 = tiles * ith / nth, t1 = tiles * (ith + 1) / nth;
    long lo = t0 * unit < size ? t0 * unit : size, hi = t1 * unit < size ? t1 * unit : size;
    if (byRows) r[0] = lo, r[1] = hi;
    else r[2] = lo, r[3] = hi;
    return lo < hi;
}

static void run(const struct problem * pr, const struct mmgp_f32gemm_params * p, int ith, int nth) {
    const int flags = p ? p->flags : 0;
    const struct path pa = choose(flags);
    long kc = p && p->kc > 0 ? p->kc : pa.kc, mc = p && p->mc > 0 ? p->mc : pa.mc, nc = p && p->nc > 0 ? p->nc : NC_DEFAULT;
    /* equal panels: K = 1153 is two of 577, not 1152 and a 1-long one */
    const long panels = (pr->k + kc - 1) / kc;
    kc = (pr->k + panels - 1) / panels;
    long r[4];
    if (thread_rect(pr->m, pr->n, pa.mr, pa.nr, ith, nth, r)) gemm_rect(pr, r[0], r[1], r[2], r[3], &pa, kc, mc, nc);
}

void mmgp_f32gemm_raw(const void * a, int aF16, long lda, long m, long k, const void * b, int bF16, long ldb, long n, float * c, long ldc,
                      const struct mmgp_f32gemm_params * p, int nth) {
    if (m <= 0 || n <= 0 || k <= 0 || nth <= 0 || lda < k || ldb < k || ldc < m) fail("mmgp_f32gemm_raw: bad sizes or strides");
    struct problem pr = {{a, aF16, m, 1, (size_t)lda * (aF16 ? 2 : 4), 0, 0}, {b, bF16, n, 1, (size_t)ldb * (bF16 ? 2 : 4), 0, 0}, m, n, k, c, ldc};
    for (int ith = 0; ith < nth; ith++) run(&pr, p, ith, nth);
}

static int operand_type(const struct ggml_tensor * t) {
    if (t->type == GGML_TYPE_F16 && t->nb[0] == 2) return 1;
    if (t->type == GGML_TYPE_F32 && t->nb[0] == 4) return 0;
    return -1;
}

void mmgp_f32gemm(struct ggml_tensor * dst, int ith, int nth, void * userdata) {
    const struct ggml_tensor * a = dst->src[0];
    const struct ggml_tensor * b = dst->src[1];
    if (!a || !b) fail("mmgp_f32gemm: needs two sources");
    const int aF16 = operand_type(a), bF16 = operand_type(b);
    if (aF16 < 0 || bF16 < 0) fail("mmgp_f32gemm: both operands must be F16 or F32 with contiguous rows (nb[0] = element size)");
    if (a->ne[2] != 1 || a->ne[3] != 1) fail("mmgp_f32gemm: src[0] must be 2-D [K, M]");
    if (b->ne[0] != a->ne[0]) fail("mmgp_f32gemm: the operands' K (ne[0]) differ");
    if (dst->type != GGML_TYPE_F32 || dst->nb[0] != 4 || dst->ne[0] != a->ne[1] || dst->ne[1] != b->ne[1] || dst->ne[2] != b->ne[2]
        || dst->ne[3] != b->ne[3] || dst->nb[2] != dst->nb[1] * dst->ne[1] || dst->nb[3] != dst->nb[2] * dst->ne[2]) {
        fail("mmgp_f32gemm: the destination must be a contiguous F32 [M, N1, N2, N3] (M = src[0]'s ne[1], N = src[1]'s ne[1..3])");
    }
    if (a->ne[0] < 1) { /* an empty sum: zeros, as ggml_mul_mat gives */
        if (ith == 0) memset(dst->data, 0, (size_t)dst->nb[3] * (size_t)dst->ne[3]);
        return;
    }
    struct problem pr = {{a->data, aF16, a->ne[1], 1, a->nb[1], 0, 0},
                         {b->data, bF16, b->ne[1], b->ne[2], b->nb[1], b->nb[2], b->nb[3]},
                         a->ne[1], b->ne[1] * b->ne[2] * b->ne[3], a->ne[0], dst->data, (long)(dst->nb[1] / 4)};
    run(&pr, userdata, ith, nth);
}
