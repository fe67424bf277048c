package mmgp.sampling;

import static org.assertj.core.api.Assertions.assertThat;

import java.lang.foreign.MemorySegment;
import org.junit.jupiter.api.Test;

class TopPTest {

    private static final float[] PS = {0f, 0.1f, 0.5f, 0.8f, 0.9f, 0.95f, 0.999f, 1f};

    /** Runs one path and compares with the full-sort HF reference fed the same path's probabilities. */
    private static void check(TopP topP, float[] logits, float p, boolean vectorized, String label) {
        int n = logits.length;
        float[] probabilities = new float[n];
        if (vectorized) {
            Softmax.softmax(MemorySegment.ofArray(logits), MemorySegment.ofArray(probabilities), n);
        } else {
            Softmax.softmaxScalar(MemorySegment.ofArray(logits), MemorySegment.ofArray(probabilities), n);
        }
        boolean[] keep = p == 1f ? allTrue(n) : SortBasedReferences.topP(logits, probabilities, p);
        float[] filtered = logits.clone();
        int kept = vectorized ? topP.apply(filtered, p) : topP.applyScalar(MemorySegment.ofArray(filtered), n, p);
        assertThat(kept).as(label).isEqualTo(SortBasedReferences.count(keep));
        for (int i = 0; i < n; i++) {
            assertThat(filtered[i]).as("%s token %d", label, i).isEqualTo(keep[i] ? logits[i] : Float.NEGATIVE_INFINITY);
        }
    }

    private static boolean[] allTrue(int n) {
        boolean[] keep = new boolean[n];
        java.util.Arrays.fill(keep, true);
        return keep;
    }

    @Test
    void peakedDistributionsMatchTheReference() {
        TopP topP = new TopP();
        for (int n : RandomArrays.LENGTHS) {
            float[] logits = RandomArrays.gaussian(n, n, 6.0); // nucleus well inside the first candidates
            for (float p : PS) {
                check(topP, logits, p, true, "vector n=" + n + " p=" + p);
                check(topP, logits, p, false, "scalar n=" + n + " p=" + p);
            }
        }
    }

    @Test
    void flatDistributionsTakeTheSortingFallbackAndMatch() {
        TopP topP = new TopP();
        for (int n : new int[] {300, 1000, 4099, 49152}) {
            float[] logits = RandomArrays.gaussian(3 * n, n, 0.5); // nucleus of thousands of tokens
            for (float p : new float[] {0.5f, 0.9f, 0.999f}) {
                check(topP, logits, p, true, "vector n=" + n + " p=" + p);
                check(topP, logits, p, false, "scalar n=" + n + " p=" + p);
            }
        }
    }

    @Test
    void tiesAtTheBoundaryDropTheSmallerIndexFirst() {
        TopP topP = new TopP();
        for (int n : new int[] {5, 33, 1000, 49152}) {
            float[] logits = RandomArrays.quantized(n, n, 6, 0.75f);
            for (float p : PS) {
                check(topP, logits, p, true, "vector n=" + n + " p=" + p);
                check(topP, logits, p, false, "scalar n=" + n + " p=" + p);
            }
        }
        // Four equal logits, p = 0.5: the ascending cumulative sums are .25 .5 .75 1; drop those <= 0.5.
        float[] four = {1f, 1f, 1f, 1f};
        assertThat(topP.apply(four, 0.5f)).isEqualTo(2);
        assertThat(four).containsExactly(Float.NEGATIVE_INFINITY, Float.NEGATIVE_INFINITY, 1f, 1f);
    }

    @Test
    void previouslyFilteredTokensStayFilteredAndAtLeastOneSurvives() {
        TopP topP = new TopP();
        float[] logits = RandomArrays.gaussian(17, 2000, 1.0);
        for (int i = 0; i < logits.length; i += 3) {
            logits[i] = Float.NEGATIVE_INFINITY;
        }
        for (float p : PS) {
            check(topP, logits, p, true, "vector p=" + p);
            check(topP, logits, p, false, "scalar p=" + p);
        }
        float[] single = {Float.NEGATIVE_INFINITY, 2f, Float.NEGATIVE_INFINITY};
        assertThat(topP.apply(single, 0.9f)).isEqualTo(1);
        assertThat(single[1]).isEqualTo(2f);
    }

    @Test
    void smallestSetReachingPIsKept() {
        // Probabilities .5 .3 .15 .05: p = .8 needs {.5, .3}; p = .81 needs three tokens.
        float[] logits = {(float) Math.log(0.15), (float) Math.log(0.5), (float) Math.log(0.05), (float) Math.log(0.3)};
        float[] a = logits.clone();
        assertThat(new TopP().apply(a, 0.79f)).isEqualTo(2);
        assertThat(a[1]).isEqualTo(logits[1]);
        assertThat(a[3]).isEqualTo(logits[3]);
        float[] b = logits.clone();
        assertThat(new TopP().apply(b, 0.81f)).isEqualTo(3);
        assertThat(b[2]).isEqualTo(Float.NEGATIVE_INFINITY);
    }
}
