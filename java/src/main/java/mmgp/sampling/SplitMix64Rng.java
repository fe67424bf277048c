package mmgp.sampling;

/**
 * Seeded {@link Rng}: the SplitMix64 generator (Steele, Lea and Flood, "Fast splittable pseudorandom
 * number generators", OOPSLA 2014) with the golden-ratio increment. Its {@link #nextLong()} stream is the
 * one {@code new java.util.SplittableRandom(seed).nextLong()} produces, written out here so the sequence
 * is fixed by this file and not by a JDK version. Every other draw kind comes from the {@link Rng}
 * defaults, so a seed determines all results.
 *
 * <p>Not thread-safe: give each sampling loop its own instance.
 */
public final class SplitMix64Rng implements Rng {

    private static final long GOLDEN_GAMMA = 0x9E3779B97F4A7C15L;

    private long state;

    public SplitMix64Rng(long seed) {
        this.state = seed;
    }

    @Override
    public long nextLong() {
        long z = (state += GOLDEN_GAMMA);
        z = (z ^ (z >>> 30)) * 0xBF58476D1CE4E5B9L;
        z = (z ^ (z >>> 27)) * 0x94D049BB133111EBL;
        return z ^ (z >>> 31);
    }
}
