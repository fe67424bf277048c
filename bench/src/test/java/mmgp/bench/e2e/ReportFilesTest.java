package mmgp.bench.e2e;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.awt.image.BufferedImage;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ReportFilesTest {
    @TempDir
    Path dir;

    private static BenchReport report() {
        ConfigurationResult amused = Fixtures.amused("Q8_0", 2, 0.5);
        ConfigurationResult smol = Fixtures.result(Fixtures.settings("smolvlm", "Q8_0", 2, true), "image input-512.png, 64 tokens", 600L << 20,
                "vision encode / tile", 1.5, "prefill", 0.3, "time to first token", 27.0, "decode tok/s", 80.0, "total", 28.0);
        ConfigurationResult failed = ConfigurationResult.failed(Fixtures.settings("ltx", "F16", 1, true), 3, "child exited with code 137");
        MtmdCliPeer.Figures peer = new MtmdCliPeer.Figures(17, 1.4, 0.28, 64, 100.0, 30, 700L << 20);
        SideBySide sbs = SideBySide.of(smol, new MtmdCliPeer.Outcome("llama-mtmd-cli -m x", peer, null));
        List<ConfigurationResult> all = List.of(amused, smol, failed);
        return new BenchReport("2026-11-23 21:00 UTC", "./mmgp bench e2e --runs 3", new Machine("Test CPU", 2, 8L << 30, "Linux", "Java 25"),
                "3.22.1-test", all, sbs, PythonPeer.status(null), Targets.evaluate(all, sbs.decodeRatio()), List.of("a note"));
    }

    @Test
    void writesJsonMarkdownAndAReadableChart() throws Exception {
        ReportFiles.write(report(), dir);
        JsonNode json = new ObjectMapper().readTree(dir.resolve(ReportFiles.JSON).toFile());
        assertThat(json.get("configurations")).hasSize(3);
        assertThat(json.at("/configurations/0/stats/denoise step/median").asDouble()).isEqualTo(0.5);
        assertThat(json.at("/configurations/0/runs")).hasSize(3);
        assertThat(json.at("/configurations/2/error").asText()).contains("137");
        assertThat(json.at("/machine/cpu").asText()).isEqualTo("Test CPU");
        assertThat(json.at("/configurations/0/settings/file").asText()).isEqualTo("/w/amused.gguf");
        assertThat(json.at("/configurations/0/stats/denoise step/spread").asDouble()).isCloseTo(0.2, org.assertj.core.data.Offset.offset(1e-9));
        assertThat(json.at("/mtmdCli/peer/decodeTokensPerSecond").asDouble()).isEqualTo(100.0);

        BufferedImage png = ImageIO.read(dir.resolve(ReportFiles.CHART).toFile());
        assertThat(png.getWidth()).isEqualTo(1000);
        assertThat(png.getHeight()).isEqualTo(2 * 420); // one chart per model that ran

        String md = Files.readString(dir.resolve(ReportFiles.MARKDOWN));
        assertThat(md).contains("Repeat with:", "./mmgp bench e2e --runs 3", "![Stage times](bench.png)", "> a note");
        assertThat(md).contains("| aMUSEd step (CFG pair) | Q8_0, 2 threads | 0.500 s | ≤ 0.600 s | 4.05 s | met |");
        assertThat(md).contains("| amused | Q8_0, 2 threads | 256×256, 12 steps, guidance 10, 3 runs | encode | 0.300 s | 0.270 s – 0.330 s | 20% | 1.00 GiB | 2.5 s |");
        assertThat(md).contains("failed: child exited with code 137");
        // 80 tok/s against the peer's 100: 0.80, and the target row says "not met".
        assertThat(md).contains("| decode | 80.0 tok/s | 100.0 tok/s | 0.80 |");
        assertThat(md).contains("| SmolVLM2 decode vs llama-mtmd-cli (same GGUF, same image) | Q8_0, 2 threads | 0.80 | ≥ 0.95 | within 5% | not met |");
        assertThat(md).contains("aMUSEd: skipped: no Python with torch/diffusers");
    }

    @Test
    void aWrittenReportReadsBackAndRendersTheSameMarkdown() throws Exception {
        BenchReport original = report();
        ReportFiles.write(original, dir);
        BenchReport back = ReportFiles.read(dir);
        assertThat(back).isEqualTo(original);
        assertThat(MarkdownReport.render(back, ReportFiles.CHART)).isEqualTo(Files.readString(dir.resolve(ReportFiles.MARKDOWN)));
    }
}
