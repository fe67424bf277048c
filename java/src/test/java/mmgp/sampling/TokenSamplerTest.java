package mmgp.sampling;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import java.nio.charset.StandardCharsets;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

class TokenSamplerTest {

    private static final int[] NO_HISTORY = new int[0];

    @Test
    void temperatureZeroIsArgmaxAfterTheRepetitionPenalty() {
        float[] logits = RandomArrays.gaussian(1, 49152, 2.0);
        int best = Argmax.argmax(logits);
        TokenSampler sampler = new TokenSampler(49152);
        assertThat(sampler.sample(logits.clone(), SamplingParameters.GREEDY, NO_HISTORY, 0, null)).isEqualTo(best);

        float[] penalized = logits.clone();
        new RepetitionPenalty(49152).apply(penalized, new int[] {best}, 100f);
        int expected = Argmax.argmax(penalized);
        assertThat(expected).isNotEqualTo(best);
        SamplingParameters greedyPenalized = new SamplingParameters(0f, 0, 1f, 0f, 100f);
        assertThat(sampler.sample(logits.clone(), greedyPenalized, new int[] {best, 7}, 1, null)).isEqualTo(expected);
    }

    /** Expected sampling distribution: the warpers composed from the sort-based references. */
    private static double[] referenceDistribution(float[] logits, SamplingParameters parameters) {
        int n = logits.length;
        float[] x = logits.clone();
        for (int i = 0; i < n; i++) {
            x[i] = x[i] / parameters.temperature();
        }
        if (parameters.topK() > 0) {
            x = masked(x, SortBasedReferences.topK(x, parameters.topK()));
        }
        if (parameters.topP() < 1f) {
            float[] probabilities = new float[n];
            Softmax.softmax(x, probabilities);
            x = masked(x, SortBasedReferences.topP(x, probabilities, parameters.topP()));
        }
        if (parameters.minP() > 0f) {
            float[] probabilities = new float[n];
            Softmax.softmax(x, probabilities);
            x = masked(x, SortBasedReferences.minP(probabilities, parameters.minP()));
        }
        double max = Double.NEGATIVE_INFINITY;
        for (float v : x) {
            max = Math.max(max, v);
        }
        double[] p = new double[n];
        double sum = 0;
        for (int i = 0; i < n; i++) {
            p[i] = Math.exp(x[i] - max);
            sum += p[i];
        }
        for (int i = 0; i < n; i++) {
            p[i] /= sum;
        }
        return p;
    }

    private static float[] masked(float[] x, boolean[] keep) {
        float[] out = x.clone();
        for (int i = 0; i < out.length; i++) {
            if (!keep[i]) {
                out[i] = Float.NEGATIVE_INFINITY;
            }
        }
        return out;
    }

    @Test
    void samplesFollowTheFilteredDistribution() {
        int n = 200;
        float[] logits = RandomArrays.gaussian(2, n, 2.0);
        SamplingParameters[] settings = {
            SamplingParameters.ofTemperature(1f),
            new SamplingParameters(0.7f, 20, 1f, 0f, 1f),
            new SamplingParameters(1.3f, 0, 0.8f, 0f, 1f),
            new SamplingParameters(1f, 50, 0.9f, 0.05f, 1f),
        };
        TokenSampler sampler = new TokenSampler(n);
        Rng rng = new SplitMix64Rng(77);
        float[] work = new float[n];
        int draws = 40_000;
        for (SamplingParameters parameters : settings) {
            double[] expected = referenceDistribution(logits, parameters);
            int[] counts = new int[n];
            for (int i = 0; i < draws; i++) {
                System.arraycopy(logits, 0, work, 0, n);
                counts[sampler.sample(work, parameters, NO_HISTORY, 0, rng)]++;
            }
            for (int t = 0; t < n; t++) {
                double frequency = counts[t] / (double) draws;
                if (expected[t] == 0) {
                    assertThat(counts[t]).as("%s token %d is filtered", parameters, t).isZero();
                } else {
                    double sigma = Math.sqrt(expected[t] * (1 - expected[t]) / draws);
                    assertThat(frequency).as("%s token %d", parameters, t).isCloseTo(expected[t], within(6 * sigma + 1e-4));
                }
            }
        }
    }

    @Test
    void sameSeedGivesTheSameTokens() {
        int n = 49152;
        float[] logits = RandomArrays.gaussian(3, n, 3.0);
        SamplingParameters parameters = new SamplingParameters(0.8f, 40, 0.95f, 0f, 1.1f);
        int[] history = {5, 17, 17, 300};
        int[] first = run(logits, parameters, history, 1234);
        int[] second = run(logits, parameters, history, 1234);
        int[] other = run(logits, parameters, history, 4321);
        assertThat(second).containsExactly(first);
        assertThat(other).isNotEqualTo(first);
    }

    private static int[] run(float[] logits, SamplingParameters parameters, int[] history, long seed) {
        TokenSampler sampler = new TokenSampler(logits.length);
        Rng rng = new SplitMix64Rng(seed);
        int[] tokens = new int[50];
        for (int i = 0; i < tokens.length; i++) {
            tokens[i] = sampler.sample(logits.clone(), parameters, history, history.length, rng);
        }
        return tokens;
    }

    @Test
    void aWarmDecodeStepAllocatesNothing() throws Exception {
        String javaBinary = ProcessHandle.current().info().command().orElseThrow();
        Process probe = new ProcessBuilder(javaBinary, "--add-modules", "jdk.incubator.vector", "-cp",
                System.getProperty("java.class.path"), DecodeStepAllocationProbe.class.getName())
                .redirectErrorStream(true).start();
        String output = new String(probe.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(probe.waitFor(120, TimeUnit.SECONDS)).isTrue();
        assertThat(probe.exitValue()).as(output).isZero();
        assertThat(output).contains("allocated=0");
    }
}
