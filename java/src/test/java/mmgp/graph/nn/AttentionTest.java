package mmgp.graph.nn;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.util.SplittableRandom;
import mmgp.bindings.NativeLibraries;
import mmgp.graph.ComputeBackend;
import mmgp.graph.Graph;
import mmgp.graph.Tensor;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class AttentionTest {
    @ParameterizedTest
    @ValueSource(booleans = {false, true})
    void matchesPerHeadSoftmaxAttention(boolean causal) {
        assumeTrue(NativeLibraries.available(), "native libs not built");
        int heads = 3, hd = 4, d = heads * hd, tq = 5, tk = causal ? 5 : 7, b = 2;
        SplittableRandom rnd = new SplittableRandom(3);
        float[] q = rand(rnd, d * tq * b), k = rand(rnd, d * tk * b), v = rand(rnd, d * tk * b);
        float[] got;
        try (ComputeBackend backend = ComputeBackend.cpu(2); Graph g = new Graph(backend, 64)) {
            Tensor qi = g.inputF32("q", d, tq, b), ki = g.inputF32("k", d, tk, b), vi = g.inputF32("v", d, tk, b);
            Tensor mask = causal ? Attention.causalMask(g, "mask", tq) : null;
            Tensor out = g.output(Attention.multiHead(g, qi, ki, vi, heads, mask));
            g.set(qi, q);
            g.set(ki, k);
            g.set(vi, v);
            g.compute();
            assertThat(out.shape()).containsExactly(d, tq, b, 1);
            got = g.floats(out);
        }
        for (int bi = 0; bi < b; bi++)
            for (int h = 0; h < heads; h++)
                for (int i = 0; i < tq; i++) {
                    double[] s = new double[tk];
                    double max = Double.NEGATIVE_INFINITY;
                    for (int j = 0; j < tk; j++) {
                        double dot = 0;
                        for (int c = 0; c < hd; c++) dot += q[(bi * tq + i) * d + h * hd + c] * (double) k[(bi * tk + j) * d + h * hd + c];
                        s[j] = causal && j > i ? Double.NEGATIVE_INFINITY : dot / Math.sqrt(hd);
                        max = Math.max(max, s[j]);
                    }
                    double sum = 0;
                    for (int j = 0; j < tk; j++) sum += s[j] = Math.exp(s[j] - max);
                    for (int c = 0; c < hd; c++) {
                        double o = 0;
                        for (int j = 0; j < tk; j++) o += s[j] / sum * v[(bi * tk + j) * d + h * hd + c];
                        float actual = got[(bi * tq + i) * d + h * hd + c];
                        assertThat((double) actual).isCloseTo(o, org.assertj.core.data.Offset.offset(1e-5 + 1e-5 * Math.abs(o)));
                    }
                }
    }

    private static float[] rand(SplittableRandom r, int n) {
        float[] a = new float[n];
        for (int i = 0; i < n; i++) a[i] = (float) r.nextGaussian();
        return a;
    }
}
