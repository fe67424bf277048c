package mmgp.models.smolvlm;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import mmgp.bindings.NativeLibraries;
import mmgp.cli.Main;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code understand --model <Hugging Face folder>}: converted once into the registry, then reused. */
class UnderstandCommandTest {
    static final Path FIXTURE = Path.of("src/test/resources/fixtures/smolvlm2_processor");

    record Run(int code, String out, String err) {}

    static Run run(String... args) {
        PrintStream oldOut = System.out, oldErr = System.err;
        ByteArrayOutputStream out = new ByteArrayOutputStream(), err = new ByteArrayOutputStream();
        try {
            System.setOut(new PrintStream(out, true, StandardCharsets.UTF_8));
            System.setErr(new PrintStream(err, true, StandardCharsets.UTF_8));
            return new Run(Main.run(args), out.toString(StandardCharsets.UTF_8), err.toString(StandardCharsets.UTF_8));
        } finally {
            System.setOut(oldOut);
            System.setErr(oldErr);
        }
    }

    @Test
    void aHuggingFaceFolderIsConvertedOnceAndReused(@TempDir Path registry) throws Exception {
        assumeTrue(NativeLibraries.available(), "native libs not built");
        String[] args = {"understand", "--model", FIXTURE.resolve("checkpoint").toString(), "--models", registry.toString(),
                "--image", FIXTURE.resolve("golden/image.png").toString(), "-p", "What is this?", "--max-tokens", "4", "--progress", "plain"};
        Run first = run(args);
        assertThat(first.code()).as(first.err()).isZero();
        assertThat(first.err()).contains("converting the Hugging Face folder");
        Path cache = registry.resolve(".converted");
        try (var dirs = Files.list(cache)) {
            assertThat(dirs.filter(d -> Files.isRegularFile(d.resolve("DONE")))).hasSize(1);
        }
        Run second = run(args);
        assertThat(second.code()).as(second.err()).isZero();
        assertThat(second.err()).doesNotContain("converting the Hugging Face folder");
        // Greedy: the same answer (the first line; timings follow) from the cached files.
        assertThat(second.out().lines().findFirst()).isEqualTo(first.out().lines().findFirst());
    }
}
