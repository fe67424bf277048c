package mmgp.sampling;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import org.junit.jupiter.api.Test;

class SoftmaxTest {

    /**
     * Softmax in double precision, the ground truth both paths are held to. The kernels subtract the maximum
     * in float as torch does, which alone costs up to half an ulp of |x - max| in the exponent: hence the
     * few-ulp relative tolerances below.
     */
    private static double[] exactSoftmax(float[] x) {
        double max = Double.NEGATIVE_INFINITY;
        for (float v : x) {
            max = Math.max(max, v);
        }
        double sum = 0;
        double[] p = new double[x.length];
        for (int i = 0; i < x.length; i++) {
            p[i] = Math.exp((double) x[i] - max);
            sum += p[i];
        }
        for (int i = 0; i < x.length; i++) {
            p[i] /= sum;
        }
        return p;
    }

    @Test
    void bothPathsMatchDoublePrecisionAndSumToOne() {
        try (Arena arena = Arena.ofConfined()) {
            for (int n : RandomArrays.LENGTHS) {
                float[] logits = RandomArrays.gaussian(n, n, 4.0);
                double[] exact = exactSoftmax(logits);
                MemorySegment in = RandomArrays.misalignedNative(arena, logits);
                MemorySegment vectorOut = arena.allocate(4L * n);
                MemorySegment scalarOut = arena.allocate(4L * n);
                Softmax.softmax(in, vectorOut, n);
                Softmax.softmaxScalar(in, scalarOut, n);
                float[] vector = RandomArrays.toArray(vectorOut, n);
                float[] scalar = RandomArrays.toArray(scalarOut, n);
                double vectorSum = 0, scalarSum = 0;
                for (int i = 0; i < n; i++) {
                    assertThat((double) vector[i]).as("n=%d i=%d", n, i).isCloseTo(exact[i], within(2e-5 * exact[i] + 1e-12));
                    assertThat((double) scalar[i]).as("n=%d i=%d", n, i).isCloseTo(exact[i], within(5e-6 * exact[i] + 1e-12));
                    vectorSum += vector[i];
                    scalarSum += scalar[i];
                }
                assertThat(vectorSum).as("n=%d", n).isCloseTo(1.0, within(1e-5));
                assertThat(scalarSum).as("n=%d", n).isCloseTo(1.0, within(1e-6));
            }
        }
    }

    @Test
    void logSoftmaxMatchesLogOfDoubleSoftmax() {
        for (int n : RandomArrays.LENGTHS) {
            float[] logits = RandomArrays.gaussian(7 * n, n, 3.0);
            double[] exact = exactSoftmax(logits);
            float[] vector = new float[n];
            Softmax.logSoftmax(logits, vector);
            float[] scalar = new float[n];
            Softmax.logSoftmaxScalar(MemorySegment.ofArray(logits), MemorySegment.ofArray(scalar), n);
            for (int i = 0; i < n; i++) {
                double expected = Math.log(exact[i]);
                assertThat((double) vector[i]).as("n=%d i=%d", n, i).isCloseTo(expected, within(1e-5 * Math.abs(expected) + 1e-5));
                assertThat((double) scalar[i]).as("n=%d i=%d", n, i).isCloseTo(expected, within(1e-5 * Math.abs(expected) + 1e-5));
            }
        }
    }

    @Test
    void largeLogitsDoNotOverflowAndMinusInfinityGetsZero() {
        float[] logits = new float[37];
        java.util.Arrays.fill(logits, Float.NEGATIVE_INFINITY);
        logits[3] = 1000f;
        logits[20] = 998f;
        logits[36] = 999f;
        float[] p = new float[37];
        Softmax.softmax(logits, p);
        double z = 1 + Math.exp(-2) + Math.exp(-1);
        assertThat(p[3]).isCloseTo((float) (1 / z), within(1e-6f));
        assertThat(p[20]).isCloseTo((float) (Math.exp(-2) / z), within(1e-6f));
        assertThat(p[36]).isCloseTo((float) (Math.exp(-1) / z), within(1e-6f));
        for (int i = 0; i < 37; i++) {
            if (i != 3 && i != 20 && i != 36) {
                assertThat(p[i]).isZero();
            }
        }
        float[] logP = new float[37];
        Softmax.logSoftmax(logits, logP);
        assertThat(logP[0]).isEqualTo(Float.NEGATIVE_INFINITY);
        assertThat(logP[3]).isCloseTo((float) -Math.log(z), within(1e-5f));
    }

    @Test
    void worksInPlace() {
        float[] logits = RandomArrays.gaussian(9, 1000, 2.0);
        float[] expected = new float[1000];
        Softmax.softmax(logits, expected);
        float[] inPlace = logits.clone();
        Softmax.softmax(inPlace, inPlace);
        assertThat(inPlace).containsExactly(expected);
    }

    @Test
    void maximumOfBothPaths() {
        for (int n : RandomArrays.LENGTHS) {
            float[] x = RandomArrays.gaussian(n + 5, n, 1.0);
            float expected = Float.NEGATIVE_INFINITY;
            for (float v : x) {
                expected = Math.max(expected, v);
            }
            assertThat(Maximum.of(MemorySegment.ofArray(x), n)).isEqualTo(expected);
            assertThat(Maximum.ofScalar(MemorySegment.ofArray(x), n)).isEqualTo(expected);
        }
    }
}
