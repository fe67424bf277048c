package mmgp.models.ltx;

import java.lang.foreign.Arena;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import mmgp.convert.ConversionPlan;
import mmgp.convert.HfCheckpoint;
import mmgp.graph.ComputeBackend;
import mmgp.graph.WeightSet;
import mmgp.tensor.GgmlType;
import mmgp.tensor.HalfPrecision;
import mmgp.testing.CloseAssertions;
import mmgp.testing.MappedWeights;

/** Shared by the LTX video VAE tests: the golden tolerance check and weight sets built in memory. */
final class LtxVaeTestSupport {
    static final double ATOL = 1e-4, RTOL = 1e-4;

    private LtxVaeTestSupport() {}


    /** Every element within ATOL + RTOL·|expected|; prints and returns the largest absolute error. */
    static double assertClose(String what, float[] actual, float[] expected) {
        return CloseAssertions.assertClose(what, actual, expected, ATOL, RTOL);
    }

    /** Whether element {@code i} of a [3, 3, 3, N] kernel is an off-centre H/W tap (time taps are kept). */
    static boolean offCentre(int i) {
        return i % 3 != 1 || (i / 3) % 3 != 1;
    }

    /** A checkpoint component's weights under "vae.", with every 3×3×3 kernel's off-centre H/W taps set to zero. */
    static WeightSet spatiallyLocalWeights(ComputeBackend backend, Arena arena, HfCheckpoint.Component vae) throws Exception {
        Map<String, long[]> shapes = new java.util.LinkedHashMap<>();
        Map<String, float[]> values = new java.util.LinkedHashMap<>();
        for (String name : vae.weights().names()) {
            long[] shape = vae.weights().tensor(name).shape();
            float[] v = vae.weights().readFloats(name);
            if (shape.length == 5 && shape[3] == 3 && shape[4] == 3) {
                for (int i = 0; i < v.length; i++) if (offCentre(i)) v[i] = 0f; // [.., KH, KW]: keep (1, 1)
            }
            shapes.put("vae." + name, ConversionPlan.ggmlShape(shape));
            values.put("vae." + name, v);
        }
        return weights(backend, arena, shapes, values, GgmlType.F32);
    }

    /**
     * Seeded random weights (fp16-representable, so both types hold the same values): norm
     * weights and latents_std near 1, conv and linear weights uniform with variance 1/fan-in so
     * activations stay O(1) through the stack, timestep_scale_multiplier 1000, the rest uniform
     * in ±√3. With {@code local}, 3×3×3 kernels keep only their centre H/W taps.
     */
    static WeightSet randomWeights(ComputeBackend backend, Arena arena, Map<String, long[]> shapes, GgmlType type, long seed, boolean local) {
        SplittableRandom random = new SplittableRandom(seed);
        Map<String, float[]> values = new java.util.LinkedHashMap<>();
        for (var e : shapes.entrySet()) {
            String name = e.getKey();
            long[] ne = e.getValue();
            long n = 1;
            for (long d : ne) n *= d;
            boolean norm = name.contains("norm") && name.endsWith(".weight");
            boolean std = name.endsWith("latents_std");
            double fanIn = name.endsWith("conv.weight") ? (double) ne[0] * ne[1] * ne[2] * ne[3] / shapes.get(name.substring(0, name.length() - "weight".length()) + "bias")[0]
                    : name.endsWith(".weight") && ne.length == 2 ? ne[0] : 1;
            float[] v = new float[(int) n];
            for (int i = 0; i < v.length; i++) {
                double x = name.endsWith("timestep_scale_multiplier") ? 1000
                        : norm || std ? 1 + 0.2 * (random.nextDouble() - 0.5) : 2 * (random.nextDouble() - 0.5) * Math.sqrt(3 / fanIn);
                if (local && name.endsWith("conv.weight") && ne[0] == 3 && offCentre(i)) x = 0;
                v[i] = HalfPrecision.f16ToFloat(HalfPrecision.floatToF16((float) x));
            }
            values.put(name, v);
        }
        return weights(backend, arena, shapes, values, type);
    }

    /** Zero weights of the given ggml shapes (F32). */
    static WeightSet zeroWeights(ComputeBackend backend, Arena arena, Map<String, long[]> shapes) {
        Map<String, float[]> values = new java.util.LinkedHashMap<>();
        for (var e : shapes.entrySet()) {
            long n = 1;
            for (long d : e.getValue()) n *= d;
            values.put(e.getKey(), new float[(int) n]);
        }
        return weights(backend, arena, shapes, values, GgmlType.F32);
    }

    /**
     * The given values as a weight set: matrices and conv kernels in {@code type}, vectors and
     * scalars F32 (as the converters store them), all in one region allocated from {@code arena}.
     */
    static WeightSet weights(ComputeBackend backend, Arena arena, Map<String, long[]> shapes, Map<String, float[]> values, GgmlType type) {
        List<MappedWeights.Spec> specs = new ArrayList<>();
        for (var e : shapes.entrySet()) {
            long[] ne = e.getValue();
            GgmlType t = ne.length > 1 && ne[1] > 1 || e.getKey().endsWith("conv.weight") ? type : GgmlType.F32;
            specs.add(new MappedWeights.Spec(e.getKey(), t, ne, values.get(e.getKey())));
        }
        return MappedWeights.map(backend, arena, specs);
    }
}
