package mmgp.models.ltx;

import static mmgp.testing.TestArrays.relativeRms;
import static org.assertj.core.api.Assertions.assertThat;

import java.lang.foreign.Arena;
import java.util.Map;
import java.util.SplittableRandom;
import mmgp.graph.ComputeBackend;
import mmgp.graph.Graph;
import mmgp.graph.Numerics;
import mmgp.graph.Tensor;
import mmgp.graph.WeightSet;
import mmgp.tensor.GgmlType;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * CausalConv3d's tap route (Conv3d.Taps: one 2-D im2col per frame, one matmul per time tap, the
 * repeated edge frames read from the edge frame's patches) against the 3-D im2col route over
 * materialised replicate padding ({@code -Dmmgp.conv3d=im2col3d}), for causal and non-causal
 * padding, kernels 3 and 5, batch 1 and 2, and chunks of one frame, of a few frames (edges and
 * interior in one chunk) and of the whole clip. EXACT agrees to fp32 rounding; FAST (F16 patches
 * and kernels on both routes) to F16 rounding.
 */
class CausalConv3dRouteTest {
    @ParameterizedTest
    @EnumSource(Numerics.class)
    void tapRouteIsTheReplicatePaddedConvolutionInEveryChunking(Numerics numerics) {
        int w = 6, h = 5, f = 7, c = 4, oc = 3;
        try (ComputeBackend backend = ComputeBackend.cpu(2, numerics); Arena arena = Arena.ofConfined()) {
            for (int k : new int[] {3, 5}) {
                Map<String, long[]> shapes = Map.of("k.conv.weight", new long[] {k, k, k, (long) c * oc}, "k.conv.bias", new long[] {oc});
                try (WeightSet weights = LtxVaeTestSupport.randomWeights(backend, arena, shapes, GgmlType.F32, 31 + k, false)) {
                    long colFrame = (long) k * k * c * w * h * 4; // F32 patches of one frame, one clip
                    for (int batch : new int[] {1, 2}) {
                        float[] x = mmgp.testing.TestArrays.normal(new SplittableRandom(17 + batch), w * h * f * c * batch);
                        for (boolean causal : new boolean[] {true, false}) {
                            float[] reference = run(backend, weights, c, oc, k, causal, 1L << 40, x, w, h, f, batch, true);
                            for (long budget : new long[] {1, (k + 2) * colFrame * batch, 1L << 40}) {
                                float[] taps = run(backend, weights, c, oc, k, causal, budget, x, w, h, f, batch, false);
                                double err = relativeRms(taps, reference);
                                assertThat(err).as("%s k=%d batch %d %s budget %d", numerics, k, batch, causal ? "causal" : "non-causal", budget)
                                        .isLessThanOrEqualTo(numerics == Numerics.EXACT ? 1e-6 : 2e-3);
                            }
                        }
                    }
                }
            }
        }
    }

    @org.junit.jupiter.api.Test
    void winogradTapsAreTheReplicatePaddedConvolutionInEveryChunking() {
        // 16×8 frames are 8 tiles of 4×4, the fewest the Winograd route takes; the size threshold is lifted.
        int w = 16, h = 8, f = 5, c = 8, oc = 8, k = 3;
        String old = System.setProperty("mmgp.winograd.minPositions", "0");
        try (ComputeBackend backend = ComputeBackend.cpu(2, Numerics.FAST); Arena arena = Arena.ofConfined()) {
            Map<String, long[]> shapes = Map.of("k.conv.weight", new long[] {k, k, k, (long) c * oc}, "k.conv.bias", new long[] {oc});
            try (WeightSet weights = LtxVaeTestSupport.randomWeights(backend, arena, shapes, GgmlType.F32, 37, false);
                    Graph g = new Graph(backend)) {
                Tensor probe = g.inputF32("probe", w, h, f, c);
                assertThat(mmgp.graph.nn.Conv3d.Taps.of(g, weights.get("k.conv.weight"), c, probe, new int[] {1, 1, 1}, new int[] {1, 1, 0})
                        .winograd()).as("the time taps take Winograd").isNotNull();
                for (int batch : new int[] {1, 2}) {
                    float[] x = mmgp.testing.TestArrays.normal(new SplittableRandom(23 + batch), w * h * f * c * batch);
                    for (boolean causal : new boolean[] {true, false}) {
                        float[] reference = run(backend, weights, c, oc, k, causal, 1L << 40, x, w, h, f, batch, true);
                        float[] whole = run(backend, weights, c, oc, k, causal, 1L << 40, x, w, h, f, batch, false);
                        assertThat(relativeRms(whole, reference)).as("batch %d %s", batch, causal ? "causal" : "non-causal").isLessThanOrEqualTo(2e-3);
                        // Chunks of one frame and of a few frames give the whole clip's bits.
                        for (long budget : new long[] {1, 3 * 8L * 2 * 36 * c * 4 * batch}) {
                            assertThat(run(backend, weights, c, oc, k, causal, budget, x, w, h, f, batch, false))
                                    .as("batch %d %s budget %d", batch, causal ? "causal" : "non-causal", budget).isEqualTo(whole);
                        }
                    }
                }
            }
        } finally {
            if (old == null) System.clearProperty("mmgp.winograd.minPositions");
            else System.setProperty("mmgp.winograd.minPositions", old);
        }
    }

    private static float[] run(ComputeBackend backend, WeightSet weights, int c, int oc, int k, boolean causal, long budget, float[] x,
            int w, int h, int f, int batch, boolean im2col3d) {
        CausalConv3d conv = new CausalConv3d(weights, "k", c, oc, k, new CausalConv3d.Options(causal, budget));
        if (im2col3d) System.setProperty("mmgp.conv3d", "im2col3d");
        try (Graph g = new Graph(backend)) {
            Tensor in = g.inputF32("x", w, h, f, (long) c * batch);
            Tensor y = g.output(conv.forward(g, in));
            assertThat(y.shape()).containsExactly(w, h, f, (long) oc * batch);
            g.set(in, x);
            g.compute();
            return g.floats(y);
        } finally {
            System.clearProperty("mmgp.conv3d");
        }
    }

}
