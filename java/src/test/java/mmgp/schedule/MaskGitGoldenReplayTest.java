package mmgp.schedule;

import static org.assertj.core.api.Assertions.assertThat;

import java.lang.foreign.MemorySegment;
import java.util.Arrays;
import mmgp.sampling.RecordedDraws;
import mmgp.testing.Fixtures;
import org.junit.jupiter.api.Test;

/**
 * Replays the aMUSEd end-to-end goldens (diffusers 0.33.1, torch CPU) through {@link MaskGitStep} with the
 * recorded multinomial and Gumbel draws. The chain runs on its own output: each step starts from the ids
 * the previous replayed step produced, and every step's ids must equal the golden exactly.
 */
class MaskGitGoldenReplayTest {

    private static final int MASK_TOKEN_ID = 71; // scheduler config: vocab_size - 1

    /** torch.linspace on float32 CPU (scalar path): first half from the start, second half from the end. */
    static float[] torchLinspace(float start, float end, int steps) {
        float step = (end - start) / (float) (steps - 1);
        float[] out = new float[steps];
        for (int i = 0; i < steps; i++) {
            out[i] = i < steps / 2 ? start + step * i : end - step * (steps - i - 1);
        }
        return out;
    }

    @Test
    void temperatureScheduleMatchesTheRecordedTables() {
        GoldenSafetensors tables = GoldenSafetensors.load(Fixtures.golden("amused", "scheduler_tables.safetensors"));
        assertThat(torchLinspace(2f, 0f, 12)).containsExactly(tables.tensor("temperatures_12_tuple_2_0").floats());
        assertThat(torchLinspace(3f, 0.01f, 7)).containsExactly(tables.tensor("temperatures_7_scalar_3").floats());
    }

    @Test
    void replaysTheGuidedSingleImageRun() {
        GoldenSafetensors tables = GoldenSafetensors.load(Fixtures.golden("amused", "scheduler_tables.safetensors"));
        replay("e2e_cfg", tables.tensor("temperatures_12_tuple_2_0").floats());
    }

    @Test
    void replaysTheUnguidedTwoImageRun() {
        // temperature=3.0 (a scalar) -> linspace(3.0, 0.01, steps)
        replay("e2e_nocfg", torchLinspace(3f, 0.01f, 6));
    }

    private static void replay(String caseName, float[] temperatures) {
        GoldenSafetensors golden = GoldenSafetensors.load(Fixtures.golden("amused", caseName + ".safetensors"));
        GoldenSafetensors.Tensor logitsTensor = golden.tensor("steps.model_output_guided"); // (steps, B, C, H, W)
        long[] shape = logitsTensor.shape();
        int steps = (int) shape[0];
        int batch = (int) shape[1];
        int codes = (int) shape[2];
        int tokens = (int) (shape[3] * shape[4]);
        float[] allLogits = logitsTensor.floats();
        int[] sampleIn = golden.tensor("steps.sample_in").ints();
        int[] multinomial = golden.tensor("steps.multinomial_samples").ints();
        float[] gumbel = golden.tensor("steps.gumbel_noise").floats();
        int[] predicted = golden.tensor("steps.pred_original_sample").ints();
        int[] prev = golden.tensor("steps.prev_sample").ints();
        int[] finalTokens = golden.tensor("final_tokens").ints();
        assertThat(temperatures).hasSize(steps);

        int perStep = batch * tokens;
        MaskGitStep step = new MaskGitStep(tokens, codes, MASK_TOKEN_ID);
        int[] sample = Arrays.copyOfRange(sampleIn, 0, perStep);
        for (int i = 0; i < steps; i++) {
            assertThat(sample).as("%s step %d input", caseName, i).containsExactly(Arrays.copyOfRange(sampleIn, i * perStep, (i + 1) * perStep));
            // diffusers permutes (B, C, H*W) to (B, H*W, C): the kernel wants the codes of a token contiguous.
            float[] tokenMajor = new float[perStep * codes];
            for (int b = 0; b < batch; b++) {
                for (int c = 0; c < codes; c++) {
                    for (int t = 0; t < tokens; t++) {
                        tokenMajor[(b * tokens + t) * codes + c] = allLogits[((i * batch + b) * codes + c) * tokens + t];
                    }
                }
            }
            // torch drew a multinomial sample for every token; the kernel draws only for masked ones.
            int[] drawn = new int[perStep];
            int count = 0;
            for (int p = 0; p < perStep; p++) {
                if (sample[p] == MASK_TOKEN_ID) {
                    drawn[count++] = multinomial[i * perStep + p];
                }
            }
            RecordedDraws.Builder draws = RecordedDraws.builder().categoricals(Arrays.copyOf(drawn, count));
            boolean last = i == steps - 1;
            if (!last) {
                draws.gumbels(Arrays.copyOfRange(gumbel, i * perStep, (i + 1) * perStep));
            }
            RecordedDraws rng = draws.build();
            int[] next = new int[perStep];
            int[] x0 = new int[perStep];
            if (last) {
                step.finalStep(MemorySegment.ofArray(tokenMajor), batch, sample, next, rng);
                System.arraycopy(next, 0, x0, 0, perStep);
            } else {
                float maskRatio = MaskingSchedule.COSINE.maskRatio(i, steps);
                step.step(MemorySegment.ofArray(tokenMajor), batch, sample, next, x0, temperatures[i], maskRatio, rng);
            }
            assertThat(rng.fullyConsumed()).as("%s step %d: %s", caseName, i, rng).isTrue();
            assertThat(x0).as("%s step %d pred_original_sample", caseName, i)
                    .containsExactly(Arrays.copyOfRange(predicted, i * perStep, (i + 1) * perStep));
            assertThat(next).as("%s step %d prev_sample", caseName, i)
                    .containsExactly(Arrays.copyOfRange(prev, i * perStep, (i + 1) * perStep));
            sample = next;
        }
        assertThat(sample).as("%s final tokens", caseName).containsExactly(finalTokens);
        assertThat(sample).doesNotContain(MASK_TOKEN_ID);
    }
}
