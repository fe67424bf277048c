package mmgp.testing;

import static org.junit.jupiter.api.Assertions.fail;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import mmgp.check.TensorComparison;

/**
 * Element-wise closeness checks. A failure names how many values are off, the first offender and
 * the worst one, so a tolerance problem and a wiring bug look different in the report. NaN never
 * passes, and an infinite expected value passes only when matched exactly.
 */
public final class CloseAssertions {
    /** -Dmmgp.test.showErrors=true prints how close each check came to its bound (for tuning tolerances). */
    private static final boolean SHOW_ERRORS = Boolean.getBoolean("mmgp.test.showErrors");

    private CloseAssertions() {}

    /** |actual − expected| ≤ abs + rel·|expected| for every element. */
    public static void assertClose(String what, float[] actual, double[] expected, double abs, double rel) {
        double[] bound = new double[expected.length];
        for (int i = 0; i < bound.length; i++) bound[i] = abs + rel * Math.abs(expected[i]);
        assertWithin(what, actual, expected, bound);
    }

    /**
     * A golden comparison: every element within atol + rtol·|expected|, as {@link #assertClose(String, float[], double[], double, double)};
     * prints and returns the largest absolute error, the figure to watch for drift.
     */
    public static double assertClose(String what, float[] actual, float[] expected, double atol, double rtol) {
        assertClose(what, actual, TestArrays.doubles(expected), atol, rtol);
        double maxErr = 0;
        int worst = -1;
        for (int i = 0; i < actual.length; i++) {
            double e = Math.abs((double) actual[i] - expected[i]);
            if (e > maxErr) {
                maxErr = e;
                worst = i;
            }
        }
        System.out.printf("%-44s max abs error %.3e (at %d of %d)%n", what, maxErr, worst, actual.length);
        return maxErr;
    }

    /** |actual − expected| ≤ bound[i] for every element; reports the first offender and the worst ratio. */
    public static void assertWithin(String what, float[] actual, double[] expected, double[] bound) {
        if (actual.length != expected.length) {
            fail(what + ": " + actual.length + " values, expected " + expected.length);
        }
        int first = -1, bad = 0, worst = 0;
        double worstRatio = 0;
        for (int i = 0; i < actual.length; i++) {
            double err = Math.abs(actual[i] - expected[i]);
            // An infinite expected value (a masked logit) admits only itself: its bound would be infinite too.
            boolean ok = Double.isInfinite(expected[i]) ? actual[i] == expected[i] : err <= bound[i] && !Double.isNaN(actual[i]);
            double ratio = ok ? (err == 0 ? 0 : err / bound[i]) : (err > 0 ? err / bound[i] : Double.POSITIVE_INFINITY);
            if (ratio > worstRatio) {
                worstRatio = ratio;
                worst = i;
            }
            if (!ok) {
                bad++;
                if (first < 0) first = i;
            }
        }
        if (SHOW_ERRORS) System.out.printf("%s: worst error %.3g× its bound, at [%d]%n", what, worstRatio, worst);
        if (bad > 0) {
            fail(String.format("%s: %d of %d values off; first at [%d]: got %s, expected %s (bound %.3g); "
                            + "worst at [%d]: got %s, expected %s, error %.3g× the bound",
                    what, bad, actual.length, first, actual[first], expected[first], bound[first],
                    worst, actual[worst], expected[worst], worstRatio));
        }
    }

    public static void assertExactly(String what, float[] actual, double[] expected) {
        assertWithin(what, actual, expected, new double[expected.length]);
    }

    /**
     * Every golden tensor by name (a model's output and its traced sub-modules) against what the
     * graph gave, within atol + rtol·|expected|; prints one line per tensor, prefixed by {@code model},
     * and fails naming every tensor that is off. {@code actual} must hold each golden name.
     */
    public static void assertAllClose(String model, Map<String, float[]> actual, Map<String, float[]> expected, double atol, double rtol) {
        List<String> failed = new ArrayList<>();
        for (String name : expected.keySet()) {
            if (!actual.containsKey(name)) fail(model + ": no " + name + " computed; have " + actual.keySet());
            TensorComparison c = TensorComparison.floats(name, actual.get(name), expected.get(name), atol, rtol);
            System.out.printf("%s %-38s max abs %.3e  max rel %.3e  %s %s%n", model, c.name(), c.maxAbs(), c.maxRel(), c.passed() ? "ok" : "FAIL", c.detail());
            if (!c.passed()) failed.add(c.name() + ": " + c.detail());
        }
        if (!failed.isEmpty()) fail(model + ": " + failed.size() + " of " + expected.size() + " tensors off: " + failed);
    }
}
