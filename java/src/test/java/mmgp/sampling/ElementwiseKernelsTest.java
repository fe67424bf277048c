package mmgp.sampling;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import org.junit.jupiter.api.Test;

/** Temperature, guidance mix and Gumbel noise: element-wise kernels that must match torch's float rounding. */
class ElementwiseKernelsTest {

    @Test
    void temperatureDividesExactlyOnBothPaths() {
        try (Arena arena = Arena.ofConfined()) {
            for (int n : RandomArrays.LENGTHS) {
                float[] x = RandomArrays.gaussian(n, n, 5.0);
                float t = 0.7f;
                MemorySegment vector = RandomArrays.misalignedNative(arena, x);
                MemorySegment scalar = RandomArrays.misalignedNative(arena, x);
                Temperature.apply(vector, n, t);
                Temperature.applyScalar(scalar, n, t);
                float[] v = RandomArrays.toArray(vector, n);
                float[] s = RandomArrays.toArray(scalar, n);
                for (int i = 0; i < n; i++) {
                    assertThat(v[i]).isEqualTo(x[i] / t);
                    assertThat(s[i]).isEqualTo(x[i] / t);
                }
            }
        }
        assertThatThrownBy(() -> Temperature.apply(new float[3], 0f)).isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void guidanceMixRoundsLikeTorch() {
        for (int n : RandomArrays.LENGTHS) {
            float[] u = RandomArrays.gaussian(n, n, 1.0);
            float[] c = RandomArrays.gaussian(n + 1, n, 1.0);
            float scale = 7.5f;
            float[] vector = new float[n];
            ClassifierFreeGuidance.mix(u, c, vector, scale);
            float[] scalar = new float[n];
            ClassifierFreeGuidance.mixScalar(MemorySegment.ofArray(u), MemorySegment.ofArray(c),
                    MemorySegment.ofArray(scalar), n, scale);
            for (int i = 0; i < n; i++) {
                float expected = u[i] + scale * (c[i] - u[i]);
                assertThat(vector[i]).isEqualTo(expected);
                assertThat(scalar[i]).isEqualTo(expected);
            }
        }
    }

    @Test
    void guidanceMixCanOverwriteTheUnconditionalInput() {
        float[] u = RandomArrays.gaussian(1, 1001, 1.0);
        float[] c = RandomArrays.gaussian(2, 1001, 1.0);
        float[] expected = new float[1001];
        ClassifierFreeGuidance.mix(u, c, expected, 3f);
        ClassifierFreeGuidance.mix(u, c, u, 3f);
        assertThat(u).containsExactly(expected);
    }

    @Test
    void gumbelNoiseAddsScaledDrawsInIndexOrder() {
        float[] x = {1f, -2f, 0.5f};
        GumbelNoise.add(x, 2f, RecordedDraws.builder().gumbels(0.25f, -1f, 3f).build());
        assertThat(x).containsExactly(1.5f, -4f, 6.5f);

        float[] filled = new float[50];
        GumbelNoise.fill(MemorySegment.ofArray(filled), 50, new SplitMix64Rng(8));
        Rng same = new SplitMix64Rng(8);
        for (float f : filled) {
            assertThat(f).isEqualTo(same.nextGumbel());
        }
    }

    @Test
    void gumbelMaxTrickSamplesFromTheSoftmax() {
        float[] logits = {0f, (float) Math.log(2), (float) Math.log(5), Float.NEGATIVE_INFINITY};
        Rng rng = new SplitMix64Rng(21);
        int[] counts = new int[4];
        float[] noisy = new float[4];
        int draws = 80_000;
        for (int i = 0; i < draws; i++) {
            System.arraycopy(logits, 0, noisy, 0, 4);
            GumbelNoise.add(noisy, 1f, rng);
            counts[Argmax.argmax(noisy)]++;
        }
        assertThat(counts[0] / (double) draws).isCloseTo(0.125, org.assertj.core.api.Assertions.within(0.01));
        assertThat(counts[1] / (double) draws).isCloseTo(0.25, org.assertj.core.api.Assertions.within(0.01));
        assertThat(counts[2] / (double) draws).isCloseTo(0.625, org.assertj.core.api.Assertions.within(0.01));
        assertThat(counts[3]).isZero();
    }
}
