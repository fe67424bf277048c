package mmgp.sampling;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.lang.foreign.MemorySegment;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

class InverseCdfTest {

    private static final int[] LENGTHS = {1, 2, 15, 17, 255, 256, 257, 1000, 4099, 49152};

    /** Random weights with about a third exactly zero. */
    private static float[] weights(long seed, int n) {
        SplittableRandom random = new SplittableRandom(seed);
        float[] w = new float[n];
        for (int i = 0; i < n; i++) {
            w[i] = random.nextInt(3) == 0 ? 0f : (float) random.nextDouble();
        }
        w[random.nextInt(n)] = 0.5f; // at least one positive
        return w;
    }

    @Test
    void bothPathsReturnTheIndexWhoseCdfIntervalHoldsTheTarget() {
        SplittableRandom random = new SplittableRandom(1);
        for (int n : LENGTHS) {
            float[] w = weights(n, n);
            double[] prefix = new double[n + 1];
            for (int i = 0; i < n; i++) {
                prefix[i + 1] = prefix[i] + w[i];
            }
            double total = prefix[n];
            int mismatches = 0;
            for (int trial = 0; trial < 300; trial++) {
                double u = random.nextDouble();
                int vector = InverseCdf.sample(MemorySegment.ofArray(w), n, u);
                int scalar = InverseCdf.sampleScalar(MemorySegment.ofArray(w), n, u);
                for (int index : new int[] {vector, scalar}) {
                    double slack = 1e-6 * total;
                    assertThat(w[index]).as("n=%d u=%s", n, u).isPositive();
                    assertThat(prefix[index]).as("n=%d u=%s", n, u).isLessThanOrEqualTo(u * total + slack);
                    assertThat(prefix[index + 1]).as("n=%d u=%s", n, u).isGreaterThan(u * total - slack);
                }
                mismatches += vector != scalar ? 1 : 0;
            }
            assertThat(mismatches).as("n=%d", n).isLessThanOrEqualTo(1);
        }
    }

    @Test
    void extremesOfUPickTheFirstAndLastPositiveWeight() {
        float[] w = new float[600];
        w[3] = 1f;
        w[300] = 2f;
        w[598] = 1f;
        MemorySegment segment = MemorySegment.ofArray(w);
        assertThat(InverseCdf.sample(segment, 600, 0.0)).isEqualTo(3);
        assertThat(InverseCdf.sampleScalar(segment, 600, 0.0)).isEqualTo(3);
        assertThat(InverseCdf.sample(segment, 600, Math.nextDown(1.0))).isEqualTo(598);
        assertThat(InverseCdf.sampleScalar(segment, 600, Math.nextDown(1.0))).isEqualTo(598);
        assertThat(InverseCdf.sample(segment, 600, 0.5)).isEqualTo(300);
    }

    @Test
    void rejectsInvalidWeightsAndU() {
        MemorySegment negative = MemorySegment.ofArray(new float[300]);
        negative.setAtIndex(java.lang.foreign.ValueLayout.JAVA_FLOAT, 100, -1f);
        negative.setAtIndex(java.lang.foreign.ValueLayout.JAVA_FLOAT, 200, 5f);
        assertThatThrownBy(() -> InverseCdf.sample(negative, 300, 0.5)).isInstanceOf(IllegalArgumentException.class);
        MemorySegment nan = MemorySegment.ofArray(new float[300]);
        nan.setAtIndex(java.lang.foreign.ValueLayout.JAVA_FLOAT, 10, Float.NaN);
        assertThatThrownBy(() -> InverseCdf.sample(nan, 300, 0.5)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> InverseCdf.sample(MemorySegment.ofArray(new float[300]), 300, 0.5))
                .isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> InverseCdf.sample(MemorySegment.ofArray(new float[] {1f}), 1, 1.0))
                .isInstanceOf(IllegalArgumentException.class);
    }
}
