package mmgp.sampling;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.stream.IntStream;

/**
 * The end-of-generation tokens of a vocabulary: a lookup by token id, and the mask that keeps a generation
 * going until its minimum length (HF's {@code min_new_tokens}: their logits set to {@code -inf}). The sampler
 * loop and {@link BeamSearch} share one instance. Immutable.
 */
public final class StopTokens {

    private final boolean[] isStop;
    private final int[] ids;

    /** {@code isStop[t]} tells whether token {@code t} ends a generation; one entry per vocabulary token (copied). */
    public StopTokens(boolean[] isStop) {
        this.isStop = isStop.clone();
        this.ids = IntStream.range(0, isStop.length).filter(t -> isStop[t]).toArray();
    }

    /** Vocabulary size the flags cover. */
    public int vocabSize() {
        return isStop.length;
    }

    public boolean isStop(int token) {
        return isStop[token];
    }

    /** Sets the logit of every stop token to {@code -inf} (the row holds {@link #vocabSize} floats). */
    public void mask(MemorySegment logits) {
        for (int t : ids) {
            logits.setAtIndex(ValueLayout.JAVA_FLOAT, t, Float.NEGATIVE_INFINITY);
        }
    }
}
