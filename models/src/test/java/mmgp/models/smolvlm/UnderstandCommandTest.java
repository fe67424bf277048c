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
}
