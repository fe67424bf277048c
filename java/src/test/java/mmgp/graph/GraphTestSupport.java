package mmgp.graph;

import static org.junit.jupiter.api.Assertions.fail;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.Arrays;
import mmgp.tensor.GgmlType;
import mmgp.tensor.HalfPrecision;
import mmgp.testing.CpuBackendFixture;

/**
 * Shared plumbing for the op tests: the backend of {@link CpuBackendFixture}, a graph of the op tests'
 * size and byte encodings of the weight types (data and closeness checks: {@link mmgp.testing}).
 */
abstract class GraphTestSupport extends CpuBackendFixture {
    /** Relative and absolute slack of a plain fp32 op (the brief's 1e-5 + 1e-5·|expected|). */
    static final double FP32_ABS = 1e-5, FP32_REL = 1e-5;
    /** One unit of fp16 rounding: half an ulp at 1.0 is 2^-11. */
    static final double F16_EPS = 0x1p-11;

    static Graph newGraph() {
        return new Graph(backend, 1024);
    }

    // ---------------------------------------------------------------- data

    static int product(int... ne) {
        int n = 1;
        for (int d : ne) n *= d;
        return n;
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
}
