package mmgp.bindings.kernels;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.SplittableRandom;
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
        // {m, k, n}: tails of every tile dimension, K beyond one 64-block panel, N beyond one 128-column panel;
        // few columns (1, 2, 3, 7, 9, 17: the narrow tiles of a partial last group) with row counts that are not
        // a multiple of their 4-row tile and K past their 256-block repack panel; with 16-column groups a last group of
        // 8 to 15 columns in the wide tiles (15, 40, 57, 200), whole 4 x 4 tiles over several K and N panels (12 x 4160 x 200)
        // and K past the 512-block panel limit (16448).
        int[][] shapes = {{1, 32, 1}, {2, 32, 8}, {3, 64, 7}, {5, 96, 33}, {8, 128, 32}, {7, 2112, 20}, {6, 64, 150}, {16, 4160, 40},
                {13, 2080, 1}, {6, 96, 2}, {9, 8224, 3}, {11, 64, 7}, {5, 2048, 9}, {10, 160, 17}, {4, 64, 1}, {3, 32, 2}, {34, 4096, 57},
                {7, 16448, 5}, {9, 96, 15}, {12, 4160, 200}, {5, 16448, 24},
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
    void extremeWeightsDoNotSaturate() {
        // w = -128 (never written by ggml's quantizer, but a valid int8) and +127 against x at +-127:
        // a vpmaddubsw pair reaches 2*128*127 = 32512, still inside int16.
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
