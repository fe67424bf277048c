package mmgp.sampling;

/**
 * Settings of one token-sampling chain, with HF generate()'s meaning and "off" values.
 *
 * @param temperature       0 selects greedy decoding (argmax); otherwise logits are divided by it
 * @param topK              keep the k most likely tokens; 0 = off
 * @param topP              nucleus mass in [0, 1]; 1 = off
 * @param minP              min-p in [0, 1]; 0 = off
 * @param repetitionPenalty penalty for tokens already in the history; 1 = off
 */
public record SamplingParameters(float temperature, int topK, float topP, float minP, float repetitionPenalty) {

    /** Greedy decoding without penalties. */
    public static final SamplingParameters GREEDY = new SamplingParameters(0f, 0, 1f, 0f, 1f);

    public SamplingParameters {
        if (!(temperature >= 0) || Float.isInfinite(temperature)) {
            throw new IllegalArgumentException("temperature must be finite and >= 0: " + temperature);
        }
        if (topK < 0) {
            throw new IllegalArgumentException("top-k must be >= 0: " + topK);
        }
        if (!(topP >= 0 && topP <= 1)) {
            throw new IllegalArgumentException("top-p must be in [0, 1]: " + topP);
        }
        if (!(minP >= 0 && minP <= 1)) {
            throw new IllegalArgumentException("min-p must be in [0, 1]: " + minP);
        }
        if (!(repetitionPenalty > 0) || Float.isInfinite(repetitionPenalty)) {
            throw new IllegalArgumentException("repetition penalty must be positive and finite: " + repetitionPenalty);
        }
    }

    /** Sampling at {@code temperature} with no other filter. */
    public static SamplingParameters ofTemperature(float temperature) {
        return new SamplingParameters(temperature, 0, 1f, 0f, 1f);
    }

    public boolean greedy() {
        return temperature == 0f;
    }
}
