package mmgp.sampling;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.Arrays;
import org.junit.jupiter.api.Test;

class FloatSelectionTest {

    @Test
    void everyRankMatchesSortingForRandomAndTiedInputs() {
        for (int n : new int[] {1, 2, 3, 10, 33, 257}) {
            float[][] inputs = {
                RandomArrays.gaussian(n, n, 1.0),
                RandomArrays.quantized(n, n, 3, 0.5f),
                new float[n], // all equal
            };
            for (float[] input : inputs) {
                float[] sorted = input.clone();
                Arrays.sort(sorted);
                for (int k = 0; k < n; k++) {
                    assertThat(FloatSelection.kthSmallest(input.clone(), 0, n, k)).as("n=%d k=%d", n, k).isEqualTo(sorted[k]);
                    assertThat(FloatSelection.kthLargest(input.clone(), 0, n, k)).isEqualTo(sorted[n - 1 - k]);
                }
            }
        }
    }

    @Test
    void selectsWithinASubrange() {
        float[] values = {9f, 9f, 3f, 1f, 2f, 9f};
        assertThat(FloatSelection.kthSmallest(values.clone(), 2, 5, 0)).isEqualTo(1f);
        assertThat(FloatSelection.kthSmallest(values.clone(), 2, 5, 2)).isEqualTo(3f);
    }

    @Test
    void largeInputWithFewDistinctValuesStaysCorrect() {
        float[] values = RandomArrays.quantized(5, 200_000, 4, 1f);
        float[] sorted = values.clone();
        Arrays.sort(sorted);
        for (int k : new int[] {0, 49_999, 50_000, 123_456, 199_999}) {
            assertThat(FloatSelection.kthSmallest(values.clone(), 0, values.length, k)).isEqualTo(sorted[k]);
        }
    }
}
