package mmgp.sampling;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.lang.foreign.MemorySegment;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Beam search driven by a table of log-probabilities indexed by the previous token (a bigram model). */
class BeamSearchTest {

    static final int STOP = 3;

    /** log P(next | previous); row 4 is the start. */
    static final double[][] TABLE = {
            {0.1, 0.1, 0.1, 0.7},   // after 0: mostly stop
            {0.05, 0.05, 0.85, 0.05}, // after 1: mostly 2
            {0.1, 0.1, 0.1, 0.7},   // after 2: mostly stop
            {0.25, 0.25, 0.25, 0.25},
            {0.5, 0.45, 0.025, 0.025}, // start: 0 is the greedy choice, 1 the better path
    };

    static StopTokens stopFlags() {
        boolean[] stop = new boolean[4];
        stop[STOP] = true;
        return new StopTokens(stop);
    }

    /** Runs a search to its end; the logits of a beam are the table's row of its last token. */
    static int[] run(BeamSearch search, List<Integer> parentsSeen) {
        int[] last = {4};
        boolean going = search.step(b -> row(last[b]));
        while (going) {
            int[] next = new int[search.running()];
            for (int b = 0; b < next.length; b++) {
                next[b] = search.lastToken(b);
                parentsSeen.add(search.parent(b));
            }
            going = search.step(b -> row(next[b]));
        }
        return search.best();
    }

    static MemorySegment row(int previous) {
        float[] logits = new float[4];
        for (int t = 0; t < 4; t++) logits[t] = (float) Math.log(TABLE[previous][t]);
        return MemorySegment.ofArray(logits);
    }

    @Test
    void widthOneIsGreedy() {
        assertThat(run(new BeamSearch(1, 4, new int[0], stopFlags(), 8, 0, 1f), new ArrayList<>())).containsExactly(0, STOP);
    }

    @Test
    void aWiderBeamFindsTheMoreLikelyAnswer() {
        // greedy: 0 then stop, 0.5 × 0.7 = 0.35 over 2 tokens; the beam: 1, 2, stop, 0.45 × 0.85 × 0.7 ≈ 0.27 over 3 tokens,
        // length-normalized log-probability -0.44 against -0.52
        List<Integer> parents = new ArrayList<>();
        assertThat(run(new BeamSearch(2, 4, new int[0], stopFlags(), 8, 0, 1f), parents)).containsExactly(1, 2, STOP);
        assertThat(parents).isNotEmpty().allSatisfy(p -> assertThat(p).isBetween(0, 1));
    }

    @Test
    void theBudgetEndsTheSearchAndMinimumLengthMasksStopTokens() {
        int[] best = run(new BeamSearch(2, 4, new int[0], stopFlags(), 3, 3, 1f), new ArrayList<>());
        assertThat(best).hasSize(3).doesNotContain(STOP);
    }

    @Test
    void stoppingKeepsTheBestRunningBeam() {
        BeamSearch search = new BeamSearch(2, 4, new int[0], stopFlags(), 8, 0, 1f);
        assertThat(search.step(b -> row(4))).isTrue();
        search.stop();
        assertThat(search.running()).isZero();
        assertThat(search.best()).containsExactly(0);
        assertThatThrownBy(() -> search.step(b -> row(4))).isInstanceOf(IllegalStateException.class);
    }
}
