package mmgp.models.engine;

import java.util.Map;
import java.util.TreeMap;
import mmgp.graph.Tensor;
import mmgp.graph.WeightSet;

/** "F32 ×120, Q8_0 ×84": how many weights of each type a model holds, for descriptions. */
final class WeightSummary {
    private WeightSummary() {}

    static String of(WeightSet weights) {
        Map<String, Integer> counts = new TreeMap<>();
        for (Tensor t : weights.all().values()) counts.merge(t.type().name(), 1, Integer::sum);
        StringBuilder sb = new StringBuilder();
        counts.forEach((type, n) -> sb.append(sb.isEmpty() ? "" : ", ").append(type).append(" ×").append(n));
        return sb.toString();
    }
}
