/*
 * mmgp_winograd: the three transforms of a Winograd F(m x m, 3 x 3) convolution (stride 1, zero
 * padding) as ggml custom ops, the products between them ggml's mul_mat; and the fused op that does
 * all of it in one (see mmgp_kernels.h for the layouts).
 *
 * With T = m + 2 and the usual (Lavin & Gray) matrices B, G, A of F(m, 3):
 *   weights  U = G g Gᵀ    per (input channel, output channel, time tap): T x T values
 *   input    V = Bᵀ d B    per (channel, m x m output tile, frame): the tile's T x T input patch d
 *   output   Y = Aᵀ M A    per (output channel, tile, frame), M = Σ_ic U·V elementwise in the
 *                          transformed domain, i.e. T² independent [IC] x [IC, OC] products.
 * Element (j, i) of a transformed T x T block is position t = j*T + i, j along the height.
 *
 * The input and output transforms work on 8 channels at once (one 8-float vector per patch or
 * block element: AVX, or a plain C struct the compiler may vectorize), so the transformed
 * values of 8 consecutive channels are one contiguous store into V and one load from M. The
 * input rows of a tile row are first transposed to channels last with the zero padding around
 * them, so a patch is T² vector loads; the output rows of a tile row are assembled in a buffer
 * and copied out whole. Threads split (frame, tile row, 8-channel block) items of the input and output
 * transforms; the weight transform splits output channels.
 *
 * mmgp_winograd_fused (mmgp_winograd_fused_body.h) runs all three steps per block of tiles with the
 * products as register tiles of its own, so V and M stay in per-thread buffers, and adds the bias.
 */
#include "mmgp_kernels.h"
#include "mmgp_ggml_tensor.h"

#include <math.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#if defined(__AVX__)
#include <immintrin.h>
#endif

#if defined(__GNUC__) || defined(__clang__)
#define WINO_INLINE static inline __attribute__((always_inline))
#else
#define WINO_INLINE static inline
#endif

#define LANES 8
#define T_MAX 6 /* m = 4 */
#define CHUNK_TILES 16 /* tiles per chunk of a tile row in the input transform */
#define PANEL 16 /* output channels per panel of packed U, the columns of the fused op's register tile */
#define MR 6     /* tiles per register tile of the fused op: 6 x 16 accumulators are 12 of AVX2's 16 registers */

_Static_assert(sizeof(struct mmgp_winograd_params) == 20, "mmgp_winograd_params is 5 int32");
_Static_assert(sizeof(struct mmgp_winograd_fused_params) == 24, "mmgp_winograd_fused_params is 6 int32");

static void fail(const char * what) {
    fprintf(stderr, "mmgp_winograd: %s\n", what);
    fflush(stderr);
    abort();
}

/* ---------------------------------------------------------------------------------------------
 * Half <-> float.
 * ------------------------------------------------------------------------------------------- */
static float f16_to_f32(uint16_t h) {
    uint32_t sign = (uint32_t)(h & 0x8000u) << 16, e = (h >> 10) & 0x1fu, m = h & 0x3ffu, x;
    if (e == 0) {
        if (m == 0) {
            x = sign;
        } else { /* subnormal: normalise */
            e = 113;
            while (!(m & 0x400u)) {
                m <<= 1;
                e--;
            }
            x = sign | (e << 23) | ((m & 0x3ffu) << 13);
        }
    } else if (e == 31) {
        x = sign | 0x7f800000u | (m << 13);
    } else {
        x = sign | ((e + 112) << 23) | (m << 13);
    }
    float f;
    memcpy(&f, &x, sizeof f);
    return f;
}

/*
 * The fused op's default tiles per block. The thread's V and M buffers of a block, T²·(IC + OC)
 * floats a tile, should stay in L2 (Zen 3: 512 KB a core; the panel of U in use is IC·64 bytes);
 * but each block streams all of U once (T²·IC·OC floats, shared by the threads), so a block has at
 * least 2 register tiles of tiles, and 4 when U is too large to stay in a share of L3 and comes
 * from memory at every block (512 x 512 channels: 36 MB a tap).
 */
#define BLOCK_BUDGET (512 * 1024)
#define LARGE_U (8L * 1024 * 1024)
static int64_t mmgp_winograd_block(int m, int64_t ic, int64_t oc) {
    const int64_t t2 = (int64_t)(m + 2) * (m + 2), per = t2 * (ic + oc) * (int64_t)sizeof(float);
    const int64_t least = t2 * ic * oc * (int64_t)sizeof(float) > LARGE_U ? 4 * MR : 2 * MR;
    const int64_t nb = BLOCK_BUDGET / per / MR * MR;
    return nb < least ? least : nb > 16 * MR ? 16 * MR : nb;
}

/*
 * The most tiles a block may hold, default or asked for (MMGP_WINOGRAD_BLOCK): a thread's V and
 * M buffers within THREAD_BUDGET, so no legal block makes the calloc fail (which would abort the
 * process), but never fewer than one register tile. The bits do not depend on the block.
 */
#define THREAD_BUDGET (64L * 1024 * 1024)
static int64_t mmgp_winograd_block_cap(int m, int64_t ics, int64_t ocp) {
    const int64_t t2 = (int64_t)(m + 2) * (m + 2), nb = (THREAD_BUDGET / (int64_t)sizeof(float) / t2 - 2 * PANEL) / (ics + ocp) / MR * MR;
    return nb < MR ? MR : nb;
}

