package mmgp.graph;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.file.Path;
import java.util.List;
import java.util.SplittableRandom;
import mmgp.bindings.NativeLibraries;
import mmgp.convert.TensorEncoder;
import mmgp.gguf.GgufFile;
import mmgp.gguf.GgufWriter;
import mmgp.tensor.GgmlType;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Weights used in place from a mapped GGUF file, and moved to extra buffer types only when ggml accepts them. */
class WeightSetTest {
    static final int K = 256, M = 64, N = 8;

    @BeforeAll
    static void libs() {
        assumeTrue(NativeLibraries.available(), "native libs not built");
    }

    @Test
    void weightsAreUsedInPlaceAndEveryPlacementComputesTheSameProduct(@TempDir Path tmp) throws Exception {
        SplittableRandom rnd = new SplittableRandom(7);
        float[] w = new float[K * M];
        for (int i = 0; i < w.length; i++) w[i] = (float) rnd.nextGaussian();
        float[] x = new float[K * N];
        for (int i = 0; i < x.length; i++) x[i] = (float) rnd.nextGaussian();
        Path file = tmp.resolve("w.gguf");
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment src = arena.allocate((long) w.length * 4, 32);
            MemorySegment.copy(w, 0, src, ValueLayout.JAVA_FLOAT, 0, w.length);
            GgufWriter writer = new GgufWriter();
            for (GgmlType t : List.of(GgmlType.F32, GgmlType.F16, GgmlType.Q8_0, GgmlType.Q4_0)) {
                MemorySegment enc = arena.allocate(t.rowBytes(K) * M, 32);
                TensorEncoder.encode(t, src, M, K, enc);
                writer.addTensor("w." + t.name(), t, new long[] {K, M}, enc);
            }
            writer.addTensor("bias", GgmlType.F32, new long[] {M}, src.asSlice(0, M * 4L));
            writer.write(file);
        }
        float[] expected = new float[M * N];
        for (int n = 0; n < N; n++)
            for (int m = 0; m < M; m++) {
                double s = 0;
                for (int k = 0; k < K; k++) s += (double) w[m * K + k] * x[n * K + k];
                expected[n * M + m] = (float) s;
            }
        for (boolean extra : new boolean[] {false, true}) {
            try (GgufFile gguf = GgufFile.open(file);
                 ComputeBackend backend = ComputeBackend.cpu(2);
                 WeightSet weights = WeightSet.fromGguf(backend, gguf, extra)) {
                // Zero copy: an mmap-placed tensor's data pointer is the file mapping itself.
                assertThat(weights.placement().get("w.F32")).isEqualTo("mmap");
                assertThat(weights.get("w.F32").data().address()).isEqualTo(gguf.data("w.F32").address());
                assertThat(weights.get("bias").data().address()).isEqualTo(gguf.data("bias").address());
                if (!extra) assertThat(weights.placement().values()).containsOnly("mmap");
                for (GgmlType t : List.of(GgmlType.F32, GgmlType.F16, GgmlType.Q8_0, GgmlType.Q4_0)) {
                    try (Graph g = new Graph(backend, 16)) {
                        Tensor xi = g.inputF32("x", K, N);
                        Tensor y = g.output(g.mulMat(weights.get("w." + t.name()), xi));
                        g.set(xi, x);
                        g.compute();
                        float[] got = g.floats(y);
                        // Relative RMS error over the whole product: for quantized types the
                        // activations are quantized as well (Q8_0 for Q8_0/Q4_0), so single
                        // elements near zero say little; the RMS ratio is what a model feels.
                        double bound = switch (t) {
                            case F32 -> 1e-6;
                            case F16 -> 2e-3;
                            case Q8_0 -> 1.5e-2;
                            default -> 1.2e-1; // Q4_0: 16 levels per block of 32
                        };
                        double err = 0, ref = 0;
                        for (int i = 0; i < got.length; i++) {
                            err += (got[i] - expected[i]) * (double) (got[i] - expected[i]);
                            ref += expected[i] * (double) expected[i];
                        }
                        double rel = Math.sqrt(err / ref);
                        System.out.printf("%s in %s: relative RMS error %.2e%n", t, weights.placement().get("w." + t.name()), rel);
                        assertThat(rel).as("%s placed in %s, extra=%s", t, weights.placement().get("w." + t.name()), extra).isLessThanOrEqualTo(bound);
                    }
                }
                System.out.println("extra=" + extra + " placement: " + weights.placement());
            }
        }
    }

    @Test
    void aCheckpointFolderAndItsConvertedGgufGiveTheSameWeightsUnderTheSameNames(@TempDir Path tmp) throws Exception {
        Path folder = mmgp.testing.Fixtures.amusedTextEncoder(tmp.resolve("checkpoint"));
        Path gguf = tmp.resolve("te.gguf");
        try (var ckpt = mmgp.convert.HfCheckpoint.open(folder)) {
            var plan = new mmgp.convert.ConversionPlan(new mmgp.convert.TypePolicy(GgmlType.F32));
            plan.addCheckpoint(ckpt);
            plan.write(gguf, item -> {});
        }
        try (ComputeBackend backend = ComputeBackend.cpu(1);
             var ckpt = mmgp.convert.HfCheckpoint.open(folder);
             WeightSet fromFolder = WeightSet.fromCheckpoint(backend, ckpt, false);
             GgufFile file = GgufFile.open(gguf);
             WeightSet fromGguf = WeightSet.fromGguf(backend, file, false)) {
            // A name longer than ggml's 63 bytes comes back in full from both.
            String longName = "text_encoder.text_model.encoder.layers.1.self_attn.out_proj.weight";
            assertThat(fromFolder.all().keySet()).contains(longName).isEqualTo(fromGguf.all().keySet());
            for (String name : fromFolder.all().keySet()) {
                Tensor a = fromFolder.get(name), b = fromGguf.get(name);
                assertThat(a.shape()).as(name).isEqualTo(b.shape());
                assertThat(a.data().mismatch(b.data())).as(name).isEqualTo(-1L);
                // The folder's weights are used in place in the mapped safetensors file.
                assertThat(a.data().address()).isEqualTo(ckpt.component("text_encoder").weights().data(name.substring(13)).address());
            }
        }
    }

    @Test
    void releasedPagesReadBackUnchangedFromTheFile(@TempDir Path tmp) throws Exception {
        // 64 Ki floats per tensor: 256 KiB, so every tensor covers whole pages that can be dropped.
        int n = 65536;
        float[] a = new float[n], b = new float[n];
        SplittableRandom rnd = new SplittableRandom(9);
        for (int i = 0; i < n; i++) {
            a[i] = (float) rnd.nextGaussian();
            b[i] = (float) rnd.nextGaussian();
        }
        Path file = tmp.resolve("two.gguf");
        try (Arena arena = Arena.ofConfined()) {
            GgufWriter writer = new GgufWriter();
            for (var e : java.util.Map.of("enc.w", a, "dec.w", b).entrySet()) {
                MemorySegment seg = arena.allocate((long) n * 4, 32);
                MemorySegment.copy(e.getValue(), 0, seg, ValueLayout.JAVA_FLOAT, 0, n);
                writer.addTensor(e.getKey(), GgmlType.F32, new long[] {n}, seg);
            }
            writer.write(file);
        }
        try (GgufFile gguf = GgufFile.open(file);
             ComputeBackend backend = ComputeBackend.cpu(1);
             WeightSet weights = WeightSet.fromGguf(backend, gguf, false)) {
            float[] before = weights.get("enc.w").data().toArray(ValueLayout.JAVA_FLOAT);
            long released = weights.releasePages("enc.");
            if (mmgp.bindings.Libc.canDropPages()) assertThat(released).isGreaterThanOrEqualTo((long) n * 4 - 2 * 4096);
            assertThat(weights.releasePages("nothing.")).isZero();
            assertThat(weights.get("enc.w").data().toArray(ValueLayout.JAVA_FLOAT)).containsExactly(before).containsExactly(a);
            assertThat(weights.get("dec.w").data().toArray(ValueLayout.JAVA_FLOAT)).containsExactly(b);
        }
        // Weights over plain memory (not a read-only file mapping) are never released: their pages would come back zeroed.
        try (Arena arena = Arena.ofConfined(); ComputeBackend backend = ComputeBackend.cpu(1)) {
            MemorySegment region = arena.allocate((long) n * 4, 4096);
            MemorySegment.copy(a, 0, region, ValueLayout.JAVA_FLOAT, 0, n);
            try (WeightSet set = WeightSet.map(backend, region, List.of(new WeightSet.Entry("enc.w", GgmlType.F32, new long[] {n}, 0, false)), false)) {
                assertThat(set.releasePages("enc.")).isZero();
                assertThat(set.get("enc.w").data().toArray(ValueLayout.JAVA_FLOAT)).containsExactly(a);
            }
        }
    }

    @Test
    void aWeightOutsideItsRegionIsRefused() {
        try (Arena arena = Arena.ofConfined(); ComputeBackend backend = ComputeBackend.cpu(1)) {
            MemorySegment region = arena.allocate(1024, 64);
            var entry = new WeightSet.Entry("too.big", GgmlType.F32, new long[] {64, 8}, 0, true);
            assertThatThrownBy(() -> WeightSet.map(backend, region, List.of(entry), false))
                    .hasMessageContaining("too.big").hasMessageContaining("outside");
        }
    }

    @Test
    void aMissingWeightIsNamed() {
        try (Arena arena = Arena.ofConfined(); ComputeBackend backend = ComputeBackend.cpu(1);
             WeightSet set = WeightSet.map(backend, arena.allocate(256, 64), List.of(), false)) {
            assertThatThrownBy(() -> set.get("nope")).hasMessageContaining("'nope'");
        }
    }
}
