package mmgp.models.engine;

import java.util.Map;
import java.util.TreeMap;
import mmgp.graph.ComputeBackend;
import mmgp.graph.Tensor;
import mmgp.graph.WeightSet;

/** "F32 ×120, Q8_0 ×84": how many weights of each type a model holds, for the engine's model descriptions. */
final class WeightSummary {
    private WeightSummary() {}

    /** "model (F32 ×120, Q8_0 ×84, numerics fast)": a ggml-graph model as the engine describes it once loaded. */
    static String describe(Object model, WeightSet weights, ComputeBackend backend) {
        return model + " (" + of(weights) + ", numerics " + backend.numerics().label() + ")";
    }

    private static String of(WeightSet weights) {
        Map<String, Integer> counts = new TreeMap<>();
        for (Tensor t : weights.all().values()) counts.merge(t.type().name(), 1, Integer::sum);
        StringBuilder sb = new StringBuilder();
        counts.forEach((type, n) -> sb.append(sb.isEmpty() ? "" : ", ").append(type).append(" ×").append(n));
        return sb.toString();
    }
}
