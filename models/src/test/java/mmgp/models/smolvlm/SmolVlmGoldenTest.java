package mmgp.models.smolvlm;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import java.util.Arrays;
import mmgp.check.CaseResult;
import mmgp.check.FixtureCases;
import mmgp.check.FixtureRunner;
import mmgp.check.TensorComparison;
import mmgp.graph.ComputeBackend;
import mmgp.models.QuietLlama;
import mmgp.testing.GoldenCases;
import mmgp.safetensors.SafetensorsFile;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The smolvlm2 fixture's goldens (transformers, fp32) through {@link SmolVlmFixtureRunner}, the
 * code `mmgp check` runs: the checkpoint converted to F32 GGUFs, the vision tower + connector in
 * libmtmd, the llama text model in libllama. The runner's class doc gives the tolerances (the
 * case's own where the engine computes what the reference does from the golden's inputs, a wider
 * floor for what passes through libmtmd's F16 im2col and fp16 GELU table).
 */
class SmolVlmGoldenTest {
    static final Path FIXTURE = Path.of("src/test/resources/fixtures/smolvlm2");

    static FixtureCases fixture;
    static FixtureRunner runner;
    static ComputeBackend backend;

    @BeforeAll
    static void load() throws Exception {
        QuietLlama.require();
        fixture = FixtureCases.load(FIXTURE);
        runner = FixtureRunner.forModel(fixture.model());
        backend = ComputeBackend.cpu(2);
    }

    @AfterAll
    static void free() {
        if (backend != null) backend.close();
    }

    @Test
    void checkFindsTheSmolVlmRunner() {
        assertThat(runner).isInstanceOf(SmolVlmFixtureRunner.class);
        assertThat(fixture.cases()).extracting(FixtureCases.Case::name)
                .containsExactly("vision_connector", "forward_2images", "forward_text_left_padded", "generate_greedy");
    }

    @Test
    void visionConnector() throws Exception {
        CaseResult r = passing("vision_connector");
        assertThat(r.comparisons()).extracting(TensorComparison::name).containsExactly("image_features (libmtmd)");
    }

    @Test
    void forwardTwoImages() throws Exception {
        CaseResult r = passing("forward_2images");
        assertThat(r.comparisons()).extracting(TensorComparison::name)
                .containsExactly("logits (golden image features)", "image_hidden_states (libmtmd)", "logits (libmtmd image features)");
        // From the golden features the text model meets the fixture's own fp32 tolerance, far inside it.
        assertThat(GoldenCases.comparison(r, "logits (golden image features)").maxAbs()).isLessThan(1e-5);
    }

    @Test
    void forwardTextLeftPaddedComparesEveryAttendedPosition() throws Exception {
        CaseResult r = passing("forward_text_left_padded");
        long attended;
        int vocab;
        try (SafetensorsFile g = SafetensorsFile.open(GoldenCases.named(fixture, "forward_text_left_padded").file())) {
            attended = Arrays.stream(g.readLongs("attention_mask")).sum();
            vocab = (int) g.tensor("logits").shape()[2];
            assertThat(attended).isLessThan(g.readLongs("attention_mask").length); // some positions are padding
        }
        assertThat(r.comparisons()).singleElement().satisfies(t -> {
            assertThat(t.name()).isEqualTo("logits (" + attended + " attended positions)");
            assertThat(t.elements()).isEqualTo(attended * vocab);
        });
    }

    @Test
    void generateGreedyFromGoldenAndFromLibmtmdFeatures() throws Exception {
        CaseResult r = passing("generate_greedy");
        // generate_greedy's image is forward_2images' first image, whose golden features the runner finds
        assertThat(r.comparisons()).extracting(TensorComparison::name).containsExactly(
                "sequences (libmtmd image features)", "scores (libmtmd image features)",
                "sequences (golden image features)", "scores (golden image features)");
        // min_new_tokens masks EOS to -inf in every step's scores: equal infinities match, the errors stay finite
        assertThat(GoldenCases.comparison(r, "scores (golden image features)").maxAbs()).isFinite().isLessThan(1e-4);
    }

    @Test
    void fastNumericsKeepTheTokensAndStayWithinTheFastBound() throws Exception {
        try (ComputeBackend fast = ComputeBackend.cpu(2, mmgp.graph.Numerics.FAST)) {
            for (FixtureCases.Case c : fixture.cases()) {
                CaseResult r = runner.run(fixture, c, fast);
                assertThat(r.error()).as(c.name()).isNull();
                assertThat(r.comparisons()).as(c.name()).isNotEmpty().allSatisfy(t -> {
                    if (t.integer()) assertThat(t.passed()).as(c.name() + " " + t.name() + " " + t.detail()).isTrue();
                    else assertThat(t.relRms()).as(c.name() + " " + t.name()).isLessThanOrEqualTo(1e-2);
                });
            }
        }
    }

    static CaseResult passing(String name) throws Exception {
        return GoldenCases.passing("SmolVLM golden", runner, fixture, name, backend);
    }
}
