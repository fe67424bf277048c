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
    void twoKeysWithOneIdAreRefusedBecauseJobsBelongToTheId() {
        // Ids are 32 bits, so a collision among ~100k generated keys is all but certain (birthday bound).
        java.util.Map<String, String> byId = new java.util.HashMap<>();
        String first = null, second = null;
        for (int i = 0; first == null; i++) {
            String k = "generated-key-" + i;
            String earlier = byId.putIfAbsent(ApiKeys.idOf(k), k);
            if (earlier != null) {
                first = earlier;
                second = k;
            }
        }
        List<String> clash = List.of(first, second);
        assertThatThrownBy(() -> new ApiKeys(clash)).hasMessageContaining("share the id " + ApiKeys.idOf(first))
                .hasMessageNotContaining(first).hasMessageNotContaining(second);
        assertThat(new ApiKeys(List.of(first, first)).authenticate(first)).contains(ApiKeys.idOf(first));
    }

    @Test
    void keysFileSkipsBlanksAndComments(@TempDir Path dir) throws Exception {
        Path f = Files.writeString(dir.resolve("keys"), "# team keys\nalpha-key\n\n  beta-key  \n");
        assertThat(ApiKeys.readFile(f)).containsExactly("alpha-key", "beta-key");
        Path empty = Files.writeString(dir.resolve("empty"), "# nothing\n");
        assertThatThrownBy(() -> ApiKeys.readFile(empty)).hasMessageContaining("holds no API key");
    }
}
