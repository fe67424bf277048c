package mmgp.graph;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assertions.fail;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.List;
import java.util.Random;
import java.util.Set;
import mmgp.bindings.ggml.Ggml;
import mmgp.bindings.ggml.GgmlTensorStruct;
import mmgp.bindings.kernels.MmgpKernels;
import mmgp.tensor.GgmlType;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * mmgp's im2col (a ggml custom op, native/kernels/mmgp_im2col.c) against ggml's own im2col, bit
 * for bit: F32 and F16 destinations, 2-D, 1-D and 3-D, odd sizes, padding 0–2, strides 1–3,
 * 1×1 to 5×5 kernels, batches, channel counts that are not multiples of 8, inputs with
 * subnormals, halfway-between-halves values, values beyond the F16 range, infinities, signed
 * zeros and NaNs; the vector path, the portable path (what CPUs without AVX/NEON run) and the
 * element-by-element one, on 1, 2 and 3 threads. And Graph.conv2d / conv3d take it.
 */
class MmgpIm2colTest extends GraphTestSupport {
    private static final int[] FLAGS = {0, MmgpKernels.IM2COL_PORTABLE, MmgpKernels.IM2COL_REFERENCE};

    @BeforeAll
    static void kernels() {
        if (Boolean.getBoolean("mmgp.allowNoNative")) {
            assumeTrue(MmgpKernels.isAvailable(), "mmgp.allowNoNative is set and the kernels are not built");
        }
        assertThat(MmgpKernels.isAvailable()).withFailMessage("the mmgp kernels library is missing: %s", MmgpKernels.unavailableReason())
                .isTrue();
    }

    /** 2-D cases: {W, H, C, N, KW, KH, stride, padding}. */
    private static final int[][] CASES_2D = {
        {7, 5, 3, 1, 3, 3, 1, 1}, {7, 5, 3, 2, 3, 3, 1, 0}, {7, 6, 3, 2, 3, 2, 2, 1},
        {13, 11, 13, 1, 3, 3, 1, 1}, {13, 11, 13, 2, 3, 3, 2, 2}, {13, 11, 5, 1, 3, 3, 3, 1},
        {33, 17, 4, 1, 3, 3, 1, 1}, {33, 17, 20, 2, 3, 3, 1, 2}, {33, 17, 20, 1, 3, 3, 2, 1},
        {31, 9, 16, 1, 1, 1, 1, 0}, {31, 9, 13, 2, 1, 1, 2, 0}, {9, 9, 17, 1, 1, 1, 1, 1},
        {19, 12, 6, 1, 5, 5, 1, 2}, {19, 12, 6, 2, 5, 3, 2, 2}, {24, 24, 32, 1, 3, 3, 1, 1},
        {3, 3, 7, 1, 3, 3, 1, 1}, {2, 3, 9, 2, 3, 3, 1, 2}, {40, 3, 3, 1, 4, 2, 1, 0},
    };

    @Test
    void twoDEqualsGgmlBitForBit() {
        Random random = new Random(101);
        for (int[] c : CASES_2D) {
            int w = c[0], h = c[1], ch = c[2], n = c[3], kw = c[4], kh = c[5], stride = c[6], pad = c[7];
            float[] x = values(random, w * h * ch * n);
            for (GgmlType type : new GgmlType[] {GgmlType.F32, GgmlType.F16}) {
                String what = "2-D " + Arrays.toString(c) + " " + type;
                try (Graph g = newGraph()) {
                    Tensor tx = g.inputF32("x", w, h, ch, n);
                    Tensor kernel = g.inputF32("kernel", kw, kh, ch, 2); // only its shape is read
                    Tensor expected = g.output(g.im2colGgml(kernel, tx, stride, pad, true, type));
                    List<Tensor> actual = new ArrayList<>();
                    for (int flags : FLAGS) actual.add(g.output(g.im2colMmgp(kernel, tx, stride, pad, true, type, flags)));
                    Tensor routed = g.output(g.im2col(kernel, tx, stride, pad, true, type));
                    g.set(tx, x);
                    g.compute();
                    for (int i = 0; i < FLAGS.length; i++) assertSameBits(what + " flags " + FLAGS[i], actual.get(i), expected);
                    assertSameBits(what + " routed", routed, expected);
                    assertThat(ops(routed)).as(what).contains("CUSTOM");
                }
            }
        }
    }

    @Test
    void oneDEqualsGgmlBitForBit() {
        Random random = new Random(102);
        // {W, C, N, KW, stride, padding}
        int[][] cases = {{9, 2, 2, 3, 1, 0}, {9, 2, 2, 3, 2, 1}, {50, 13, 1, 3, 1, 1}, {50, 13, 3, 5, 2, 2}, {17, 8, 1, 1, 1, 0}};
        for (int[] c : cases) {
            int w = c[0], ch = c[1], n = c[2], kw = c[3], stride = c[4], pad = c[5];
            float[] x = values(random, w * ch * n);
            for (GgmlType type : new GgmlType[] {GgmlType.F32, GgmlType.F16}) {
                String what = "1-D " + Arrays.toString(c) + " " + type;
                try (Graph g = newGraph()) {
                    Tensor tx = g.inputF32("x", w, ch, n);
                    Tensor kernel = g.inputF32("kernel", kw, ch, 4);
                    Tensor expected = g.output(g.im2colGgml(kernel, tx, stride, pad, false, type));
                    List<Tensor> actual = new ArrayList<>();
                    for (int flags : FLAGS) actual.add(g.output(g.im2colMmgp(kernel, tx, stride, pad, false, type, flags)));
                    g.set(tx, x);
                    g.compute();
                    for (int i = 0; i < FLAGS.length; i++) assertSameBits(what + " flags " + FLAGS[i], actual.get(i), expected);
                }
            }
        }
    }

