package mmgp.server;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import mmgp.cli.Main;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code mmgp serve} refuses unsafe or empty configurations with one clear line, before listening. */
class ServeCommandTest {
    @TempDir
    Path dir;

    @Test
    void noAuthOnAPublicAddressIsRefused() {
        String err = run("serve", "--no-auth", "--host", "0.0.0.0", "--models", dir.toString(), "--data-dir", dir.resolve("d").toString());
        assertThat(err).contains("--no-auth is refused on 0.0.0.0");
    }

    @Test
    void withoutKeysOrNoAuthNothingStarts() {
        assertThat(run("serve", "--models", dir.toString(), "--data-dir", dir.resolve("d").toString())).contains("no API key given");
    }

    @Test
    void withoutAnyModelNothingStarts() {
        String err = run("serve", "--api-key", "k-123", "--port", "0", "--models", dir.resolve("empty-registry").toString(),
                "--data-dir", dir.resolve("d").toString());
        assertThat(err).contains("no model configured");
    }

    @Test
    void badRateLimitIsNamed() {
        String err = run("serve", "--api-key", "k-123", "--rate-limit", "fast", "--models", dir.toString(), "--data-dir", dir.resolve("d").toString());
        assertThat(err).contains("--rate-limit must look like 30/min");
    }

    @Test
    void uploadLimitAndRetentionOutOfRangeAreNamed() {
        String d = dir.resolve("d").toString();
        assertThat(run("serve", "--api-key", "k-123", "--max-upload-mb", "9000000000000", "--models", dir.toString(), "--data-dir", d))
                .contains("--max-upload-mb must be in");
        assertThat(run("serve", "--api-key", "k-123", "--retention-hours", "0", "--models", dir.toString(), "--data-dir", d))
                .contains("--retention-hours must be in");
        assertThat(run("serve", "--api-key", "k-123", "--drain-seconds", "-1", "--models", dir.toString(), "--data-dir", d))
                .contains("--drain-seconds must be >= 0");
    }

    private static String run(String... args) {
        PrintStream saved = System.err;
        ByteArrayOutputStream captured = new ByteArrayOutputStream();
        System.setErr(new PrintStream(captured, true, StandardCharsets.UTF_8));
        try {
            assertThat(Main.run(args)).isEqualTo(1);
        } finally {
            System.setErr(saved);
        }
        return captured.toString(StandardCharsets.UTF_8);
    }
}
