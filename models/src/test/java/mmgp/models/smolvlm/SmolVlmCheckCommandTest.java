package mmgp.models.smolvlm;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import mmgp.bindings.NativeLibraries;
import mmgp.models.CliRun;
import org.junit.jupiter.api.Test;

/** `mmgp check` on the two SmolVLM2 fixtures goes through {@link SmolVlmFixtureRunner}, exact and fast. */
class SmolVlmCheckCommandTest {
    private static final String MODEL = "src/test/resources/fixtures/smolvlm2";
    private static final String PROCESSOR = "src/test/resources/fixtures/smolvlm2_processor";

    @Test
    void everyCaseOfTheModelFixturePassesExactAndFast() {
        assumeTrue(NativeLibraries.available(), "native libs not built");
        CliRun exact = CliRun.of("check", MODEL);
        assertThat(exact.code()).as(exact.all()).isZero();
        assertThat(exact.all()).contains("model smolvlm2, 4 cases").contains("PASS vision_connector", "PASS forward_2images",
                "PASS forward_text_left_padded", "PASS generate_greedy").contains("PASS: 4 passed, 0 failed").doesNotContain("BAD");

        CliRun fast = CliRun.of("check", MODEL, "--numerics", "fast", "--case", "forward_2images,generate_greedy");
        assertThat(fast.code()).as(fast.all()).isZero();
        assertThat(fast.all()).contains("numerics fast").contains("PASS: 2 passed, 0 failed");
    }

    @Test
    void everyCaseOfTheProcessorFixturePasses() {
        assumeTrue(NativeLibraries.available(), "native libs not built");
        CliRun exact = CliRun.of("check", PROCESSOR);
        assertThat(exact.code()).as(exact.all()).isZero();
        assertThat(exact.all()).contains("model smolvlm2_processor, 4 cases").contains("PASS chat_text", "PASS image_prompt",
                "PASS video_prompt", "PASS generate_image").contains("PASS: 4 passed, 0 failed");
    }
}
