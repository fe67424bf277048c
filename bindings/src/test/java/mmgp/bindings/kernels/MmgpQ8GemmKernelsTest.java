package mmgp.bindings.kernels;

import static org.assertj.core.api.Assertions.assertThat;

import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;
import java.util.SplittableRandom;
import mmgp.bindings.ggml.Ggml;
import mmgp.bindings.ggml.GgmlTensorStruct;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * mmgp's Q8_0 GEMM (mmgp_gemm_q8.c) against a plain Java reference of the same arithmetic, bit
 * for bit, on both of its paths (the vector one compiled for this CPU and the plain C one):
 * the activation quantization (ggml's quantize_row_q8_0: d = amax/127 kept as a half,
 * q = round-half-even(x * 127/amax)) and the interleaved buffer it fills (in the loaded build's
 * layout: groups of 8 columns of int8 q, or with AVX-512 VNNI of 16 columns of q + 128), and the product
 * sum over blocks of fma((float) isum_b, dw_b * dx_b, acc) in block order. The shapes cross every
 * edge of the tiling: row tails, column tails and padding, K and N panels. Its agreement with
 * ggml's own mul_mat is checked in mmgp.graph.nn.MatMulQ8Test.
 */
class MmgpQ8GemmKernelsTest {
    private static final int QK = 32, WBLOCK = 34;
    /** The loaded build's buffer layout: columns per group, bytes per group and block, the offset added to q. */
    private static int cols, ablock, xoff;

    @BeforeAll
    static void library() {
        KernelsLibrary.require();
        cols = MmgpKernels.q8GroupCols();
        ablock = 36 * cols;
        xoff = cols == MmgpKernels.Q8_GROUP_COLS_WIDE ? 128 : 0;
    }

