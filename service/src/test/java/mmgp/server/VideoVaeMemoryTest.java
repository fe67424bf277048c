package mmgp.server;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.ObjectMapper;
import mmgp.api.InvalidRequestException;
import mmgp.api.VideoOptions;
import org.junit.jupiter.api.Test;

/** The VAE memory budget of a video request: parsed from JSON and forms, stored and read back, validated. */
class VideoVaeMemoryTest {
    private final ObjectMapper json = new ObjectMapper();
    private final RequestParser parser = new RequestParser(json, new RequestLimits(1000, 1000, 1000, 1000, 1000));

    @Test
    void aBudgetTravelsFromTheRequestToTheOptionsAndBack() throws Exception {
        var r = parser.video(json.readTree("{\"prompt\":\"waves\",\"vae_memory_bytes\":536870912}"));
        assertThat(r.options().vaeMemoryBytes()).isEqualTo(512L << 20);
        var stored = parser.toJson(r);
        assertThat(stored.get("vae_memory_bytes").asLong()).isEqualTo(512L << 20);
        assertThat(parser.video(stored).options()).isEqualTo(r.options());
        assertThat(parser.video(json.readTree("{\"prompt\":\"waves\"}")).options().vaeMemoryBytes()).isZero();
    }

    @Test
    void aNegativeBudgetIsRefusedNamingTheField() {
        assertThatThrownBy(() -> VideoOptions.defaults().withVaeMemory(-1)).isInstanceOf(InvalidRequestException.class)
                .hasMessageContaining("vae_memory_bytes");
        assertThatThrownBy(() -> parser.video(json.readTree("{\"prompt\":\"waves\",\"vae_memory_bytes\":-5}"))).hasMessageContaining("vae_memory_bytes");
    }
}
