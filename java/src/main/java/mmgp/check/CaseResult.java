package mmgp.check;

import java.util.List;

/** The outcome of one golden case: its compared outputs, or the error that stopped it. */
public record CaseResult(String caseName, List<TensorComparison> comparisons, String error, double seconds) {
    public boolean passed() {
        return error == null && !comparisons.isEmpty() && comparisons.stream().allMatch(TensorComparison::passed);
    }

    public static CaseResult failed(String caseName, String error, double seconds) {
        return new CaseResult(caseName, List.of(), error, seconds);
    }
}
