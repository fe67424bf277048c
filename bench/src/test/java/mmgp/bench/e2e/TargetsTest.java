package mmgp.bench.e2e;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import org.junit.jupiter.api.Test;

class TargetsTest {
    private static Targets.Row row(List<Targets.Row> rows, String figureStart) {
        return rows.stream().filter(r -> r.figure().startsWith(figureStart)).findFirst().orElseThrow(() -> new AssertionError("no row " + figureStart));
    }

    private static final SideBySide NO_MTMD = SideBySide.skipped("skipped: --no-peers");

    @Test
    void peerRatiosAreJudgedAgainstTorchBf16AndShowTheBestDtype() {
        // Fixture medians: step 0.5 s, decode 0.45 s (3 runs at ×1, ×1.1, ×0.9).
        List<ConfigurationResult> results = List.of(Fixtures.amused("Q8_0", 1, 2.0), Fixtures.amused("Q8_0", 2, 0.5), Fixtures.amused("F16", 2, 0.1));
        TorchPeer torch = Fixtures.peer(Fixtures.torch(2, false, "amused", 433, 0.6, 1.0, "vq", 477, 0.3, 0.6));
        List<Targets.Row> rows = Targets.evaluate(results, NO_MTMD, torch);

        Targets.Row step = row(rows, "aMUSEd UViT step");
        assertThat(step.configuration()).isEqualTo("Q8_0, 2 threads");
        assertThat(step.measured()).isEqualTo("0.500 s → 2.00× bf16, 1.20× best (fp32)");
        assertThat(step.target()).isEqualTo("≥ 1.5× PyTorch bf16");
        assertThat(step.peer()).isEqualTo("torch bf16 1.0 s, fp32 0.600 s");
        assertThat(step.status()).isEqualTo("met");

        Targets.Row vq = row(rows, "aMUSEd VQ decode");
        assertThat(vq.measured()).isEqualTo("0.450 s → 1.33× bf16, 0.67× best (fp32)");
        assertThat(vq.status()).isEqualTo("not met");

        assertThat(row(rows, "T5-XXL encode").status()).isEqualTo("not measured (no Q8_0 run of ltx)");
        assertThat(row(rows, "aMUSEd-256 end to end").target()).isEqualTo("≤ 7.0 s (goal set on an AMD Zen 5, 2 cores)");
        assertThat(row(rows, "aMUSEd-256 end to end").status()).isEqualTo("met (against the Zen 5 goal)"); // 0.75 + 6 = 6.75 s
        assertThat(row(rows, "aMUSEd-256 peak RSS").measured()).isEqualTo("1.00 GiB");
        assertThat(row(rows, "aMUSEd-256 peak RSS").status()).isEqualTo("met");
    }

    @Test
    void withoutPeerDataNothingIsJudgedAgainstIt() {
        List<ConfigurationResult> results = List.of(Fixtures.amused("Q8_0", 2, 0.5), Fixtures.ltx(2, true, 10, 30, 60));
        List<Targets.Row> skipped = Targets.evaluate(results, NO_MTMD, TorchPeer.skipped("skipped: no Python with torch (…)"));
        assertThat(row(skipped, "aMUSEd UViT step").status()).isEqualTo("not judged: PyTorch peer skipped: no Python with torch (…)");
        assertThat(row(skipped, "aMUSEd UViT step").measured()).isEqualTo("0.500 s");
        assertThat(row(skipped, "LTX VAE decode").status()).isEqualTo("not judged: PyTorch peer skipped: no Python with torch (…)");
        assertThat(row(Targets.evaluate(results, NO_MTMD, null), "T5-XXL encode").status()).isEqualTo("not judged: PyTorch peer not run");

        // A peer run at another thread count only, or whose bf16 failed.
        TorchPeer oneThread = Fixtures.peer(Fixtures.torch(1, false, "t5", 1192, 40, 900));
        assertThat(row(Targets.evaluate(results, NO_MTMD, oneThread), "T5-XXL encode").status()).isEqualTo("not judged: no PyTorch run at 2 threads");
        TorchPeer noBf16 = Fixtures.peer(Fixtures.torch(2, false, "t5", 1192, 40, Double.NaN, "ltx", 4068, 90, 4000, "ltx_vae", 10321, 150, 2800));
        List<Targets.Row> rows = Targets.evaluate(results, NO_MTMD, noBf16);
        assertThat(row(rows, "T5-XXL encode").status()).isEqualTo("not judged: torch bf16 failed: RuntimeException: no kernel");
        assertThat(row(rows, "T5-XXL encode").measured()).isEqualTo("10.0 s → — bf16, 4.00× best (fp32)");
        assertThat(row(rows, "LTX 2B DiT step").status()).isEqualTo("met"); // 4000 / 30 s
        Targets.Row vae = row(rows, "LTX VAE decode");
        assertThat(vae.measured()).isEqualTo("60.0 s → 47× bf16, 2.50× best (fp32)"); // 2800 / 60 s, 150 / 60 s
        assertThat(vae.peer()).isEqualTo("torch bf16 2800 s, fp32 150 s");
        assertThat(vae.status()).isEqualTo("met");
        // A peer run without the VAE stage (a bench.json of before it, re-rendered) says so.
        TorchPeer withoutVae = Fixtures.peer(Fixtures.torch(2, false, "t5", 1192, 40, 900));
        assertThat(row(Targets.evaluate(results, NO_MTMD, withoutVae), "LTX VAE decode").status())
                .isEqualTo("not judged: the PyTorch peer run has no 'ltx_vae' stage");
        assertThat(row(rows, "LTX 8 steps").measured()).isEqualTo("310 s");
        assertThat(row(rows, "LTX 8 steps").status()).isEqualTo("not met (against the Zen 5 goal)");
        assertThat(row(rows, "LTX peak RSS").status()).isEqualTo("met"); // 5 GiB ≤ 6 GiB
    }

