package mmgp.sampling;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import java.lang.foreign.MemorySegment;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

class RngTest {

    @Test
    void splitMix64StreamIsTheOneOfSplittableRandom() {
        for (long seed : new long[] {0, 1, -7, 0x1234_5678_9ABC_DEF0L}) {
            SplitMix64Rng rng = new SplitMix64Rng(seed);
            SplittableRandom jdk = new SplittableRandom(seed);
            for (int i = 0; i < 1000; i++) {
                assertThat(rng.nextLong()).as("seed %d draw %d", seed, i).isEqualTo(jdk.nextLong());
            }
        }
    }

    @Test
    void splitMix64MatchesThePublishedReferenceOutput() {
        // First outputs of Vigna's splitmix64.c with state 0.
        SplitMix64Rng rng = new SplitMix64Rng(0);
        assertThat(rng.nextLong()).isEqualTo(0xE220A8397B1DCDAFL);
        assertThat(rng.nextLong()).isEqualTo(0x6E789E6AA1B965F4L);
        assertThat(rng.nextLong()).isEqualTo(0x06C45D188009454FL);
    }

    @Test
    void sameSeedReproducesEveryDrawKindAndOtherSeedsDiffer() {
        float[] weights = {0.1f, 0f, 2f, 0.5f, 1f};
        Rng a = new SplitMix64Rng(42);
        Rng b = new SplitMix64Rng(42);
        Rng c = new SplitMix64Rng(43);
        int differences = 0;
        for (int i = 0; i < 200; i++) {
            float fa = a.nextFloat();
            assertThat(fa).isEqualTo(b.nextFloat());
            differences += fa != c.nextFloat() ? 1 : 0;
            assertThat(a.nextGaussian()).isEqualTo(b.nextGaussian());
            assertThat(a.nextGumbel()).isEqualTo(b.nextGumbel());
            assertThat(a.nextInt(17)).isEqualTo(b.nextInt(17));
            assertThat(a.nextCategorical(weights, weights.length)).isEqualTo(b.nextCategorical(weights, weights.length));
            c.nextGaussian();
            c.nextGumbel();
            c.nextInt(17);
            c.nextCategorical(weights, weights.length);
        }
        assertThat(differences).isGreaterThan(190);
    }

