package mmgp.models.smolvlm;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import mmgp.bindings.NativeLibraries;
import mmgp.cli.Main;
import org.junit.jupiter.api.Test;

/** `mmgp check` on the two SmolVLM2 fixtures goes through {@link SmolVlmFixtureRunner}, exact and fast. */
class SmolVlmCheckCommandTest {
    private static final String MODEL = "src/test/resources/fixtures/smolvlm2";
    private static final String PROCESSOR = "src/test/resources/fixtures/smolvlm2_processor";

    @Test
    void everyCaseOfTheModelFixturePassesExactAndFast() {
        assumeTrue(NativeLibraries.available(), "native libs not built");
        Run exact = run("check", MODEL);
        assertThat(exact.exit).as(exact.out).isZero();
        assertThat(exact.out).contains("model smolvlm2, 4 cases").contains("PASS vision_connector", "PASS forward_2images",
                "PASS forward_text_left_padded", "PASS generate_greedy").contains("PASS: 4 passed, 0 failed").doesNotContain("BAD");

        Run fast = run("check", MODEL, "--numerics", "fast", "--case", "forward_2images,generate_greedy");
        assertThat(fast.exit).as(fast.out).isZero();
        assertThat(fast.out).contains("numerics fast").contains("PASS: 2 passed, 0 failed");
    }

    @Test
    void everyCaseOfTheProcessorFixturePasses() {
        assumeTrue(NativeLibraries.available(), "native libs not built");
        Run exact = run("check", PROCESSOR);
        assertThat(exact.exit).as(exact.out).isZero();
        assertThat(exact.out).contains("model smolvlm2_processor, 4 cases").contains("PASS chat_text", "PASS image_prompt",
                "PASS video_prompt", "PASS generate_image").contains("PASS: 4 passed, 0 failed");
    }

    private record Run(int exit, String out) {}

    private static Run run(String... args) {
        PrintStream out = System.out, err = System.err;
        ByteArrayOutputStream buf = new ByteArrayOutputStream();
        PrintStream capture = new PrintStream(buf, true, StandardCharsets.UTF_8);
        System.setOut(capture);
        System.setErr(capture);
        try {
            return new Run(Main.run(args), buf.toString(StandardCharsets.UTF_8));
        } finally {
            System.setOut(out);
            System.setErr(err);
        }
    }
}
