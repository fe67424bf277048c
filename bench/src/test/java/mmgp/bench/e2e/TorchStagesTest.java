package mmgp.bench.e2e;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Parsing what bench/python/torch_stages.py printed (a recorded --quick run with a 1 s cap, so some passes were capped). */
class TorchStagesTest {
    private static String sample() throws Exception {
        try (InputStream in = TorchStagesTest.class.getResourceAsStream("/torch_stages-sample.json")) {
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        }
    }

    @Test
    void parsesTheRecordedSample() throws Exception {
        TorchStages t = TorchStages.parse(sample());
        assertThat(t.threads()).isEqualTo(2);
        assertThat(t.torch()).isEqualTo("1.13.0a0");
        assertThat(t.blas()).isEqualTo("OpenBLAS");
        assertThat(t.blasNote()).isNull();
        assertThat(t.cpuCapability()).isEqualTo("AVX2");
        assertThat(t.bf16()).startsWith("emulated");
        assertThat(t.quick()).isTrue();
        assertThat(t.capSeconds()).isEqualTo(1.0);
        assertThat(t.stages()).extracting(TorchStages.Stage::key).containsExactly("amused", "t5", "ltx", "vq");

        TorchStages.Stage amused = t.stage("amused");
        assertThat(amused.gflop()).isCloseTo(1.262, org.assertj.core.data.Offset.offset(1e-3));
        assertThat(amused.layers()).isEqualTo(2);
        TorchStages.Result fp32 = amused.result("fp32");
        assertThat(fp32.ok()).isTrue();
        assertThat(fp32.capped()).isTrue();
        assertThat(fp32.estimated()).isFalse();
        assertThat(fp32.note()).startsWith("warm-up pass only");
        TorchStages.Result bf16 = amused.result("bf16");
        assertThat(bf16.ok()).isTrue();
        assertThat(bf16.estimated()).isTrue();
        assertThat(bf16.reps()).isZero();
        assertThat(bf16.lowerBoundSeconds()).isGreaterThan(1.0);
        assertThat(bf16.seconds()).isGreaterThan(bf16.lowerBoundSeconds());
        assertThat(bf16.describe()).startsWith("≈ ").endsWith(" (capped)");
        assertThat(t.stage("nope")).isNull();
    }

    @Test
    void aFailedDtypeAndAReferenceBlasAreCarried() throws Exception {
        String json = """
                {"torch": "1.13.1", "threads": 1, "blas": {"kind": "reference BLAS", "warning": "install libopenblas0-openmp"},
                 "quick": false, "cap_seconds": 120,
                 "stages": [{"stage": "t5", "label": "T5", "gflop": 1191.9, "layers": 24, "layers_timed": 15,
                             "results": {"fp32": {"seconds": 40.5, "reps": 2, "gflops": 29.4},
                                         "bf16": {"error": "RuntimeException: bf16 not supported"}}}]}
                """;
        TorchStages t = TorchStages.parse(json);
        assertThat(t.blasNote()).isEqualTo("install libopenblas0-openmp");
        TorchStages.Stage s = t.stage("t5");
        assertThat(s.layersTimed()).isEqualTo(15);
        assertThat(s.result("fp32").describe()).isEqualTo("40.5 s");
        assertThat(s.result("bf16").ok()).isFalse();
        assertThat(s.result("bf16").describe()).isEqualTo("failed: RuntimeException: bf16 not supported");
    }

    @Test
    void outputWithoutStagesIsAnError() {
        assertThatThrownBy(() -> TorchStages.parse("{\"torch\": \"1.13\"}")).hasMessageContaining("no \"stages\" list");
    }

    @Test
    void thePeerStagesFollowTheModels() {
        assertThat(PythonPeer.stagesFor(List.of("amused"))).containsExactly("amused", "vq");
        assertThat(PythonPeer.stagesFor(List.of("smolvlm", "ltx", "amused"))).containsExactly("t5", "ltx", "amused", "vq");
        assertThat(PythonPeer.stagesFor(List.of("smolvlm"))).isEmpty();
    }
}
