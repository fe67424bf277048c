package mmgp.sampling;

import static org.assertj.core.api.Assertions.assertThat;

import java.lang.foreign.MemorySegment;
import org.junit.jupiter.api.Test;

class StopTokensTest {

    @Test
    void masksExactlyTheStopTokensAndKeepsItsOwnCopyOfTheFlags() {
        boolean[] flags = {false, true, false, false, true};
        StopTokens stop = new StopTokens(flags);
        flags[0] = true; // the caller's array is not shared
        assertThat(stop.vocabSize()).isEqualTo(5);
        assertThat(stop.isStop(0)).isFalse();
        assertThat(stop.isStop(1)).isTrue();
        assertThat(stop.isStop(4)).isTrue();
        float[] logits = {1f, 2f, 3f, 4f, 5f};
        stop.mask(MemorySegment.ofArray(logits));
        assertThat(logits).containsExactly(1f, Float.NEGATIVE_INFINITY, 3f, 4f, Float.NEGATIVE_INFINITY);
    }
}
