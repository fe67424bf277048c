package mmgp.sampling;

import static mmgp.tensor.FloatLanes.F32;

import java.lang.foreign.MemorySegment;

/**
 * Gumbel noise from an {@link Rng}, drawn in index order. Adding standard Gumbel noise to logits and taking
 * the argmax samples from their softmax (the Gumbel-max trick); MaskGIT adds {@code temperature * noise} to
 * log-confidences. There is no vector path: the cost is the draws, which are sequential.
 */
public final class GumbelNoise {

    private GumbelNoise() {
    }

    /** {@code out[i] = g_i} for {@code i < n}. */
    public static void fill(MemorySegment out, long n, Rng rng) {
        for (long i = 0; i < n; i++) {
            out.setAtIndex(F32, i, rng.nextGumbel());
        }
    }

    /** {@code x[i] += scale * g_i} for {@code i < n}, rounded like torch ({@code scale * g} first, then the sum). */
    public static void add(MemorySegment x, long n, float scale, Rng rng) {
        for (long i = 0; i < n; i++) {
            x.setAtIndex(F32, i, x.getAtIndex(F32, i) + scale * rng.nextGumbel());
        }
    }

    public static void add(float[] x, float scale, Rng rng) {
        add(MemorySegment.ofArray(x), x.length, scale, rng);
    }
}
