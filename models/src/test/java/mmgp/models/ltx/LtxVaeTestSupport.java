package mmgp.models.ltx;

import static org.assertj.core.api.Assertions.assertThat;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
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

/** Shared by the LTX video VAE tests: the golden tolerance check and weight sets built in memory. */
final class LtxVaeTestSupport {
    static final double ATOL = 1e-4, RTOL = 1e-4;

    private LtxVaeTestSupport() {}

    /** Every element within ATOL + RTOL·|expected|; prints the largest absolute error. */
    static double assertClose(String what, float[] actual, float[] expected) {
        assertThat(actual).as(what + " length").hasSize(expected.length);
        double maxErr = 0;
        int worst = -1;
        for (int i = 0; i < actual.length; i++) {
            double e = Math.abs((double) actual[i] - expected[i]);
            if (!(e <= ATOL + RTOL * Math.abs(expected[i]))) {
                throw new AssertionError(what + "[" + i + "] = " + actual[i] + ", expected " + expected[i] + " (error " + e + ")");
            }
            if (e > maxErr) {
                maxErr = e;
                worst = i;
            }
        }
        System.out.printf("%-44s max abs error %.3e (at %d of %d)%n", what, maxErr, worst, actual.length);
        return maxErr;
    }

    static double maxAbsDiff(float[] a, float[] b) {
        assertThat(a).hasSameSizeAs(b);
        double m = 0;
        for (int i = 0; i < a.length; i++) m = Math.max(m, Math.abs((double) a[i] - b[i]));
        return m;
    }

    static float[] normal(SplittableRandom random, int n) {
        float[] v = new float[n];
        for (int i = 0; i < n; i++) {
            double u1 = 1 - random.nextDouble(), u2 = random.nextDouble();
            v[i] = (float) (Math.sqrt(-2 * Math.log(u1)) * Math.cos(2 * Math.PI * u2));
        }
        return v;
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
        List<WeightSet.Entry> entries = new ArrayList<>();
        long offset = 0;
        for (var e : shapes.entrySet()) {
            long[] ne = e.getValue();
            GgmlType t = ne.length > 1 && ne[1] > 1 || e.getKey().endsWith("conv.weight") ? type : GgmlType.F32;
            entries.add(new WeightSet.Entry(e.getKey(), t, ne, offset, false));
            offset += (values.get(e.getKey()).length * (long) (t == GgmlType.F16 ? 2 : 4) + 31) / 32 * 32;
        }
        MemorySegment region = arena.allocate(Math.max(offset, 32), 32);
        for (WeightSet.Entry entry : entries) {
            float[] v = values.get(entry.name());
            long at = entry.offset();
            for (int i = 0; i < v.length; i++) {
                if (entry.type() == GgmlType.F16) region.set(ValueLayout.JAVA_SHORT_UNALIGNED, at + 2L * i, HalfPrecision.floatToF16(v[i]));
                else region.set(ValueLayout.JAVA_FLOAT_UNALIGNED, at + 4L * i, v[i]);
            }
        }
        return WeightSet.map(backend, region, entries, false);
    }
}
