package mmgp.schedule;

import static org.assertj.core.api.Assertions.assertThat;

import java.lang.foreign.MemorySegment;
import java.util.Arrays;
import java.util.SplittableRandom;
import mmgp.sampling.RecordedDraws;
import mmgp.sampling.Rng;
import mmgp.sampling.SplitMix64Rng;
import org.junit.jupiter.api.Test;

class MaskGitStepTest {

    private static final int MASK = 1000;

    /** Direct transcription of AmusedScheduler.step for one row: double-precision softmax, full sort. */
    private static int[] referenceRow(float[] logits, int[] sample, int codes, float temperature, float maskRatio,
            int[] chosen, float[] gumbel) {
        int tokens = sample.length;
        int[] pred = new int[tokens];
        float[] selected = new float[tokens];
        int masked = 0;
        for (int t = 0; t < tokens; t++) {
            if (sample[t] == MASK) {
                masked++;
                double max = Double.NEGATIVE_INFINITY;
                for (int c = 0; c < codes; c++) {
                    max = Math.max(max, logits[t * codes + c]);
                }
                double sum = 0;
                for (int c = 0; c < codes; c++) {
                    sum += Math.exp(logits[t * codes + c] - max);
                }
                pred[t] = chosen[t];
                selected[t] = (float) (Math.exp(logits[t * codes + chosen[t]] - max) / sum);
            } else {
                pred[t] = sample[t];
                selected[t] = Float.MAX_VALUE;
            }
        }
        float length = Math.max(1f, Math.min(masked - 1, (float) Math.floor(tokens * maskRatio)));
        float[] confidence = new float[tokens];
        for (int t = 0; t < tokens; t++) {
            confidence[t] = (float) Math.log(Math.max(selected[t], 1e-20f)) + temperature * gumbel[t];
        }
        float[] sorted = confidence.clone();
        Arrays.sort(sorted);
        float cut = sorted[(int) length];
        int[] prev = new int[tokens];
        for (int t = 0; t < tokens; t++) {
            prev[t] = confidence[t] < cut ? MASK : pred[t];
        }
        return prev;
    }

    @Test
    void matchesTheSortBasedReferenceOnRandomBatches() {
        SplittableRandom random = new SplittableRandom(9);
        int tokens = 37;
        int codes = 53;
        int batch = 3;
        MaskGitStep step = new MaskGitStep(tokens, codes, MASK);
        for (int trial = 0; trial < 30; trial++) {
            float[] logits = new float[batch * tokens * codes];
            for (int i = 0; i < logits.length; i++) {
                logits[i] = (float) random.nextGaussian() * 3f;
            }
            int[] sample = new int[batch * tokens];
            int[] chosen = new int[batch * tokens];
            float[] gumbel = new float[batch * tokens];
            int[] drawOrder = new int[batch * tokens];
            int draws = 0;
            double maskedFraction = random.nextDouble();
            for (int p = 0; p < sample.length; p++) {
                sample[p] = random.nextDouble() < maskedFraction ? MASK : random.nextInt(codes);
                chosen[p] = random.nextInt(codes);
                gumbel[p] = (float) -Math.log(-Math.log(random.nextDouble() * 0.999 + 0.0005));
                if (sample[p] == MASK) {
                    drawOrder[draws++] = chosen[p];
                }
            }
            float temperature = (float) random.nextDouble() * 4f;
            float maskRatio = (float) random.nextDouble();
            int[] expected = new int[sample.length];
            for (int b = 0; b < batch; b++) {
                int[] row = referenceRow(Arrays.copyOfRange(logits, b * tokens * codes, (b + 1) * tokens * codes),
                        Arrays.copyOfRange(sample, b * tokens, (b + 1) * tokens), codes, temperature, maskRatio,
                        Arrays.copyOfRange(chosen, b * tokens, (b + 1) * tokens),
                        Arrays.copyOfRange(gumbel, b * tokens, (b + 1) * tokens));
                System.arraycopy(row, 0, expected, b * tokens, tokens);
            }
            for (boolean vectorized : new boolean[] {true, false}) {
                RecordedDraws rng = RecordedDraws.builder()
                        .categoricals(Arrays.copyOf(drawOrder, draws)).gumbels(gumbel).build();
                int[] prev = new int[sample.length];
                if (vectorized) {
                    step.step(MemorySegment.ofArray(logits), batch, sample, prev, null, temperature, maskRatio, rng);
                } else {
                    step.stepScalar(MemorySegment.ofArray(logits), batch, sample, prev, null, temperature, maskRatio, rng);
                }
                assertThat(rng.fullyConsumed()).isTrue();
                assertThat(prev).as("trial %d vectorized=%s", trial, vectorized).containsExactly(expected);
            }
        }
    }

