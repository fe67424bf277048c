package mmgp.engine.spi;

import java.util.Objects;

/**
 * What one run of a batch will cost, known before it runs: the engine refuses a request whose
 * run cannot fit its memory budget or compute limit, and never gathers a batch larger than the
 * budget holds.
 *
 * @param what      the run in words, for messages: "a 1024×1024×121 video", "a batch of 4 512×512 images"
 * @param peakBytes memory the run needs at its peak beyond the mapped weights: the largest compute
 *                  buffer ggml plans for its graphs plus what the run keeps beside it (latents,
 *                  logits, KV cache, decoded frames); 0 when unknown
 * @param flops     floating-point operations of the whole run (every step and stage; 2 per
 *                  multiply-add, as {@link mmgp.graph.Graph#flops()} counts); 0 when unknown
 * @param size      the output size the run produces, or null when it has none (understanding)
 * @param nativeSize the size the model was trained at, or null; requests above it are refused
 *                  unless the engine is configured to allow them
 * @param memoryHint what in the request sets the peak, when a request field does (e.g. "its VAE decode
 *                  needs 3 GiB of it: a smaller vae_memory_bytes decodes in smaller tiles"); the
 *                  refusal over the memory budget quotes it; null when none
 * @param nativePixels the most pixels (width × height) the model's native sizes have, for a model
 *                  trained at several aspect ratios (LTX-Video: 1280×720 and 720×1280 alike); 0 when
 *                  only the per-side {@code nativeSize} applies. Like {@code nativeSize} it binds only
 *                  while the engine's size limit is the native one
 * @param steps     denoising steps each request of the run takes, the model's own default resolved
 *                  (a request that leaves them to the model is held to the engine's step limit
 *                  too); 0 when the run has none
 */
public record CostEstimate(String what, long peakBytes, double flops, Size size, Size nativeSize, String memoryHint, long nativePixels,
                           int steps) {
    public CostEstimate(String what, long peakBytes, double flops, Size size, Size nativeSize) {
        this(what, peakBytes, flops, size, nativeSize, null, 0, 0);
    }

    public CostEstimate(String what, long peakBytes, double flops, Size size, Size nativeSize, String memoryHint, long nativePixels) {
        this(what, peakBytes, flops, size, nativeSize, memoryHint, nativePixels, 0);
    }

    /** This estimate for runs of {@code n} denoising steps. */
    public CostEstimate withSteps(int n) {
        return new CostEstimate(what, peakBytes, flops, size, nativeSize, memoryHint, nativePixels, n);
    }

    /** An output's width × height in pixels. */
    public record Size(int width, int height) {
        public boolean exceeds(Size other) {
            return width > other.width || height > other.height;
        }

        @Override
        public String toString() {
            return width + "×" + height;
        }
    }

    public CostEstimate {
        Objects.requireNonNull(what, "what");
        if (peakBytes < 0) throw new IllegalArgumentException("peak bytes must not be negative, got " + peakBytes);
        if (!(flops >= 0)) throw new IllegalArgumentException("flops must not be negative, got " + flops);
        if (nativePixels < 0) throw new IllegalArgumentException("native pixels must not be negative, got " + nativePixels);
        if (steps < 0) throw new IllegalArgumentException("steps must not be negative, got " + steps);
    }

    /** Nothing known: a model that cannot estimate is never refused for cost. */
    public static CostEstimate unknown(String what) {
        return new CostEstimate(what, 0, 0, null, null);
    }
}
