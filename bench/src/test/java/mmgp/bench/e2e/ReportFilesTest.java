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

    static final TorchPeer TORCH = Fixtures.peer(Fixtures.torch(2, false, "amused", 433.1, 0.6, 1.0, "vq", 477.4, 0.3, 0.6));

    private static BenchReport report() {
        PeakInfo peaks = new PeakInfo(2, 183, 170, 310, Double.NaN, Double.NaN, "avx2-fma", "avx2", "avx2-maddubs", "unavailable: no AMX", "unavailable: no AMX", null);
        ConfigurationResult amused = Fixtures.withRates(Fixtures.amused("Q8_0", 2, 0.5), peaks,
                new StageRate("encode", 20, 0.3, 66.7, 100, "Q8_0", "INT8", 310, 21.5, List.of("clip_text_embeds"), null),
                new StageRate("denoise step", 410, 0.5, 820, 900, "Q8_0", "INT8", 310, 264.5, List.of("uvit_logits"), null),
                new StageRate("decode", 470, 0.45, 1044, 1100, "F16", "FP32", 183, 570.6, List.of("vq_decoded"), null),
                new StageRate("total", 10090, 6.75, 1495, 1600, null, null, Double.NaN, Double.NaN, List.of(), null));
        ConfigurationResult smol = Fixtures.result(Fixtures.settings("smolvlm", "Q8_0", 2, true), "image input-512.png, 64 tokens", 600L << 20,
                "vision encode / tile", 1.5, "prefill", 0.3, "time to first token", 27.0, "decode tok/s", 80.0, "total", 28.0);
        ConfigurationResult failed = ConfigurationResult.failed(Fixtures.settings("ltx", "F16", 1, true), 3, "child exited with code 137");
        MtmdCliPeer.Figures peer = new MtmdCliPeer.Figures(17, 1.4, 0.28, 64, 100.0, 30, 700L << 20);
        SideBySide sbs = SideBySide.of(smol, new MtmdCliPeer.Outcome("llama-mtmd-cli -m x", peer, null));
        List<ConfigurationResult> all = List.of(amused, smol, failed);
        return new BenchReport("2026-11-23 21:00 UTC", "./mmgp bench e2e --runs 3", new Machine("Test CPU", 2, 8L << 30, "Linux", "Java 25"),
                "3.22.1-test", all, sbs, TORCH, Targets.evaluate(all, sbs, TORCH), List.of("a note"));
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
        assertThat(md).contains("| aMUSEd UViT step (CFG pair, 256²) | Q8_0, 2 threads | 0.500 s → 2.00× bf16, 1.20× best (fp32) | ≥ 1.5× PyTorch bf16 "
                + "| torch bf16 1.0 s, fp32 0.600 s | met |");
        assertThat(md).contains("| amused | Q8_0, 2 threads | 256×256, 12 steps, guidance 10, 3 runs | encode | 0.300 s | 0.270 s – 0.330 s | 20% "
                + "| 67 GFLOP/s, 22% of INT8 peak | — | — | 1.00 GiB | 2.5 s |");
        assertThat(md).contains("| denoise step | 0.500 s | 0.450 s – 0.550 s | 20% | 820 GFLOP/s, 265% of INT8 peak | 0.600 s / 1.0 s | 2.00× / 1.20× (fp32) |");
        assertThat(md).contains("| decode | 0.450 s | 0.405 s – 0.495 s | 20% | 1044 GFLOP/s, 571% of FP32 peak | 0.300 s / 0.600 s | 1.33× / 0.67× (fp32) |");
        assertThat(md).contains("- amused Q8_0, 2 threads: peaks FP32 183 GFLOP/s (avx2-fma), BF16 170 GFLOP/s (avx2), INT8 310 GOP/s (avx2-maddubs) at 2 threads; "
                + "encode: 20.0 GFLOP, 100 GFLOP/s in ggml's compute alone, Q8_0 weights; denoise step: 410.0 GFLOP per step");
        assertThat(md).contains("failed: child exited with code 137");
        // 80 tok/s against the peer's 100: 0.80, and the target row says "not met".
        assertThat(md).contains("| decode | 80.0 tok/s | 100.0 tok/s | 0.80 |");
        assertThat(md).contains("| SmolVLM2 decode vs llama-mtmd-cli | Q8_0, 2 threads | 80.0 tok/s → 0.80× | ≥ 1.0× llama-mtmd-cli | llama-mtmd-cli 100.0 tok/s | not met |");
        assertThat(md).contains("#### PyTorch stage peer (`bench/python/torch_stages.py`)");
        assertThat(md).contains("2 threads: torch 1.13.0a0 (/usr/bin/python3), BLAS for fp32: OpenBLAS, CPU capability AVX2, bf16 emulated, cap 120 s per stage and dtype.");
        assertThat(md).contains("| stage amused | 433.1 | 410.0 | -5.3% | 0.600 s, 722 GFLOP/s | 1.0 s, 433 GFLOP/s |  |");
    }

    @Test
    void aSkippedPeerSaysWhy() {
        BenchReport r = report();
        BenchReport skipped = new BenchReport(r.date(), r.command(), r.machine(), r.nativeBuild(), r.configurations(), r.mtmdCli(),
                TorchPeer.skipped("skipped: no Python with torch (/usr/bin/python3: no torch module); install one: apt-get install python3-torch libopenblas0-openmp, or set MMGP_PYTHON"),
                r.targets(), r.notes());
        String md = MarkdownReport.render(skipped, null);
        assertThat(md).contains("skipped: no Python with torch (/usr/bin/python3: no torch module); install one: apt-get install python3-torch libopenblas0-openmp");
        assertThat(md).contains("| denoise step | 0.500 s | 0.450 s – 0.550 s | 20% | 820 GFLOP/s, 265% of INT8 peak | — | — |");
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