    @Test
    void reducedSizesAreNeverJudged() {
        ConfigurationResult quick = Fixtures.ltx(2, false, 10, 5, 20);
        TorchPeer full = Fixtures.peer(Fixtures.torch(2, false, "t5", 1192, 40, 900, "ltx", 4068, 90, 4000, "ltx_vae", 10321, 150, 2800));
        List<Targets.Row> rows = Targets.evaluate(List.of(quick), NO_MTMD, full);
        assertThat(row(rows, "LTX 8 steps").measured()).isEqualTo("70.0 s (derived: encode + 8 × step + decode)");
        assertThat(row(rows, "LTX 8 steps").status()).startsWith("not judged (smaller size");
        assertThat(row(rows, "LTX 2B DiT step").status()).isEqualTo("not judged (mmgp ran a smaller size: 256×160×9, 1 step)");
        assertThat(row(rows, "LTX VAE decode").status()).isEqualTo("not judged (mmgp ran a smaller size: 256×160×9, 1 step)");
        assertThat(row(rows, "T5-XXL encode").status()).isEqualTo("met"); // T5 runs its 128 tokens at every video size

        TorchPeer quickPeer = Fixtures.peer(Fixtures.torch(2, true, "t5", 0.4, 0.1, 0.9));
        assertThat(row(Targets.evaluate(List.of(quick), NO_MTMD, quickPeer), "T5-XXL encode").status())
                .isEqualTo("not judged (the PyTorch peer ran --quick, reduced models)");
    }

    @Test
    void smolVlmIsJudgedAgainstLlamaMtmdCliPerFigure() {
        ConfigurationResult smol = Fixtures.smolvlm(2, 1.5, 0.3, 80.0);
        MtmdCliPeer.Figures f = new MtmdCliPeer.Figures(17, 1.6, 0.28, 64, 100.0, 30, 700L << 20);
        SideBySide sbs = SideBySide.of(smol, new MtmdCliPeer.Outcome("llama-mtmd-cli", f, null));
        List<Targets.Row> rows = Targets.evaluate(List.of(smol), sbs, null);
        assertThat(row(rows, "SmolVLM2 vision encode").status()).isEqualTo("met"); // 1.6 / 1.5
        assertThat(row(rows, "SmolVLM2 vision encode").measured()).isEqualTo("1.5 s → 1.07×");
        assertThat(row(rows, "SmolVLM2 LLM prefill").status()).isEqualTo("not met"); // 0.28 / 0.3
        assertThat(row(rows, "SmolVLM2 decode").status()).isEqualTo("not met");    // 80 / 100
        assertThat(row(rows, "SmolVLM2 decode").peer()).isEqualTo("llama-mtmd-cli 100.0 tok/s");
        assertThat(row(Targets.evaluate(List.of(smol), NO_MTMD, null), "SmolVLM2 decode").status()).isEqualTo("not judged: llama-mtmd-cli skipped: --no-peers");
    }

    @Test
    void twoThreadsAreJudgedAgainstOnePerStageWhenBothRan() {
        List<ConfigurationResult> both = List.of(Fixtures.amused("Q8_0", 1, 1.0), Fixtures.amused("Q8_0", 2, 0.5),
                Fixtures.smolvlm(1, 3.0, 0.6, 50), Fixtures.smolvlm(2, 1.5, 0.4, 80));
        List<Targets.Row> rows = Targets.evaluate(both, NO_MTMD, null);
        Targets.Row step = row(rows, "aMUSEd denoise step: 2 threads vs 1");
        assertThat(step.measured()).isEqualTo("2.00× (1.0 s → 0.500 s)");
        assertThat(step.target()).isEqualTo("≥ 1.8× one thread");
        assertThat(step.status()).isEqualTo("met");
        assertThat(row(rows, "aMUSEd encode: 2 threads vs 1").status()).isEqualTo("not met"); // same 0.3 s at both
        assertThat(row(rows, "SmolVLM2 decode tok/s: 2 threads vs 1").measured()).isEqualTo("1.60× (50.0 tok/s → 80.0 tok/s)");
        assertThat(row(rows, "SmolVLM2 prefill: 2 threads vs 1").status()).isEqualTo("not met"); // 1.5×
        assertThat(rows).noneMatch(r -> r.figure().contains("total: 2 threads") || r.figure().contains("time to first token"));
        assertThat(row(rows, "LTX: 2 threads vs 1").status()).isEqualTo("not measured (no Q8_0 run of ltx)");

        List<Targets.Row> onlyTwo = Targets.evaluate(List.of(Fixtures.amused("Q8_0", 2, 0.5)), NO_MTMD, null);
        assertThat(row(onlyTwo, "aMUSEd: 2 threads vs 1").status()).isEqualTo("not measured (needs Q8_0 runs at 1 and 2 threads)");
    }
}