    @Test
    void bufferSizeAndLayoutConstants() {
        assertThat(MmgpKernels.Q8_PARAMS.byteSize()).isEqualTo(16);
        assertThat(cols).isIn(MmgpKernels.Q8_GROUP_COLS, MmgpKernels.Q8_GROUP_COLS_WIDE);
        assertThat(MmgpKernels.q8ActBytes(64, 1)).isEqualTo(2L * ablock);
        assertThat(MmgpKernels.q8ActBytes(64, cols + 1)).isEqualTo(2L * 2 * ablock);
        assertThat(MmgpKernels.q8Path()).isNotBlank();
        assertThat(MmgpKernels.q8QuantizeActFunction().address()).isNotZero();
        assertThat(MmgpKernels.q8GemmFunction().address()).isNotZero();
        org.assertj.core.api.Assertions.assertThatThrownBy(() -> MmgpKernels.q8ActBytes(48, 4)).isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void quantizationMatchesJavaBitForBit() {
        SplittableRandom r = new SplittableRandom(3);
        for (int[] kn : new int[][] {{32, 1}, {64, 8}, {96, 13}, {256, 40}}) {
            int k = kn[0], n = kn[1];
            float[] x = activations(r, k, n);
            byte[] expected = packReference(x, k, n);
            assertThat(MmgpKernels.q8PackAct(x, k, n, 0)).as("vector path, k=%d n=%d", k, n).isEqualTo(expected);
            assertThat(MmgpKernels.q8PackAct(x, k, n, MmgpKernels.Q8_PORTABLE)).as("plain C path, k=%d n=%d", k, n).isEqualTo(expected);
        }
    }

    @Test
    void gemmMatchesJavaBitForBit() {
        SplittableRandom r = new SplittableRandom(5);
        // {m, k, n}: tails of every tile dimension, K beyond one 128-block panel (the raw call's default), N beyond one
        // 128-column panel; few columns (a partial last group of 1 to 7 columns takes the narrow tiles: n = 1, 2, 3, 7,
        // 17, and 9 with 8-column groups) with row counts that are not a multiple of their 4-row tile and K past their
        // 256-block repack panel; with 16-column groups a last group of 8 to 15 columns in the wide tiles (9, 15, 40, 57,
        // 200), whole 4 x 4 tiles over several K and N panels (12 x 4160 x 200), a last group of 1 to 7 columns that
        // ends a whole 4-group tile and so stays in the wide tiles (49, 113: 4 and 8 groups of 16), and K of 514 blocks
        // (16448) in five panels. Panel sizes other than the defaults: panelSizesGiveTheSameBits.
        int[][] shapes = {{1, 32, 1}, {2, 32, 8}, {3, 64, 7}, {5, 96, 33}, {8, 128, 32}, {7, 2112, 20}, {6, 64, 150}, {16, 4160, 40},
                {13, 2080, 1}, {6, 96, 2}, {9, 8224, 3}, {11, 64, 7}, {5, 2048, 9}, {10, 160, 17}, {4, 64, 1}, {3, 32, 2}, {34, 4096, 57},
                {7, 16448, 5}, {9, 96, 15}, {12, 4160, 200}, {5, 16448, 24}, {8, 96, 49}, {9, 96, 113},
                // the AMX path (>= 32 rows, >= 16 columns): whole 32 x 32 tiles, a single last group (16-31 columns,
                // 48), a partial last group, row tails under 32 rows for the vector path, N beyond its 128-column panel
                {32, 32, 16}, {32, 64, 32}, {33, 96, 17}, {64, 2080, 40}, {70, 4160, 33}, {96, 128, 48}, {31, 64, 20},
                {40, 32, 130}, {65, 8224, 31}, {128, 256, 145}};
        for (int[] s : shapes) {
            int m = s[0], k = s[1], n = s[2];
            byte[] w = weights(r, m, k);
            float[] x = activations(r, k, n);
            byte[] qa = packReference(x, k, n);
            float[] expected = gemmReference(w, m, k, qa, n);
            for (int flags : new int[] {0, MmgpKernels.Q8_NO_AMX, MmgpKernels.Q8_PORTABLE}) {
                float[] got = MmgpKernels.q8GemmRaw(w, m, k, qa, n, flags);
                for (int i = 0; i < expected.length; i++) {
                    if (Float.floatToRawIntBits(got[i]) != Float.floatToRawIntBits(expected[i])) {
                        throw new AssertionError("m=" + m + " k=" + k + " n=" + n + " flags=" + flags + ": y[col " + i / m + ", row " + i % m
                                + "] = " + got[i] + ", reference " + expected[i]);
                    }
                }
            }
        }
    }

    /** On a Linux CPU with AMX-INT8 the build for it (-march=native) runs the tile path, which its path names. */
    @Test
    void amxPathRunsWhereTheCpuHasIt() throws java.io.IOException {
        java.nio.file.Path cpuinfo = java.nio.file.Path.of("/proc/cpuinfo");
        org.junit.jupiter.api.Assumptions.assumeTrue(java.nio.file.Files.isReadable(cpuinfo) && cols == MmgpKernels.Q8_GROUP_COLS_WIDE);
        String flags = java.nio.file.Files.readAllLines(cpuinfo).stream().filter(l -> l.startsWith("flags")).findFirst().orElse("");
        org.junit.jupiter.api.Assumptions.assumeTrue(flags.contains(" amx_tile") && flags.contains(" amx_int8"), "no AMX-INT8 on this CPU");
        assertThat(MmgpKernels.q8Path()).startsWith("amx tdpbsud");
    }

    @Test
    void panelSizesGiveTheSameBits() {
        // Through the op itself with mmgp_q8_params: K panels past the 512-block limit of the 16-column path (its
        // per-panel weight sums live on the stack, so 600, 1000 and 6000 are cut to 512; without the cut 6000 writes
        // far enough past the array to crash, the others land in stack space used later) and N panels of 3 and 5 groups,
        // which split the 4-group tiles and move the partial last group in and out of a whole tile; 1 and 2 threads.
        SplittableRandom r = new SplittableRandom(6);
        int[][] cases = { // {m, k, n, kc_blocks, nc_groups}
                {9, 32 * 620, 115, 600, 3}, {6, 32 * 1030, 69, 1000, 5}, {13, 2080, 49, 0, 3}, {9, 96, 113, 0, 5}, {7, 640, 83, 3, 5},
                {10, 32 * 530, 20, 600, 0}, {5, 160, 200, 1, 3}, {5, 32 * 6020, 17, 6000, 0}};
        for (int[] s : cases) {
            int m = s[0], k = s[1], n = s[2];
            byte[] w = weights(r, m, k);
            float[] x = activations(r, k, n);
            byte[] qa = packReference(x, k, n);
            float[] expected = gemmReference(w, m, k, qa, n);
            for (int flags : new int[] {0, MmgpKernels.Q8_PORTABLE}) {
                for (int nth = 1; nth <= 2; nth++) {
                    float[] got = q8GemmOp(w, m, k, qa, n, flags, s[3], s[4], nth);
                    for (int i = 0; i < expected.length; i++) {
                        if (Float.floatToRawIntBits(got[i]) != Float.floatToRawIntBits(expected[i])) {
                            throw new AssertionError("m=" + m + " k=" + k + " n=" + n + " kc=" + s[3] + " nc=" + s[4] + " flags=" + flags
                                    + " threads=" + nth + ": y[col " + i / m + ", row " + i % m + "] = " + got[i] + ", reference " + expected[i]);
                        }
                    }
                }
            }
        }
    }

    @Test
    void nonFiniteActivationsGiveTheSameBitsOnBothPaths() {
        // ggml's vector quantizer gives q = -128 where x * 127/amax is NaN or +-Inf (vcvtps2dq's INT32_MIN, saturated),
        // and whether a NaN becomes amax depends on its position in vmaxps' reduction: the plain C path must follow both.
        int k = 96, n = 20, m = 6;
        SplittableRandom r = new SplittableRandom(8);
        float[] x = activations(r, k, n);
        // block 0, positions 0, 2, ..., 30: a NaN becomes amax only from positions 11, 19 and 27 (lane 3, not first in it)
        for (int col = 0; col < 16; col++) x[col * k + 2 * col] = Float.NaN;
        x[6 * k + 32 + 19] = Float.NaN; // amax NaN: every q -128, the scale NaN
        x[k + 32 + 5] = Float.POSITIVE_INFINITY; // column 1, block 1 (otherwise zeros): amax Inf, id 0, Inf * 0 = NaN
        x[2 * k + 64 + 7] = Float.NEGATIVE_INFINITY;
        x[3 * k + 64 + 11] = Float.intBitsToFloat(0x7fc12345); // NaN amax with a payload, and with a sign
        x[4 * k + 64 + 27] = Float.intBitsToFloat(0xffc00001);
        for (int i = 0; i < QK; i++) x[5 * k + 64 + i] = (i % 3 - 1) * 1e-39f; // subnormal amax: 127 / amax is +Inf
        x[17 * k + 40] = Float.NaN; // the narrow tiles' columns (16-column groups)
        x[18 * k + 70] = Float.POSITIVE_INFINITY;
        byte[] simd = MmgpKernels.q8PackAct(x, k, n, 0);
        assertThat(java.util.Arrays.mismatch(MmgpKernels.q8PackAct(x, k, n, MmgpKernels.Q8_PORTABLE), simd)).as("first byte where the plain C path's buffer differs")
                .isEqualTo(-1);
        // column 1, block 1: the Inf's q is -128, the others 0, the scale +Inf
        int base1 = ((1 / cols) * (k / QK) + 1) * ablock, c1 = 1 % cols;
        for (int i = 0; i < QK; i++) {
            assertThat(simd[base1 + (i / 4) * 4 * cols + c1 * 4 + i % 4]).as("q[%d]", i).isEqualTo((byte) ((i == 5 ? -128 : 0) + xoff));
        }
        int bits = 0;
        for (int j = 0; j < 4; j++) bits |= (simd[base1 + QK * cols + 4 * c1 + j] & 0xff) << (8 * j);
        assertThat(Float.intBitsToFloat(bits)).isEqualTo(Float.POSITIVE_INFINITY);
        // The product: exact integer sums on the plain C path and in the 16-column tiles (u8 x + 128), so the reference's
        // bits; the sign-trick tiles (8-column groups, the narrow tiles) take q = -128 as ggml's AVX2 dot does (see
        // mmgp_gemm_q8.c), so they are left out here. NaN against NaN by NaN-ness: which operand's payload a NaN result
        // carries depends on the instruction's operand order.
        byte[] w = weights(r, m, k);
        float[] expected = gemmReference(w, m, k, simd, n);
        float[] plain = MmgpKernels.q8GemmRaw(w, m, k, simd, n, MmgpKernels.Q8_PORTABLE), vector = MmgpKernels.q8GemmRaw(w, m, k, simd, n, 0);
        int wideCols = cols == MmgpKernels.Q8_GROUP_COLS_WIDE ? n / cols * cols : 0;
        for (int i = 0; i < expected.length; i++) {
            assertThat(Float.floatToIntBits(plain[i])).as("plain C path, y[col %d, row %d]", i / m, i % m).isEqualTo(Float.floatToIntBits(expected[i]));
            if (i / m < wideCols) {
                assertThat(Float.floatToIntBits(vector[i])).as("vector path, y[col %d, row %d]", i / m, i % m).isEqualTo(Float.floatToIntBits(expected[i]));
            }
        }
        assertThat(expected).contains(Float.NaN);
    }

    @Test
    void extremeWeightsDoNotSaturate() {
        // w = -128 (never written by ggml's quantizer, but a valid int8) and +127 against x at +-127: a vpmaddubsw
        // pair (8-column groups) reaches 2*128*127 = 32512, still inside int16; vpdpbusd (16-column groups) multiplies
        // w by the stored x + 128 (1 and 255 here) into int32 without saturation, from the start -128 * sum(w).
        // 34 rows x 20 columns: rows 0-31 on the AMX path where it runs (TDPBSUD's offset sum reaches 32*128*255), 32-33 on the vector one.
        int m = 34, k = 64, n = 20;
        byte[] w = new byte[m * k / QK * WBLOCK];
        for (int row = 0; row < m; row++) {
            for (int b = 0; b < k / QK; b++) {
                int o = (row * k / QK + b) * WBLOCK;
                short d = Float.floatToFloat16(0.5f);
                w[o] = (byte) d;
                w[o + 1] = (byte) (d >> 8);
                for (int i = 0; i < QK; i++) w[o + 2 + i] = (byte) (row == 0 ? -128 : 127);
            }
        }
        float[] x = new float[k * n];
        for (int col = 0; col < n; col++) for (int i = 0; i < k; i++) x[col * k + i] = (col % 2 == 0 ? 1f : -1f) * (i % 3 == 0 ? -1 : 1);
        byte[] qa = MmgpKernels.q8PackAct(x, k, n, 0);
        assertThat(qa).isEqualTo(packReference(x, k, n));
        float[] expected = gemmReference(w, m, k, qa, n);
        assertThat(MmgpKernels.q8GemmRaw(w, m, k, qa, n, 0)).isEqualTo(expected);
        assertThat(MmgpKernels.q8GemmRaw(w, m, k, qa, n, MmgpKernels.Q8_NO_AMX)).isEqualTo(expected);
        assertThat(MmgpKernels.q8GemmRaw(w, m, k, qa, n, MmgpKernels.Q8_PORTABLE)).isEqualTo(expected);
        // And the values are what exact arithmetic gives: w * (+-127) summed, times 0.5 * dx.
        double dx = Float.float16ToFloat(Float.floatToFloat16(1f / 127f));
        for (int row = 0; row < m; row++) {
            for (int col = 0; col < n; col++) {
                double exact = 0;
                for (int i = 0; i < k; i++) exact += (row == 0 ? -128 : 127) * 127.0 * (col % 2 == 0 ? 1 : -1) * (i % 3 == 0 ? -1 : 1);
                exact *= 0.5 * dx;
                assertThat((double) expected[col * m + row]).as("row %d col %d", row, col).isCloseTo(exact, org.assertj.core.data.Offset.offset(1e-6 * Math.abs(exact) + 1e-6));
            }
        }
    }

    private static final int GGML_TYPE_F32 = 0, GGML_TYPE_Q8_0 = 8, GGML_TYPE_I8 = 24;

    /**
     * mmgp_q8_gemm as ggml runs it, thread by thread (ith 0 to nth - 1 on this thread), on tensors of a ggml context
     * with struct mmgp_q8_params {flags, kcBlocks, ncGroups}; returns y with column j's m values at j*m.
     */
    static float[] q8GemmOp(byte[] w, int m, int k, byte[] qa, int n, int flags, int kcBlocks, int ncGroups, int nth) {
        MethodHandle op = Linker.nativeLinker().downcallHandle(MmgpKernels.q8GemmFunction(),
                FunctionDescriptor.ofVoid(ValueLayout.ADDRESS, ValueLayout.JAVA_INT, ValueLayout.JAVA_INT, ValueLayout.ADDRESS));
        MemorySegment ctx = Ggml.init(w.length + qa.length + 4L * m * n + 8 * Ggml.tensorOverhead() + 1024, false);
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment tw = Ggml.newTensor2d(ctx, GGML_TYPE_Q8_0, k, m), tq = Ggml.newTensor1d(ctx, GGML_TYPE_I8, qa.length);
            GgmlTensorStruct.data(tw).reinterpret(w.length).copyFrom(MemorySegment.ofArray(w));
            GgmlTensorStruct.data(tq).reinterpret(qa.length).copyFrom(MemorySegment.ofArray(qa));
            MemorySegment params = MmgpKernels.q8Params(arena, flags, kcBlocks, ncGroups);
            MemorySegment y = Ggml.custom4d(ctx, GGML_TYPE_F32, new long[] {m, n, 1, 1}, MmgpKernels.q8GemmFunction(), Ggml.N_TASKS_MAX, params, tw, tq);
            for (int ith = 0; ith < nth; ith++) op.invokeExact(y, ith, nth, params);
            float[] out = new float[m * n];
            MemorySegment.ofArray(out).copyFrom(GgmlTensorStruct.data(y).reinterpret(4L * m * n));
            return out;
        } catch (Throwable t) {
            throw new AssertionError(t);
        } finally {
            Ggml.free(ctx);
        }
    }

