package mmgp.sampling;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

class RepetitionPenaltyTest {

    /** HF: score = gather(scores, ids); where(score < 0, score * penalty, score / penalty); scatter back. */
    private static float[] gatherScatterReference(float[] logits, int[] ids, float penalty) {
        float[] gathered = new float[ids.length];
        for (int i = 0; i < ids.length; i++) {
            float x = logits[ids[i]];
            gathered[i] = x < 0 ? x * penalty : x / penalty;
        }
        float[] out = logits.clone();
        for (int i = 0; i < ids.length; i++) {
            out[ids[i]] = gathered[i];
        }
        return out;
    }

    @Test
    void matchesGatherScatterIncludingRepeatedIds() {
        SplittableRandom random = new SplittableRandom(4);
        RepetitionPenalty penalty = new RepetitionPenalty(49152);
        for (int n : new int[] {1, 17, 1000, 49152}) {
            for (int trial = 0; trial < 5; trial++) {
                float[] logits = RandomArrays.gaussian(n * 10L + trial, n, 3.0);
                logits[0] = 0f;
                int[] ids = new int[1 + random.nextInt(300)];
                for (int i = 0; i < ids.length; i++) {
                    ids[i] = random.nextInt(Math.min(n, 40)); // small range: many repeats
                }
                float p = 1.3f;
                float[] expected = gatherScatterReference(logits, ids, p);
                penalty.apply(logits, ids, p);
                assertThat(logits).containsExactly(expected);
                assertThat(penalty.isClear()).isTrue();
            }
        }
    }

    @Test
    void dividesPositiveAndMultipliesNegativeOnce() {
        float[] logits = {2f, -2f, 0f, 5f};
        new RepetitionPenalty(4).apply(logits, new int[] {0, 1, 1, 2, 0}, 2f);
        assertThat(logits).containsExactly(1f, -4f, 0f, 5f);
    }

    @Test
    void badIdLeavesLogitsUntouched() {
        float[] logits = {2f, -2f, 1f};
        RepetitionPenalty penalty = new RepetitionPenalty(3);
        assertThatThrownBy(() -> penalty.apply(logits, new int[] {0, 3}, 2f)).isInstanceOf(IndexOutOfBoundsException.class);
        assertThat(logits).containsExactly(2f, -2f, 1f);
        assertThat(penalty.isClear()).isTrue();
    }
}
