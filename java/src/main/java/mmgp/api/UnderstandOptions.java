package mmgp.api;

/**
 * Knobs of an understanding request. {@code temperature} 0 is greedy decoding; {@code topK} 0
 * and {@code topP} 1 switch those filters off; {@code maxFrames} 0 keeps the model's own cap.
 */
public record UnderstandOptions(int maxNewTokens, float temperature, int topK, float topP, long seed, int maxFrames) {
    public UnderstandOptions {
        InvalidRequestException.checkRange("max_new_tokens", maxNewTokens, 1, 4096);
        InvalidRequestException.checkRange("temperature", temperature, 0, 10);
        InvalidRequestException.checkRange("top_k", topK, 0, 1_000_000);
        InvalidRequestException.checkRange("top_p", topP, 0, 1);
        InvalidRequestException.checkRange("max_frames", maxFrames, 0, 1024);
    }

    public static UnderstandOptions defaults() {
        return new UnderstandOptions(128, 0f, 0, 1f, 0L, 0);
    }

    public UnderstandOptions withMaxNewTokens(int n) {
        return new UnderstandOptions(n, temperature, topK, topP, seed, maxFrames);
    }

    public UnderstandOptions withSampling(float t, int k, float p) {
        return new UnderstandOptions(maxNewTokens, t, k, p, seed, maxFrames);
    }

    public UnderstandOptions withSeed(long s) {
        return new UnderstandOptions(maxNewTokens, temperature, topK, topP, s, maxFrames);
    }

    public UnderstandOptions withMaxFrames(int n) {
        return new UnderstandOptions(maxNewTokens, temperature, topK, topP, seed, n);
    }
}