    // ---- the reference ----

    /** Random F32 columns with a zero block, an outlier, and both signs. */
    static float[] activations(SplittableRandom r, int k, int n) {
        float[] x = new float[k * n];
        for (int i = 0; i < x.length; i++) x[i] = (float) (r.nextGaussian() * (r.nextInt(50) == 0 ? 20 : 1));
        if (k >= 64 && n >= 2) java.util.Arrays.fill(x, k + 32, k + 64, 0f); // column 1, block 1: amax 0
        return x;
    }

    /** Random ggml block_q8_0 rows: half scales across a few decades, int8 values over the full range (-128 included). */
    static byte[] weights(SplittableRandom r, int m, int k) {
        byte[] w = new byte[m * (k / QK) * WBLOCK];
        for (int b = 0; b < m * (k / QK); b++) {
            short d = Float.floatToFloat16((float) (Math.pow(10, -3 + 2 * r.nextDouble())));
            w[b * WBLOCK] = (byte) d;
            w[b * WBLOCK + 1] = (byte) (d >> 8);
            for (int i = 0; i < QK; i++) w[b * WBLOCK + 2 + i] = (byte) (r.nextInt(256) - 128);
        }
        return w;
    }

    /** ggml's quantize_row_q8_0 per column and block, laid out as mmgp_q8_quantize_act's buffer (padding columns: q = 0). */
    static byte[] packReference(float[] x, int k, int n) {
        int kb = k / QK, groups = (n + cols - 1) / cols;
        byte[] qa = new byte[groups * kb * ablock];
        for (int g = 0; g < groups; g++) for (int b = 0; b < kb; b++) java.util.Arrays.fill(qa, (g * kb + b) * ablock, (g * kb + b) * ablock + QK * cols, (byte) xoff);
        for (int col = 0; col < n; col++) {
            int g = col / cols, c = col % cols;
            for (int b = 0; b < kb; b++) {
                int base = (g * kb + b) * ablock;
                float amax = 0;
                for (int i = 0; i < QK; i++) amax = Math.max(amax, Math.abs(x[col * k + b * QK + i]));
                float d = amax / 127f;
                float id = amax != 0 ? 127f / amax : 0f;
                for (int i = 0; i < QK; i++) qa[base + (i / 4) * 4 * cols + c * 4 + i % 4] = (byte) ((int) Math.rint(x[col * k + b * QK + i] * id) + xoff);
                int bits = Float.floatToRawIntBits(Float.float16ToFloat(Float.floatToFloat16(d)));
                for (int j = 0; j < 4; j++) qa[base + QK * cols + 4 * c + j] = (byte) (bits >>> (8 * j));
            }
        }
        return qa;
    }

    /** y[col * m + row] = sum over blocks, in order, of fma((float) isum, dw * dx, acc). */
    static float[] gemmReference(byte[] w, int m, int k, byte[] qa, int n) {
        int kb = k / QK;
        float[] y = new float[m * n];
        for (int col = 0; col < n; col++) {
            int g = col / cols, c = col % cols;
            for (int row = 0; row < m; row++) {
                float acc = 0;
                for (int b = 0; b < kb; b++) {
                    int wo = (row * kb + b) * WBLOCK, ao = (g * kb + b) * ablock;
                    int isum = 0;
                    for (int i = 0; i < QK; i++) isum += w[wo + 2 + i] * (byte) (qa[ao + (i / 4) * 4 * cols + c * 4 + i % 4] - xoff);
                    float dw = Float.float16ToFloat((short) ((w[wo] & 0xff) | (w[wo + 1] << 8)));
                    int bits = 0;
                    for (int j = 0; j < 4; j++) bits |= (qa[ao + QK * cols + 4 * c + j] & 0xff) << (8 * j);
                    acc = Math.fma((float) isum, dw * Float.intBitsToFloat(bits), acc);
                }
                y[col * m + row] = acc;
            }
        }
        return y;
    }
}