    @Test
    void masksTheRequestedNumberAndNeverAKnownTokenAtModerateTemperature() {
        int tokens = 256;
        int codes = 512;
        MaskGitStep step = new MaskGitStep(tokens, codes, MASK);
        float[] logits = new float[tokens * codes];
        SplittableRandom random = new SplittableRandom(2);
        for (int i = 0; i < logits.length; i++) {
            logits[i] = (float) random.nextGaussian();
        }
        int[] sample = new int[tokens];
        Arrays.fill(sample, MASK);
        for (int t = 0; t < 100; t++) {
            sample[t * 2] = t; // 100 known tokens, 156 masked
        }
        int[] prev = new int[tokens];
        int[] x0 = new int[tokens];
        float ratio = MaskingSchedule.COSINE.maskRatio(3, 12); // floor(256 * cos(pi/6)) = 221 > 155 -> clamped to 155
        step.step(MemorySegment.ofArray(logits), 1, sample, prev, x0, 1f, ratio, new SplitMix64Rng(3));
        assertThat(Arrays.stream(prev).filter(id -> id == MASK).count()).isEqualTo(155);
        assertThat(Arrays.stream(x0).filter(id -> id == MASK).count()).isZero();
        for (int t = 0; t < 100; t++) {
            assertThat(prev[t * 2]).isEqualTo(t);
            assertThat(x0[t * 2]).isEqualTo(t);
        }
    }

    @Test
    void tiedConfidencesMaskFewerLikeDiffusers() {
        // Uniform logits and zero temperature: every masked token has the same confidence, nothing is below the
        // cut, so nothing is re-masked; the known token (higher confidence) stays too.
        int tokens = 8;
        int codes = 4;
        MaskGitStep step = new MaskGitStep(tokens, codes, MASK);
        int[] sample = {MASK, MASK, MASK, 2, MASK, MASK, MASK, MASK};
        int[] prev = new int[tokens];
        step.step(MemorySegment.ofArray(new float[tokens * codes]), 1, sample, prev, null, 0f, 0.5f, new SplitMix64Rng(4));
        assertThat(prev).doesNotContain(MASK);
        assertThat(prev[3]).isEqualTo(2);
    }

    @Test
    void sameSeedSameIdsAndOutputMayAliasInput() {
        int tokens = 64;
        int codes = 100;
        float[] logits = new float[2 * tokens * codes];
        SplittableRandom random = new SplittableRandom(6);
        for (int i = 0; i < logits.length; i++) {
            logits[i] = (float) random.nextGaussian() * 2f;
        }
        MaskGitStep step = new MaskGitStep(tokens, codes, MASK);
        int[] a = new int[2 * tokens];
        Arrays.fill(a, MASK);
        int[] b = a.clone();
        Rng rngA = new SplitMix64Rng(10);
        Rng rngB = new SplitMix64Rng(10);
        for (int i = 0; i < 5; i++) {
            int[] next = new int[a.length];
            step.step(MemorySegment.ofArray(logits), 2, a, next, null, 2f, MaskingSchedule.COSINE.maskRatio(i, 6), rngA);
            a = next;
            step.step(MemorySegment.ofArray(logits), 2, b, b, null, 2f, MaskingSchedule.COSINE.maskRatio(i, 6), rngB);
            assertThat(b).as("step %d", i).containsExactly(a);
        }
        step.finalStep(MemorySegment.ofArray(logits), 2, a, a, rngA);
        assertThat(a).doesNotContain(MASK);
        assertThat(Arrays.stream(a).allMatch(id -> id >= 0 && id < codes)).isTrue();
    }
}
