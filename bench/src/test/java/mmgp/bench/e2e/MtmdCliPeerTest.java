package mmgp.bench.e2e;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.data.Offset.offset;

import org.junit.jupiter.api.Test;

class MtmdCliPeerTest {
    /** Lines as llama-mtmd-cli of the pinned build prints them with -lv 4 (abridged: 3 of 17 tiles). */
    static final String LOG = """
            0.00.243.219 I llama_context: flash_attn            = auto
            0.00.940.957 I encoding mtmd batch, n_chunks = 1 (done = 1, total = 35)
            0.04.565.848 I mtmd batch encoding done in 3625 ms
            0.04.565.900 I decoding image batch 1/1, n_tokens_batch = 64
            0.04.743.000 I image decoded (batch 1/1) in 176 ms
            0.04.943.794 I encoding mtmd batch, n_chunks = 1 (done = 3, total = 35)
            0.07.784.985 I mtmd batch encoding done in 1841 ms
            0.08.304.199 I encoding mtmd batch, n_chunks = 1 (done = 5, total = 35)
            0.09.953.614 I mtmd batch encoding done in 1649 ms
            0.37.348.582 I llama_perf_context_print:        load time =     263.37 ms
            0.37.348.608 I llama_perf_context_print: prompt eval time =   36202.83 ms /  1366 tokens (   26.50 ms per token,    37.73 tokens per second)
            0.37.348.627 I llama_perf_context_print:        eval time =     411.02 ms /    31 runs   (   13.26 ms per token,    75.42 tokens per second)
            0.37.348.645 I llama_perf_context_print:       total time =   36921.87 ms /  1397 tokens
            """;

    @Test
    void parsesTilesPrefillAndDecodeRate() {
        MtmdCliPeer.Figures f = MtmdCliPeer.parse(LOG, 37.4, 900L << 20);
        assertThat(f.tiles()).isEqualTo(3);
        assertThat(f.visionPerTileSeconds()).isEqualTo(1.841);
        // Prompt eval counts the vision encoder too; prefill is what remains.
        assertThat(f.prefillSeconds()).isCloseTo(36.20283 - (3.625 + 1.841 + 1.649), offset(1e-9));
        assertThat(f.generatedTokens()).isEqualTo(32);
        assertThat(f.decodeTokensPerSecond()).isCloseTo(31 / 0.41102, offset(1e-9));
        assertThat(f.peakRssBytes()).isEqualTo(900L << 20);
    }

    @Test
    void medianOfRunsTakesEachFigureItsOwnMedianAndTheLargestRss() {
        MtmdCliPeer.Figures a = new MtmdCliPeer.Figures(17, 3.0, 8.0, 32, 30.0, 70, 500L << 20);
        MtmdCliPeer.Figures b = new MtmdCliPeer.Figures(17, 3.4, 7.0, 32, 35.0, 75, 600L << 20);
        MtmdCliPeer.Figures c = new MtmdCliPeer.Figures(17, 3.2, 9.0, 32, 20.0, 60, 550L << 20);
        MtmdCliPeer.Figures m = MtmdCliPeer.median(java.util.List.of(a, b, c));
        assertThat(m.tiles()).isEqualTo(17);
        assertThat(m.visionPerTileSeconds()).isEqualTo(3.2);
        assertThat(m.prefillSeconds()).isEqualTo(8.0);
        assertThat(m.generatedTokens()).isEqualTo(32);
        assertThat(m.decodeTokensPerSecond()).isEqualTo(30.0);
        assertThat(m.wallSeconds()).isEqualTo(70);
        assertThat(m.peakRssBytes()).isEqualTo(600L << 20);
        assertThat(MtmdCliPeer.median(java.util.List.of(a, b)).prefillSeconds()).isEqualTo(7.5);
        assertThatThrownBy(() -> MtmdCliPeer.median(java.util.List.of())).isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void decodeRateIsTheEvalLinesRunsPerSecond() {
        assertThat(MtmdCliPeer.decodeRate(LOG)).isCloseTo(31 / 0.41102, offset(1e-9));
        assertThat(MtmdCliPeer.decodeRate("no perf lines")).isNaN();
    }

    @Test
    void commandLineQuotesArgumentsWithSpaces() {
        assertThat(MtmdCliPeer.shellLine(java.util.List.of("/bin/cli", "-p", "Can you describe this image?", "-n", "64", "it's")))
                .isEqualTo("/bin/cli -p 'Can you describe this image?' -n 64 'it'\\''s'");
    }

    @Test
    void missingPerfLinesAreNamed() {
        String noPerf = LOG.lines().filter(l -> !l.contains("llama_perf")).reduce("", (a, b) -> a + b + "\n");
        assertThatThrownBy(() -> MtmdCliPeer.parse(noPerf, 1, -1)).hasMessageContaining("prompt eval time").hasMessageContaining("-lv 4");
        String noTiles = LOG.lines().filter(l -> !l.contains("encoding done")).reduce("", (a, b) -> a + b + "\n");
        assertThatThrownBy(() -> MtmdCliPeer.parse(noTiles, 1, -1)).hasMessageContaining("not encoded");
    }
}
