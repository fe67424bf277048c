package mmgp.models;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import mmgp.bindings.NativeLibraries;
import mmgp.cli.Main;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** `mmgp demo` with no installed models runs video → caption → image → video on the tiny test models. */
class DemoCommandTest {
    @Test
    void theDemoWritesCaptionImageAndVideo(@TempDir Path tmp) throws Exception {
        assumeTrue(NativeLibraries.available(), "native libs not built");
        String home = System.getProperty("mmgp.home");
        System.setProperty("mmgp.home", Path.of("..").toAbsolutePath().normalize().toString());
        // An earlier run's output this run does not write (the demo writes no result.json) is removed, not left beside the new files.
        Files.createDirectories(tmp.resolve("out"));
        Files.writeString(tmp.resolve("out").resolve("result.json"), "{\"stale\": true}");
        try {
            int exit = Main.run("demo", "--out", tmp.resolve("out").toString(), "--models", tmp.resolve("no-models").toString(), "--max-tokens", "4");
            assertThat(exit).isZero();
        } finally {
            if (home == null) System.clearProperty("mmgp.home");
            else System.setProperty("mmgp.home", home);
        }
        for (String f : new String[] {"caption.txt", "image.png", "video.mp4", "input.mp4"}) {
            assertThat(tmp.resolve("out").resolve(f)).as(f).isRegularFile();
            assertThat(Files.size(tmp.resolve("out").resolve(f))).as(f).isPositive();
        }
        assertThat(tmp.resolve("out").resolve("result.json")).doesNotExist();
        try (var files = Files.list(tmp.resolve("out"))) {
            assertThat(files.map(p -> p.getFileName().toString())).as("no temporary files left").noneMatch(n -> n.contains(".partial"));
        }
    }

    @Test
    void anOutputPathThatCannotBeAFolderIsRefusedBeforeTheRun(@TempDir Path tmp) throws Exception {
        Path file = Files.writeString(tmp.resolve("a-file"), "x");
        assertThatThrownBy(() -> PipelineRunner.checkWritable(file.resolve("out"))).hasMessageContaining("is not a folder");
        PipelineRunner.checkWritable(tmp.resolve("new").resolve("out")); // creatable: fine
        assertThat(tmp.resolve("new")).doesNotExist();
    }
}
