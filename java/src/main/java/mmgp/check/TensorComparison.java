package mmgp.check;

import java.util.List;

/**
 * One output compared with its golden: the largest absolute error, the largest error relative
 * to the golden magnitude, and whether every element met |a − b| ≤ atol + rtol·|b| (integers:
 * exact). Relative error alone is meaningless near zero, hence the combined rule. An infinite
 * golden value must be matched exactly (same sign) and adds nothing to the error figures.
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
            // Equal infinities (e.g. a logit masked to -inf) match; they would make the sums NaN.
            if (Float.isInfinite(expected[i]) && actual[i] == expected[i]) continue;
            double err = Math.abs((double) actual[i] - expected[i]);
            if (Double.isNaN(err)) err = Double.POSITIVE_INFINITY;
            maxAbs = Math.max(maxAbs, err);
            errSq += err * err;
            refSq += (double) expected[i] * expected[i];
            maxRel = Math.max(maxRel, err / Math.max(Math.abs(expected[i]), 1e-12));
            // an infinite golden allows no finite value (inf - inf would be NaN and pass)
            double excess = Float.isInfinite(expected[i]) ? Double.POSITIVE_INFINITY : err - (atol + rtol * Math.abs(expected[i]));
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

    /** Strings compared exactly, element by element (e.g. token strings); the detail names the first difference. */
    public static TensorComparison strings(String name, List<String> actual, List<String> expected) {
        int mismatches = Math.abs(actual.size() - expected.size()), first = actual.size() == expected.size() ? -1 : Math.min(actual.size(), expected.size());
        for (int i = 0; i < Math.min(actual.size(), expected.size()); i++) {
            if (!actual.get(i).equals(expected.get(i))) {
                if (first < 0 || i < first) first = i;
                mismatches++;
            }
        }
        String detail = first < 0 ? "" : mismatches + " differ (" + actual.size() + " vs " + expected.size() + " strings), first at " + first + ": "
                + quoted(actual, first) + " vs " + quoted(expected, first);
        return new TensorComparison(name, expected.size(), mismatches == 0 ? 0 : 1, 0, (double) mismatches / Math.max(1, expected.size()), mismatches == 0, detail, true);
    }

    /** One text compared exactly, character by character; the detail shows where it first differs. */
    public static TensorComparison text(String name, String actual, String expected) {
        int first = 0, n = Math.min(actual.length(), expected.length());
        while (first < n && actual.charAt(first) == expected.charAt(first)) first++;
        boolean same = actual.equals(expected);
        String detail = same ? "" : "differs at char " + first + ": " + quoted(actual, first) + " vs " + quoted(expected, first);
        return new TensorComparison(name, expected.length(), same ? 0 : 1, 0, same ? 0 : 1, same, detail, true);
    }

    private static String quoted(List<String> list, int i) {
        return i < list.size() ? "\"" + list.get(i) + "\"" : "(none)";
    }

    private static String quoted(String s, int from) {
        return from >= s.length() ? "(end)" : "\"" + s.substring(from, Math.min(s.length(), from + 24)).replace("\n", "\\n") + "\"";
    }
}
