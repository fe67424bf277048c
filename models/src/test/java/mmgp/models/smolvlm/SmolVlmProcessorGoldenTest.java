package mmgp.models.smolvlm;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import mmgp.bindings.NativeLibraries;
import mmgp.check.CaseResult;
import mmgp.check.FixtureCases;
import mmgp.check.FixtureRunner;
import mmgp.check.TensorComparison;
import mmgp.graph.ComputeBackend;
import mmgp.models.QuietLlama;
import mmgp.testing.GoldenCases;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * transformers' SmolVLMProcessor (4.52.0.dev0, slow GPT-2 tokenizer, PIL LANCZOS) and greedy
 * generate on the smolvlm2_processor fixture, through {@link SmolVlmFixtureRunner} (the code
 * `mmgp check` runs): prompts, token strings and ids exact; pixel values within the recorded
 * tolerance (atol 1e-6; in fact bit-identical, asserted here too); resize traces and sampled video
 * frames exact; generated tokens exact, scores within the runner's libmtmd-route tolerance.
 */
class SmolVlmProcessorGoldenTest {
    static final Path FIXTURE = Path.of("src/test/resources/fixtures/smolvlm2_processor");
    static final Path CHECKPOINT = FIXTURE.resolve("checkpoint");

    static FixtureCases fixture;
    static FixtureRunner runner;
    static ComputeBackend backend;

    @BeforeAll
    static void load() throws Exception {
        fixture = FixtureCases.load(FIXTURE);
        runner = FixtureRunner.forModel(fixture.model());
        // the processor cases need no native code; the backend is only a parameter for them
        backend = NativeLibraries.available() ? ComputeBackend.cpu(2) : null;
    }

    @AfterAll
    static void free() {
        if (backend != null) backend.close();
    }

    @Test
    void checkFindsTheSmolVlmRunner() {
        assertThat(runner).isInstanceOf(SmolVlmFixtureRunner.class);
        assertThat(fixture.cases()).extracting(FixtureCases.Case::name).containsExactly("chat_text", "image_prompt", "video_prompt", "generate_image");
    }

    @Test
    void chatText() throws Exception {
        CaseResult r = passing("chat_text");
        assertThat(r.comparisons()).extracting(TensorComparison::name).containsExactly("prompt", "tokens", "input_ids", "attention_mask");
    }

    @Test
    void imagePrompt() throws Exception {
        CaseResult r = passing("image_prompt");
        assertThat(r.comparisons()).extracting(TensorComparison::name).contains(
                "image_uint8 (PNG decoded as PIL does)", "prompt", "expanded_prompt", "tokens", "input_ids", "rows", "cols",
                "pixel_values shape", "pixel_values", "pixel_attention_mask", "resize_shapes_hwc", "trace.resize_0_uint8",
                "trace.resize_2_uint8", "input_ids (apply_chat_template)", "pixel_values (apply_chat_template)");
        assertThat(GoldenCases.comparison(r, "pixel_values").maxAbs()).as("pixel_values are bit-identical").isZero();
        assertThat(GoldenCases.comparison(r, "pixel_values (apply_chat_template)").maxAbs()).isZero();
    }

    @Test
    void videoPrompt() throws Exception {
        CaseResult r = passing("video_prompt");
        assertThat(r.comparisons()).extracting(TensorComparison::name).contains(
                "video_duration_s", "prompt", "frame_indices", "sampled_frames_uint8", "expanded_prompt", "input_ids",
                "pixel_values", "pixel_attention_mask", "trace.frame0_resize_0_uint8");
        assertThat(GoldenCases.comparison(r, "pixel_values").maxAbs()).as("pixel_values are bit-identical").isZero();
    }

    @Test
    void generateImage() throws Exception {
        QuietLlama.require();
        // pixel values from image_prompt (same input_ids), 7 sub-images encoded by libmtmd; the text decoded as recorded
        CaseResult r = passing("generate_image");
        assertThat(r.comparisons()).extracting(TensorComparison::name)
                .containsExactly("sequences (libmtmd image features)", "scores (libmtmd image features)", "generated_text");
    }

    static CaseResult passing(String name) throws Exception {
        return GoldenCases.passing("SmolVLM processor golden", runner, fixture, name, backend);
    }
}
