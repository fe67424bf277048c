package mmgp.sampling;

import java.lang.foreign.MemorySegment;

/**
 * Source of random draws for samplers and denoising steps.
 *
 * <p>Every kind of draw a kernel needs has its own method, so a test can replace exactly the draws a
 * reference implementation recorded (see {@link RecordedDraws}) without having to reproduce the
 * reference's bit stream. A seeded implementation ({@link SplitMix64Rng}) only has to supply
 * {@link #nextLong()}; the defaults derive every other kind from it.
 */
public interface Rng {

    /** 64 uniformly random bits. */
    long nextLong();

    /** Uniform integer in {@code [0, bound)}, without modulo bias (Lemire's multiply-and-reject). */
    default int nextInt(int bound) {
        if (bound <= 0) {
            throw new IllegalArgumentException("bound must be positive: " + bound);
        }
        long m = (nextLong() >>> 32) * bound;
        long low = m & 0xFFFF_FFFFL;
        if (low < bound) {
            long threshold = (0x1_0000_0000L - bound) % bound;
            while (low < threshold) {
                m = (nextLong() >>> 32) * bound;
                low = m & 0xFFFF_FFFFL;
            }
        }
        return (int) (m >>> 32);
    }

    /** Uniform float in {@code [0, 1)} with 24 random bits. */
    default float nextFloat() {
        return (nextLong() >>> 40) * 0x1.0p-24f;
    }

    /** Uniform double in {@code [0, 1)} with 53 random bits. */
    default double nextDouble() {
        return (nextLong() >>> 11) * 0x1.0p-53;
    }

    /**
     * Standard normal draw by the Box–Muller transform. Each call consumes two uniform doubles and keeps
     * only the cosine branch, so the stream position depends on the call count alone.
     */
    default float nextGaussian() {
        double u1 = 1.0 - nextDouble(); // (0, 1]: log stays finite
        double u2 = nextDouble();
        return (float) (Math.sqrt(-2.0 * Math.log(u1)) * Math.cos(2.0 * Math.PI * u2));
    }

    /**
     * Standard Gumbel draw {@code -log(-log(u))}, computed in float32 with the two clamps of diffusers'
     * {@code gumbel_noise} ({@code u} and {@code -log(u)} clamped to at least 1e-20).
     */
    default float nextGumbel() {
        float u = Math.max(nextFloat(), 1e-20f);
        float inner = Math.max(-(float) Math.log(u), 1e-20f);
        return -(float) Math.log(inner);
    }

    /**
     * Draws index {@code i} with probability {@code weights[i] / sum(weights)} over the first {@code n}
     * floats of {@code weights} (native byte order; need not be normalized): {@link InverseCdf} at one
     * {@link #nextDouble()}. An index of weight zero is never returned.
     *
     * @throws IllegalArgumentException if no weight is positive or a weight is negative or NaN
     */
    default int nextCategorical(MemorySegment weights, int n) {
        return InverseCdf.sample(weights, n, nextDouble());
    }

    /** {@link #nextCategorical(MemorySegment, int)} over {@code weights[0..n)}. */
    default int nextCategorical(float[] weights, int n) {
        java.util.Objects.checkFromIndexSize(0, n, weights.length);
        return nextCategorical(MemorySegment.ofArray(weights), n);
    }
}