    @Test
    void uniformDrawsStayInRange() {
        Rng rng = new SplitMix64Rng(3);
        int[] counts = new int[7];
        for (int i = 0; i < 70_000; i++) {
            float f = rng.nextFloat();
            double d = rng.nextDouble();
            assertThat(f).isGreaterThanOrEqualTo(0f).isLessThan(1f);
            assertThat(d).isGreaterThanOrEqualTo(0.0).isLessThan(1.0);
            counts[rng.nextInt(7)]++;
        }
        for (int count : counts) {
            assertThat(count).isBetween(9_500, 10_500);
        }
        assertThatThrownBy(() -> rng.nextInt(0)).isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void gaussianAndGumbelHaveTheirMoments() {
        Rng rng = new SplitMix64Rng(11);
        int n = 200_000;
        double gSum = 0, gSquares = 0, uSum = 0, uSquares = 0;
        for (int i = 0; i < n; i++) {
            double g = rng.nextGaussian();
            gSum += g;
            gSquares += g * g;
            double u = rng.nextGumbel();
            uSum += u;
            uSquares += u * u;
        }
        assertThat(gSum / n).isCloseTo(0.0, within(0.01));
        assertThat(gSquares / n).isCloseTo(1.0, within(0.015));
        double gumbelMean = uSum / n;
        assertThat(gumbelMean).isCloseTo(0.5772156649, within(0.01)); // Euler–Mascheroni
        assertThat(uSquares / n - gumbelMean * gumbelMean).isCloseTo(Math.PI * Math.PI / 6, within(0.03));
    }

    @Test
    void gumbelClampsLikeDiffusers() {
        Rng zero = RecordedDraws.builder().uniforms(0f).build();
        // u clamped to 1e-20: -log(-log(1e-20)) = -log(46.0517)
        assertThat(defaultGumbel(zero)).isCloseTo((float) -Math.log(-Math.log(1e-20)), within(1e-5f));
        Rng almostOne = RecordedDraws.builder().uniforms(Math.nextDown(1f)).build();
        assertThat(defaultGumbel(almostOne)).isCloseTo((float) -Math.log(-Math.log(Math.nextDown(1f))), within(1e-4f));
    }

    /** The interface's default Gumbel formula fed from a recorded uniform. */
    private static float defaultGumbel(Rng uniformSource) {
        Rng viaDefault = new Rng() {
            @Override
            public long nextLong() {
                throw new AssertionError();
            }

            @Override
            public float nextFloat() {
                return uniformSource.nextFloat();
            }
        };
        return viaDefault.nextGumbel();
    }

    @Test
    void categoricalFollowsUnnormalizedWeightsAndNeverPicksZero() {
        float[] weights = {3f, 0f, 1f, 0f, 6f, 0f};
        Rng rng = new SplitMix64Rng(5);
        int[] counts = new int[weights.length];
        int n = 100_000;
        for (int i = 0; i < n; i++) {
            counts[rng.nextCategorical(weights, weights.length)]++;
        }
        assertThat(counts[1]).isZero();
        assertThat(counts[3]).isZero();
        assertThat(counts[5]).isZero();
        assertThat(counts[0] / (double) n).isCloseTo(0.3, within(0.01));
        assertThat(counts[2] / (double) n).isCloseTo(0.1, within(0.01));
        assertThat(counts[4] / (double) n).isCloseTo(0.6, within(0.01));
    }

    @Test
    void categoricalRejectsImpossibleWeights() {
        Rng rng = new SplitMix64Rng(1);
        assertThatThrownBy(() -> rng.nextCategorical(new float[] {0f, 0f}, 2)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> rng.nextCategorical(new float[] {1f, -1f}, 2)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> rng.nextCategorical(new float[] {1f, Float.NaN}, 2)).isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void recordedDrawsReplayEachKindInOrder() {
        RecordedDraws draws = RecordedDraws.builder()
                .uniforms(0.25f, 0.5f)
                .gaussians(-1.5f)
                .gumbels(0.75f, 2f)
                .categoricals(2, 0)
                .longs(99L)
                .build();
        float[] weights = {1f, 0f, 3f};
        assertThat(draws.nextGumbel()).isEqualTo(0.75f);
        assertThat(draws.nextCategorical(weights, 3)).isEqualTo(2);
        assertThat(draws.nextFloat()).isEqualTo(0.25f);
        assertThat(draws.nextDouble()).isEqualTo(0.5);
        assertThat(draws.nextGaussian()).isEqualTo(-1.5f);
        assertThat(draws.nextLong()).isEqualTo(99L);
        assertThat(draws.fullyConsumed()).isFalse();
        assertThat(draws.nextGumbel()).isEqualTo(2f);
        assertThat(draws.nextCategorical(MemorySegment.ofArray(weights), 3)).isZero();
        assertThat(draws.fullyConsumed()).isTrue();
        assertThatThrownBy(draws::nextGumbel).isInstanceOf(IllegalStateException.class).hasMessageContaining("gumbel");
    }

    @Test
    void recordedCategoricalOutOfStepIsDetected() {
        float[] weights = {1f, 0f, 3f};
        assertThatThrownBy(() -> RecordedDraws.builder().categoricals(1).build().nextCategorical(weights, 3))
                .isInstanceOf(IllegalStateException.class).hasMessageContaining("weight");
        assertThatThrownBy(() -> RecordedDraws.builder().categoricals(3).build().nextCategorical(weights, 3))
                .isInstanceOf(IllegalStateException.class).hasMessageContaining("outside");
    }
}
