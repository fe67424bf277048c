package mmgp.sampling;

import static mmgp.tensor.FloatLanes.F32;

import java.lang.foreign.MemorySegment;
import java.util.Arrays;

/**
 * Repetition penalty as HF's RepetitionPenaltyLogitsProcessor: the logit of every token that occurs in the
 * history is divided by the penalty if positive and multiplied by it if negative. Like HF's gather/scatter,
 * a token that occurs several times is penalized once. Holds a bit set over the vocabulary so that a call
 * allocates nothing.
 */
public final class RepetitionPenalty {

    private final int vocabSize;
    private final long[] penalized;

    public RepetitionPenalty(int vocabSize) {
        if (vocabSize <= 0) {
            throw new IllegalArgumentException("vocabulary size must be positive: " + vocabSize);
        }
        this.vocabSize = vocabSize;
        this.penalized = new long[(vocabSize + 63) >>> 6];
    }

    /**
     * Penalizes, in place, the logits of {@code history[0..historyLength)} among the first {@code n} logits.
     *
     * @throws IndexOutOfBoundsException if a token id is outside {@code [0, n)}
     */
    public void apply(MemorySegment logits, int n, int[] history, int historyLength, float penalty) {
        if (!(penalty > 0) || Float.isInfinite(penalty)) {
            throw new IllegalArgumentException("penalty must be positive and finite: " + penalty);
        }
        if (n > vocabSize) {
            throw new IllegalArgumentException(n + " logits exceed the vocabulary size " + vocabSize);
        }
        java.util.Objects.checkFromIndexSize(0, historyLength, history.length);
        for (int i = 0; i < historyLength; i++) {
            java.util.Objects.checkIndex(history[i], n); // before any change, so a bad id leaves logits intact
        }
        for (int i = 0; i < historyLength; i++) {
            int token = history[i];
            long bit = 1L << token;
            if ((penalized[token >>> 6] & bit) == 0) {
                penalized[token >>> 6] |= bit;
                float x = logits.getAtIndex(F32, token);
                logits.setAtIndex(F32, token, x < 0 ? x * penalty : x / penalty);
            }
        }
        for (int i = 0; i < historyLength; i++) {
            penalized[history[i] >>> 6] = 0;
        }
    }

    public void apply(float[] logits, int[] history, float penalty) {
        apply(MemorySegment.ofArray(logits), logits.length, history, history.length, penalty);
    }

    /** For tests: whether the bit set was cleared after the last call. */
    boolean isClear() {
        return Arrays.stream(penalized).allMatch(w -> w == 0);
    }
}
