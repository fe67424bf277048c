package mmgp.check;

import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class FixtureCasesTest {
    @Test
    void aBrokenCasesFileIsNamedInOneLine(@TempDir Path dir) throws IOException {
        Path json = Files.createDirectories(dir.resolve("golden")).resolve("cases.json");
        Files.writeString(json, "{\"model\": \"amused\",\n oops}");
        assertThatThrownBy(() -> FixtureCases.load(dir)).isInstanceOf(IOException.class)
                .hasMessageStartingWith(json + " is not valid JSON at line 2")
                .hasMessageNotContaining("\n");
    }
}