/*
 * A block's tiles before the equal split (which only lowers it): the asked block or the default,
 * capped, and no more than the frame's tiles. The fused op and mmgp_winograd_fused_thread_bytes
 * both start from here, so a graph's plan bounds what the op allocates: the op's equal split of the
 * tiles (which depends on the threads and the batch) only lowers the block.
 */
static int64_t mmgp_winograd_block_start(int m, int64_t block, int64_t ic, int64_t ics, int64_t ocp, int64_t tiles) {
    int64_t nb = block > 0 ? block : mmgp_winograd_block(m, ic, ocp);
    const int64_t cap = mmgp_winograd_block_cap(m, ics, ocp);
    if (nb > cap) nb = cap;
    return nb > tiles ? tiles : nb;
}

/* Floats of one thread's buffers for blocks of nb tiles: V and M per position (rows padded to MR
 * tiles, positions a panel apart) and the rows of a tile row's input, channels last. */
static size_t mmgp_winograd_thread_floats(int m, int64_t nb, int64_t ics, int64_t ocp, int64_t tx) {
    const int64_t t = m + 2, t2 = (int64_t)t * t, nbp = (nb + MR - 1) / MR * MR, cw = (nb < tx ? nb : tx) * m + 2;
    return (size_t)t2 * ((size_t)nbp * ics + PANEL) + (size_t)t2 * ((size_t)nbp * ocp + PANEL) + (size_t)t * cw * LANES;
}

int64_t mmgp_winograd_fused_thread_bytes(int32_t tile, int64_t ic, int64_t oc, int64_t ow, int64_t oh, int32_t block) {
    if ((tile != 2 && tile != 4) || ic < 1 || oc < 1 || ow < 1 || oh < 1) return -1;
    const int64_t tx = (ow + tile - 1) / tile, tiles = tx * ((oh + tile - 1) / tile);
    const int64_t ics = (ic + LANES - 1) / LANES * LANES, ocp = (oc + PANEL - 1) / PANEL * PANEL;
    const int64_t nb = mmgp_winograd_block_start(tile, block, ic, ics, ocp, tiles);
    return (int64_t)(mmgp_winograd_thread_floats(tile, nb, ics, ocp, tx) * sizeof(float));
}

/* The plain C path always (MMGP_WINOGRAD_PORTABLE, and CPUs without AVX), the AVX one where the compiler targets it. */
#define WINO_AVX 0
#define WN(name) name##_portable
#include "mmgp_winograd_body.h"
#include "mmgp_winograd_fused_body.h"
#undef WINO_AVX
#undef WN
#if defined(__AVX__)
#define WINO_AVX 1
#define WN(name) name##_simd
#include "mmgp_winograd_body.h"
#include "mmgp_winograd_fused_body.h"
#undef WINO_AVX
#undef WN
#define WINO_HAS_SIMD 1
#else
#define WINO_HAS_SIMD 0
#endif

/* The SIMD path unless the params ask for the plain C one (or there is none). */
static int simd(const void * userdata) {
    const struct mmgp_winograd_params * p = (const struct mmgp_winograd_params *)userdata;
    if (p == NULL) fail("userdata (struct mmgp_winograd_params *) is NULL");
    return WINO_HAS_SIMD && (p->flags & MMGP_WINOGRAD_PORTABLE) == 0;
}

void mmgp_winograd_weights(struct ggml_tensor * dst, int ith, int nth, void * userdata) {
#if WINO_HAS_SIMD
    if (simd(userdata)) {
        mmgp_winograd_weights_simd(dst, ith, nth, userdata);
        return;
    }
#endif
    (void)simd(userdata);
    mmgp_winograd_weights_portable(dst, ith, nth, userdata);
}

void mmgp_winograd_input(struct ggml_tensor * dst, int ith, int nth, void * userdata) {
#if WINO_HAS_SIMD
    if (simd(userdata)) {
        mmgp_winograd_input_simd(dst, ith, nth, userdata);
        return;
    }
#endif
    (void)simd(userdata);
    mmgp_winograd_input_portable(dst, ith, nth, userdata);
}

void mmgp_winograd_output(struct ggml_tensor * dst, int ith, int nth, void * userdata) {
#if WINO_HAS_SIMD
    if (simd(userdata)) {
        mmgp_winograd_output_simd(dst, ith, nth, userdata);
        return;
    }
#endif
    (void)simd(userdata);
    mmgp_winograd_output_portable(dst, ith, nth, userdata);
}

void mmgp_winograd_fused(struct ggml_tensor * dst, int ith, int nth, void * userdata) {
    const struct mmgp_winograd_fused_params * p = (const struct mmgp_winograd_fused_params *)userdata;
    if (p == NULL) fail("userdata (struct mmgp_winograd_fused_params *) is NULL");
#if WINO_HAS_SIMD
    if ((p->flags & MMGP_WINOGRAD_PORTABLE) == 0) {
        mmgp_winograd_fused_simd(dst, ith, nth, userdata);
        return;
    }
#endif
    mmgp_winograd_fused_portable(dst, ith, nth, userdata);
}
