package mmgp.graph.nn;

import java.lang.foreign.Arena;
import java.util.ArrayList;
import java.util.List;
import java.util.function.DoubleUnaryOperator;
import mmgp.graph.Graph;
import mmgp.graph.Tensor;
import mmgp.graph.WeightSet;
import mmgp.tensor.GgmlType;
import mmgp.testing.CpuBackendFixture;
import mmgp.testing.MappedWeights;

/**
 * Plumbing of the layer-module tests: the backend of {@link CpuBackendFixture}, weights placed in a
 * mapped region as a checkpoint's are (so the modules' {@code load} methods are what is tested),
 * and plain-Java references in double (data and closeness checks: {@link mmgp.testing}).
 *
 * <p>Arrays are in ggml order: element (i0, i1, i2, i3) of ne = [ne0, ne1, ne2, ne3] is at
 * i0 + ne0·(i1 + ne1·(i2 + ne2·i3)), so ne0 is PyTorch's last dimension.
 */
abstract class NnTestSupport extends CpuBackendFixture {
    /** Slack of an fp32 result with O(1) values: 1e-5 + 1e-5·|expected|. */
    static final double FP32 = 1e-5;

    static Graph newGraph() {
        return new Graph(backend, 2048);
    }

    /** An F32 input of shape {@code ne} holding {@code values}. */
    static Tensor input(Graph g, String name, float[] values, long... ne) {
        Tensor t = g.inputF32(name, ne);
        g.set(t, values);
        return t;
    }

    /** Named F32 or F16 tensors mapped as a {@link WeightSet} ({@link MappedWeights}); closing frees them. */
    static final class Weights implements AutoCloseable {
        private final List<MappedWeights.Spec> specs = new ArrayList<>();
        private final Arena arena = Arena.ofConfined();
        private WeightSet set;

        Weights add(String name, float[] values, long... ne) {
            return add(name, GgmlType.F32, values, ne);
        }

        Weights add(String name, GgmlType type, float[] values, long... ne) {
            specs.add(new MappedWeights.Spec(name, type, ne, values));
            return this;
        }

        WeightSet map() {
            set = MappedWeights.map(backend, arena, specs);
            return set;
        }

        @Override
        public void close() {
            if (set != null) set.close();
            arena.close();
        }
    }

    // ---------------------------------------------------------------- checks

    /** rel·scale + 1e-6 per element: the bound of a sum whose rounding grows with Σ|terms| = scale. */
    static double[] bound(double[] scale, double rel) {
        double[] b = new double[scale.length];
        for (int i = 0; i < b.length; i++) b[i] = rel * scale[i] + 1e-6;
        return b;
    }

    // ---------------------------------------------------------------- references (double)

    /** y[o, n] = Σ_i w[o, i]·x[i, n] (+ b[o]): x [in, cols] → [out, cols]. Null bias for none. */
    static double[] linear(float[] w, float[] b, int in, int out, float[] x, int cols) {
        double[] y = new double[out * cols];
        for (int n = 0; n < cols; n++)
            for (int o = 0; o < out; o++) {
                double s = b == null ? 0 : b[o];
                for (int i = 0; i < in; i++) s += (double) w[o * in + i] * x[n * in + i];
                y[n * out + o] = s;
            }
        return y;
    }

    /** Σ_i |w[o, i]·x[i, n]|: the scale a dot product's rounding error grows with. */
    static double[] linearAbs(float[] w, int in, int out, float[] x, int cols) {
        double[] y = new double[out * cols];
        for (int n = 0; n < cols; n++)
            for (int o = 0; o < out; o++) {
                double s = 0;
                for (int i = 0; i < in; i++) s += Math.abs((double) w[o * in + i] * x[n * in + i]);
                y[n * out + o] = s;
            }
        return y;
    }

    static float[] floats(double[] v) {
        float[] f = new float[v.length];
        for (int i = 0; i < v.length; i++) f[i] = (float) v[i];
        return f;
    }

    static double[] map(double[] x, DoubleUnaryOperator f) {
        double[] y = new double[x.length];
        for (int i = 0; i < x.length; i++) y[i] = f.applyAsDouble(x[i]);
        return y;
    }

