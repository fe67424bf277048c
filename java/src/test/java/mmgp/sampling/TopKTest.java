package mmgp.sampling;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.lang.foreign.MemorySegment;
import org.junit.jupiter.api.Test;

class TopKTest {

    private static void assertFiltered(float[] original, float[] filtered, boolean[] keep, int keptCount, String label) {
        assertThat(keptCount).as(label).isEqualTo(SortBasedReferences.count(keep));
        for (int i = 0; i < original.length; i++) {
            if (keep[i]) {
                assertThat(filtered[i]).as("%s kept %d", label, i).isEqualTo(original[i]);
            } else {
                assertThat(filtered[i]).as("%s dropped %d", label, i).isEqualTo(Float.NEGATIVE_INFINITY);
            }
        }
    }

    @Test
    void keepsExactlyTheReferenceSetOnBothPaths() {
        TopK topK = new TopK();
        for (int n : RandomArrays.LENGTHS) {
            float[][] inputs = {RandomArrays.gaussian(n, n, 3.0), RandomArrays.quantized(n, n, 7, 0.25f)};
            for (float[] logits : inputs) {
                for (int k : new int[] {1, 2, 5, 50, n / 16, n / 16 + 1, n / 2, n - 1, n, n + 3}) {
                    if (k <= 0) {
                        continue;
                    }
                    boolean[] keep = SortBasedReferences.topK(logits, k);
                    float[] vector = logits.clone();
                    int vectorKept = topK.apply(vector, k);
                    assertFiltered(logits, vector, keep, vectorKept, "vector n=" + n + " k=" + k);
                    float[] scalar = logits.clone();
                    int scalarKept = topK.applyScalar(MemorySegment.ofArray(scalar), n, k);
                    assertFiltered(logits, scalar, keep, scalarKept, "scalar n=" + n + " k=" + k);
                }
            }
        }
    }

    @Test
    void tiesAtTheBoundaryAllSurviveLikeHf() {
        float[] logits = {1f, 3f, 2f, 2f, 0f, 2f};
        int kept = new TopK().apply(logits, 2);
        assertThat(kept).isEqualTo(4);
        assertThat(logits).containsExactly(Float.NEGATIVE_INFINITY, 3f, 2f, 2f, Float.NEGATIVE_INFINITY, 2f);
    }

    @Test
    void alreadyFilteredLogitsCountAsCandidates() {
        float[] logits = new float[100];
        java.util.Arrays.fill(logits, Float.NEGATIVE_INFINITY);
        logits[40] = 1f;
        logits[70] = 2f;
        // k = 5 > finite count: the 5th largest is -inf, so nothing more is dropped.
        assertThat(new TopK().apply(logits, 5)).isEqualTo(100);
        assertThat(new TopK().apply(logits, 1)).isEqualTo(1);
        assertThat(logits[70]).isEqualTo(2f);
        assertThat(logits[40]).isEqualTo(Float.NEGATIVE_INFINITY);
    }

    @Test
    void rejectsNonPositiveK() {
        assertThatThrownBy(() -> new TopK().apply(new float[4], 0)).isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void largestIndicesRanksBestFirstWithTiesToTheLowerIndexAndNeverMinusInfinity() {
        float[] values = {0.5f, 3f, Float.NEGATIVE_INFINITY, 3f, -1f, 2f};
        assertThat(TopK.largestIndices(values, 3)).containsExactly(1, 3, 5);
        assertThat(TopK.largestIndices(values, 1)).containsExactly(1);
        assertThat(TopK.largestIndices(new float[] {Float.NEGATIVE_INFINITY, 1f}, 4)).containsExactly(1);
        assertThatThrownBy(() -> TopK.largestIndices(values, 0)).isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void largestIndicesAgreesWithAStableSort() {
        for (int n : RandomArrays.LENGTHS) {
            float[] values = RandomArrays.quantized(n, n, 7, 0.25f); // many ties
            Integer[] order = new Integer[n];
            for (int i = 0; i < n; i++) order[i] = i;
            java.util.Arrays.sort(order, (a, b) -> Float.compare(values[b], values[a])); // stable: ties keep index order
            for (int k : new int[] {1, 2, 8, Math.min(n, 64)}) {
                int[] expected = java.util.Arrays.stream(order).limit(Math.min(k, n)).mapToInt(Integer::intValue).toArray();
                assertThat(TopK.largestIndices(values, k)).as("n=%d k=%d", n, k).containsExactly(expected);
            }
        }
    }
}