    /** 3-D cases: {W, H, D, C, N, KW, KH, KD, sW, sH, sD, pW, pH, pD}. */
    private static final int[][] CASES_3D = {
        {6, 5, 4, 3, 2, 3, 3, 3, 1, 1, 1, 1, 1, 0}, {6, 5, 4, 3, 2, 3, 2, 3, 1, 2, 1, 1, 0, 1},
        {9, 7, 5, 5, 1, 3, 3, 3, 1, 1, 1, 1, 1, 1}, {9, 7, 5, 5, 2, 3, 3, 3, 2, 1, 2, 0, 1, 1},
        {17, 11, 3, 12, 1, 3, 3, 3, 1, 1, 1, 1, 1, 0}, {17, 11, 6, 12, 1, 3, 3, 3, 2, 2, 1, 2, 2, 1},
        {20, 4, 4, 7, 1, 1, 1, 3, 1, 1, 1, 0, 0, 1}, {10, 10, 3, 9, 1, 1, 1, 1, 1, 1, 1, 0, 0, 0},
    };

    @Test
    void threeDEqualsGgmlBitForBit() {
        Random random = new Random(103);
        for (int[] c : CASES_3D) {
            int w = c[0], h = c[1], d = c[2], ch = c[3], n = c[4];
            int[] stride = {c[8], c[9], c[10]}, pad = {c[11], c[12], c[13]};
            float[] x = values(random, w * h * d * ch * n);
            for (GgmlType type : new GgmlType[] {GgmlType.F32, GgmlType.F16}) {
                String what = "3-D " + Arrays.toString(c) + " " + type;
                try (Graph g = newGraph()) {
                    Tensor tx = g.inputF32("x", w, h, d, (long) ch * n);
                    Tensor kernel = g.inputF32("kernel", c[5], c[6], c[7], ch * 2L);
                    Tensor expected = g.output(g.im2col3dGgml(kernel, tx, ch, stride, pad, type));
                    List<Tensor> actual = new ArrayList<>();
                    for (int flags : FLAGS) actual.add(g.output(g.im2col3dMmgp(kernel, tx, ch, stride, pad, type, flags)));
                    Tensor routed = g.output(g.im2col3d(kernel, tx, ch, stride, pad, type));
                    g.set(tx, x);
                    g.compute();
                    for (int i = 0; i < FLAGS.length; i++) assertSameBits(what + " flags " + FLAGS[i], actual.get(i), expected);
                    assertSameBits(what + " routed", routed, expected);
                }
            }
        }
    }

    @Test
    void threeDReadsAStridedInputView() {
        // ggml's im2col_3d honours every input stride: a view that skips the first frame.
        Random random = new Random(104);
        int w = 11, h = 6, d = 5, ch = 3;
        float[] x = values(random, w * h * d * ch);
        for (GgmlType type : new GgmlType[] {GgmlType.F32, GgmlType.F16}) {
            try (Graph g = newGraph()) {
                Tensor tx = g.inputF32("x", w, h, d, ch);
                Tensor later = g.view(tx, new long[] {w, h, d - 1, ch}, new long[] {tx.nb(1), tx.nb(2), tx.nb(3)}, tx.nb(2));
                Tensor kernel = g.inputF32("kernel", 3, 3, 3, ch);
                int[] stride = {1, 1, 1}, pad = {1, 1, 1};
                Tensor expected = g.output(g.im2col3dGgml(kernel, later, ch, stride, pad, type));
                Tensor actual = g.output(g.im2col3d(kernel, later, ch, stride, pad, type));
                g.set(tx, x);
                g.compute();
                assertSameBits("3-D view " + type, actual, expected);
            }
        }
    }