    /**
     * Row-wise normalisation over ne0 = {@code d}: (x − mean)/√(var + eps) when {@code centre}
     * (layer norm, biased variance), x/√(mean(x²) + eps) otherwise (RMS norm); then ·weight and
     * +bias where given.
     */
    static double[] rowNorm(double[] x, int d, boolean centre, float[] weight, float[] bias, double eps) {
        double[] y = new double[x.length];
        for (int r = 0; r < x.length / d; r++) {
            double mean = 0;
            if (centre) {
                for (int i = 0; i < d; i++) mean += x[r * d + i];
                mean /= d;
            }
            double sq = 0;
            for (int i = 0; i < d; i++) sq += (x[r * d + i] - mean) * (x[r * d + i] - mean);
            double inv = 1 / Math.sqrt(sq / d + eps);
            for (int i = 0; i < d; i++) {
                double v = (x[r * d + i] - mean) * inv;
                if (weight != null) v *= weight[i];
                if (bias != null) v += bias[i];
                y[r * d + i] = v;
            }
        }
        return y;
    }

    /** erf by Simpson's rule on 2/√π·∫₀ˣ e^(−t²) dt with 4000 panels: ~1e-14 for |x| ≤ 8. */
    static double erf(double x) {
        int n = 4000;
        double h = x / n, s = 1 + Math.exp(-x * x);
        for (int i = 1; i < n; i++) s += (i % 2 == 1 ? 4 : 2) * Math.exp(-(i * h) * (i * h));
        return 2 / Math.sqrt(Math.PI) * s * h / 3;
    }

    static double activation(Activation a, double x) {
        return switch (a) {
            case GELU -> 0.5 * x * (1 + erf(x / Math.sqrt(2)));
            case GELU_TANH -> 0.5 * x * (1 + Math.tanh(Math.sqrt(2 / Math.PI) * (x + 0.044715 * x * x * x)));
            case QUICK_GELU -> x / (1 + Math.exp(-1.702 * x));
            case RELU -> Math.max(0, x);
            case SILU -> x / (1 + Math.exp(-x));
        };
    }

    /**
     * Direct 3-D convolution: x [W, H, F, IC·N], kernel [KW, KH, KD, IC·OC], zero padding
     * {W, H, F} on both sides → [OW, OH, OF, OC·N]. With F = KD = 1 it is the 2-D convolution of
     * [W, H, IC, N] by [KW, KH, IC, OC] (the same memory).
     */
    static double[] conv3d(float[] x, int[] xne, int ic, float[] w, int[] wne, int[] stride, int[] pad) {
        int n = xne[3] / ic, oc = wne[3] / ic;
        int[] yne = new int[4];
        for (int a = 0; a < 3; a++) yne[a] = (xne[a] + 2 * pad[a] - wne[a]) / stride[a] + 1;
        yne[3] = oc * n;
        double[] y = new double[yne[0] * yne[1] * yne[2] * yne[3]];
        for (int s = 0; s < n; s++)
            for (int o = 0; o < oc; o++)
                for (int z = 0; z < yne[2]; z++)
                    for (int r = 0; r < yne[1]; r++)
                        for (int c = 0; c < yne[0]; c++) {
                            double acc = 0;
                            for (int i = 0; i < ic; i++)
                                for (int e = 0; e < wne[2]; e++)
                                    for (int a = 0; a < wne[1]; a++)
                                        for (int b = 0; b < wne[0]; b++) {
                                            int zz = z * stride[2] + e - pad[2], yy = r * stride[1] + a - pad[1], xx = c * stride[0] + b - pad[0];
                                            if (zz < 0 || zz >= xne[2] || yy < 0 || yy >= xne[1] || xx < 0 || xx >= xne[0]) continue;
                                            acc += (double) x[xx + xne[0] * (yy + xne[1] * (zz + xne[2] * (i + ic * s)))]
                                                    * w[b + wne[0] * (a + wne[1] * (e + wne[2] * (i + ic * o)))];
                                        }
                            y[c + yne[0] * (r + yne[1] * (z + yne[2] * (o + oc * s)))] = acc;
                        }
        return y;
    }
}
