package mmgp.testing;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The one copy of the model fixtures is found from the engine module, and a missing one is named. */
class FixturesTest {
    @Test
    void theFiveSharedFixtureFoldersAreFoundFromTheEngineModule() {
        assertThat(Fixtures.root()).endsWith(Path.of("models", "src", "test", "resources", "fixtures"));
        for (String name : List.of("amused", "ltx_video", "ltx_video_095", "smolvlm2", "smolvlm2_processor")) {
            assertThat(Fixtures.folder(name).resolve("golden/cases.json")).isRegularFile();
            assertThat(Fixtures.checkpoint(name)).isDirectory();
        }
        assertThat(Fixtures.golden("amused", "e2e_cfg.safetensors")).isRegularFile();
    }

    @Test
    void aMissingFixtureOrGoldenFileIsNamed() {
        assertThatThrownBy(() -> Fixtures.folder("amused_v2")).hasMessageContaining("no fixture folder").hasMessageContaining("amused_v2");
        assertThatThrownBy(() -> Fixtures.golden("amused", "nope.safetensors")).hasMessageContaining("no golden file")
                .hasMessageContaining("nope.safetensors");
    }

    @Test
    void theTextEncoderFolderHoldsExactlyTheAmusedTextEncoderFiles(@TempDir Path tmp) throws Exception {
        Path dir = Fixtures.amusedTextEncoder(tmp.resolve("te"));
        List<String> files;
        try (Stream<Path> s = Files.walk(dir)) {
            files = s.filter(Files::isRegularFile).map(p -> dir.relativize(p).toString().replace('\\', '/')).sorted().toList();
        }
        assertThat(files).containsExactly("model_index.json", "text_encoder/config.json", "text_encoder/model.safetensors");
        for (String f : files) assertThat(Files.mismatch(dir.resolve(f), Fixtures.checkpoint("amused").resolve(f))).as(f).isEqualTo(-1L);
    }
}