    @Test
    void everyThreadCountSplitsTheRowsAlike() {
        // 1 thread, and 3 threads on fewer output rows than threads in one case.
        Random random = new Random(105);
        for (int threads : new int[] {1, 3}) {
            try (ComputeBackend b = ComputeBackend.cpu(threads); Graph g = new Graph(b, 256)) {
                Tensor tx = g.inputF32("x", 21, 3, 11, 1);
                Tensor kernel = g.inputF32("kernel", 3, 3, 11, 1);
                Tensor tv = g.inputF32("v", 14, 9, 5, 6);
                Tensor kernel3 = g.inputF32("kernel3", 3, 3, 3, 6);
                List<Tensor[]> pairs = new ArrayList<>();
                for (GgmlType type : new GgmlType[] {GgmlType.F32, GgmlType.F16}) {
                    pairs.add(new Tensor[] {g.output(g.im2colMmgp(kernel, tx, 1, 0, true, type, 0)),
                            g.output(g.im2colGgml(kernel, tx, 1, 0, true, type))}); // one output row
                    pairs.add(new Tensor[] {g.output(g.im2colMmgp(kernel, tx, 1, 1, true, type, 0)),
                            g.output(g.im2colGgml(kernel, tx, 1, 1, true, type))});
                    pairs.add(new Tensor[] {g.output(g.im2col3dMmgp(kernel3, tv, 3, new int[] {1, 1, 1}, new int[] {1, 1, 0}, type, 0)),
                            g.output(g.im2col3dGgml(kernel3, tv, 3, new int[] {1, 1, 1}, new int[] {1, 1, 0}, type))});
                }
                g.set(tx, values(random, 21 * 3 * 11));
                g.set(tv, values(random, 14 * 9 * 5 * 6));
                g.compute();
                for (Tensor[] p : pairs) assertSameBits(threads + " threads " + p[0], p[0], p[1]);
            }
        }
    }

    @Test
    void convolutionsTakeMmgpsIm2col() {
        assertThat(Graph.usesMmgpIm2col()).isTrue();
        try (Graph g = newGraph()) {
            Tensor x = g.inputF32("x", 9, 8, 4, 1);
            Tensor y2 = g.output(g.conv2d(g.inputF32("w", 3, 3, 4, 5), x, 1, 1));
            Tensor y2h = g.output(g.conv2d(g.input("wh", GgmlType.F16, 3, 3, 4, 5), x, 1, 1));
            Tensor v = g.inputF32("v", 6, 5, 4, 3);
            Tensor y3 = g.output(g.conv3d(g.inputF32("w3", 3, 3, 3, 6), v, 3, new int[] {1, 1, 1}, new int[] {1, 1, 1}));
            for (Tensor y : List.of(y2, y2h, y3)) {
                assertThat(ops(y)).as(y.toString()).contains("CUSTOM").doesNotContain("IM2COL", "IM2COL_3D");
            }
        }
    }

    // ---------------------------------------------------------------- helpers

    /**
     * Uniform values in [-2, 2] with specials mixed in: subnormals, values halfway between two
     * F16 values (ties to even both ways), beyond the F16 range, signed zeros, infinities and
     * canonical NaNs (a NaN's payload is where vector and plain float→half may differ).
     */
    static float[] values(Random random, int n) {
        float[] specials = {0f, -0f, 1e-8f, -3e-6f, 6.1e-5f, 65504f, 65520f, -65519.99f, 1e6f, Float.POSITIVE_INFINITY,
            Float.NEGATIVE_INFINITY, Float.NaN, Float.intBitsToFloat(0xffc00000), Float.MIN_VALUE, 1 + 0x1p-11f, 1 + 3 * 0x1p-11f,
            -(2 + 0x1p-10f), 0x1p-24f, 0x1p-25f, 3 * 0x1p-26f, 0x1.ffcp-15f};
        float[] v = new float[n];
        for (int i = 0; i < n; i++) {
            v[i] = random.nextInt(8) == 0 ? specials[random.nextInt(specials.length)] : (float) (4 * random.nextDouble() - 2);
        }
        return v;
    }

    static void assertSameBits(String what, Tensor actual, Tensor expected) {
        assertThat(actual.shape()).as(what + " shape").isEqualTo(expected.shape());
        assertThat(actual.type()).as(what + " type").isEqualTo(expected.type());
        MemorySegment a = actual.data(), e = expected.data();
        long mismatch = a.mismatch(e);
        if (mismatch >= 0) {
            int es = actual.type() == GgmlType.F16 ? 2 : 4;
            long i = mismatch / es, k = i % actual.ne(0), pos = i / actual.ne(0);
            String got = es == 2 ? Integer.toHexString(a.getAtIndex(ValueLayout.JAVA_SHORT, i) & 0xffff)
                    : Float.toString(a.getAtIndex(ValueLayout.JAVA_FLOAT, i));
            String want = es == 2 ? Integer.toHexString(e.getAtIndex(ValueLayout.JAVA_SHORT, i) & 0xffff)
                    : Float.toString(e.getAtIndex(ValueLayout.JAVA_FLOAT, i));
            fail(what + ": first difference at element " + i + " (position " + pos + ", patch element " + k + "): got " + got
                    + ", ggml " + want);
        }
    }

    /** The op names of {@code t} and everything it is computed from. */
    static Set<String> ops(Tensor t) {
        Set<String> out = new HashSet<>();
        List<MemorySegment> todo = new ArrayList<>(List.of(t.ptr()));
        Set<MemorySegment> seen = new HashSet<>();
        while (!todo.isEmpty()) {
            MemorySegment p = todo.removeLast();
            if (p.equals(MemorySegment.NULL) || !seen.add(p)) continue;
            out.add(Ggml.opDesc(p));
            for (int i = 0; i < 10; i++) todo.add(GgmlTensorStruct.src(p, i));
        }
        return out;
    }
}
