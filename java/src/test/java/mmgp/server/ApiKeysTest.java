package mmgp.server;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ApiKeysTest {
    @Test
    void knownKeysAuthenticateAsTheirIdAndOthersDoNot() {
        ApiKeys keys = new ApiKeys(List.of("alpha-key", "beta-key"));
        assertThat(keys.authenticate("beta-key")).contains(ApiKeys.idOf("beta-key"));
        assertThat(ApiKeys.idOf("beta-key")).matches("key-[0-9a-f]{8}").doesNotContain("beta");
        assertThat(keys.authenticate("beta-ke")).isEmpty();
        assertThat(keys.authenticate("")).isEmpty();
        assertThat(keys.authenticate(null)).isEmpty();
        assertThat(ApiKeys.idOf("alpha-key")).isNotEqualTo(ApiKeys.idOf("beta-key"));
    }

    @Test
    void keysFileSkipsBlanksAndComments(@TempDir Path dir) throws Exception {
        Path f = Files.writeString(dir.resolve("keys"), "# team keys\nalpha-key\n\n  beta-key  \n");
        assertThat(ApiKeys.readFile(f)).containsExactly("alpha-key", "beta-key");
        Path empty = Files.writeString(dir.resolve("empty"), "# nothing\n");
        assertThatThrownBy(() -> ApiKeys.readFile(empty)).hasMessageContaining("holds no API key");
    }
}
