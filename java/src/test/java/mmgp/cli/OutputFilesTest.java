package mmgp.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class OutputFilesTest {
    static final List<String> IMAGE = List.of("png", "jpg", "jpeg", "bmp");

    @Test
    void numbersSeveralOutputsAndKeepsOne() {
        assertThat(OutputFiles.numbered(Path.of("a/clip.mp4"), 1, 3)).isEqualTo(Path.of("a/clip-2.mp4"));
        assertThat(OutputFiles.numbered(Path.of("clip.mp4"), 0, 1)).isEqualTo(Path.of("clip.mp4"));
    }

    @Test
    void acceptsAKnownExtensionInAWritableFolderCreatingIt(@TempDir Path tmp) throws Exception {
        Path out = tmp.resolve("new/sub/cat.JPG");
        assertThat(OutputFiles.checkWritable(out, IMAGE, "image")).isEqualTo("jpg");
        assertThat(tmp.resolve("new/sub")).isDirectory();
        try (var files = Files.list(tmp.resolve("new/sub"))) {
            assertThat(files).isEmpty(); // the probe file is gone
        }
    }

    @Test
    void refusesUnknownOrMissingExtensionsNamingTheChoices(@TempDir Path tmp) {
        assertThatThrownBy(() -> OutputFiles.checkWritable(tmp.resolve("x.gif"), IMAGE, "image"))
                .hasMessageContaining("cannot write the image as .gif").hasMessageContaining("png, jpg, jpeg, bmp");
        assertThatThrownBy(() -> OutputFiles.checkWritable(tmp.resolve("x"), IMAGE, "image")).hasMessageContaining("has no extension");
    }

    @Test
    void refusesAFolderThatCannotBeWritten(@TempDir Path tmp) throws Exception {
        Path file = Files.writeString(tmp.resolve("plain-file"), "x");
        // A "folder" that is a file cannot hold the output, even for root.
        assertThatThrownBy(() -> OutputFiles.checkWritable(file.resolve("out.png"), IMAGE, "image"))
                .hasMessageContaining("cannot write image files into").hasMessageContaining("choose another --out");
        assertThatThrownBy(() -> OutputFiles.checkWritable(tmp, IMAGE, "image")).isInstanceOf(IllegalArgumentException.class);
    }
}
