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
 */
public record CostEstimate(String what, long peakBytes, double flops, Size size, Size nativeSize) {
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
    }

    /** Nothing known: a model that cannot estimate is never refused for cost. */
    public static CostEstimate unknown(String what) {
        return new CostEstimate(what, 0, 0, null, null);
    }
}
