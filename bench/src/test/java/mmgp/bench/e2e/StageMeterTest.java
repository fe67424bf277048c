package mmgp.bench.e2e;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.util.Map;
import mmgp.bindings.NativeLibraries;
import mmgp.graph.ComputeBackend;
import mmgp.graph.Graph;
import mmgp.graph.Tensor;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** Real (tiny) ggml graphs computed between pipeline events: each stage gets the FLOPs of the graphs in its window. */
class StageMeterTest {
    private static ComputeBackend backend;

    @BeforeAll
    static void open() {
        assumeTrue(NativeLibraries.available(), "native ggml libraries not built");
        backend = ComputeBackend.cpu(1);
    }

    @AfterAll
    static void close() {
        if (backend != null) backend.close();
    }

    /** One compute of x[k, n] · w[k, m] named {@code label}: 2·k·m·n FLOPs. */
    private static void matmul(String label, int k, int m, int n) {
        try (Graph g = new Graph(backend)) {
            Tensor w = g.inputF32("w", k, m), x = g.inputF32("x", k, n);
            g.output(g.name(g.mulMat(w, x), label));
            g.set(w, new float[k * m]);
            g.set(x, new float[k * n]);
            g.compute();
        }
    }

    @Test
    void everyGraphBetweenTwoEventsBelongsToTheClosingStage() {
        StageMeter meter = new StageMeter(Map.of("tokenize", "encode", "encode", "encode", "decode", "decode"), "denoise", "denoise step");
        meter.stage("tokenize", 0.001);
        matmul("meter_test_text", 64, 32, 8);            // 32,768 FLOPs
        meter.stage("encode", 0.01);
        for (int step = 1; step <= 3; step++) {
            matmul("meter_test_step", 64, 64, 16);       // 131,072 FLOPs per step
            meter.step("denoise", step, 3, 0.1 * step);
        }
        matmul("meter_test_decode_tile", 32, 32, 32);    // 65,536 FLOPs, a chunk of a tiled decode
        meter.step("decode tile", 1, 2, 0.2);             // not a window boundary
        matmul("meter_test_decode", 32, 32, 32);
        meter.stage("decode", 0.5);

        Map<String, StageWork> w = meter.work();
        assertThat(w.get("encode").gflop()).isEqualTo(32768 / 1e9);
        assertThat(w.get("encode").labels()).containsExactly("meter_test_text");
        assertThat(w.get("denoise step").gflop()).isEqualTo(131072 / 1e9); // per step
        assertThat(w.get("denoise step").computes()).isEqualTo(1);
        assertThat(w.get("decode").gflop()).isEqualTo(2 * 65536 / 1e9);
        assertThat(w.get("decode").labels()).containsExactly("meter_test_decode_tile", "meter_test_decode");
        assertThat(w.get("decode").graphSeconds()).isPositive();
        assertThat(w.get("total").gflop()).isCloseTo((32768 + 3 * 131072 + 2 * 65536) / 1e9, org.assertj.core.data.Offset.offset(1e-15));
        assertThat(w.get("total").computes()).isEqualTo(6);
        assertThat(meter.medianStep()).isEqualTo(0.2);
    }
}
