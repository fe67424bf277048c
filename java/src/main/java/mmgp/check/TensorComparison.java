package mmgp.check;

/**
 * One output compared with its golden: the largest absolute error, the largest error relative
 * to the golden magnitude, and whether every element met |a − b| ≤ atol + rtol·|b| (integers:
 * exact). Relative error alone is meaningless near zero, hence the combined rule.
 */
public record TensorComparison(String name, long elements, double maxAbs, double maxRel, double relRms, boolean passed, String detail, boolean integer) {
    /** ‖actual − golden‖₂ / ‖golden‖₂: the figure the README's per-route error bounds speak of. */
    public double relRms() {
        return relRms;
    }

    public static TensorComparison floats(String name, float[] actual, float[] expected, double atol, double rtol) {
        if (actual.length != expected.length) {
            return new TensorComparison(name, expected.length, Double.NaN, Double.NaN, Double.NaN, false,
                    "has " + actual.length + " elements, golden has " + expected.length, false);
        }
        double maxAbs = 0, maxRel = 0, errSq = 0, refSq = 0;
        int worst = -1;
        double worstExcess = 0;
        for (int i = 0; i < actual.length; i++) {
            double err = Math.abs((double) actual[i] - expected[i]);
            if (Double.isNaN(err)) err = Double.POSITIVE_INFINITY;
            maxAbs = Math.max(maxAbs, err);
            errSq += err * err;
            refSq += (double) expected[i] * expected[i];
            maxRel = Math.max(maxRel, err / Math.max(Math.abs(expected[i]), 1e-12));
            double excess = err - (atol + rtol * Math.abs(expected[i]));
            if (excess > worstExcess || (worst < 0 && excess > 0)) {
                worstExcess = excess;
                worst = i;
            }
        }
        String detail = worst < 0 ? "" : "worst at " + worst + ": " + actual[worst] + " vs " + expected[worst];
        double relRms = refSq > 0 ? Math.sqrt(errSq / refSq) : Math.sqrt(errSq);
        return new TensorComparison(name, expected.length, maxAbs, maxRel, relRms, worst < 0, detail, false);
    }

    public static TensorComparison exact(String name, long[] actual, long[] expected) {
        if (actual.length != expected.length) {
            return new TensorComparison(name, expected.length, Double.NaN, Double.NaN, Double.NaN, false,
                    "has " + actual.length + " elements, golden has " + expected.length, true);
        }
        int mismatches = 0, first = -1;
        for (int i = 0; i < actual.length; i++) {
            if (actual[i] != expected[i]) {
                if (first < 0) first = i;
                mismatches++;
            }
        }
        String detail = first < 0 ? "" : mismatches + " differ, first at " + first + ": " + actual[first] + " vs " + expected[first];
        return new TensorComparison(name, expected.length, mismatches == 0 ? 0 : 1, 0, (double) mismatches / Math.max(1, expected.length), mismatches == 0, detail, true);
    }
}
