package mmgp.sampling;

import java.lang.foreign.MemorySegment;

/**
 * Picks the next token from a row of logits with HF generate()'s processing order: repetition penalty,
 * then either argmax (temperature 0) or temperature, top-k, top-p, min-p, softmax and one categorical draw.
 * All buffers belong to the instance, so a decode step allocates nothing. The logits are filtered in place:
 * afterwards they hold the warped scores. Not thread-safe.
 */
public final class TokenSampler {

    private final int vocabSize;
    private final RepetitionPenalty repetitionPenalty;
    private final TopK topK = new TopK();
    private final TopP topP = new TopP();
    private final MinP minP = new MinP();
    private final MemorySegment probabilities;

    public TokenSampler(int vocabSize) {
        this.vocabSize = vocabSize;
        this.repetitionPenalty = new RepetitionPenalty(vocabSize);
        this.probabilities = MemorySegment.ofArray(new float[vocabSize]);
    }

    /**
     * Samples a token id from the first {@code n} floats of {@code logits}.
     *
     * @param history       previous token ids (prompt and generated), for the repetition penalty
     * @param historyLength how many entries of {@code history} are valid
     * @param rng           source of the one categorical draw; unused when greedy
     */
    public int sample(MemorySegment logits, int n, SamplingParameters parameters, int[] history, int historyLength,
            Rng rng) {
        if (n <= 0 || n > vocabSize) {
            throw new IllegalArgumentException("logit count " + n + " outside [1, " + vocabSize + "]");
        }
        if (parameters.repetitionPenalty() != 1f) {
            repetitionPenalty.apply(logits, n, history, historyLength, parameters.repetitionPenalty());
        }
        if (parameters.greedy()) {
            return Argmax.argmax(logits, n);
        }
        if (parameters.temperature() != 1f) {
            Temperature.apply(logits, n, parameters.temperature());
        }
        if (parameters.topK() > 0) {
            topK.apply(logits, n, parameters.topK());
        }
        if (parameters.topP() < 1f) {
            topP.apply(logits, n, parameters.topP());
        }
        if (parameters.minP() > 0f) {
            minP.apply(logits, n, parameters.minP());
        }
        Softmax.softmax(logits, probabilities, n);
        return rng.nextCategorical(probabilities, n);
    }

    public int sample(float[] logits, SamplingParameters parameters, int[] history, int historyLength, Rng rng) {
        return sample(MemorySegment.ofArray(logits), logits.length, parameters, history, historyLength, rng);
    }
}
