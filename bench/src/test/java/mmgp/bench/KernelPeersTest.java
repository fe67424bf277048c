package mmgp.bench;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import mmgp.bench.e2e.Machine;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class KernelPeersTest {
    @TempDir
    Path dir;

    @Test
    void ggmlMeasuresEveryQuickCaseInEveryVariant() {
        List<KernelCase> cases = KernelPeers.cases(true, null);
        assertThat(cases).extracting(KernelCase::kind).containsExactlyInAnyOrder("gemm", "attention", "conv2d", "conv3d");
        Map<String, List<GgmlKernels.Measurement>> measured = KernelPeers.measureGgml(cases, 2, 0.03);
        for (KernelCase c : cases) {
            List<GgmlKernels.Measurement> ms = measured.get(c.name());
            assertThat(ms).extracting(GgmlKernels.Measurement::variant).containsExactlyElementsOf(GgmlKernels.variants(c));
            for (GgmlKernels.Measurement m : ms) {
                assertThat(m.error()).as(c.name() + " " + m.variant()).isNull();
                assertThat(m.gflops()).as(c.name() + " " + m.variant()).isPositive().isFinite();
                assertThat(m.seconds() * m.gflops() * 1e9).isCloseTo(c.flop(), org.assertj.core.data.Percentage.withPercentage(1e-6));
                assertThat(m.calls()).isGreaterThanOrEqualTo(3);
            }
        }
        assertThat(measured.get("quick.gemm").get(2).note()).startsWith("Q8_0 weight, WeightSet placement: ");
    }

    @Test
    void fullCasesHaveTheModelsShapesAndTheFlopCountsTheScriptUses() {
        List<KernelCase> all = KernelPeers.cases(false, null);
        assertThat(all).hasSizeBetween(10, 17);
        assertThat(all.stream().map(KernelCase::name).distinct()).hasSize(all.size());
        KernelCase ff = all.stream().filter(c -> c.name().equals("ltx.ff_in")).findFirst().orElseThrow();
        assertThat(ff.flop()).isEqualTo(2.0 * 1120 * 8192 * 2048);
        assertThat(ff.torchJson()).containsEntry("m", 1120L).containsEntry("n", 8192L).containsEntry("k", 2048L).containsEntry("kind", "gemm");
        KernelCase.Conv3d vae = (KernelCase.Conv3d) all.stream().filter(c -> c.name().equals("vae.conv128_80x128")).findFirst().orElseThrow();
        assertThat(vae.out(0)).isEqualTo(3);
        assertThat(vae.flop()).isEqualTo(2.0 * 128 * 3 * 80 * 128 * 128 * 27);
        assertThat(KernelPeers.cases(false, List.of("vq"))).extracting(KernelCase::kind).containsOnly("conv2d");
        assertThatThrownBy(() -> KernelPeers.cases(false, List.of("sdxl"))).hasMessageContaining("unknown case group 'sdxl'");
    }

    @Test
    void parsesARecordedScriptOutput() throws Exception {
        String json;
        try (InputStream in = KernelPeersTest.class.getResourceAsStream("/torch_kernels-sample.json")) {
            json = new String(in.readAllBytes(), StandardCharsets.UTF_8);
        }
        TorchKernels.Run run = TorchKernels.parse(json);
        assertThat(run.environment()).containsEntry("torch", "1.13.0a0").containsEntry("threads", 2).containsKey("blas");
        assertThat(run.describe()).contains("torch 1.13.0a0", "2 threads", "fp32 matmul BLAS libopenblas", "(OpenBLAS)", "int8 engine onednn");
        assertThat(run.cases()).extracting(TorchKernels.CaseResult::name).containsExactly("quick.gemm", "quick.attn", "big.gemm", "quick.conv2d");
        TorchKernels.CaseResult gemm = run.get("quick.gemm");
        assertThat(gemm.dtypes()).containsOnlyKeys("fp32", "fp32_onednn", "bf16", "int8");
        assertThat(gemm.dtypes().values()).allSatisfy(r -> {
            assertThat(r.ok()).isTrue();
            assertThat(r.gflops()).isPositive();
            assertThat(r.seconds() * r.gflops() * 1e9).isCloseTo(gemm.gflop() * 1e9, org.assertj.core.data.Percentage.withPercentage(1e-6));
        });
        TorchKernels.Result reduced = run.get("big.gemm").dtypes().get("fp32");
        assertThat(reduced.reduced()).isEqualTo("m=128 n=1024 k=1024");
        assertThat(reduced.note()).contains("measured on m=128");
        TorchKernels.Result error = run.get("quick.conv2d").dtypes().get("int8");
        assertThat(error.ok()).isFalse();
        assertThat(error.error()).contains("GEMMs only");
    }

    @Test
    void rowsRatioAndTheReportRoundTrip() throws Exception {
        KernelCase c = KernelCase.quick().getFirst();
        List<GgmlKernels.Measurement> ggml = List.of(new GgmlKernels.Measurement("F32", 0.01, 50, 9, "F32 weight in mmap", null),
                new GgmlKernels.Measurement("F16", 0.005, 100, 9, "F16 weight in mmap", null),
                new GgmlKernels.Measurement("Q8_0", Double.NaN, Double.NaN, 0, null, "IllegalStateException: boom"));
        Map<String, TorchKernels.Result> torch = Map.of("fp32", new TorchKernels.Result(0.02, 25, 5, null, null, null),
                "bf16", new TorchKernels.Result(0.001, 500, 5, "m=8 n=256 k=256", "too slow", null),
                "int8", new TorchKernels.Result(Double.NaN, Double.NaN, 0, null, null, "RuntimeError: no"));
        KernelReport.Row row = KernelReport.Row.of(c, ggml, torch, "1.50");
        assertThat(row.bestMmgp()).isEqualTo(100);
        assertThat(row.bestMmgpVariant()).isEqualTo("F16");
        assertThat(row.bestTorch()).isEqualTo(25); // the reduced-shape bf16 estimate does not count
        assertThat(row.ratio()).isEqualTo(4.0);
        KernelReport report = new KernelReport("2026-12-07 10:00 UTC", "./mmgp bench kernels --quick", new Machine("Test CPU", 2, 8L << 30, "Linux", "Java 25"),
                "3.22.1-test", List.of(new KernelReport.ThreadRun(2, 300, "torch 1.13", Map.of("torch", "1.13"), "0.10 / 0.30", List.of(row))), KernelPeers.notes(true));
        KernelPeers.write(report, dir);
        String md = Files.readString(dir.resolve(KernelPeers.MARKDOWN_FILE));
        assertThat(md).contains("Test CPU", "#### 2 threads", "before / after: 0.10 / 0.30.", "| quick.gemm |", "| 50.0 | 100 | error |", "≈500 ‡", "**4.00** (F16 ÷ fp32) | 1.50 |",
                "quick.gemm ggml Q8_0: IllegalStateException: boom", "quick.gemm torch int8: RuntimeError: no");
        KernelReport back = KernelPeers.read(dir);
        assertThat(back.runs().getFirst().rows().getFirst().ratio()).isEqualTo(4.0);
        assertThat(back.runs().getFirst().rows().getFirst().ggml().get(2).gflops()).isNaN();
        assertThat(KernelMarkdown.render(back)).isEqualTo(md);
        Files.writeString(dir.resolve(KernelPeers.MARKDOWN_FILE), "stale");
        assertThat(new picocli.CommandLine(new KernelPeers()).execute("--render", "--out", dir.toString())).isZero();
        assertThat(Files.readString(dir.resolve(KernelPeers.MARKDOWN_FILE))).isEqualTo(md);
    }

    @Test
    void aQuickRunWritesBothFilesWithTorchOrSaysWhyItWasSkipped() throws Exception {
        int exit = new picocli.CommandLine(new KernelPeers()).execute("--quick", "--threads", "1", "--target", "0.03", "--no-interleave", "--out", dir.toString());
        assertThat(exit).isZero();
        KernelReport report = KernelPeers.read(dir);
        KernelReport.ThreadRun run = report.runs().getFirst();
        assertThat(run.threads()).isEqualTo(1);
        assertThat(run.rows()).hasSize(KernelCase.quick().size());
        assertThat(run.rows()).allSatisfy(r -> assertThat(r.bestMmgp()).isPositive());
        String md = Files.readString(dir.resolve(KernelPeers.MARKDOWN_FILE));
        assertThat(md).contains("| quick.gemm |", "| quick.conv3d |");
        if (TorchKernels.findPython(null).found()) {
            assertThat(run.torchEnvironment()).containsKey("torch");
            assertThat(run.rows()).allSatisfy(r -> assertThat(r.bestTorch()).isPositive());
        } else {
            assertThat(md).contains("torch peer skipped: no Python with torch");
        }
    }

    @Test
    void theTorchScriptRunsATinyCaseWhenAPythonWithTorchIsThere() throws Exception {
        TorchKernels.Probe probe = TorchKernels.findPython(null);
        Assumptions.assumeTrue(probe.found(), () -> "skipped: " + probe.reason());
        Path script = TorchKernels.findScript(null);
        assertThat(script).as("bench/python/torch_kernels.py found from " + Path.of("").toAbsolutePath()).isNotNull();
        KernelCase tiny = new KernelCase.Gemm("quick", "tiny.gemm", "test", 8, 32, 32);
        TorchKernels.Run run = TorchKernels.run(probe.python(), script, List.of(tiny), 1, 0.02, 5, Duration.ofMinutes(5));
        assertThat(run.environment()).containsEntry("threads", 1);
        TorchKernels.CaseResult r = run.get("tiny.gemm");
        assertThat(r.gflop()).isCloseTo(tiny.flop() / 1e9, org.assertj.core.data.Offset.offset(1e-12));
        assertThat(r.dtypes().get("fp32").ok()).isTrue();
        assertThat(r.dtypes().get("fp32").gflops()).isPositive();
        assertThat(r.dtypes()).containsKeys("bf16", "int8");
    }

    @Test
    void aPythonThatHangsWithoutClosingItsOutputTimesOut(@TempDir Path dir) throws Exception {
        Path hanging = dir.resolve("hanging-python");
        Files.writeString(hanging, "#!/bin/sh\nexec sleep 600\n");
        assertThat(hanging.toFile().setExecutable(true)).isTrue();
        long start = System.nanoTime();
        TorchKernels.Probe probe = TorchKernels.findPython(" " + hanging + " ", Duration.ofSeconds(2));
        // Three candidates at most, each given 2 s: well under the sleep.
        assertThat(Duration.ofNanos(System.nanoTime() - start)).isLessThan(Duration.ofSeconds(60));
        if (probe.found()) assertThat(probe.python().command()).isNotEqualTo(hanging.toString());
        else assertThat(probe.reason()).contains(hanging + ": no answer in 2 s");
    }
}
