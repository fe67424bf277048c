package mmgp.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class GgufInspectErrorsTest {
    @Test
    void inspectingAFolderNamesTheFolder(@TempDir Path dir) {
        var err = new java.io.ByteArrayOutputStream();
        var old = System.err;
        int code;
        try {
            System.setErr(new java.io.PrintStream(err, true));
            code = Main.run("gguf", "inspect", dir.toString());
        } finally {
            System.setErr(old);
        }
        assertThat(code).isNotZero();
        assertThat(err.toString()).contains(dir + " is a folder, not a GGUF file").doesNotContain("No such device");
    }
}
