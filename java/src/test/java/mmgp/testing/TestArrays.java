package mmgp.testing;

import java.util.Random;
import java.util.SplittableRandom;
import mmgp.tensor.HalfPrecision;

/** Seeded test data and the conversions the numeric tests share. */
public final class TestArrays {
    private TestArrays() {}

    public static float[] uniform(Random random, int n, double lo, double hi) {
        float[] v = new float[n];
        for (int i = 0; i < n; i++) v[i] = (float) (lo + (hi - lo) * random.nextDouble());
        return v;
    }

    public static float[] uniform(Random random, int n) {
        return uniform(random, n, -1, 1);
    }

    public static float[] uniform(SplittableRandom random, int n, double lo, double hi) {
        float[] v = new float[n];
        for (int i = 0; i < n; i++) v[i] = (float) (lo + (hi - lo) * random.nextDouble());
        return v;
    }

    public static float[] uniform(SplittableRandom random, int n) {
        return uniform(random, n, -1, 1);
    }

    /** Standard normal values by Box–Muller. */
    public static float[] normal(SplittableRandom random, int n) {
        float[] v = new float[n];
        for (int i = 0; i < n; i++) {
            double u1 = 1 - random.nextDouble(), u2 = random.nextDouble();
            v[i] = (float) (Math.sqrt(-2 * Math.log(u1)) * Math.cos(2 * Math.PI * u2));
        }
        return v;
    }

    /** Each value rounded to fp16 and back: what ggml sees of an F16 tensor filled from it. */
    public static float[] roundToF16(float[] v) {
        float[] r = new float[v.length];
        for (int i = 0; i < v.length; i++) r[i] = HalfPrecision.f16ToFloat(HalfPrecision.floatToF16(v[i]));
        return r;
    }

    public static double[] doubles(float[] v) {
        double[] d = new double[v.length];
        for (int i = 0; i < v.length; i++) d[i] = v[i];
        return d;
    }

    public static double maxAbsDiff(float[] a, float[] b) {
        if (a.length != b.length) throw new AssertionError(a.length + " values against " + b.length);
        double m = 0;
        for (int i = 0; i < a.length; i++) m = Math.max(m, Math.abs((double) a[i] - b[i]));
        return m;
    }

    /** The relative RMS error ‖got − expected‖ / ‖expected‖, summed in double (0 / 0 reads as 0). */
    public static double relativeRms(float[] got, double[] expected) {
        if (got.length != expected.length) throw new AssertionError(got.length + " values against " + expected.length);
        double err = 0, ref = 0;
        for (int i = 0; i < got.length; i++) {
            double d = got[i] - expected[i];
            err += d * d;
            ref += expected[i] * expected[i];
        }
        return Math.sqrt(err / Math.max(ref, Double.MIN_NORMAL));
    }

    /** {@link #relativeRms(float[], double[])} against a float reference. */
    public static double relativeRms(float[] got, float[] expected) {
        return relativeRms(got, doubles(expected));
    }
}
