package mmgp.sampling;

import static org.assertj.core.api.Assertions.assertThat;

import java.lang.foreign.MemorySegment;
import org.junit.jupiter.api.Test;

class MinPTest {

    @Test
    void keepsExactlyTheReferenceSetOnBothPaths() {
        MinP minP = new MinP();
        for (int n : RandomArrays.LENGTHS) {
            float[][] inputs = {RandomArrays.gaussian(n, n, 2.0), RandomArrays.quantized(n, n, 9, 0.5f)};
            for (float[] logits : inputs) {
                for (float m : new float[] {0f, 0.01f, 0.05f, 0.3f, 1f}) {
                    for (boolean vectorized : new boolean[] {true, false}) {
                        float[] probabilities = new float[n];
                        if (vectorized) {
                            Softmax.softmax(logits, probabilities);
                        } else {
                            Softmax.softmaxScalar(MemorySegment.ofArray(logits), MemorySegment.ofArray(probabilities), n);
                        }
                        boolean[] keep = SortBasedReferences.minP(probabilities, m);
                        float[] filtered = logits.clone();
                        int kept = vectorized ? minP.apply(filtered, m) : minP.applyScalar(MemorySegment.ofArray(filtered), n, m);
                        String label = (vectorized ? "vector" : "scalar") + " n=" + n + " minP=" + m;
                        assertThat(kept).as(label).isEqualTo(SortBasedReferences.count(keep));
                        for (int i = 0; i < n; i++) {
                            assertThat(filtered[i]).as("%s token %d", label, i)
                                    .isEqualTo(keep[i] ? logits[i] : Float.NEGATIVE_INFINITY);
                        }
                    }
                }
            }
        }
    }

    @Test
    void dropsTokensBelowTheScaledTopProbability() {
        // Relative to the top token: 1, .5, .2, .05. min-p .1 drops only the last.
        float[] logits = {0f, (float) Math.log(0.5), (float) Math.log(0.2), (float) Math.log(0.05)};
        assertThat(new MinP().apply(logits, 0.1f)).isEqualTo(3);
        assertThat(logits[3]).isEqualTo(Float.NEGATIVE_INFINITY);
        assertThat(logits[2]).isEqualTo((float) Math.log(0.2));
    }
}
