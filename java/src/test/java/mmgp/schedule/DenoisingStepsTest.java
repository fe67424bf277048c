package mmgp.schedule;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import java.lang.foreign.MemorySegment;
import mmgp.sampling.RandomArrays;
import mmgp.sampling.Rng;
import mmgp.sampling.SplitMix64Rng;
import org.junit.jupiter.api.Test;

/** DDPM and DDIM steps: exact vector/scalar agreement, and the closed forms in double precision. */
class DenoisingStepsTest {

    private static final int[] LENGTHS = {1, 7, 15, 16, 17, 33, 1000, 4099};

    /** alphas_cumprod of the default linear beta schedule (1e-4 .. 0.02 over 1000 steps), as diffusers. */
    private static float[] alphasCumprod() {
        float[] out = new float[1000];
        double product = 1;
        for (int t = 0; t < 1000; t++) {
            double beta = 1e-4 + (0.02 - 1e-4) * t / 999;
            product *= 1 - beta;
            out[t] = (float) product;
        }
        return out;
    }

    private static double ddpmReference(double x, double eps, double a, double ap, double z) {
        double x0 = (x - Math.sqrt(1 - a) * eps) / Math.sqrt(a);
        double alpha = a / ap;
        double beta = 1 - alpha;
        double mean = Math.sqrt(ap) * beta / (1 - a) * x0 + Math.sqrt(alpha) * (1 - ap) / (1 - a) * x;
        return mean + Math.sqrt((1 - ap) / (1 - a) * beta) * z;
    }

    private static double ddimReference(double x, double eps, double a, double ap, double eta, double z) {
        double x0 = (x - Math.sqrt(1 - a) * eps) / Math.sqrt(a);
        double variance = (1 - ap) / (1 - a) * (1 - a / ap);
        double std = eta * Math.sqrt(variance);
        return Math.sqrt(ap) * x0 + Math.sqrt(1 - ap - std * std) * eps + std * z;
    }

    /**
     * Near t = 0, {@code 1 - a_t / a_prev} loses about 3e-4 relative precision in float32 (torch loses it too),
     * hence the looser bound there; a wrong formula is off by far more.
     */
    @Test
    void ddpmPathsAgreeExactlyAndMatchTheClosedForm() {
        float[] alphas = alphasCumprod();
        for (int n : LENGTHS) {
            for (int t : new int[] {999, 500, 20, 1}) {
                float a = alphas[t];
                float ap = alphas[t - 1];
                DdpmStep step = new DdpmStep(a, ap);
                float[] x = RandomArrays.gaussian(n + t, n, 1.0);
                float[] eps = RandomArrays.gaussian(n + t + 1, n, 1.0);
                float[] vector = x.clone();
                step.apply(vector, eps, new SplitMix64Rng(t));
                float[] scalar = x.clone();
                step.applyScalar(MemorySegment.ofArray(scalar), MemorySegment.ofArray(eps), n, new SplitMix64Rng(t));
                assertThat(vector).as("n=%d t=%d", n, t).containsExactly(scalar);
                Rng noise = new SplitMix64Rng(t);
                for (int i = 0; i < n; i++) {
                    double expected = ddpmReference(x[i], eps[i], a, ap, noise.nextGaussian());
                    assertThat((double) vector[i]).isCloseTo(expected, within(1e-3 * Math.abs(expected) + 1e-3));
                }
            }
        }
    }

    @Test
    void ddpmWithoutNoiseIsThePosteriorMean() {
        float[] alphas = alphasCumprod();
        DdpmStep step = new DdpmStep(alphas[0], 1f); // first training step: previous alpha product is 1
        float[] x = RandomArrays.gaussian(1, 100, 1.0);
        float[] eps = RandomArrays.gaussian(2, 100, 1.0);
        float[] out = x.clone();
        step.apply(out, eps, null);
        for (int i = 0; i < 100; i++) {
            double expected = ddpmReference(x[i], eps[i], alphas[0], 1.0, 0.0);
            assertThat((double) out[i]).isCloseTo(expected, within(1e-5 * Math.abs(expected) + 1e-5));
        }
    }

    @Test
    void ddimPathsAgreeExactlyAndMatchTheClosedForm() {
        float[] alphas = alphasCumprod();
        for (int n : LENGTHS) {
            for (float eta : new float[] {0f, 0.5f, 1f}) {
                int t = 801;
                int prev = 781;
                float a = alphas[t];
                float ap = alphas[prev];
                DdimStep step = new DdimStep(a, ap, eta);
                float[] x = RandomArrays.gaussian(n, n, 1.0);
                float[] eps = RandomArrays.gaussian(n + 1, n, 1.0);
                float[] vector = x.clone();
                step.apply(vector, eps, new SplitMix64Rng(5));
                float[] scalar = x.clone();
                step.applyScalar(MemorySegment.ofArray(scalar), MemorySegment.ofArray(eps), n, new SplitMix64Rng(5));
                assertThat(vector).as("n=%d eta=%s", n, eta).containsExactly(scalar);
                Rng noise = new SplitMix64Rng(5);
                for (int i = 0; i < n; i++) {
                    double z = eta > 0 ? noise.nextGaussian() : 0;
                    double expected = ddimReference(x[i], eps[i], a, ap, eta, z);
                    assertThat((double) vector[i]).isCloseTo(expected, within(2e-4 * Math.abs(expected) + 2e-4));
                }
            }
        }
    }

    @Test
    void deterministicDdimToTheFinalAlphaReturnsTheCleanSample() {
        // x_t = sqrt(a) x0 + sqrt(1 - a) eps with the true eps; a step to a_prev = 1 must give back x0.
        float a = 0.3f;
        int n = 1000;
        float[] x0 = RandomArrays.gaussian(1, n, 1.0);
        float[] eps = RandomArrays.gaussian(2, n, 1.0);
        float[] x = new float[n];
        for (int i = 0; i < n; i++) {
            x[i] = (float) (Math.sqrt(a) * x0[i] + Math.sqrt(1 - a) * eps[i]);
        }
        new DdimStep(a, 1f, 0f).apply(x, eps, null);
        for (int i = 0; i < n; i++) {
            assertThat(x[i]).isCloseTo(x0[i], within(1e-5f));
        }
    }

    @Test
    void ddimWithEtaOneHasTheDdpmPosteriorNoise() {
        float[] alphas = alphasCumprod();
        for (int t : new int[] {999, 300, 2}) {
            assertThat(new DdimStep(alphas[t], alphas[t - 1], 1f).noiseScale())
                    .isCloseTo(new DdpmStep(alphas[t], alphas[t - 1]).noiseScale(), within(1e-6f));
        }
        assertThat(new DdimStep(alphas[9], alphas[8], 0f).noiseScale()).isZero();
        assertThatThrownBy(() -> new DdimStep(alphas[9], alphas[8], 1f).apply(new float[3], new float[3], null))
                .isInstanceOf(IllegalArgumentException.class);
    }
}
