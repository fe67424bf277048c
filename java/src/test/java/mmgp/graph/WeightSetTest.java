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
        Path file = writeWeights(tmp, w, List.of(GgmlType.F32, GgmlType.F16, GgmlType.Q8_0, GgmlType.Q4_0), true);
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

    /**
     * Every placement multiplies batched (x [K, 2, N/2]), permuted and F16 activations through
     * MatMul.apply exactly as the same columns in one 2-D F32 matrix: the AMX kernels read the
     * second operand as one contiguous F32 matrix and the weight as 2-D, so a batched x took the
     * JVM down before MatMul flattened it for weights in extra buffer types. A quantized table
     * there is refused by getRows (its bytes are re-laid out), and so is a view of such a weight.
     */
    @Test
    void everyPlacementTakesBatchedPermutedAndHalfActivations(@TempDir Path tmp) throws Exception {
        SplittableRandom rnd = new SplittableRandom(11);
        float[] w = new float[K * M], x = new float[K * N];
        for (int i = 0; i < w.length; i++) w[i] = (float) rnd.nextGaussian();
        for (int i = 0; i < x.length; i++) x[i] = (float) rnd.nextGaussian();
        List<GgmlType> types = List.of(GgmlType.F32, GgmlType.F16, GgmlType.Q8_0, GgmlType.Q4_0);
        Path file = writeWeights(tmp, w, types, false);
        float[] xt = new float[K * N]; // x with its two axes swapped: [N, K], permuted back in the graph
        for (int n = 0; n < N; n++) for (int k = 0; k < K; k++) xt[k * N + n] = x[n * K + k];
        try (GgufFile gguf = GgufFile.open(file); ComputeBackend backend = ComputeBackend.cpu(2);
             WeightSet weights = WeightSet.fromGguf(backend, gguf, true); WeightSet plain = WeightSet.fromGguf(backend, gguf, false)) {
            for (GgmlType t : types) {
                Tensor wt = weights.get("w." + t.name());
                // The extra type's kernels against ggml's plain ones, at column counts that take other paths (1, 33, N).
                for (int n : new int[] {1, 33, N}) {
                    float[] xn = new float[K * n];
                    for (int i = 0; i < xn.length; i++) xn[i] = (float) rnd.nextGaussian();
                    double err = mmgp.testing.TestArrays.relativeRms(product(backend, wt, xn, n), product(backend, plain.get("w." + t.name()), xn, n));
                    // AMX's F16 kernel keeps x in F32 where ggml's plain one rounds it to F16 first
                    assertThat(err).as("%s in %s vs mmap, %d columns", t, weights.placement().get("w." + t.name()), n)
                            .isLessThan(t == GgmlType.F16 ? 2e-3 : 1e-5);
                }
                boolean extra = wt.inExtraBuffer();
                float[] flat, batched, permuted = null, half = null;
                try (Graph g = new Graph(backend, 32)) {
                    Tensor xi = g.inputF32("x", K, N), xb = g.inputF32("xb", K, 2, N / 2), xp = extra ? g.inputF32("xp", N, K) : null;
                    Tensor y = g.output(mmgp.graph.nn.MatMul.apply(g, wt, xi));
                    Tensor yb = g.output(mmgp.graph.nn.MatMul.apply(g, wt, xb));
                    // ggml's own mul_mat asserts on a strided x and has no F16 x for these weights; the extra types' route takes both
                    Tensor yp = extra ? g.output(mmgp.graph.nn.MatMul.apply(g, wt, g.transpose(xp))) : null;
                    Tensor yh = extra ? g.output(mmgp.graph.nn.MatMul.apply(g, wt, g.cast(xi, GgmlType.F16))) : null;
                    g.set(xi, x);
                    g.set(xb, x);
                    if (extra) g.set(xp, xt);
                    g.compute();
                    assertThat(yb.shape()).isEqualTo(new long[] {M, 2, N / 2, 1});
                    flat = g.floats(y);
                    batched = g.floats(yb);
                    if (extra) {
                        permuted = g.floats(yp);
                        half = g.floats(yh);
                    }
                }
                String where = t + " in " + weights.placement().get("w." + t.name());
                System.out.println(where + ": batched" + (extra ? ", permuted and F16" : "") + " activations");
                if (extra) {
                    // flattened into the very same 2-D product
                    assertThat(batched).as(where + ", batched").containsExactly(flat);
                    assertThat(permuted).as(where + ", permuted").containsExactly(flat);
                    // F16 activations: rounded to halves first, so close to the F32 product, not equal
                    assertThat(mmgp.testing.TestArrays.relativeRms(half, flat)).as(where + ", F16 x").isLessThan(t == GgmlType.Q4_0 ? 1e-2 : 2e-3);
                } else {
                    // ggml's own batched route may sum in another order
                    assertThat(mmgp.testing.TestArrays.relativeRms(batched, flat)).as(where + ", batched").isLessThan(1e-6);
                }
                if (wt.inExtraBuffer() && t.isQuantized()) {
                    try (Graph g = new Graph(backend, 8)) {
                        Tensor ids = g.input("ids", GgmlType.I32, 2);
                        assertThatThrownBy(() -> g.getRows(wt, ids)).isInstanceOf(IllegalArgumentException.class)
                                .hasMessageContaining(weights.placement().get("w." + t.name()));
                        Tensor view = g.view(wt, new long[] {K, M / 2}, new long[] {wt.nb(1), wt.nb(1) * M / 2, wt.nb(1) * M / 2}, 0);
                        assertThatThrownBy(() -> mmgp.graph.nn.MatMul.apply(g, view, g.inputF32("x", K, N)))
                                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("view");
                    }
                }
            }
            System.out.println("placement: " + weights.placement());
        }
    }

    /**
     * ggml's AMX matmul, mmgp's Q8_0 GEMM (its AMX path on such CPUs), then ggml's AMX matmul again
     * on the same threads: ggml loads its tile config once per thread, so mmgp's GEMM must leave the
     * thread's config as it found it (releasing the tiles made the third product fault with SIGILL).
     */
    @Test
    void mmgpsQ8GemmLeavesGgmlsTileConfigAsItFoundIt(@TempDir Path tmp) throws Exception {
        SplittableRandom rnd = new SplittableRandom(13);
        float[] w = new float[K * M];
        for (int i = 0; i < w.length; i++) w[i] = (float) rnd.nextGaussian();
        Path file = writeWeights(tmp, w, List.of(GgmlType.Q8_0), false);
        int n = 48; // enough columns for the AMX path of mmgp's GEMM
        float[] x = new float[K * n];
        for (int i = 0; i < x.length; i++) x[i] = (float) rnd.nextGaussian();
        try (GgufFile gguf = GgufFile.open(file); ComputeBackend backend = ComputeBackend.cpu(2, Numerics.FAST);
             WeightSet extra = WeightSet.fromGguf(backend, gguf, true); WeightSet plain = WeightSet.fromGguf(backend, gguf, false)) {
            Tensor amx = extra.get("w.Q8_0"), mapped = plain.get("w.Q8_0");
            assumeTrue(amx.inExtraBuffer(), "no extra buffer type takes Q8_0 on this CPU");
            try (Graph g = new Graph(backend, 16)) {
                Tensor xi = g.inputF32("x", K, n);
                Tensor first = g.output(mmgp.graph.nn.MatMul.apply(g, amx, xi));
                Tensor mine = g.output(mmgp.graph.nn.MatMul.apply(g, mapped, xi));
                Tensor again = g.output(mmgp.graph.nn.MatMul.apply(g, amx, xi));
                g.set(xi, x);
                g.compute();
                assertThat(g.floats(again)).containsExactly(g.floats(first));
                assertThat(mmgp.testing.TestArrays.relativeRms(g.floats(mine), g.floats(first))).isLessThan(1e-5);
            }
        }
    }

    /** A GGUF in {@code tmp} with w [K, M] as "w.TYPE" in each type (and its first M values as an F32 "bias"). */
    private static Path writeWeights(Path tmp, float[] w, List<GgmlType> types, boolean bias) throws Exception {
        Path file = tmp.resolve("w.gguf");
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment src = arena.allocate((long) w.length * 4, 32);
            MemorySegment.copy(w, 0, src, ValueLayout.JAVA_FLOAT, 0, w.length);
            GgufWriter writer = new GgufWriter();
            for (GgmlType t : types) {
                MemorySegment enc = arena.allocate(t.rowBytes(K) * M, 32);
                TensorEncoder.encode(t, src, M, K, enc);
                writer.addTensor("w." + t.name(), t, new long[] {K, M}, enc);
            }
            if (bias) writer.addTensor("bias", GgmlType.F32, new long[] {M}, src.asSlice(0, M * 4L));
            writer.write(file);
        }
        return file;
    }

    private static float[] product(ComputeBackend backend, Tensor w, float[] x, int n) {
        try (Graph g = new Graph(backend, 8)) {
            Tensor xi = g.inputF32("x", K, n);
            Tensor y = g.output(mmgp.graph.nn.MatMul.apply(g, w, xi));
            g.set(xi, x);
            g.compute();
            return g.floats(y);
        }
    }

    @Test
    void theModelsTakeExtraBufferTypesOnlyWhenAskedFor() {
        String old = System.getProperty("mmgp.extraBuffers");
        try {
            System.clearProperty("mmgp.extraBuffers");
            if (System.getenv("MMGP_EXTRA_BUFFERS") == null) assertThat(WeightSet.modelsUseExtraBufferTypes()).isFalse();
            System.setProperty("mmgp.extraBuffers", " ON ");
            assertThat(WeightSet.modelsUseExtraBufferTypes()).isTrue();
            System.setProperty("mmgp.extraBuffers", "off");
            assertThat(WeightSet.modelsUseExtraBufferTypes()).isFalse();
            System.setProperty("mmgp.extraBuffers", "amx");
            assertThatThrownBy(WeightSet::modelsUseExtraBufferTypes).isInstanceOf(IllegalArgumentException.class)
                    .hasMessageContaining("-Dmmgp.extraBuffers=amx").hasMessageContaining("on or off");
        } finally {
            if (old == null) System.clearProperty("mmgp.extraBuffers");
            else System.setProperty("mmgp.extraBuffers", old);
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
