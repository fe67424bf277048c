package mmgp.graph;

import static org.assertj.core.api.Assertions.assertThat;

import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import mmgp.bindings.NativeLibraries;
import mmgp.bindings.kernels.MmgpKernels;
import mmgp.tensor.GgmlType;
import org.junit.jupiter.api.Test;

/**
 * A micro-benchmark, off unless {@code -Dmmgp.bench.im2col=true}: ggml's im2col against mmgp's
 * at the aMUSEd VQ decoder's 3×3 convolutions (and two LTX-Video VAE-sized 3×3×3 ones), F32 and
 * F16 patches, on {@code -Dmmgp.bench.threads} threads (default 2). Each op is a graph of its
 * own; the two are timed alternately and the best of {@code -Dmmgp.bench.reps} (default 7) runs
 * is reported. Run it with real-time priority on a shared machine:
 * {@code chrt -f 10 ./mvnw -pl java test -Dtest=Im2colBenchTest -Dmmgp.bench.im2col=true}.
 */
class Im2colBenchTest {
    /** {W, H, D, C}; D = 0 for 2-D. */
    private static final int[][] SHAPES = {
        {256, 256, 0, 128}, {128, 128, 0, 256}, {128, 128, 0, 512}, {64, 64, 0, 512}, {32, 32, 0, 768},
        {64, 64, 5, 256}, {32, 32, 5, 512},
    };

    @Test
    void ggmlAgainstMmgp() {
        assumeTrue(Boolean.getBoolean("mmgp.bench.im2col"), "set -Dmmgp.bench.im2col=true to run the im2col benchmark");
        assumeTrue(NativeLibraries.available() && MmgpKernels.isAvailable(), "native libraries or mmgp kernels not built");
        int threads = Integer.getInteger("mmgp.bench.threads", 2), reps = Integer.getInteger("mmgp.bench.reps", 7);
        List<String> lines = new ArrayList<>();
        lines.add(String.format(Locale.ROOT, "im2col, %d threads, best of %d: %-22s %-4s %9s %9s %9s %8s %9s", threads, reps, "input [W,H,(D,)C]",
                "type", "MB out", "ggml ms", "mmgp ms", "speedup", "mmgp GB/s"));
        try (ComputeBackend backend = ComputeBackend.cpu(threads)) {
            for (int[] s : SHAPES) {
                for (GgmlType type : new GgmlType[] {GgmlType.F32, GgmlType.F16}) {
                    double[] best = {Double.MAX_VALUE, Double.MAX_VALUE};
                    long bytes;
                    try (Graph ggml = graph(backend, s, type, false); Graph mmgp = graph(backend, s, type, true)) {
                        Graph[] graphs = {ggml, mmgp};
                        for (Graph g : graphs) g.compute(); // allocate, fault the pages in
                        bytes = mmgp.computeBufferBytes();
                        // A benchmark of two routes is only meaningful if they compute the same patches.
                        Tensor a = ggml.outputs().getFirst(), b = mmgp.outputs().getFirst();
                        assertThat(b.data().mismatch(a.data())).as("mmgp im2col differs from ggml's at %s %s", Arrays.toString(s), type).isEqualTo(-1L);
                        for (int r = 0; r < reps; r++) {
                            for (int i = 0; i < 2; i++) {
                                long t0 = System.nanoTime();
                                graphs[i].compute();
                                best[i] = Math.min(best[i], (System.nanoTime() - t0) * 1e-6);
                            }
                        }
                    }
                    String shape = s[2] == 0 ? Arrays.toString(new int[] {s[0], s[1], s[3]}) : Arrays.toString(s);
                    long out = outBytes(s, type);
                    lines.add(String.format(Locale.ROOT, "%-52s %-22s %-4s %9.1f %9.2f %9.2f %7.1fx %9.1f", "", shape, type, out / 1e6, best[0],
                            best[1], best[0] / best[1], out / best[1] / 1e6));
                    assertThat(bytes).isPositive();
                    assertThat(best[0]).isPositive();
                    assertThat(best[1]).isPositive();
                }
            }
        }
        String table = String.join("\n", lines);
        System.out.println(table);
    }

    private static float[] random(long n) {
        java.util.SplittableRandom r = new java.util.SplittableRandom(n);
        float[] v = new float[(int) n];
        for (int i = 0; i < v.length; i++) v[i] = (float) r.nextGaussian();
        return v;
    }

    private static long outBytes(int[] s, GgmlType type) {
        long k = 9L * s[3] * (s[2] == 0 ? 1 : 3);
        long positions = (long) s[0] * s[1] * (s[2] == 0 ? 1 : s[2] - 2); // depth unpadded
        return k * positions * (type == GgmlType.F16 ? 2 : 4);
    }

    /** One im2col, 3×3 (×3) with padding 1 as the decoders' convolutions, over seeded random input. */
    private static Graph graph(ComputeBackend backend, int[] s, GgmlType type, boolean mmgp) {
        Graph g = new Graph(backend, 16);
        if (s[2] == 0) {
            Tensor x = g.inputF32("x", s[0], s[1], s[3], 1);
            g.set(x, random(x.elements()));
            Tensor k = g.inputF32("k", 3, 3, s[3], 1);
            g.output(mmgp ? g.im2colMmgp(k, x, 1, 1, true, type, 0) : g.im2colGgml(k, x, 1, 1, true, type));
        } else {
            Tensor x = g.inputF32("x", s[0], s[1], s[2], s[3]);
            g.set(x, random(x.elements()));
            Tensor k = g.inputF32("k", 3, 3, 3, s[3]);
            int[] one = {1, 1, 1}, pad = {1, 1, 0};
            g.output(mmgp ? g.im2col3dMmgp(k, x, s[3], one, pad, type, 0) : g.im2col3dGgml(k, x, s[3], one, pad, type));
        }
        return g;
    }
}
