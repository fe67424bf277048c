package mmgp.bench.e2e;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import org.junit.jupiter.api.Test;

class TargetsTest {
    private static Targets.Row row(List<Targets.Row> rows, String figureStart) {
        return rows.stream().filter(r -> r.figure().startsWith(figureStart)).findFirst().orElseThrow();
    }

    @Test
    void judgesTheQ8TwoThreadConfiguration() {
        List<ConfigurationResult> results = List.of(Fixtures.amused("Q8_0", 1, 2.0), Fixtures.amused("Q8_0", 2, 0.5), Fixtures.amused("F16", 2, 0.1));
        List<Targets.Row> rows = Targets.evaluate(results, Double.NaN);
        Targets.Row step = row(rows, "aMUSEd step");
        assertThat(step.configuration()).isEqualTo("Q8_0, 2 threads");
        assertThat(step.measured()).isEqualTo("0.500 s");
        assertThat(step.target()).isEqualTo("≤ 0.600 s");
        assertThat(step.peer()).isEqualTo("4.05 s");
        assertThat(step.status()).isEqualTo("met");
        assertThat(row(rows, "aMUSEd-256 end to end").status()).isEqualTo("met"); // 0.75 + 6 = 6.75 s ≤ 10 s
        assertThat(row(rows, "aMUSEd VQ decode").status()).isEqualTo("met");
        assertThat(row(rows, "aMUSEd-256 peak RSS").measured()).isEqualTo("1.00 GiB");
    }

    @Test
    void slowFiguresAreNotMetAndMissingModelsNotMeasured() {
        List<Targets.Row> rows = Targets.evaluate(List.of(Fixtures.amused("Q8_0", 2, 4.0)), Double.NaN);
        assertThat(row(rows, "aMUSEd step").status()).isEqualTo("not met");
        assertThat(row(rows, "LTX 2B step").status()).startsWith("not measured");
        assertThat(row(rows, "SmolVLM2 decode vs").status()).startsWith("not measured");
    }

    @Test
    void smallerSizesAreNotJudgedAndTheEightStepTotalIsDerived() {
        ConfigurationResult quick = Fixtures.result(Fixtures.settings("ltx", "Q8_0", 2, false), "256×160×9, 1 steps", 3L << 30,
                "T5 encode", 10.0, "transformer step", 5.0, "VAE decode", 20.0, "total", 35.0);
        List<Targets.Row> rows = Targets.evaluate(List.of(quick), Double.NaN);
        Targets.Row total = row(rows, "LTX 8 steps");
        assertThat(total.measured()).isEqualTo("70.0 s (derived: encode + 8 × step + decode)");
        assertThat(total.status()).startsWith("not judged (smaller size");
    }

    @Test
    void peerRatioIsJudgedAgainstFivePercent() {
        ConfigurationResult smol = Fixtures.result(Fixtures.settings("smolvlm", "Q8_0", 2, true), "image", 1L << 29,
                "prefill", 0.3, "decode tok/s", 120.0);
        assertThat(row(Targets.evaluate(List.of(smol), 0.97), "SmolVLM2 decode vs").status()).isEqualTo("met");
        assertThat(row(Targets.evaluate(List.of(smol), 0.80), "SmolVLM2 decode vs").status()).isEqualTo("not met");
        assertThat(row(Targets.evaluate(List.of(smol), 0.80), "SmolVLM2 decode").status()).isEqualTo("met"); // 120 ≥ 100 tok/s
    }
}
