package mmgp.models.smolvlm;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import mmgp.bindings.NativeLibraries;
import mmgp.models.CliRun;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code understand --model <Hugging Face folder>}: converted once into the registry, then reused. */
class UnderstandCommandTest {
    static final Path FIXTURE = Path.of("src/test/resources/fixtures/smolvlm2_processor");

    @Test
    void aHuggingFaceFolderIsConvertedOnceAndReused(@TempDir Path registry) throws Exception {
        assumeTrue(NativeLibraries.available(), "native libs not built");
        String[] args = {"understand", "--model", FIXTURE.resolve("checkpoint").toString(), "--models", registry.toString(),
                "--image", FIXTURE.resolve("golden/image.png").toString(), "-p", "What is this?", "--max-tokens", "4", "--progress", "plain"};
        CliRun first = CliRun.of(args);
        assertThat(first.code()).as(first.err()).isZero();
        assertThat(first.err()).contains("converting the Hugging Face folder");
        Path cache = registry.resolve(".converted");
        try (var dirs = Files.list(cache)) {
            assertThat(dirs.filter(d -> Files.isRegularFile(d.resolve("DONE")))).hasSize(1);
        }
        CliRun second = CliRun.of(args);
        assertThat(second.code()).as(second.err()).isZero();
        assertThat(second.err()).doesNotContain("converting the Hugging Face folder");
        // Greedy: the same answer (the first line; timings follow) from the cached files.
        assertThat(second.out().lines().findFirst()).isEqualTo(first.out().lines().findFirst());
    }

    /**
     * The answer's length is bounded by --ctx (not by the HTTP cap of 4096), and a refused value is
     * named by its flag, not by the API's JSON field. All of it is checked before a model is looked for.
     */
    @Test
    void tokenLimitsFollowTheContextAndRefusalsNameTheFlags(@TempDir Path tmp) {
        String missing = tmp.resolve("no-such-model.gguf").toString();
        CliRun large = CliRun.of("understand", "--model", missing, "-p", "hi", "--max-tokens", "5000");
        assertThat(large.code()).isNotZero();
        assertThat(large.err()).as("past the token checks: the model is what is missing").contains("no-such-model.gguf")
                .doesNotContain("max_new_tokens").doesNotContain("4096");

        CliRun tooMany = CliRun.of("understand", "--model", missing, "-p", "hi", "--max-tokens", "5000", "--ctx", "4096");
        assertThat(tooMany.err()).contains("--max-tokens 5000 leaves no room for the prompt in --ctx 4096").doesNotContain("no-such-model");
        CliRun beams = CliRun.of("understand", "--model", missing, "-p", "hi", "--max-tokens", "3000", "--beams", "3");
        assertThat(beams.err()).contains("--max-tokens 3000 × --beams 3 leaves no room for the prompt in --ctx 8192");

        CliRun topP = CliRun.of("understand", "--model", missing, "-p", "hi", "--top-p", "2");
        assertThat(topP.err()).contains("--top-p must be in [0, 1], got 2").doesNotContain("top_p");
        CliRun min = CliRun.of("understand", "--model", missing, "-p", "hi", "--max-tokens", "4", "--min-tokens", "9");
        assertThat(min.err()).contains("--min-tokens must be in [0, 4], got 9");
        CliRun zero = CliRun.of("understand", "--model", missing, "-p", "hi", "--max-tokens", "0");
        assertThat(zero.err()).contains("--max-tokens must be at least 1, got 0");
    }
}
