package mmgp.api;

/**
 * Knobs of an understanding request, with HF generate()'s meaning and "off" values.
 *
 * @param maxNewTokens      most tokens to generate (the stop token included); with the prompt (× beams) it must fit the model's context
 * @param temperature       0 is greedy decoding (argmax; top-k, top-p and min-p then do nothing)
 * @param topK              sample among the k most likely tokens; 0 is off
 * @param topP              nucleus mass; 1 is off
 * @param seed              seed of the request's own random stream (sampling only)
 * @param maxFrames         frame cap for videos; 0 keeps the model's own
 * @param minNewTokens      end-of-generation tokens are masked before this many tokens (HF's {@code min_new_tokens})
 * @param minP              drop tokens below min-p × the top probability; 0 is off
 * @param repetitionPenalty penalty for tokens already in the history; 1 is off
 * @param beams             beam width; above 1 a deterministic beam search (length-normalized scores, repetition
 *                          penalty applied, the other sampling settings ignored) whose text comes when the search ends
 */
public record UnderstandOptions(int maxNewTokens, float temperature, int topK, float topP, long seed, int maxFrames,
                                int minNewTokens, float minP, float repetitionPenalty, int beams) {
    public UnderstandOptions {
        // no upper cap here: what fits is the model's context (the engine checks it, the CLI against --ctx); HTTP adds its own cap
        if (maxNewTokens < 1) throw new InvalidRequestException("max_new_tokens", "must be at least 1, got " + maxNewTokens);
        InvalidRequestException.checkRange("temperature", temperature, 0, 10);
        InvalidRequestException.checkRange("top_k", topK, 0, 1_000_000);
        InvalidRequestException.checkRange("top_p", topP, 0, 1);
        InvalidRequestException.checkRange("max_frames", maxFrames, 0, 1024);
        InvalidRequestException.checkRange("min_new_tokens", minNewTokens, 0, maxNewTokens);
        InvalidRequestException.checkRange("min_p", minP, 0, 1);
        if (!(repetitionPenalty > 0 && repetitionPenalty <= 100)) {
            throw new InvalidRequestException("repetition_penalty", "must be above 0 and at most 100 (1 is off), got " + repetitionPenalty);
        }
        InvalidRequestException.checkRange("beams", beams, 1, 64);
    }

    /** 128 tokens, greedy, no penalty, one beam, the model's frame cap. */
    public static UnderstandOptions defaults() {
        return new UnderstandOptions(128, 0f, 0, 1f, 0L, 0, 0, 0f, 1f, 1);
    }

    public Builder toBuilder() {
        return new Builder(this);
    }

    /** At most {@code n} new tokens; a larger minimum is lowered to it. */
    public UnderstandOptions withMaxNewTokens(int n) {
        return toBuilder().maxNewTokens(n).minNewTokens(Math.min(minNewTokens, n)).build();
    }

    public UnderstandOptions withSampling(float t, int k, float p) {
        return toBuilder().temperature(t).topK(k).topP(p).build();
    }

    public UnderstandOptions withSeed(long s) {
        return toBuilder().seed(s).build();
    }

    public UnderstandOptions withMaxFrames(int n) {
        return toBuilder().maxFrames(n).build();
    }

    /** A copy under construction; {@link #build()} validates it. */
    public static final class Builder {
        private int maxNewTokens, topK, maxFrames, minNewTokens, beams;
        private float temperature, topP, minP, repetitionPenalty;
        private long seed;

        private Builder(UnderstandOptions o) {
            maxNewTokens = o.maxNewTokens;
            temperature = o.temperature;
            topK = o.topK;
            topP = o.topP;
            seed = o.seed;
            maxFrames = o.maxFrames;
            minNewTokens = o.minNewTokens;
            minP = o.minP;
            repetitionPenalty = o.repetitionPenalty;
            beams = o.beams;
        }

        public Builder maxNewTokens(int v) { maxNewTokens = v; return this; }
        public Builder temperature(float v) { temperature = v; return this; }
        public Builder topK(int v) { topK = v; return this; }
        public Builder topP(float v) { topP = v; return this; }
        public Builder seed(long v) { seed = v; return this; }
        public Builder maxFrames(int v) { maxFrames = v; return this; }
        public Builder minNewTokens(int v) { minNewTokens = v; return this; }
        public Builder minP(float v) { minP = v; return this; }
        public Builder repetitionPenalty(float v) { repetitionPenalty = v; return this; }
        public Builder beams(int v) { beams = v; return this; }

        public UnderstandOptions build() {
            return new UnderstandOptions(maxNewTokens, temperature, topK, topP, seed, maxFrames, minNewTokens, minP, repetitionPenalty, beams);
        }
    }
}
