package mmgp.graph;

import static org.junit.jupiter.api.Assertions.fail;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.Arrays;
import java.util.Random;
import mmgp.bindings.NativeLibraries;
import mmgp.tensor.GgmlType;
import mmgp.tensor.HalfPrecision;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;

/**
 * Shared plumbing for the op tests: one CPU backend per test class (two threads, so that the
 * multi-threaded split of every kernel is exercised), seeded random data, byte encodings of the
 * weight types, and closeness checks whose failure message names the first bad element.
 */
abstract class GraphTestSupport {
    /** Relative and absolute slack of a plain fp32 op (the brief's 1e-5 + 1e-5·|expected|). */
    static final double FP32_ABS = 1e-5, FP32_REL = 1e-5;
    /** One unit of fp16 rounding: half an ulp at 1.0 is 2^-11. */
    static final double F16_EPS = 0x1p-11;

    /** -Dmmgp.test.showErrors=true prints how close each check came to its bound (for tuning tolerances). */
    private static final boolean SHOW_ERRORS = Boolean.getBoolean("mmgp.test.showErrors");

    static ComputeBackend backend;

    @BeforeAll
    static void openBackend() {
        assumeTrue(NativeLibraries.available(), "native ggml libraries not built");
        backend = ComputeBackend.cpu(2);
    }

    @AfterAll
    static void closeBackend() {
        if (backend != null) backend.close();
        backend = null;
    }

    static Graph newGraph() {
        return new Graph(backend, 1024);
    }

    // ---------------------------------------------------------------- data

    static float[] uniform(Random random, int n, double lo, double hi) {
        float[] v = new float[n];
        for (int i = 0; i < n; i++) v[i] = (float) (lo + (hi - lo) * random.nextDouble());
        return v;
    }

    static float[] uniform(Random random, int n) {
        return uniform(random, n, -1, 1);
    }

    static int product(int... ne) {
        int n = 1;
        for (int d : ne) n *= d;
        return n;
    }

    /** Each value rounded to fp16 and back: what ggml sees of an F16 tensor filled from it. */
    static float[] roundToF16(float[] v) {
        float[] r = new float[v.length];
        for (int i = 0; i < v.length; i++) r[i] = HalfPrecision.f16ToFloat(HalfPrecision.floatToF16(v[i]));
        return r;
    }

    static MemorySegment f16Bytes(float[] v) {
        MemorySegment seg = Arena.ofAuto().allocate(2L * v.length, 32);
        for (int i = 0; i < v.length; i++) seg.setAtIndex(ValueLayout.JAVA_SHORT, i, HalfPrecision.floatToF16(v[i]));
        return seg;
    }

    /**
     * Q8_0 blocks as ggml's quantize_row_q8_0_ref writes them: per 32 values an fp16 scale
     * d = max|x|/127, then 32 int8 quants roundf(x/d) (ties away from zero, as C's roundf).
     */
    static MemorySegment q8_0Bytes(float[] v) {
        int block = GgmlType.Q8_0.blockSize();
        if (v.length % block != 0) throw new IllegalArgumentException("Q8_0 needs a multiple of 32 values");
        int blocks = v.length / block;
        MemorySegment seg = Arena.ofAuto().allocate((long) blocks * GgmlType.Q8_0.bytesPerBlock(), 32);
        for (int b = 0; b < blocks; b++) {
            long base = (long) b * GgmlType.Q8_0.bytesPerBlock();
            float amax = 0;
            for (int j = 0; j < block; j++) amax = Math.max(amax, Math.abs(v[b * block + j]));
            float d = amax / 127;
            float id = d != 0 ? 1.0f / d : 0.0f;
            seg.set(ValueLayout.JAVA_SHORT_UNALIGNED, base, HalfPrecision.floatToF16(d));
            for (int j = 0; j < block; j++) {
                float x = v[b * block + j] * id;
                seg.set(ValueLayout.JAVA_BYTE, base + 2 + j, (byte) Math.copySign(Math.floor(Math.abs(x) + 0.5), x));
            }
        }
        return seg;
    }

    /** The values a Q8_0 encoding stands for: d·q with the fp16 d widened (dequantize_row_q8_0). */
    static float[] q8_0Values(MemorySegment blocks, int n) {
        float[] out = new float[n];
        for (int b = 0; b < n / 32; b++) {
            long base = (long) b * GgmlType.Q8_0.bytesPerBlock();
            float d = HalfPrecision.f16ToFloat(blocks.get(ValueLayout.JAVA_SHORT_UNALIGNED, base));
            for (int j = 0; j < 32; j++) out[b * 32 + j] = d * blocks.get(ValueLayout.JAVA_BYTE, base + 2 + j);
        }
        return out;
    }

    static short[] f16Output(Tensor t) {
        if (t.type() != GgmlType.F16) throw new IllegalArgumentException(t + " is not F16");
        return t.data().toArray(ValueLayout.JAVA_SHORT);
    }

    // ---------------------------------------------------------------- checks

    static void assertShape(Tensor t, long... ne) {
        long[] expected = Arrays.copyOf(ne, 4);
        for (int i = ne.length; i < 4; i++) expected[i] = 1;
        if (!Arrays.equals(t.shape(), expected)) {
            fail(t + " has shape " + Arrays.toString(t.shape()) + ", expected " + Arrays.toString(expected));
        }
    }

    /** |actual − expected| ≤ abs + rel·|expected| for every element. */
    static void assertClose(String what, float[] actual, double[] expected, double abs, double rel) {
        double[] bound = new double[expected.length];
        for (int i = 0; i < bound.length; i++) bound[i] = abs + rel * Math.abs(expected[i]);
        assertWithin(what, actual, expected, bound);
    }

    /** |actual − expected| ≤ bound[i] for every element; reports the first offender and the worst ratio. */
    static void assertWithin(String what, float[] actual, double[] expected, double[] bound) {
        if (actual.length != expected.length) {
            fail(what + ": " + actual.length + " values, expected " + expected.length);
        }
        int first = -1, bad = 0, worst = 0;
        double worstRatio = 0;
        for (int i = 0; i < actual.length; i++) {
            double err = Math.abs(actual[i] - expected[i]);
            boolean ok = err <= bound[i] && !Double.isNaN(actual[i]);
            if (Double.isInfinite(expected[i]) && actual[i] == expected[i]) ok = true;
            double ratio = ok ? (err == 0 ? 0 : err / bound[i]) : (err > 0 ? err / bound[i] : Double.POSITIVE_INFINITY);
            if (ratio > worstRatio) {
                worstRatio = ratio;
                worst = i;
            }
            if (!ok) {
                bad++;
                if (first < 0) first = i;
            }
        }
        if (SHOW_ERRORS) System.out.printf("%s: worst error %.3g× its bound, at [%d]%n", what, worstRatio, worst);
        if (bad > 0) {
            fail(String.format("%s: %d of %d values off; first at [%d]: got %s, expected %s (bound %.3g); "
                            + "worst at [%d]: got %s, expected %s, error %.3g× the bound",
                    what, bad, actual.length, first, actual[first], expected[first], bound[first],
                    worst, actual[worst], expected[worst], worstRatio));
        }
    }

    static void assertExactly(String what, float[] actual, double[] expected) {
        assertWithin(what, actual, expected, new double[expected.length]);
    }
}
