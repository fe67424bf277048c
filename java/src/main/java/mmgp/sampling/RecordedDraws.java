package mmgp.sampling;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

/**
 * {@link Rng} that replays draws recorded from a reference run (for example torch's multinomial samples
 * and Gumbel noise), so a kernel can be checked step for step without reproducing torch's generator.
 *
 * <p>Each draw kind has its own queue, consumed in order; asking for a kind that has no draws left is an
 * error rather than a silent fallback, so a replay that drifts out of step fails loudly.
 * {@link #nextDouble()} reads the uniform queue, widened from float.
 */
public final class RecordedDraws implements Rng {

    private final Queue longs;
    private final Queue uniforms;
    private final Queue gaussians;
    private final Queue gumbels;
    private final Queue categoricals;

    private RecordedDraws(Builder b) {
        longs = new Queue("long", b.longs);
        uniforms = new Queue("uniform", b.uniforms);
        gaussians = new Queue("gaussian", b.gaussians);
        gumbels = new Queue("gumbel", b.gumbels);
        categoricals = new Queue("categorical", b.categoricals);
    }

    public static Builder builder() {
        return new Builder();
    }

    @Override
    public long nextLong() {
        return longs.next();
    }

    @Override
    public float nextFloat() {
        return Float.intBitsToFloat((int) uniforms.next());
    }

    @Override
    public double nextDouble() {
        return nextFloat();
    }

    @Override
    public float nextGaussian() {
        return Float.intBitsToFloat((int) gaussians.next());
    }

    @Override
    public float nextGumbel() {
        return Float.intBitsToFloat((int) gumbels.next());
    }

    /**
     * The next recorded index. It must be in range and have a positive weight: a reference sampler never
     * picks a zero-probability entry, so anything else means the replay is out of step.
     */
    @Override
    public int nextCategorical(MemorySegment weights, int n) {
        long index = categoricals.next();
        if (index < 0 || index >= n) {
            throw new IllegalStateException("recorded categorical draw " + index + " is outside [0, " + n + ")");
        }
        float w = weights.getAtIndex(ValueLayout.JAVA_FLOAT_UNALIGNED, index);
        if (!(w > 0)) {
            throw new IllegalStateException("recorded categorical draw " + index + " has weight " + w);
        }
        return (int) index;
    }

    /** Whether every recorded draw of every kind has been used. */
    public boolean fullyConsumed() {
        return longs.remaining() == 0 && uniforms.remaining() == 0 && gaussians.remaining() == 0
                && gumbels.remaining() == 0 && categoricals.remaining() == 0;
    }

    /** Draws of each kind not yet used, for failure messages. */
    @Override
    public String toString() {
        return "RecordedDraws{remaining long=" + longs.remaining() + ", uniform=" + uniforms.remaining()
                + ", gaussian=" + gaussians.remaining() + ", gumbel=" + gumbels.remaining()
                + ", categorical=" + categoricals.remaining() + "}";
    }

    /** Collects the recorded draws; kinds not given have none. */
    public static final class Builder {
        private long[] longs = new long[0];
        private long[] uniforms = new long[0];
        private long[] gaussians = new long[0];
        private long[] gumbels = new long[0];
        private long[] categoricals = new long[0];

        private Builder() {
        }

        public Builder longs(long... values) {
            longs = values.clone();
            return this;
        }

        /** Uniform draws in [0, 1), returned by {@link #nextFloat()} and {@link #nextDouble()}. */
        public Builder uniforms(float... values) {
            uniforms = floatBits(values);
            return this;
        }

        public Builder gaussians(float... values) {
            gaussians = floatBits(values);
            return this;
        }

        /** Gumbel values as the reference used them (already {@code -log(-log(u))}). */
        public Builder gumbels(float... values) {
            gumbels = floatBits(values);
            return this;
        }

        /** Chosen indices, e.g. torch.multinomial results. */
        public Builder categoricals(int... values) {
            categoricals = new long[values.length];
            for (int i = 0; i < values.length; i++) {
                categoricals[i] = values[i];
            }
            return this;
        }

        public RecordedDraws build() {
            return new RecordedDraws(this);
        }

        private static long[] floatBits(float[] values) {
            long[] bits = new long[values.length];
            for (int i = 0; i < values.length; i++) {
                bits[i] = Float.floatToRawIntBits(values[i]);
            }
            return bits;
        }
    }

    /** One kind's recorded values and read position. */
    private static final class Queue {
        private final String kind;
        private final long[] values;
        private int position;

        Queue(String kind, long[] values) {
            this.kind = kind;
            this.values = values;
        }

        long next() {
            if (position == values.length) {
                throw new IllegalStateException("no recorded " + kind + " draws left (" + values.length + " used)");
            }
            return values[position++];
        }

        int remaining() {
            return values.length - position;
        }
    }
}
